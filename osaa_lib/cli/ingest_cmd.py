"""`osaa ingest` and `osaa sample-data`: thin wrappers over osaa_lib.ingest and osaa_lib.sample."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli import options, progress
from osaa_lib.cli._common import console, err_console, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.ingest import IngestResult

app = typer.Typer()
STATUS_STYLE = {"ingested": "green", "skipped": "cyan", "failed": "red"}


@app.command("ingest")
@guarded
def ingest_command(
    ctx: typer.Context,
    source: options.Sources = None,
    force: options.Force = False,
    keep_vintages: Annotated[
        int, typer.Option("--keep-vintages", min=1, help="How many vintages to keep per source")
    ] = 5,
) -> None:
    """Turn every CSV under the raw folder's <source>/ into Parquet in the landing zone."""
    from osaa_lib.ingest import ingest

    with progress.files() as show:
        result = ingest(
            settings(ctx),
            sources=source or None,
            force=force,
            progress=show,
            keep_vintages=keep_vintages,
        )
    console.print(_ingest_table(result))
    _show_rejects(result)
    if not result.files:
        console.print("no CSV files found")
    for f in result.failed:
        err_console.print(f"[bold red]failed:[/bold red] {escape(f.error or f.path)}")
    result.raise_if_failed()


@app.command("sample-data")
@guarded
def sample_data(
    scale: Annotated[
        str, typer.Option("--scale", help="small (committed) or full (benchmarks)")
    ] = "small",
    out: Annotated[Path, typer.Option("--out", help="Folder to write sdg/ opri/ wdi/ into")] = Path(
        "data/raw"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes")] = 20261129,
) -> None:
    """Write deterministic sample data in the publishers' formats, plus defects.json."""
    from osaa_lib.sample import generate

    result = generate(out, scale=scale, seed=seed)
    table = Table("file", "rows", title=f"Sample data ({scale}, seed {seed})")
    for rel, rows in result.files.items():
        table.add_row(rel, f"{rows:,}")
    console.print(table)
    console.print(
        f"{len(result.defects)} injected defects listed in {out / 'defects.json'}; "
        f"{result.total_bytes / 2**20:.1f} MiB in {result.seconds:.1f} s"
    )


def _ingest_table(result: IngestResult) -> Table:
    table = Table("file", "rows", "columns", "rejects", "status", "seconds", title="Ingest")
    for f in result.files:
        style = STATUS_STYLE[f.status]
        table.add_row(
            f"{f.source}/{f.stem}",
            f"{f.rows:,}",
            str(f.columns),
            str(f.rejects) if f.status != "failed" else "-",
            f"[{style}]{f.status}[/{style}]",
            f"{f.seconds:.2f}",
        )
    return table


def _show_rejects(result: IngestResult) -> None:
    for f in result.with_rejects:
        console.print(
            f"[yellow]{f.rejects} cell(s) in {escape(f.path)} did not convert and were "
            "landed as NULL: see its manifest's rejects listing[/yellow]"
        )
