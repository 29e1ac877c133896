"""The weekly/monthly performance report: KPIs against targets, stage timings over time, the
slowest stages and models, and recent runs against the benchmark baseline.

The HTML is one self-contained page of the reports' template (`performance.html`): charts are
inline SVG rendered by vl-convert (no CDN, it opens offline), and autoescape escapes every
text that comes from data.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.ops.kpis import KpiReport
from osaa_lib.ops.runs import SUCCESS, RunRecord

REGRESSION_RATIO = 1.5


@dataclass
class PerformanceReport:
    period: str
    kpis: KpiReport
    timings: list[dict[str, Any]]
    slowest: list[dict[str, Any]]
    comparison: list[dict[str, Any]]
    baseline: dict[str, Any] | None
    html_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict[str, Any]]:
        return [c for c in self.comparison if c["verdict"] == "slower"]


def stage_timings(records: list[RunRecord]) -> list[dict[str, Any]]:
    """One row per finished command run and per timed stage: when, what, how long."""
    rows: list[dict[str, Any]] = []
    for r in records:
        if r.duration_s is not None:
            rows.append(
                {
                    "start": r.start,
                    "run_id": r.run_id,
                    "command": r.command,
                    "stage": r.command,
                    "kind": "command",
                    "seconds": r.duration_s,
                    "status": r.status,
                }
            )
        for s in r.stages:
            if s.seconds is not None:
                rows.append(
                    {
                        "start": s.started or r.start,
                        "run_id": r.run_id,
                        "command": r.command,
                        "stage": s.name,
                        "kind": "stage",
                        "seconds": s.seconds,
                        "status": r.status,
                    }
                )
    return rows


def slowest(timings: list[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    """Stages (models, notebooks, commands) by their slowest run, with median and count."""
    groups: dict[tuple[str, str], list[float]] = {}
    for row in timings:
        groups.setdefault((row["kind"], row["stage"]), []).append(float(row["seconds"]))
    out = [
        {
            "stage": stage,
            "kind": kind,
            "runs": len(v),
            "median_s": statistics.median(v),
            "max_s": max(v),
            "last_s": v[-1],
        }
        for (kind, stage), v in groups.items()
    ]
    return sorted(out, key=lambda d: d["max_s"], reverse=True)[:n]


def compare(baseline: dict[str, Any] | None, records: list[RunRecord]) -> list[dict[str, Any]]:
    """Median recent time of each baseline stage (a stage of that name or a command run)."""
    if not baseline:
        return []
    out = []
    for stage in baseline.get("stages", []):
        name, base = stage["name"], float(stage["seconds"])
        recent = [
            float(s.seconds)
            for r in records
            if r.status == SUCCESS
            for s in r.stages
            if s.seconds is not None and s.name in (name, f"benchmark {name}")
        ] + [
            float(r.duration_s)
            for r in records
            if r.status == SUCCESS and r.command == name and r.duration_s is not None
        ]
        if not recent:
            out.append(
                {
                    "stage": name,
                    "baseline_s": base,
                    "recent_s": None,
                    "runs": 0,
                    "ratio": None,
                    "verdict": "no recent runs",
                }
            )
            continue
        median = statistics.median(recent)
        ratio = median / base if base > 0 else None
        verdict = "slower" if ratio and ratio > REGRESSION_RATIO else "ok"
        out.append(
            {
                "stage": name,
                "baseline_s": base,
                "recent_s": median,
                "runs": len(recent),
                "ratio": ratio,
                "verdict": verdict,
            }
        )
    return out


def charts(
    timings: list[dict[str, Any]], comparison: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """(title, svg) pairs; the data is aggregated before it reaches the chart."""
    import altair as alt
    import pandas as pd

    from osaa_lib.reports.charts import to_svg

    out: list[tuple[str, str]] = []
    if timings:
        df = pd.DataFrame(timings)
        df["start"] = pd.to_datetime(df["start"], utc=True)
        commands = df[df["kind"] == "command"]
        if not commands.empty:
            out.append(
                (
                    "Command run times",
                    to_svg(
                        alt.Chart(commands)
                        .mark_line(point=True)
                        .encode(
                            x=alt.X("start:T", title="run start (UTC)"),
                            y=alt.Y("seconds:Q", title="seconds"),
                            color=alt.Color("stage:N", title="command"),
                            tooltip=["stage", "run_id", "seconds", "status"],
                        )
                        .properties(width=760, height=260)
                    ),
                )
            )
        stages = df[df["kind"] == "stage"]
        if not stages.empty:
            top = (
                stages.groupby("stage")["seconds"].max().sort_values(ascending=False).head(8).index
            )
            out.append(
                (
                    "Stage timings (8 slowest stages)",
                    to_svg(
                        alt.Chart(stages[stages["stage"].isin(top)])
                        .mark_line(point=True)
                        .encode(
                            x=alt.X("start:T", title="stage start (UTC)"),
                            y=alt.Y("seconds:Q", title="seconds"),
                            color=alt.Color("stage:N"),
                        )
                        .properties(width=760, height=260)
                    ),
                )
            )
    rows = [c for c in comparison if c["recent_s"] is not None]
    if rows:
        long = [
            {"stage": c["stage"], "which": w, "seconds": c[k]}
            for c in rows
            for w, k in (("baseline", "baseline_s"), ("recent", "recent_s"))
        ]
        out.append(
            (
                "Recent runs against the baseline",
                to_svg(
                    alt.Chart(pd.DataFrame(long))
                    .mark_bar()
                    .encode(
                        x=alt.X("seconds:Q"),
                        y=alt.Y("stage:N", title=None),
                        yOffset="which:N",
                        color=alt.Color("which:N", title=None),
                    )
                    .properties(width=700)
                ),
            )
        )
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def render_html(report: PerformanceReport, settings: Settings, now: datetime) -> str:
    from osaa_lib.reports.html import render_page

    k = report.kpis
    slow = [
        {"stage": s["stage"], "kind": s["kind"], "runs": s["runs"], "median s": _r(s["median_s"]),
         "max s": _r(s["max_s"]), "last s": _r(s["last_s"])}
        for s in report.slowest
    ]  # fmt: skip
    versus = [
        {"stage": c["stage"], "baseline s": _r(c["baseline_s"]),
         "recent median s": _r(c["recent_s"]), "runs": c["runs"], "ratio": _r(c["ratio"]),
         "verdict": c["verdict"]}
        for c in report.comparison
    ]  # fmt: skip
    return render_page(
        "performance.html",
        f"OSAA pipeline performance: last {report.period}",
        generated=now,
        report=report,
        kpis=k,
        environment=settings.target,
        since=k.since.isoformat(timespec="minutes"),
        until=k.until.isoformat(timespec="minutes"),
        freshness=[
            {"source": s, "lag (h)": _r(v)} for s, v in sorted(k.freshness_by_source.items())
        ],
        completeness=[
            {"field": f, "non-null %": _r(v)} for f, v in k.completeness_by_field.items()
        ],
        charts=charts(report.timings, report.comparison),
        slowest=slow,
        comparison=versus,
        ratio=REGRESSION_RATIO,
    )


def build(
    settings: Settings, period: str = "week", now: datetime | None = None, write: bool = True
) -> PerformanceReport:
    """Collect KPIs and timings from the lake, compare with the baseline, write the HTML."""
    from osaa_lib.lake import open_lake
    from osaa_lib.ops.benchmark import latest_baseline
    from osaa_lib.ops.kpis import collect

    now = now or datetime.now(UTC)
    kpis, window = collect(settings, period, now)
    timings = stage_timings(window)
    baseline = latest_baseline(open_lake(settings))
    report = PerformanceReport(
        period, kpis, timings, slowest(timings), compare(baseline, window), baseline
    )
    if write:
        from osaa_lib.reports.html import write_page

        path = Path(settings.reports_dir) / "ops" / f"performance-{period}-{now:%Y%m%dT%H%M%S}.html"
        report.html_path = write_page(path, render_html(report, settings, now))
    return report
