"""`osaa ingest` and `osaa sample-data`: thin wrappers over osaa_lib.ingest and osaa_lib.sample."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli._common import console, err_console, guarded, settings
from osaa_lib.errors import IngestError


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    @guarded
    def ingest_command(
        ctx: typer.Context,
        source: list[str] = typer.Option(
            None, "--source", "-s", help="Only this source folder (repeatable; default: all)"
        ),
        force: bool = typer.Option(
            False, "--force", help="Re-ingest files whose checksum is unchanged"
        ),
        keep_vintages: int = typer.Option(
            5, "--keep-vintages", min=1, help="How many vintages to keep per source"
        ),
    ) -> None:
        """Turn every CSV under the raw folder's <source>/ into Parquet in the landing zone."""
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeElapsedColumn,
        )

        from osaa_lib.ingest import Progress as Event
        from osaa_lib.ingest import ingest

        s = settings(ctx)
        tasks: dict[str, TaskID] = {}
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bars:

            def show(event: Event) -> None:
                name = f"{event.source}/{event.stem}"
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=max(event.size, 1))
                total = bars.tasks[tasks[name]].total or 1
                bars.update(tasks[name], completed=event.fraction * total)

            result = ingest(
                s,
                sources=source or None,
                force=force,
                progress=show,
                keep_vintages=keep_vintages,
            )
        table = Table("file", "rows", "columns", "rejects", "status", "seconds", title="Ingest")
        for f in result.files:
            colour = {"ingested": "green", "skipped": "cyan", "failed": "red"}[f.status]
            table.add_row(
                f"{f.source}/{f.stem}",
                f"{f.rows:,}",
                str(f.columns),
                str(f.rejects) if f.status != "failed" else "-",
                f"[{colour}]{f.status}[/{colour}]",
                f"{f.seconds:.2f}",
            )
        console.print(table)
        for f in result.files:
            if f.rejects and f.status == "ingested":
                console.print(
                    f"[yellow]{f.rejects} cell(s) in {escape(f.path)} did not convert and were "
                    "landed as NULL: see its manifest's rejects listing[/yellow]"
                )
        if not result.files:
            console.print("no CSV files found")
        if result.failed:
            for f in result.failed:
                err_console.print(f"[bold red]failed:[/bold red] {escape(f.error or f.path)}")
            raise IngestError(
                f"{len(result.failed)} of {len(result.files)} file(s) failed; "
                "their previous landing files are unchanged"
            )

    @app.command("sample-data")
    @guarded
    def sample_data(
        scale: str = typer.Option(
            "small", "--scale", help="small (committed) or full (benchmarks)"
        ),
        out: Path = typer.Option(
            Path("data/raw"), "--out", help="Folder to write sdg/ opri/ wdi/ into"
        ),
        seed: int = typer.Option(20261129, "--seed", help="Same seed, same bytes"),
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
