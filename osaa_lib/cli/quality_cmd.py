"""`osaa quality`, `osaa quality diff`, `osaa quality accept`, `osaa profile`: thin layers over
osaa_lib.quality. `osaa quality` exits 7 when an error-severity check fails, so CI can gate."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli._common import console, guarded, settings

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _echo_json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=1, default=str))


def register(app: typer.Typer) -> None:
    quality = typer.Typer(
        help="Data-quality checks, anomalies, vintage diffs and reviewers' marks.",
        invoke_without_command=True,
    )
    app.add_typer(quality, name="quality")

    @quality.callback()
    def run(
        ctx: typer.Context,
        source: list[str] = typer.Option(
            None,
            "--source",
            "-s",
            help="Table(s) to check: a source name or 'master' (default: all)",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print every result as JSON"),
        no_record: bool = typer.Option(
            False, "--no-record", help="Do not append this run to the quality history"
        ),
        anomalies: int = typer.Option(10, "--anomalies", help="Anomalies listed in the table"),
    ) -> None:
        """Run every check over the published tables; exit 7 when an error-severity check fails."""
        if ctx.invoked_subcommand is None:
            _run_checks(ctx, source, as_json, no_record, anomalies)

    @guarded
    def _run_checks(
        ctx: typer.Context, source: list[str], as_json: bool, no_record: bool, anomalies: int
    ) -> None:
        from osaa_lib.errors import QualityGateError
        from osaa_lib.quality import run_checks

        s = settings(ctx)
        with console.status("running quality checks in DuckDB..."):
            result = run_checks(
                s,
                sources=source or None,
                record=not no_record,
                max_anomalies=0 if as_json else None,
            )
        if as_json:
            _echo_json(result.to_dict())
        else:
            table = Table(
                "source",
                "check",
                "severity",
                "status",
                "metric",
                "threshold",
                "failing",
                "message",
                title=f"Quality run {result.run_id}",
            )
            for c in result.checks:
                style = STATUS_STYLE[c.status]
                status = f"[{style}]{c.status}[/{style}]" + (" (accepted)" if c.accepted else "")
                table.add_row(
                    c.source,
                    c.name,
                    c.severity,
                    status,
                    _fmt(c.metric),
                    _fmt(c.threshold),
                    str(c.failing_count),
                    escape(c.message),
                )
            console.print(table)
            alarmed = [a for a in result.anomalies if a.annotation is None and not a.accepted]
            if alarmed and anomalies:
                top = Table(
                    "source",
                    "indicator",
                    "country",
                    "year",
                    "value",
                    "method",
                    "score",
                    "expected",
                    "priority",
                    title="Top anomalies",
                )
                for a in alarmed[:anomalies]:
                    top.add_row(
                        a.source,
                        a.indicator_id,
                        a.country_id,
                        str(a.year),
                        _fmt(a.value),
                        a.method,
                        _fmt(a.score),
                        _fmt(a.expected),
                        _fmt(a.priority),
                    )
                console.print(top)
            c = result.counts
            console.print(
                f"{c['pass']} pass, {c['warn']} warn, {c['fail']} fail; "
                f"{result.anomaly_count} anomaly flags"
                + ("" if result.saved else " (not recorded)")
            )
        if result.gate_failed:
            names = ", ".join(f"{c.source}.{c.name}" for c in result.blocking)
            raise QualityGateError(f"quality gate failed: {names}")

    @quality.command("diff")
    @guarded
    def diff(
        ctx: typer.Context,
        source: str = typer.Option(..., "--source", "-s", help="Source whose vintages to compare"),
        top: int = typer.Option(20, "--top", help="Largest revisions listed"),
        as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON"),
    ) -> None:
        """Compare the latest two vintages of a source: keys added, removed, revised."""
        from osaa_lib.errors import OsaaError
        from osaa_lib.quality.vintages import latest_diff

        d = latest_diff(settings(ctx), source, top=top)
        if d is None:
            raise OsaaError(f"{source} has fewer than two vintages: ingest it again to compare")
        if as_json:
            _echo_json(d.to_dict())
            return
        console.print(
            f"[bold]{source}[/bold]: vintage {d.previous} -> {d.latest}: "
            f"{d.added} added, {d.removed} removed, {d.revised} revised, "
            f"{d.unchanged} unchanged"
        )
        if d.largest:
            table = Table(
                "indicator",
                "country",
                "year",
                "old",
                "new",
                "relative change",
                title="Largest revisions",
            )
            for r in d.largest:
                table.add_row(
                    r["indicator_id"],
                    r["country_id"],
                    str(r["year"]),
                    _fmt(r["old_value"]),
                    _fmt(r["new_value"]),
                    _fmt(r["relative_change"]),
                )
            console.print(table)

    @quality.command("accept")
    @guarded
    def accept(
        ctx: typer.Context,
        source: str = typer.Option(..., "--source", "-s", help="Table of the finding"),
        reason: str = typer.Option(..., "--reason", "-r", help="Why it is accepted or explained"),
        check: str = typer.Option(None, "--check", help="Accept this check's current result"),
        indicator: str = typer.Option(None, "--indicator", help="Anomaly: indicator id"),
        country: str = typer.Option(None, "--country", help="Anomaly: country code"),
        year: int = typer.Option(None, "--year", help="Anomaly: year"),
        method: str = typer.Option(None, "--method", help="Anomaly: only this method"),
        explained: bool = typer.Option(
            False, "--explained", help="Mark it explained (a real change) rather than accepted"
        ),
    ) -> None:
        """Mark a finding of the latest run accepted; it holds until its value changes."""
        from osaa_lib.quality.accept import accept as do_accept

        kind = "check" if check else "anomaly"
        mark = do_accept(
            settings(ctx),
            kind,
            source,
            reason,
            name=check or method,
            indicator_id=indicator,
            country_id=country,
            year=year,
            status="explained" if explained else "accepted",
        )
        what = check or f"{indicator}/{country}/{year}"
        console.print(
            f"{mark['status']} {kind} {escape(what)} on {source} at value "
            f"{_fmt(mark['value'])}: {escape(mark['reason'])}"
        )

    @app.command("profile")
    @guarded
    def profile(
        ctx: typer.Context,
        source: list[str] = typer.Option(None, "--source", "-s", help="Table(s) to profile"),
        indicators: bool = typer.Option(False, "--indicators", help="Also list every indicator"),
        as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON"),
    ) -> None:
        """Rows, indicators, countries, years and value distribution per table and indicator."""
        from osaa_lib.quality.profile import run_profile

        p = run_profile(settings(ctx), sources=source or None)
        if as_json:
            _echo_json({"tables": p.tables, "indicators": p.indicators.to_pylist()})
            return
        cols = (
            "rows",
            "indicators",
            "countries",
            "min_year",
            "max_year",
            "min",
            "median",
            "max",
            "mean",
            "stddev",
            "null_share",
        )
        table = Table("source", *cols, title="Profile")
        for t in p.tables:
            table.add_row(t["source"], *(_fmt(t[c]) for c in cols))
        console.print(table)
        if indicators:
            itable = Table("source", "indicator", *cols[:1], *cols[2:], title="Per indicator")
            for t in p.indicators.to_pylist():
                itable.add_row(
                    t["source"],
                    t["indicator_id"],
                    *(_fmt(t[c]) for c in cols[:1]),
                    *(_fmt(t[c]) for c in cols[2:]),
                )
            console.print(itable)
