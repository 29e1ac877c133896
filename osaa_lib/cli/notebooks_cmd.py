"""`osaa run-pipeline`, `osaa run-notebooks`, `osaa reports index`: headless notebook runs."""

from __future__ import annotations

import typer

from osaa_lib.cli._common import console, guarded, settings

reports_app = typer.Typer(help="Offline HTML reports of pipeline runs.", no_args_is_help=True)


def _execute(ctx: typer.Context, notebooks: list[str], sources: list[str], force: bool) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from osaa_lib.errors import QualityGateError
    from osaa_lib.notebooks import NotebookError
    from osaa_lib.ops import runs
    from osaa_lib.pipeline import run_pipeline

    s = settings(ctx)
    current = runs.current()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("pipeline", total=len(notebooks))

        def started(name: str) -> None:
            progress.update(task, description=f"notebook [bold]{name}[/bold]")

        def done(nb: object) -> None:
            mark = "[green]ok[/green]" if nb.ok else "[red]FAILED[/red]"  # type: ignore[attr-defined]
            progress.console.print(
                f"{nb.notebook}: {mark} in {nb.seconds:.1f} s -> {nb.html}"  # type: ignore[attr-defined]
            )
            progress.advance(task)

        result = run_pipeline(
            s,
            run_id=current.run_id if current is not None else None,
            notebooks=notebooks,
            sources=sources,
            extra={"ingest": {"force": force}} if force else None,
            on_start=started,
            on_done=done,
        )
    counts = ", ".join(f"{v} {k}" for k, v in result.counts.items()) or "no checks ran"
    console.print(f"run {result.run_id}: [bold]{result.status}[/bold] ({counts})")
    if result.report:
        console.print(f"quality report: {result.report}")
    if result.index:
        console.print(f"index: {result.index}")
    if result.failed is not None:
        raise NotebookError(
            f"notebook {result.failed.notebook} failed ({result.failed.error}); "
            f"see {result.failed.html}"
        )
    if result.gate_failed:
        raise QualityGateError(
            f"an error-severity quality check failed; see {result.report or result.out_dir}"
        )


def register(app: typer.Typer) -> None:
    @app.command("run-pipeline")
    @guarded
    def run_pipeline_cmd(
        ctx: typer.Context,
        source: list[str] = typer.Option(
            None, "--source", "-s", help="Only these sources (repeatable; default: all)"
        ),
        force: bool = typer.Option(False, "--force", help="Re-land files even if unchanged"),
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
        notebooks: list[str] = typer.Argument(
            None, help="Notebooks to run in order (default: ingest transform quality_report)"
        ),
        source: list[str] = typer.Option(None, "--source", "-s", help="Only these sources"),
        force: bool = typer.Option(False, "--force", help="Re-land files even if unchanged"),
    ) -> None:
        """Execute notebooks headless (papermill) as one run; HTML + ipynb in reports/<run_id>/."""
        from osaa_lib.pipeline import PIPELINE

        _execute(ctx, list(notebooks or PIPELINE), source or [], force)

    @reports_app.command("index")
    @guarded
    def index_cmd(ctx: typer.Context) -> None:
        """Rewrite reports/index.html from the stored run and quality history."""
        from osaa_lib.reports import write_index

        path = write_index(settings(ctx))
        console.print(f"index: {path}")

    app.add_typer(reports_app, name="reports")
