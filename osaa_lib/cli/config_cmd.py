"""`osaa config-test`: the effective configuration, secrets redacted, and a lake round trip."""

from __future__ import annotations

import typer
from rich.table import Table

from osaa_lib.cli._common import console, guarded, settings
from osaa_lib.lake import open_lake, probe

app = typer.Typer()


@app.command("config-test")
@guarded
def config_test(ctx: typer.Context) -> None:
    """Print the effective configuration (secrets redacted) and check the lake is writable."""
    s = settings(ctx)
    table = Table("setting", "value", title="Effective configuration")
    for name, value in s.redacted().items():
        table.add_row(name, value)
    console.print(table)
    where = probe(open_lake(s), s.target)
    console.print(f"[green]lake OK[/green]: wrote, read and deleted {where}")
