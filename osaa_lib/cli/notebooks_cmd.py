"""`osaa run-pipeline`, `osaa run-notebooks`, `osaa reports index`: headless notebook runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from osaa_lib.cli import options, progress
from osaa_lib.cli._common import console, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.pipeline import PipelineResult

app = typer.Typer()
reports_app = typer.Typer(help="Offline HTML reports of pipeline runs.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@app.command("run-pipeline")
@guarded
def run_pipeline_cmd(
    ctx: typer.Context, source: options.Sources = None, force: options.Force = False
) -> None:
    """The scheduled run: ingest -> transform -> quality_report notebooks, reports in reports/.

    Exit 0 when every notebook ran and no error-severity check failed (warnings are fine),
    7 when the quality gate failed (the report is still written), 11 when a notebook raised.
    """
    from osaa_lib.pipeline import PIPELINE

    _execute(ctx, list(PIPELINE), source or [], force)


@app.command("run-notebooks")
@guarded
def run_notebooks_cmd(
    ctx: typer.Context,
    notebooks: Annotated[
        list[str] | None,
        typer.Argument(help="Notebooks to run in order (default: ingest transform quality_report)"),
    ] = None,
    source: options.Sources = None,
    force: options.Force = False,
) -> None:
    """Execute notebooks headless (papermill) as one run; HTML + ipynb in reports/<run_id>/."""
    from osaa_lib.pipeline import PIPELINE

    _execute(ctx, list(notebooks or PIPELINE), source or [], force)


@reports_app.command("index")
@guarded
def index_cmd(ctx: typer.Context) -> None:
    """Rewrite reports/index.html from the stored run and quality history."""
    from osaa_lib.reports import write_index

    console.print(f"index: {write_index(settings(ctx))}")


def _execute(ctx: typer.Context, notebooks: list[str], sources: list[str], force: bool) -> None:
    """One pipeline run under the command's run id, so its record and reports share it."""
    from osaa_lib.ops import runs
    from osaa_lib.pipeline import run_pipeline

    current = runs.current()
    with progress.notebooks(len(notebooks)) as (started, done):
        result = run_pipeline(
            settings(ctx),
            run_id=current.run_id if current is not None else None,
            notebooks=notebooks,
            sources=sources,
            extra={"ingest": {"force": force}} if force else None,
            on_start=started,
            on_done=done,
        )
    _show_pipeline(result)
    result.raise_if_failed()


def _show_pipeline(result: PipelineResult) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items()) or "no checks ran"
    console.print(f"run {result.run_id}: [bold]{result.status}[/bold] ({counts})")
    if result.report:
        console.print(f"quality report: {result.report}")
    if result.index:
        console.print(f"index: {result.index}")
