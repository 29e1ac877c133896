"""Notebooks: what the marimo notebooks in `notebooks/` stand on.

`params` is the one parameter convention (editor controls, script arguments, papermill
injection), `runner` executes a notebook headlessly (marimo -> ipynb -> papermill -> offline
HTML), `explore` holds the indicator explorer's queries.
"""

from osaa_lib.notebooks.params import (
    RESULTS_ENV,
    applied_settings,
    apply_controls,
    controls,
    effective,
    emit,
    notebook_settings,
    parameters,
)
from osaa_lib.notebooks.runner import (
    NotebookError,
    NotebookRun,
    check_run_id,
    export_ipynb,
    notebook_path,
    prepare,
    render_html,
    run,
    settings_environ,
)

__all__ = [
    "RESULTS_ENV", "NotebookError", "NotebookRun", "applied_settings", "apply_controls",
    "check_run_id", "controls", "effective", "emit", "export_ipynb", "notebook_path",
    "notebook_settings", "parameters", "prepare", "render_html", "run", "settings_environ",
]
