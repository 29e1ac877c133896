"""`osaa status`, `osaa logs`, `osaa performance-report`, `osaa benchmark`: the runbook's daily,
weekly and quarterly checks, each one command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from osaa_lib.cli import options, progress
from osaa_lib.cli._common import console, echo_json, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.ops.benchmark import BenchmarkResult
    from osaa_lib.ops.logs import LogEntry
    from osaa_lib.ops.report import PerformanceReport
    from osaa_lib.ops.runs import RunRecord

app = typer.Typer()
LEVEL_STYLE = {"ERROR": "red", "CRITICAL": "bold red", "WARNING": "yellow", "DEBUG": "dim"}
STATUS_STYLE = {"success": "green", "failed": "bold red", "running": "cyan", "crashed": "bold red"}


@app.command("status")
@guarded
def status(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=1, help="How far back to look")] = 30,
    all_commands: Annotated[
        bool, typer.Option("--all", help="Include the monitoring commands (status, logs, reports)")
    ] = False,
    as_json: options.Json = False,
) -> None:
    """Last run of every command per environment; exit 1 if the latest run of one failed."""
    from osaa_lib.lake import open_lake
    from osaa_lib.ops import runs
    from osaa_lib.ops.kpis import MONITORING_COMMANDS

    now = datetime.now(UTC)
    skip = () if all_commands else MONITORING_COMMANDS
    latest = runs.latest_runs(open_lake(settings(ctx)), now - timedelta(days=days), skip)
    states = {r.run_id: runs.status(r) for r in latest}  # once: a process may end meanwhile
    if as_json:
        echo_json([{**r.to_dict(), "status": states[r.run_id]} for r in latest])
    else:
        _show_status(latest, states, days, now)
    if any(state in runs.FAILURES for state in states.values()):
        raise typer.Exit(1)


@app.command("logs")
@guarded
def logs(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option("--since", help="30m, 24h, 7d, 2w or an ISO date/time")
    ] = "24h",
    level: Annotated[
        str | None, typer.Option("--level", help="Minimum level: DEBUG INFO WARNING ERROR")
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="Only this run id (a prefix is enough)")
    ] = None,
    command: Annotated[
        str | None, typer.Option("--command", help="Only runs of this command")
    ] = None,
    as_json: options.Json = False,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Only the last N lines (0: all)")
    ] = 0,
) -> None:
    """Read back the structured log lines of the log folder, filtered."""
    from osaa_lib.ops import logs as oplogs

    s = settings(ctx)
    entries = oplogs.read_logs(s.log_dir, oplogs.parse_since(since), level, run, command)
    if limit:
        entries = entries[-limit:]
    for e in entries:
        _print_entry(e, as_json)
    if not as_json:
        console.print(f"[dim]{len(entries)} line(s) from {escape(str(s.log_dir))}[/dim]")


@app.command("performance-report")
@guarded
def performance_report(
    ctx: typer.Context,
    week: Annotated[bool, typer.Option("--week", help="The last 7 days (default)")] = False,
    month: Annotated[bool, typer.Option("--month", help="The last 30 days")] = False,
    day: Annotated[bool, typer.Option("--day", help="The last 24 hours")] = False,
) -> None:
    """KPIs against the runbook's targets, stage timings and the baseline; writes HTML."""
    from osaa_lib.ops import report

    period = _period(day=day, week=week, month=month)
    s = settings(ctx)
    with console.status("collecting run history and KPIs..."):
        result = report.build(s, period)
    _show_report(result, s.target, period)


@app.command("benchmark")
@guarded
def benchmark(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Full-scale data (the quarterly baseline)")
    ] = False,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Record the baseline in the lake")
    ] = True,
    data: Annotated[
        Path | None,
        typer.Option("--data", exists=True, file_okay=False, help="Use these publishers' files"),
    ] = None,
) -> None:
    """Run the whole pipeline on generated data in a scratch lake; record stage timings."""
    from osaa_lib.lake import open_lake
    from osaa_lib.ops import benchmark as bench

    s = settings(ctx)
    scale = "custom" if data else "full" if full else "small"
    with progress.spinner(f"generating {scale} data") as describe:
        result = bench.run_benchmark(
            s, scale, data_dir=data, on_stage=lambda n: describe(f"stage {n}")
        )
    _show_benchmark(result, scale)
    if save and result.stages:
        key = bench.save_baseline(open_lake(s), result)
        console.print(f"baseline recorded: {escape(key)}")


