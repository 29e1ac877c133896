"""`osaa quality`, `osaa quality diff`, `osaa quality accept`, `osaa profile`: thin layers over
osaa_lib.quality. `osaa quality` exits 7 when an error-severity check fails, so CI can gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from osaa_lib.cli import options
from osaa_lib.cli._common import console, echo_json, guarded, settings

if TYPE_CHECKING:
    from osaa_lib.quality.model import QualityResult
    from osaa_lib.quality.profile import Profile
    from osaa_lib.quality.vintages import VintageDiff

app = typer.Typer()
quality_app = typer.Typer(
    help="Data-quality checks, anomalies, vintage diffs and reviewers' marks.",
    invoke_without_command=True,
)
app.add_typer(quality_app, name="quality")

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}
PROFILE_COLUMNS = (
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


@quality_app.callback()
def quality(
    ctx: typer.Context,
    source: options.Tables = None,
    as_json: options.Json = False,
    no_record: Annotated[
        bool, typer.Option("--no-record", help="Do not append this run to the quality history")
    ] = False,
    anomalies: Annotated[
        int, typer.Option("--anomalies", help="Anomalies listed in the table")
    ] = 10,
) -> None:
    """Run every check over the published tables; exit 7 when an error-severity check fails."""
    if ctx.invoked_subcommand is None:
        check_command(ctx, source, as_json, no_record, anomalies)


@guarded
def check_command(
    ctx: typer.Context, source: list[str] | None, as_json: bool, no_record: bool, anomalies: int
) -> None:
    """`osaa quality` without a subcommand; a recorded run of its own (the group is not)."""
    from osaa_lib.quality import run_checks

    with console.status("running quality checks in DuckDB..."):
        result = run_checks(
            settings(ctx),
            sources=source or None,
            record=not no_record,
            max_anomalies=0 if as_json else None,
        )
    if as_json:
        echo_json(result.to_dict())
    else:
        _show_checks(result, anomalies)
    result.raise_if_failed()


@quality_app.command("diff")
@guarded
def diff(
    ctx: typer.Context,
    source: options.Table,
    top: Annotated[int, typer.Option("--top", help="Largest revisions listed")] = 20,
    as_json: options.Json = False,
) -> None:
    """Compare the latest two vintages of a source: keys added, removed, revised."""
    from osaa_lib.errors import OsaaError
    from osaa_lib.quality.vintages import latest_diff

    d = latest_diff(settings(ctx), source, top=top)
    if d is None:
        raise OsaaError(f"{source} has fewer than two vintages: ingest it again to compare")
    if as_json:
        echo_json(d.to_dict())
    else:
        _show_diff(source, d)


@quality_app.command("accept")
@guarded
def accept(
    ctx: typer.Context,
    source: options.Table,
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it is accepted or explained")],
    check: Annotated[
        str | None, typer.Option("--check", help="Accept this check's current result")
    ] = None,
    indicator: Annotated[
        str | None, typer.Option("--indicator", help="Anomaly: indicator id")
    ] = None,
    country: Annotated[str | None, typer.Option("--country", help="Anomaly: country code")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Anomaly: year")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="Anomaly: only this method")
    ] = None,
    explained: Annotated[
        bool,
        typer.Option("--explained", help="Mark it explained (a real change) rather than accepted"),
    ] = False,
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
    source: options.Tables = None,
    indicators: Annotated[
        bool, typer.Option("--indicators", help="Also list every indicator")
    ] = False,
    as_json: options.Json = False,
) -> None:
    """Rows, indicators, countries, years and value distribution per table and indicator."""
    from osaa_lib.quality.profile import run_profile

    p = run_profile(settings(ctx), sources=source or None)
    if as_json:
        echo_json({"tables": p.tables, "indicators": p.indicators.to_pylist()})
        return
    console.print(_profile_table(p))
    if indicators:
        console.print(_indicator_table(p))


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _show_checks(result: QualityResult, anomalies: int) -> None:
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
    if result.alarmed and anomalies:
        console.print(_anomaly_table(result, anomalies))
    c = result.counts
    console.print(
        f"{c['pass']} pass, {c['warn']} warn, {c['fail']} fail; "
        f"{result.anomaly_count} anomaly flags" + ("" if result.saved else " (not recorded)")
    )


def _anomaly_table(result: QualityResult, limit: int) -> Table:
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
    for a in result.alarmed[:limit]:
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
    return top


def _show_diff(source: str, d: VintageDiff) -> None:
    console.print(
        f"[bold]{source}[/bold]: vintage {d.previous} -> {d.latest}: "
        f"{d.added} added, {d.removed} removed, {d.revised} revised, "
        f"{d.unchanged} unchanged"
    )
    if not d.largest:
        return
    table = Table(
        "indicator", "country", "year", "old", "new", "relative change", title="Largest revisions"
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


def _profile_table(p: Profile) -> Table:
    table = Table("source", *PROFILE_COLUMNS, title="Profile")
    for t in p.tables:
        table.add_row(t["source"], *(_fmt(t[c]) for c in PROFILE_COLUMNS))
    return table


def _indicator_table(p: Profile) -> Table:
    cols = (PROFILE_COLUMNS[0], *PROFILE_COLUMNS[2:])
    table = Table("source", "indicator", *cols, title="Per indicator")
    for t in p.indicators.to_pylist():
        table.add_row(t["source"], t["indicator_id"], *(_fmt(t[c]) for c in cols))
    return table
