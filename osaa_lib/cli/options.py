"""Options that more than one command takes, each defined once so a flag means the same
everywhere; an option only one command has stays next to that command."""

from __future__ import annotations

from typing import Annotated

import typer


def lower(value: str | None) -> str | None:
    """Option callback: environment names are lower case whatever the operator typed."""
    return value.lower() if value else value


Sources = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", help="Only this source (repeatable; default: all)"),
]
Tables = Annotated[
    list[str] | None,
    typer.Option(
        "--source", "-s", help="Table(s): a source name or 'master' (repeatable; default: all)"
    ),
]
Table = Annotated[str, typer.Option("--source", "-s", help="The table: a source name or 'master'")]
Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Only this model (and what it needs); repeat for several."),
]
Model = Annotated[str, typer.Option("--model", "-m", help="One model, e.g. master.indicators.")]
Force = Annotated[
    bool, typer.Option("--force", help="Re-land files even if their checksum is unchanged")
]
Rebuild = Annotated[bool, typer.Option("--force", help="Re-ingest and republish everything.")]
Wait = Annotated[
    bool,
    typer.Option(
        "--wait", help="If another process holds the database, wait for it instead of failing."
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables or text")]
Yes = Annotated[bool, typer.Option("--yes", help="Confirm a change to prod")]
EnvFilter = Annotated[
    str | None,
    typer.Option("--env", callback=lower, help="Only this environment's backups"),
]
