"""`osaa promote`, `backup`, `backups list`, `restore`, `dr-test`, `storage-report`: thin layers
over osaa_lib.lake.promote, osaa_lib.lake.backup and osaa_lib.lake.storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli import options, progress
from osaa_lib.cli._common import console, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.lake.backup import BackupInfo, DrTestResult
    from osaa_lib.lake.promote import PromotionResult
    from osaa_lib.lake.storage import StorageReport

app = typer.Typer()
backups_app = typer.Typer(help="Inspect the backups under the backup root.", no_args_is_help=True)
app.add_typer(backups_app, name="backups")
ACTION_STYLE = {"add": "green", "replace": "yellow", "remove": "red"}


@app.command("promote")
@guarded
def promote_cmd(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", help="Source environment: dev or qa")],
    target: Annotated[str, typer.Option("--to", help="Target environment: qa or prod")],
    user: Annotated[
        str | None,
        typer.Option("--user", help="Dev space to promote (dev_<user>; default: $USERNAME)"),
    ] = None,
    dry_run: options.DryRun = False,
    yes: options.Yes = False,
) -> None:
    """Promote landing and published tables one step (dev -> qa -> prod), backed up and
    verified; prod also needs OSAA_ALLOW_PROD_PROMOTION=true and --yes."""
    from osaa_lib.lake.promote import promote

    with progress.stages() as update:
        res = promote(
            settings(ctx), source, target, dry_run=dry_run, confirm=yes, user=user, progress=update
        )
    _show_promotion(res, dry_run)


@app.command("backup")
@guarded
def backup_cmd(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", callback=options.lower, help="Environment to back up (default: target)"
        ),
    ] = None,
) -> None:
    """Copy everything an environment holds into a new, verified, timestamped backup."""
    from osaa_lib.lake.backup import backup

    with progress.stages() as update:
        res = backup(settings(ctx), env=env, progress=update)
    console.print(
        f"[green]backup[/green] {res.info.backup_id}: {res.info.objects} objects, "
        f"{_size(res.info.bytes)} verified in {res.seconds:.1f} s"
    )


@backups_app.command("list")
@guarded
def backups_list(ctx: typer.Context, env: options.EnvFilter = None) -> None:
    """Complete backups, newest first (exit 1 when there are none)."""
    from osaa_lib.lake.backup import list_backups

    s = settings(ctx)
    found = list_backups(s, env=env)
    console.print(_backups_table(found, s.backup_root))
    if not found:
        raise typer.Exit(1)


@backups_app.command("prune")
@guarded
def backups_prune(
    ctx: typer.Context,
    keep: Annotated[int, typer.Option("--keep", help="Newest backups to keep per environment")],
    env: options.EnvFilter = None,
    dry_run: options.DryRun = False,
) -> None:
    """Delete all but the newest --keep backups of each environment."""
    from osaa_lib.lake.backup import prune_backups

    res = prune_backups(settings(ctx), keep, env=env, dry_run=dry_run)
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
    backup_id: Annotated[str, typer.Option("--backup", help="Backup id (see `osaa backups list`)")],
    to: Annotated[
        str, typer.Option("--to", callback=options.lower, help="Environment to restore into")
    ],
    yes: options.Yes = False,
) -> None:
    """Make an environment's landing and staging what a backup holds (backing it up first)."""
    from osaa_lib.lake.backup import restore

    with progress.stages() as update:
        res = restore(settings(ctx), backup_id, to, confirm=yes, progress=update)
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
    from osaa_lib.errors import PromotionError
    from osaa_lib.lake.backup import dr_test

    with progress.stages() as update:
        res = dr_test(settings(ctx), progress=update)
    console.print(_drill_table(res))
    for problem in res.problems:
        console.print(f"[red]mismatch[/red] {escape(problem)}")
    if not res.ok:
        console.print("[bold red]DR drill FAILED[/bold red]")
        raise typer.Exit(PromotionError.exit_code)
    console.print(f"[green]DR drill passed[/green]; record {res.record_key}")


@app.command("storage-report")
@guarded
def storage_cmd(
    ctx: typer.Context,
    monthly: Annotated[bool, typer.Option("--monthly", help="Growth month by month")] = False,
) -> None:
    """Bytes and objects per environment, zone and source; growth from recorded snapshots;
    HTML with a chart in the reports folder."""
    from osaa_lib.lake.storage import storage_report

    res = storage_report(settings(ctx), monthly=monthly)
    _show_storage(res)
    console.print(f"HTML report: {res.html_path}; snapshot {res.snapshot_key}")


def _size(n: int) -> str:
    from osaa_lib.lake.storage import human

    return human(n)


def _changes_table(title: str, changes: list[Any], limit: int = 200) -> Table:
    table = Table("action", "key", "size", title=title)
    for c in changes[:limit]:
        style = ACTION_STYLE.get(c.action, "")
        table.add_row(f"[{style}]{c.action}[/{style}]", escape(c.key), _size(c.size))
    if len(changes) > limit:
        table.add_row("…", f"{len(changes) - limit} more", "")
    return table


def _show_promotion(res: PromotionResult, dry_run: bool) -> None:
    head = f"{res.source_env} -> {res.target_env}" + (f" (dev_{res.user})" if res.user else "")
    console.print(_changes_table(f"{'Dry run: ' if dry_run else ''}promotion {head}", res.changes))
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


def _backups_table(found: list[BackupInfo], root: str) -> Table:
    table = Table(title=f"Backups in {escape(root)}")
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
    return table


def _drill_table(res: DrTestResult) -> Table:
    table = Table("check", "result", title=f"DR drill {res.drill_id}")
    table.add_row("backup", f"{res.backup_id} ({res.backup_created:%Y-%m-%d %H:%M})")
    table.add_row(
        "objects restored and verified", f"{res.objects - len(res.problems)}/{res.objects}"
    )
    table.add_row("size", _size(res.bytes))
    table.add_row("Parquet rows", str(res.rows))
    table.add_row("scratch cleaned up", "yes" if res.cleaned else "[red]no[/red]")
    table.add_row("duration", f"{res.seconds:.1f} s")
    return table


def _show_storage(res: StorageReport) -> None:
    table = Table("env", "zone", "source", "objects", "size", title=f"Storage of {res.lake_root}")
    for r in res.rows:
        table.add_row(
            escape(r.env), escape(r.zone), escape(r.source), str(r.objects), _size(r.bytes)
        )
    table.add_row("[bold]total[/bold]", "", "", str(res.total_objects), _size(res.total_bytes))
    console.print(table)
    growth = Table("snapshot", "total", "change", title="Growth")
    for p in res.growth:
        change = "" if p.change is None else ("+" if p.change >= 0 else "-") + _size(abs(p.change))
        growth.add_row(p.label, _size(p.total), change)
    console.print(growth)
