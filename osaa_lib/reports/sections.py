"""The sections of the quality report, in reading order: each takes results, returns markup.

Each section is a template in `templates/sections/`; the functions here pick and shape what it
shows. Charts are Vega-Lite specs rendered to inline SVG, so the report draws with no script
and no network; templates autoescape every text from the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from osaa_lib.reports.html import _plain, _records, badge, callout, delta, macro, render, svg

PARTS = "sections/parts.html"
STATUS_COLORS = {"pass": "#1d7d4f", "warn": "#d69e2e", "fail": "#c53030"}
INTEGRITY_CHECKS = (
    "unknown_countries", "aggregates", "africa_coverage", "unlabelled", "schema", "schema_change",
)  # fmt: skip


def vega(spec: dict[str, Any], caption: str = "") -> Markup:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **spec}
    spec.setdefault("config", {"view": {"stroke": None}, "axis": {"labelFontSize": 11}})
    return svg(spec, caption)


def verdict(result: Any) -> Markup:
    counts = result.counts
    if result.gate_failed:
        names = ", ".join(f"{c.name} ({c.source})" for c in result.blocking)
        return callout(f"Publication blocked: error-severity checks failed: {names}.", "alert")
    if counts.get("warn") or counts.get("fail"):
        return callout(
            "Publishable: no error-severity check failed; the warnings below need a look.", "note"
        )
    return callout("Publishable: every check passed.", "ok")


def header_section(result: Any, applied: Mapping[str, Any], env: Mapping[str, Any],
                   files: Sequence[Mapping[str, Any]]) -> Markup:  # fmt: skip
    params = ", ".join(f"{k}={v!r}" for k, v in applied.items())
    run = {
        "run id": result.run_id, "checked at": result.run_at, "environment": result.space,
        "target": result.target, "previous run": result.previous_run_id or "none (first run)",
        "tables checked": ", ".join(result.tables), "parameters as applied": params,
        **dict(env),
    }  # fmt: skip
    code = macro("code")
    files = [{**f, "sha256": code(f["sha256"], "hash")} if f.get("sha256") else f for f in files]
    return render(
        "sections/run.html", verdict=verdict(result), counts=result.counts,
        anomalies=getattr(result, "anomaly_count", len(result.anomalies)), run=run, files=files,
    )  # fmt: skip


KPI_LABELS = {
    "rows": "rows", "indicators": "indicators", "countries": "countries",
    "min_year": "first year", "max_year": "last year", "null_share": "null share",
    "duplicate_keys": "duplicate keys",
}  # fmt: skip


def _year(value: Any) -> Any:
    return str(int(value)) if isinstance(value, int | float) else value


def kpi_section(kpis: Sequence[Any], main: str = "master") -> Markup:
    rows = [_plain(k) for k in kpis]
    shown = [r for r in rows if r["source"] == main] or rows[: len(KPI_LABELS)]
    headline = [
        {"label": f"{KPI_LABELS.get(r['name'], r['name'])} ({r['source']})",
         "value": _year(r["value"]) if r["name"].endswith("_year") else r["value"],
         "note": delta(r["value"], r["previous"])}
        for r in shown
    ]  # fmt: skip
    detail = [
        {"table": r["source"], "kpi": KPI_LABELS.get(r["name"], r["name"]), "value": r["value"],
         "previous run": r["previous"],
         "change": None if r["value"] is None or r["previous"] is None
         else r["value"] - r["previous"]}
        for r in rows
    ]  # fmt: skip
    return render("sections/kpis.html", headline=headline, detail=detail)


def check_rows(checks: Sequence[Any]) -> list[dict[str, Any]]:
    """The checks as table rows, failures first; status and findings are markup."""
    order = {"fail": 0, "warn": 1, "pass": 2}
    finding, status = macro("finding", PARTS), macro("check_status", PARTS)
    rows = []
    for c in sorted(checks, key=lambda c: (order.get(c.status, 3), c.severity != "error",
                                           c.source, c.name)):  # fmt: skip
        rows.append({
            "status": status(c.status, c.accepted), "severity": c.severity,
            "table": c.source, "check": c.name, "failing": c.failing_count, "metric": c.metric,
            "threshold": c.threshold, "what it found": finding(c.message, list(c.samples)[:5]),
        })  # fmt: skip
    return rows


def checks_section(checks: Sequence[Any]) -> Markup:
    complete = [
        {"source": c.source, "completeness": c.metric}
        for c in checks
        if c.name == "completeness" and c.metric is not None
    ]
    chart = None
    if complete:
        from osaa_lib.reports.charts import completeness_by_source

        limit = next((c.threshold for c in checks if c.name == "completeness"), None) or 0.95
        chart = svg(completeness_by_source(complete, threshold=limit))
    return render(
        "sections/checks.html", chart=chart,
        flagged=check_rows([c for c in checks if c.status != "pass"]),
        passed=check_rows([c for c in checks if c.status == "pass"]),
    )  # fmt: skip


def history_section(history: Any, runs: int = 10) -> Markup:
    rows = _records(history)
    if not rows:
        return render("sections/history.html", runs=0, chart=None, changed=[])
    ids = sorted({r["run_id"] for r in rows})[-runs:]
    counts: dict[tuple[str, str], int] = {}
    grid: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        if r["run_id"] not in ids:
            continue
        counts[(r["run_id"], r["status"])] = counts.get((r["run_id"], r["status"]), 0) + 1
        grid.setdefault((r["source"], r["check_name"]), {})[r["run_id"]] = r["status"]
    values = [{"run": i[:15], "status": s, "checks": n} for (i, s), n in counts.items()]
    chart = vega({
        "data": {"values": values}, "mark": "bar", "width": 520, "height": 160,
        "encoding": {
            "x": {"field": "run", "type": "ordinal", "title": "run"},
            "y": {"field": "checks", "type": "quantitative", "stack": True},
            "color": {"field": "status", "type": "nominal",
                      "scale": {"domain": list(STATUS_COLORS),
                                "range": list(STATUS_COLORS.values())}},
        },
    }, "Checks by outcome, last runs")  # fmt: skip
    changed = [
        {"table": s, "check": n, **{i[:15]: badge(v.get(i)) if v.get(i) else "" for i in ids}}
        for (s, n), v in sorted(grid.items())
        if len(set(v.values())) > 1 or "pass" not in v.values()
    ]  # fmt: skip
    return render("sections/history.html", runs=len(ids), chart=chart, changed=changed)


def volume_section(volume: Any, freshness: Sequence[Mapping[str, Any]]) -> Markup:
    rows = _records(volume)
    charts = []
    if rows:
        charts.append(vega({
            "data": {"values": [{**r, "run": str(r["run_id"])[:15]} for r in rows]},
            "mark": {"type": "line", "point": True}, "width": 520, "height": 160,
            "encoding": {"x": {"field": "run", "type": "ordinal"},
                         "y": {"field": "rows", "type": "quantitative"},
                         "color": {"field": "source", "type": "nominal"}},
        }, "Rows per table, run after run"))  # fmt: skip
    lags = [
        {"name": f["table"], "lag_years": f["lag years"]}
        for f in freshness
        if f.get("lag years") is not None
    ]
    if lags:
        from osaa_lib.reports.charts import freshness_bars

        charts.append(
            svg(freshness_bars(lags), "Years between the latest year reported and this year")
        )
    return render("sections/volume.html", charts=charts, freshness=list(freshness))


def heatmap(values: Sequence[Mapping[str, Any]], x: str, y: str, color: str, title: str,
            x_type: str = "ordinal") -> Markup:  # fmt: skip
    n_y = len({v[y] for v in values}) or 1
    return vega({
        "data": {"values": list(values)}, "mark": "rect",
        "width": 620, "height": min(16 * n_y, 900),
        "encoding": {"x": {"field": x, "type": x_type}, "y": {"field": y, "type": "nominal"},
                     "color": {"field": color, "type": "quantitative",
                               "scale": {"scheme": "blues", "domain": [0, 1]}},
                     "tooltip": [{"field": y}, {"field": x}, {"field": color, "format": ".0%"}]},
    }, title)  # fmt: skip


def coverage_section(by_region: Sequence[Mapping[str, Any]], by_year: Sequence[Mapping[str, Any]],
                     coverage: Any) -> Markup:  # fmt: skip
    charts = []
    if by_region:
        charts.append(heatmap(
            by_region, "sub_region", "indicator", "share",
            "Share of each African sub-region's countries reporting, latest 10 years",
        ))  # fmt: skip
    if by_year:
        charts.append(heatmap(
            by_year, "year", "indicator", "share", "Share of African countries reporting, by year"
        ))  # fmt: skip
    return render("sections/coverage.html", charts=charts, coverage=_records(coverage))


def integrity_section(checks: Sequence[Any]) -> Markup:
    picked = [c for c in checks if c.name in INTEGRITY_CHECKS]
    return render("sections/integrity.html", rows=check_rows(picked))


def vintage_section(diffs: Mapping[str, Any]) -> Markup:
    summary = []
    parts = []
    for name, d in diffs.items():
        d = _plain(d)
        summary.append({k: d.get(k) for k in ("source", "previous", "latest", "added", "removed",
                                              "revised", "unchanged")})  # fmt: skip
        chart = None
        if d.get("histogram"):
            from osaa_lib.reports.charts import revisions_histogram

            chart = svg(revisions_histogram(d["histogram"], name))
        parts.append({"name": name, "chart": chart, "largest": (d.get("largest") or [])[:10]})
    return render("sections/vintages.html", summary=summary, parts=parts)


ANOMALY_COLUMNS = ("priority", "source", "indicator_id", "country_id", "year", "value",
                   "expected", "method", "score", "annotation")  # fmt: skip


def anomaly_section(anomalies: Sequence[Any], series: Sequence[Mapping[str, Any]],
                    total: int | None = None) -> Markup:  # fmt: skip
    rows = [_plain(a) for a in anomalies]
    chart = None
    if series:
        chart = vega({
            "data": {"values": list(series)},
            "facet": {"field": "series", "type": "nominal", "title": None},
            "columns": 4,
            "spec": {"width": 210, "height": 110, "layer": [
                {"mark": {"type": "line", "color": "#1f5f99"},
                 "encoding": {"x": {"field": "year", "type": "quantitative",
                                    "axis": {"format": "d"}},
                              "y": {"field": "value", "type": "quantitative",
                                    "scale": {"zero": False}}}},
                {"transform": [{"filter": "datum.flagged"}],
                 "mark": {"type": "point", "color": "#c53030", "filled": True, "size": 60},
                 "encoding": {"x": {"field": "year", "type": "quantitative"},
                              "y": {"field": "value", "type": "quantitative"}}},
            ]},
            "resolve": {"scale": {"y": "independent"}},
        }, "Top anomalies in their series (red: the flagged value)")  # fmt: skip
    shown = f"{len(rows)} of {total}" if total is not None else str(len(rows))
    return render(
        "sections/anomalies.html", chart=chart, rows=rows, columns=ANOMALY_COLUMNS, shown=shown
    )


def profile_section(profile: Any) -> Markup:
    if profile is None:
        return render("sections/profile.html", tables=None, indicators=[])
    return render(
        "sections/profile.html",
        tables=list(getattr(profile, "tables", [])),
        indicators=_records(getattr(profile, "indicators", None)),
    )


INGEST_STATUS = {"ingested": "pass", "skipped": "skip", "failed": "fail"}


def ingest_sections(result: Any, settings: Any, max_rejects: int = 20) -> Markup:
    """What landed (one row per file) and every problem found while reading the files."""
    from osaa_lib.ingest import read_rejects

    status = macro("file_status", PARTS)
    files = []
    problems = []
    for f in result.files:
        files.append({
            "source": f.source, "file": f.path.rsplit("/", 1)[-1],
            "status": status(INGEST_STATUS.get(f.status, f.status), f.status),
            "rows": f.rows, "columns": f.columns, "rejected cells": f.rejects,
            "seconds": f.seconds, "landed as": f.landing_key, "vintage": f.vintage_id,
        })  # fmt: skip
        rejects = None
        if f.rejects and f.status != "failed":
            rejects = read_rejects(settings, None, f.source, f.stem)
        if f.error or rejects is not None:
            problems.append({"path": f.path, "error": f.error, "count": f.rejects,
                             "rejects": rejects})  # fmt: skip
    return render(
        "sections/ingest.html", files=files, failed=len(result.failed), problems=problems,
        max_rejects=max_rejects,
    )  # fmt: skip
