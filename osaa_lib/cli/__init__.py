"""The `osaa` command: a thin Typer layer over osaa_lib. Each area registers its own commands."""

from __future__ import annotations

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
    target: str = typer.Option(None, "--target", "-t", help="dev, qa or prod (default: $TARGET)"),
    username: str = typer.Option(
        None, "--username", "-u", help="Your dev space (default: $USERNAME)"
    ),
) -> None:
    """Global options apply to every command; environment variables and .env give the defaults."""
    ctx.ensure_object(dict)
    ctx.obj["overrides"] = {"target": target.lower() if target else None, "username": username}


for _module in (
    config_cmd,
    ingest_cmd,
    lake_cmd,
    notebooks_cmd,
    ops_cmd,
    quality_cmd,
    transform_cmd,
):
    _module.register(app)


def main() -> None:
    app()
