"""`osaa status`, `osaa logs`, `osaa performance-report`, `osaa benchmark`: the runbook's daily,
weekly and quarterly checks, each one command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from osaa_lib.cli._common import console, guarded, settings

LEVEL_STYLE = {"ERROR": "red", "CRITICAL": "bold red", "WARNING": "yellow", "DEBUG": "dim"}
STATUS_STYLE = {"success": "green", "failed": "bold red", "running": "cyan", "crashed": "bold red"}


def _ago(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def register(app: typer.Typer) -> None:
    @app.command("status")
    @guarded
    def status(
        ctx: typer.Context,
        days: int = typer.Option(30, "--days", min=1, help="How far back to look"),
        all_commands: bool = typer.Option(
            False, "--all", help="Include the monitoring commands (status, logs, reports)"
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the runs as JSON"),
    ) -> None:
        """Last run of every command per environment; exit 1 if the latest run of one failed."""
        from osaa_lib.lake import open_lake
        from osaa_lib.ops import runs
        from osaa_lib.ops.kpis import MONITORING_COMMANDS

        s = settings(ctx)
        now = datetime.now(UTC)
        me = runs.current()
        history = [
            r
            for r in runs.load_runs(open_lake(s), since=now - timedelta(days=days))
            if (me is None or r.run_id != me.run_id)
            and (all_commands or r.command not in MONITORING_COMMANDS)
        ]
        latest = runs.latest_per_command(history)
        states = {r.run_id: "crashed" if runs.is_stale(r) else r.status for r in latest}
        bad = [r for r in latest if states[r.run_id] in ("failed", "crashed")]
        if as_json:
            import json

            rows = [{**r.to_dict(), "status": states[r.run_id]} for r in latest]
            typer.echo(json.dumps(rows, indent=1, default=str))
        elif not latest:
            console.print(f"No runs recorded in the last {days} days.")
        else:
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
            console.print(table)
        if bad:
            if not as_json:
                console.print(
                    f"[bold red]{len(bad)} command(s) failed on their latest run[/]: "
                    f"see [bold]osaa logs --run <run id> --level ERROR[/]"
                )
            raise typer.Exit(1)
        if latest and not as_json:
            console.print("[green]all latest runs succeeded[/green]")

    @app.command("logs")
    @guarded
    def logs(
        ctx: typer.Context,
        since: str = typer.Option("24h", "--since", help="30m, 24h, 7d, 2w or an ISO date/time"),
        level: str = typer.Option(None, "--level", help="Minimum level: DEBUG INFO WARNING ERROR"),
        run: str = typer.Option(None, "--run", help="Only this run id (a prefix is enough)"),
        command: str = typer.Option(None, "--command", help="Only runs of this command"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON lines"),
        limit: int = typer.Option(0, "--limit", min=0, help="Only the last N lines (0: all)"),
    ) -> None:
        """Read back the structured log lines of the log folder, filtered."""
        import json
        from dataclasses import asdict

        from osaa_lib.ops import logs as oplogs

        s = settings(ctx)
        entries = oplogs.read_logs(s.log_dir, oplogs.parse_since(since), level, run, command)
        if limit:
            entries = entries[-limit:]
        for e in entries:
            if as_json:
                typer.echo(
                    json.dumps({**asdict(e), "time": e.time.isoformat()}, ensure_ascii=False)
                )
                continue
            line = Text(f"{e.time:%Y-%m-%d %H:%M:%S} ")
            line.append(f"{e.level:<7}", style=LEVEL_STYLE.get(e.level, ""))
            line.append(f" {e.command or '-'} {e.run_id or '-'} {e.message}")
            console.print(line, highlight=False, soft_wrap=True)
            if e.exception:
                console.print(Text(e.exception, style="dim"), highlight=False)
        if not as_json:
            console.print(f"[dim]{len(entries)} line(s) from {escape(str(s.log_dir))}[/dim]")

    @app.command("performance-report")
    @guarded
    def performance_report(
        ctx: typer.Context,
        week: bool = typer.Option(False, "--week", help="The last 7 days (default)"),
        month: bool = typer.Option(False, "--month", help="The last 30 days"),
        day: bool = typer.Option(False, "--day", help="The last 24 hours"),
    ) -> None:
        """KPIs against the runbook's targets, stage timings and the baseline; writes HTML."""
        from osaa_lib.errors import ConfigError
        from osaa_lib.ops import report

        if week + month + day > 1:
            raise ConfigError("choose one of --day, --week, --month")
        period = "month" if month else "day" if day else "week"
        s = settings(ctx)
        with console.status("collecting run history and KPIs..."):
            result = report.build(s, period)
        table = Table(
            "KPI", "value", "target", "verdict", "detail", title=f"KPIs, {s.target}, last {period}"
        )
        for k in result.kpis.kpis:
            colour = {"OK": "green", "MISSED": "bold red"}.get(k.verdict, "dim")
            table.add_row(k.name, k.shown, k.target, f"[{colour}]{k.verdict}[/]", escape(k.detail))
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

    @app.command("benchmark")
    @guarded
    def benchmark(
        ctx: typer.Context,
        full: bool = typer.Option(False, "--full", help="Full-scale data (the quarterly baseline)"),
        save: bool = typer.Option(True, "--save/--no-save", help="Record the baseline in the lake"),
        data: Path = typer.Option(
            None, "--data", exists=True, file_okay=False, help="Use these publishers' files"
        ),
    ) -> None:
        """Run the whole pipeline on generated data in a scratch lake; record stage timings."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from osaa_lib.lake import open_lake
        from osaa_lib.ops import benchmark as bench

        s = settings(ctx)
        scale = "custom" if data else "full" if full else "small"
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"generating {scale} data", total=None)
            result = bench.run_benchmark(
                s,
                scale,
                data_dir=data,
                on_stage=lambda n: progress.update(task, description=f"stage {n}"),
            )
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
        if save and result.stages:
            key = bench.save_baseline(open_lake(s), result)
            console.print(f"baseline recorded: {escape(key)}")
