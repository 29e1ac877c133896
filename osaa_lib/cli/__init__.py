"""The `osaa` command: a thin Typer layer over osaa_lib.

Each area's module (`*_cmd.py`) holds its commands as module-level functions on its own
`app`; this one merges them under the global options.
"""

from __future__ import annotations

from typing import Annotated

import typer

from osaa_lib.cli import (
    config_cmd,
    ingest_cmd,
    lake_cmd,
    notebooks_cmd,
    ops_cmd,
    quality_cmd,
    transform_cmd,
)

AREAS = (config_cmd, ingest_cmd, lake_cmd, notebooks_cmd, ops_cmd, quality_cmd, transform_cmd)

app = typer.Typer(
    name="osaa",
    help="OSAA analyst workbench: ingest, transform, check and publish development indicators.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="dev, qa or prod (default: $TARGET)")
    ] = None,
    username: Annotated[
        str | None, typer.Option("--username", "-u", help="Your dev space (default: $USERNAME)")
    ] = None,
) -> None:
    """Global options apply to every command; environment variables and .env give the defaults."""
    ctx.ensure_object(dict)
    ctx.obj["overrides"] = {"target": target.lower() if target else None, "username": username}


for _area in AREAS:
    app.add_typer(_area.app)


def main() -> None:
    app()
