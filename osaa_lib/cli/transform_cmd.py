"""`osaa transform`, `osaa etl`, `osaa models ...`, `osaa sql`, `osaa export`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli import options, progress
from osaa_lib.cli._common import console, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.config import Settings
    from osaa_lib.transform.lineage import ValidationResult
    from osaa_lib.transform.run import EtlResult, TransformResult

app = typer.Typer()
models_app = typer.Typer(
    help="Look at the SQLMesh models: list, validate, lineage.", no_args_is_help=True
)
app.add_typer(models_app, name="models")


@app.command("transform")
@guarded
def transform_command(
    ctx: typer.Context,
    model: options.Models = None,
    dry_run: options.DryRun = False,
    wait: options.Wait = False,
) -> None:
    """Plan and apply the SQLMesh models in your own environment (dev_<user>, qa or prod)."""
    from osaa_lib.transform import plan_apply

    with progress.steps("transform") as step:
        result = plan_apply(
            settings(ctx), models=model or None, dry_run=dry_run, wait=wait, progress=step
        )
    _show_transform(result)


@app.command("etl")
@guarded
def etl_command(
    ctx: typer.Context,
    source: options.Sources = None,
    model: options.Models = None,
    force: options.Rebuild = False,
    wait: options.Wait = False,
) -> None:
    """Ingest, transform and publish to your staging zone of the lake.

    --source limits what is ingested; the models build from every landed source.
    """
    from osaa_lib.transform import etl

    with progress.steps("etl") as step:
        result = etl(
            settings(ctx),
            sources=source or None,
            models=model or None,
            force=force,
            wait=wait,
            progress=step,
        )
    _show_etl(result)
    result.raise_if_failed()


@models_app.command("list")
@guarded
def models_list(ctx: typer.Context) -> None:
    """Every model with its kind, columns and upstream models."""
    from osaa_lib.transform.lineage import list_models

    table = Table("model", "kind", "columns", "upstream")
    for info in list_models(settings(ctx)):
        table.add_row(info.name, info.kind, str(len(info.columns)), ", ".join(info.upstream))
    console.print(table)


@models_app.command("validate")
@guarded
def models_validate(ctx: typer.Context, wait: options.Wait = False) -> None:
    """Render every model (DuckDB and Spark), run the unit tests, audit the built tables."""
    from osaa_lib.transform.lineage import validate

    result = validate(settings(ctx), wait=wait)
    _show_validation(result)
    result.raise_if_failed()
    console.print("[green]valid[/green]")


@models_app.command("lineage")
@guarded
def models_lineage(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="A model such as sources.sdg (default: all).")
    ] = None,
) -> None:
    """Upstream and downstream models as a tree, and an HTML diagram in reports/."""
    from osaa_lib.transform.lineage import lineage

    result = lineage(settings(ctx), model)
    console.print(escape(result.tree()))
    console.print(f"diagram: {result.html_path}")


@app.command("sql")
@guarded
def sql_command(
    ctx: typer.Context,
    query: Annotated[
        str | None, typer.Argument(help="SQL to run; without it, an interactive shell.")
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Allow statements that change data.")
    ] = False,
) -> None:
    """Run SQL on your project database (read-only unless --write), e.g. the runbook's."""
    from osaa_lib.transform.query import run_sql

    s = settings(ctx)
    if not query:
        _shell(s, write)
        return
    for result in run_sql(s, query, write=write):
        _print_rows(result)


