"""The weekly/monthly performance report: KPIs against targets, stage timings over time, the
slowest stages and models, and recent runs against the benchmark baseline.

The HTML is one self-contained file: charts are inline SVG rendered by vl-convert (no CDN, it
opens offline), and every text that comes from data is HTML-escaped.
"""

from __future__ import annotations

import html
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


def _svg(chart: Any) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict())


def charts(
    timings: list[dict[str, Any]], comparison: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """(title, svg) pairs; the data is aggregated before it reaches the chart."""
    import altair as alt
    import pandas as pd

    out: list[tuple[str, str]] = []
    if timings:
        df = pd.DataFrame(timings)
        df["start"] = pd.to_datetime(df["start"], utc=True)
        commands = df[df["kind"] == "command"]
        if not commands.empty:
            out.append(
                (
                    "Command run times",
                    _svg(
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
                    _svg(
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
                _svg(
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


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):,.2f}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}th{background:#f3f3f3}
.OK{color:#17612d;font-weight:bold}
.MISSED{color:#b00020;font-weight:bold}.svg{margin:1rem 0}"""


def render_html(report: PerformanceReport, settings: Settings, now: datetime) -> str:
    k = report.kpis
    kpi_rows = "".join(
        f"<tr><td>{_e(x.name)}</td><td>{_e(x.shown)}</td><td>{_e(x.target)}</td>"
        f"<td class='{_e(x.verdict.split()[0])}'>{_e(x.verdict)}</td><td>{_e(x.detail)}</td></tr>"
        for x in k.kpis
    )
    parts = [
        f"<h1>OSAA pipeline performance: last {_e(report.period)}</h1>",
        f"<p>Environment <b>{_e(settings.target)}</b>, {_e(k.since.isoformat(timespec='minutes'))}"
        f" to {_e(k.until.isoformat(timespec='minutes'))}; {k.runs_total} runs, "
        f"{k.runs_failed} failed. Generated {_e(now.isoformat(timespec='seconds'))}.</p>",
        "<h2>KPIs against the runbook's targets</h2>",
        "<table><thead><tr><th>KPI</th><th>value</th><th>target</th><th>verdict</th>"
        f"<th>detail</th></tr></thead><tbody>{kpi_rows}</tbody></table>",
    ]
    if k.freshness_by_source:
        parts += [
            "<h3>Freshness by source (hours from update to publication)</h3>",
            _table(
                ["source", "lag (h)"],
                [[s, _num(v)] for s, v in sorted(k.freshness_by_source.items())],
            ),
        ]
    if k.completeness_by_field:
        parts += [
            "<h3>Completeness of master.indicators (non-null %)</h3>",
            _table(
                ["field", "non-null %"], [[f, _num(v)] for f, v in k.completeness_by_field.items()]
            ),
        ]
    for title, svg in charts(report.timings, report.comparison):
        parts.append(f"<h2>{_e(title)}</h2><div class='svg'>{svg}</div>")
    parts += [
        "<h2>Slowest stages and models</h2>",
        _table(
            ["stage", "kind", "runs", "median s", "max s", "last s"],
            [
                [
                    s["stage"],
                    s["kind"],
                    s["runs"],
                    _num(s["median_s"]),
                    _num(s["max_s"]),
                    _num(s["last_s"]),
                ]
                for s in report.slowest
            ],
        ),
    ]
    parts.append("<h2>Against the benchmark baseline</h2>")
    if report.baseline:
        b = report.baseline
        parts.append(
            f"<p>Baseline {_e(b.get('run_id'))} ({_e(b.get('scale'))} scale, "
            f"{_e(b.get('created'))}, {_e(b.get('machine'))}). A stage is flagged "
            f"slower when its recent median exceeds {REGRESSION_RATIO}× the baseline.</p>"
        )
        parts.append(
            _table(
                ["stage", "baseline s", "recent median s", "runs", "ratio", "verdict"],
                [
                    [
                        c["stage"],
                        _num(c["baseline_s"]),
                        _num(c["recent_s"]),
                        c["runs"],
                        _num(c["ratio"]),
                        c["verdict"],
                    ]
                    for c in report.comparison
                ],
            )
        )
    else:
        parts.append("<p>No baseline yet: run <code>osaa benchmark --full</code>.</p>")
    for warning in report.warnings:
        parts.append(f"<p><i>{_e(warning)}</i></p>")
    body = "\n".join(parts)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>OSAA performance "
        f"report</title><style>{CSS}</style></head><body>{body}</body></html>\n"
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
        out = Path(settings.reports_dir) / "ops"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"performance-{period}-{now:%Y%m%dT%H%M%S}.html"
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(render_html(report, settings, now), encoding="utf-8")
        tmp.replace(path)
        report.html_path = path
    return report