def _period(day: bool, week: bool, month: bool) -> str:
    from osaa_lib.errors import ConfigError

    if week + month + day > 1:
        raise ConfigError("choose one of --day, --week, --month")
    return "month" if month else "day" if day else "week"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _show_status(latest: list[RunRecord], states: dict[str, str], days: int, now: datetime) -> None:
    from osaa_lib.ops.runs import FAILURES

    if not latest:
        console.print(f"No runs recorded in the last {days} days.")
        return
    console.print(_runs_table(latest, states, days, now))
    bad = [r for r in latest if states[r.run_id] in FAILURES]
    if bad:
        console.print(
            f"[bold red]{len(bad)} command(s) failed on their latest run[/]: "
            f"see [bold]osaa logs --run <run id> --level ERROR[/]"
        )
    else:
        console.print("[green]all latest runs succeeded[/green]")


def _runs_table(latest: list[RunRecord], states: dict[str, str], days: int, now: datetime) -> Table:
    table = Table(title=f"Last run per command and environment (last {days} days)")
    table.add_column("command", min_width=7)
    table.add_column("space", min_width=5)
    table.add_column("status", min_width=7)
    for name in ("started (UTC)", "took", "user"):
        table.add_column(name)
    table.add_column("run id", overflow="fold")
    table.add_column("error", max_width=60)
    for r in latest:
        state = states[r.run_id]
        table.add_row(
            escape(r.command),
            escape(r.space),
            Text(state, style=STATUS_STYLE.get(state, "")),
            f"{r.start[:16].replace('T', ' ')} ({_ago(r.started_at, now)})",
            "–" if r.duration_s is None else f"{r.duration_s:.1f}s",
            escape(r.user),
            r.run_id,
            escape((r.error or "").strip().splitlines()[0] if r.error else ""),
        )
    return table


def _print_entry(e: LogEntry, as_json: bool) -> None:
    import json
    from dataclasses import asdict

    if as_json:
        typer.echo(json.dumps({**asdict(e), "time": e.time.isoformat()}, ensure_ascii=False))
        return
    line = Text(f"{e.time:%Y-%m-%d %H:%M:%S} ")
    line.append(f"{e.level:<7}", style=LEVEL_STYLE.get(e.level, ""))
    line.append(f" {e.command or '-'} {e.run_id or '-'} {e.message}")
    console.print(line, highlight=False, soft_wrap=True)
    if e.exception:
        console.print(Text(e.exception, style="dim"), highlight=False)


def _show_report(result: PerformanceReport, target: str, period: str) -> None:
    table = Table(
        "KPI", "value", "target", "verdict", "detail", title=f"KPIs, {target}, last {period}"
    )
    for k in result.kpis.kpis:
        style = {"OK": "green", "MISSED": "bold red"}.get(k.verdict, "dim")
        table.add_row(k.name, k.shown, k.target, f"[{style}]{k.verdict}[/]", escape(k.detail))
    console.print(table)
    if result.slowest:
        slow = Table("stage", "kind", "runs", "median s", "max s", title="Slowest stages")
        for row in result.slowest:
            slow.add_row(
                escape(row["stage"]),
                row["kind"],
                str(row["runs"]),
                f"{row['median_s']:.2f}",
                f"{row['max_s']:.2f}",
            )
        console.print(slow)
    for reg in result.regressions:
        console.print(
            f"[yellow]slower than baseline[/]: {escape(reg['stage'])} "
            f"{reg['recent_s']:.1f} s vs {reg['baseline_s']:.1f} s"
        )
    console.print(f"report: {escape(str(result.html_path))}")


def _show_benchmark(result: BenchmarkResult, scale: str) -> None:
    table = Table(
        "stage",
        "seconds",
        "peak RSS MiB",
        title=f"Benchmark, {scale} scale ({result.data_bytes / 2**20:.0f} MiB CSV)",
    )
    for st in result.stages:
        table.add_row(st.name, f"{st.seconds:.2f}", f"{st.peak_rss_mib:.0f}")
    table.add_row("total", f"{result.total_seconds:.2f}", "")
    console.print(table)
    if result.missing:
        console.print(f"[yellow]not installed, skipped[/]: {', '.join(result.missing)}")
