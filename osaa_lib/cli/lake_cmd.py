"""`osaa promote`, `backup`, `backups list`, `restore`, `dr-test`, `storage-report`: thin layers
over osaa_lib.lake.promote, osaa_lib.lake.backup and osaa_lib.lake.storage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli._common import console, guarded, settings

ACTION_STYLE = {"add": "green", "replace": "yellow", "remove": "red"}


@contextmanager
def _progress() -> Iterator[object]:
    """A rich progress bar per stage, fed by the library's (stage, done, total) callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(escape(stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _size(n: int) -> str:
    from osaa_lib.lake.storage import human

    return human(n)


def _changes_table(title: str, changes: list, limit: int = 200) -> Table:
    table = Table("action", "key", "size", title=title)
    for c in changes[:limit]:
        style = ACTION_STYLE.get(c.action, "")
        table.add_row(f"[{style}]{c.action}[/{style}]", escape(c.key), _size(c.size))
    if len(changes) > limit:
        table.add_row("…", f"{len(changes) - limit} more", "")
    return table


def register(app: typer.Typer) -> None:
    @app.command("promote")
    @guarded
    def promote_cmd(
        ctx: typer.Context,
        source: str = typer.Option(..., "--from", help="Source environment: dev or qa"),
        target: str = typer.Option(..., "--to", help="Target environment: qa or prod"),
        user: str = typer.Option(
            None, "--user", help="Dev space to promote (dev_<user>; default: $USERNAME)"
        ),
        dry_run: bool = typer.Option(
            False, "--dry-run", help="List what would be added, replaced, removed; write nothing"
        ),
        yes: bool = typer.Option(False, "--yes", help="Confirm a promotion into prod"),
    ) -> None:
        """Promote landing and published tables one step (dev -> qa -> prod), backed up and
        verified; prod also needs OSAA_ALLOW_PROD_PROMOTION=true and --yes."""
        from osaa_lib.lake.promote import promote

        s = settings(ctx)
        with _progress() as progress:
            res = promote(
                s, source, target, dry_run=dry_run, confirm=yes, user=user, progress=progress
            )
        head = f"{res.source_env} -> {res.target_env}" + (f" (dev_{res.user})" if res.user else "")
        console.print(
            _changes_table(f"{'Dry run: ' if dry_run else ''}promotion {head}", res.changes)
        )
        summary = (
            f"{len(res.added)} added, {len(res.replaced)} replaced, {len(res.removed)} removed, "
            f"{res.unchanged} unchanged"
        )
        if dry_run:
            console.print(f"[bold]dry run[/bold]: {summary}; nothing was written")
            return
        console.print(
            f"[green]promoted[/green] {escape(head)}: {summary}; {res.verified} objects verified "
            f"({res.rows} Parquet rows, {_size(res.bytes_copied)}) in {res.seconds:.1f} s; "
            f"backup of {res.target_env} before: {res.backup_id}"
        )

    @app.command("backup")
    @guarded
    def backup_cmd(
        ctx: typer.Context,
        env: str = typer.Option(None, "--env", help="Environment to back up (default: target)"),
    ) -> None:
        """Copy everything an environment holds into a new, verified, timestamped backup."""
        from osaa_lib.lake.backup import backup

        s = settings(ctx)
        with _progress() as progress:
            res = backup(s, env=env.lower() if env else None, progress=progress)
        console.print(
            f"[green]backup[/green] {res.info.backup_id}: {res.info.objects} objects, "
            f"{_size(res.info.bytes)} verified in {res.seconds:.1f} s"
        )

    backups = typer.Typer(help="Inspect the backups under the backup root.", no_args_is_help=True)
    app.add_typer(backups, name="backups")

    @backups.command("list")
    @guarded
    def backups_list(
        ctx: typer.Context,
        env: str = typer.Option(None, "--env", help="Only backups of this environment"),
    ) -> None:
        """Complete backups, newest first (exit 1 when there are none)."""
        from osaa_lib.lake.backup import list_backups

        s = settings(ctx)
        found = list_backups(s, env=env.lower() if env else None)
        table = Table(title=f"Backups in {escape(s.backup_root)}")
        table.add_column("backup id", no_wrap=True)
        table.add_column("env")
        table.add_column("created", no_wrap=True)
        table.add_column("objects", justify="right")
        table.add_column("size", justify="right", no_wrap=True)
        table.add_column("reason")
        for b in found:
            table.add_row(
                b.backup_id,
                b.env,
                f"{b.created:%Y-%m-%d %H:%M}",
                str(b.objects),
                _size(b.bytes),
                escape(b.reason),
            )
        console.print(table)
        if not found:
            raise typer.Exit(1)

    @backups.command("prune")
    @guarded
    def backups_prune(
        ctx: typer.Context,
        keep: int = typer.Option(..., "--keep", help="Newest backups to keep per environment"),
        env: str = typer.Option(None, "--env", help="Only this environment's backups"),
        dry_run: bool = typer.Option(False, "--dry-run", help="List what would be deleted"),
    ) -> None:
        """Delete all but the newest --keep backups of each environment."""
        from osaa_lib.lake.backup import prune_backups

        res = prune_backups(settings(ctx), keep, env=env.lower() if env else None, dry_run=dry_run)
        for b in res.removed:
            console.print(
                f"{'would delete' if dry_run else 'deleted'} {b.backup_id} "
                f"({b.objects} objects, {_size(b.bytes)})"
            )
        console.print(
            f"{len(res.removed)} backup(s), {_size(res.bytes_freed)} "
            f"{'would be freed' if dry_run else 'freed'}; {len(res.kept)} kept"
        )

    @app.command("restore")
    @guarded
    def restore_cmd(
        ctx: typer.Context,
        backup_id: str = typer.Option(..., "--backup", help="Backup id (see `osaa backups list`)"),
        to: str = typer.Option(..., "--to", help="Environment to restore into"),
        yes: bool = typer.Option(False, "--yes", help="Confirm a restore into prod"),
    ) -> None:
        """Make an environment's landing and staging what a backup holds (backing it up first)."""
        from osaa_lib.lake.backup import restore

        s = settings(ctx)
        with _progress() as progress:
            res = restore(s, backup_id, to.lower(), confirm=yes, progress=progress)
        console.print(_changes_table(f"restore {res.backup_id} -> {res.target_env}", res.changes))
        console.print(
            f"[green]restored[/green] {res.backup_id} into {res.target_env}: {res.verified} "
            f"objects verified, {res.unchanged} unchanged, in {res.seconds:.1f} s; "
            f"backup taken before: {res.pre_backup_id}"
        )

    @app.command("dr-test")
    @guarded
    def dr_test_cmd(ctx: typer.Context) -> None:
        """Quarterly drill: restore the latest prod backup to a scratch prefix, verify, clean up;
        exit 8 when anything does not match."""
        from osaa_lib.lake.backup import dr_test

        s = settings(ctx)
        with _progress() as progress:
            res = dr_test(s, progress=progress)
        table = Table("check", "result", title=f"DR drill {res.drill_id}")
        table.add_row("backup", f"{res.backup_id} ({res.backup_created:%Y-%m-%d %H:%M})")
        table.add_row(
            "objects restored and verified", f"{res.objects - len(res.problems)}/{res.objects}"
        )
        table.add_row("size", _size(res.bytes))
        table.add_row("Parquet rows", str(res.rows))
        table.add_row("scratch cleaned up", "yes" if res.cleaned else "[red]no[/red]")
        table.add_row("duration", f"{res.seconds:.1f} s")
        console.print(table)
        for problem in res.problems:
            console.print(f"[red]mismatch[/red] {escape(problem)}")
        if not res.ok:
            console.print("[bold red]DR drill FAILED[/bold red]")
            raise typer.Exit(8)
        console.print(f"[green]DR drill passed[/green]; record {res.record_key}")

    @app.command("storage-report")
    @guarded
    def storage_cmd(
        ctx: typer.Context,
        monthly: bool = typer.Option(False, "--monthly", help="Growth month by month"),
    ) -> None:
        """Bytes and objects per environment, zone and source; growth from recorded snapshots;
        HTML with a chart in the reports folder."""
        from osaa_lib.lake.storage import storage_report

        s = settings(ctx)
        res = storage_report(s, monthly=monthly)
        table = Table(
            "env", "zone", "source", "objects", "size", title=f"Storage of {res.lake_root}"
        )
        for r in res.rows:
            table.add_row(
                escape(r.env), escape(r.zone), escape(r.source), str(r.objects), _size(r.bytes)
            )
        table.add_row("[bold]total[/bold]", "", "", str(res.total_objects), _size(res.total_bytes))
        console.print(table)
        growth = Table("snapshot", "total", "change", title="Growth")
        for p in res.growth:
            change = (
                "" if p.change is None else ("+" if p.change >= 0 else "-") + _size(abs(p.change))
            )
            growth.add_row(p.label, _size(p.total), change)
        console.print(growth)
        console.print(f"HTML report: {res.html_path}; snapshot {res.snapshot_key}")