@app.command("export")
@guarded
def export_command(
    ctx: typer.Context,
    *,
    model: options.Model,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or parquet.")] = "csv",
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    where: Annotated[
        str | None, typer.Option("--where", help="A filter, e.g. \"source = 'sdg'\".")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Export one model (optionally filtered) to a CSV or Parquet file."""
    from osaa_lib.transform.query import export

    result = export(settings(ctx), model, output, fmt, where=where, overwrite=overwrite)
    console.print(f"wrote {result.rows:,} row(s) of {result.model} to {result.output}")


def _show_etl(result: EtlResult) -> None:
    ingest = result.ingest
    console.print(
        f"ingest: {len(ingest.landed)} file(s) landed, "
        f"{len(ingest.files) - len(ingest.landed)} unchanged"
    )
    _show_transform(result.transform)
    written = result.publish.written
    console.print(
        f"publish: {len(written)} table(s) written under {result.publish.staging_prefix}"
        + (f" ({', '.join(t.model for t in written)})" if written else "")
    )
    console.print(f"etl finished in {result.seconds:.1f} s")
    for f in ingest.failed:
        console.print(f"[bold red]ingest failed:[/bold red] {escape(f.error or f.path)}")


def _show_transform(result: TransformResult) -> None:
    if result.ignored_sources:
        console.print(
            "[yellow]landed folders of no known layout (add models/sources/<name>.py)[/yellow]: "
            + ", ".join(result.ignored_sources)
        )
    if result.dry_run:
        _show_dry_run(result)
    elif result.no_op:
        console.print(
            f"[green]up to date[/green]: nothing changed in the project or the landing zone "
            f"({result.seconds:.1f} s)"
        )
    else:
        _show_computed(result)


def _show_dry_run(result: TransformResult) -> None:
    head = "[bold]dry run[/bold]: nothing was written."
    if result.no_op:
        console.print(f"{head} Nothing would change.")
        return
    console.print(f"{head} These models would be computed: {', '.join(result.computed)}")
    if result.restated:
        console.print(f"landed data changed for: {', '.join(result.restated)}")


def _show_computed(result: TransformResult) -> None:
    table = Table("model", "rows", "seconds", title=f"Computed in {result.space}")
    for name in result.computed:
        rows = result.rows.get(name)
        table.add_row(
            name, f"{rows:,}" if rows is not None else "", f"{result.timings.get(name, 0):.2f}"
        )
    console.print(table)
    for warning in result.audit_warnings:
        console.print(f"[yellow]audit warning[/yellow]: {escape(warning)}")
    console.print(f"done in {result.seconds:.1f} s; database {result.database}")


def _show_validation(result: ValidationResult) -> None:
    console.print(f"rendered {len(result.rendered)} model(s) for duckdb and spark")
    for name, error in result.render_errors.items():
        console.print(f"[red]render failed[/red] {name}: {escape(error)}")
    console.print(f"unit tests: {result.tests_run} run, {len(result.test_failures)} failed")
    for failure in result.test_failures:
        console.print(f"[red]test failed[/red] {escape(failure)}")
    if result.audits_skipped:
        console.print(f"audits skipped: {result.audits_skipped}")
    for outcome in result.audits:
        if outcome.failures:
            style = "red" if outcome.blocking else "yellow"
            console.print(
                f"[{style}]audit {outcome.audit}[/{style}] on {outcome.model}: "
                f"{outcome.failures} row(s)"
            )
    console.print(f"audits: {len(result.clean_audits)} of {len(result.audits)} clean")


def _print_rows(result: Any, limit: int = 200) -> None:
    if not result.columns:
        console.print("ok")
        return
    table = Table(*result.columns)
    for row in result.rows[:limit]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    console.print(table)
    more = f" (first {limit} shown)" if len(result.rows) > limit else ""
    console.print(f"{len(result.rows)} row(s){more}")


def _shell(s: Settings, write: bool) -> None:
    """A minimal duckdb_cli: statements end with ';', `.quit` or Ctrl-D leaves."""
    from osaa_lib.errors import OsaaError
    from osaa_lib.transform.query import run_sql

    mode = "read-write" if write else "read-only"
    console.print(f"osaa sql ({mode}) on {s.space}: end statements with ';', .quit to leave")
    buffer = ""
    while True:
        try:
            line = input("osaa> " if not buffer else "  ..> ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            return
        buffer += line + "\n"
        if not buffer.strip().endswith(";"):
            continue
        try:
            for result in run_sql(s, buffer, write=write):
                _print_rows(result)
        except OsaaError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
        buffer = ""
