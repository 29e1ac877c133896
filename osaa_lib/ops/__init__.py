"""Operations: run history (`runs`), structured logs (`logs`), failure alerts (`alerts`),
KPIs (`kpis`), the performance report (`report`) and the pipeline benchmark (`benchmark`).

Import the submodule you need (`from osaa_lib.ops import runs`); this package imports nothing
heavy so that every command can record its run cheaply.
"""
