"""The sections of the quality report, in reading order: each takes results, returns HTML.

Charts are Vega-Lite specs rendered to inline SVG (`reports.svg`), so the report draws with no
script and no network; every text from the data is escaped by the `reports` building blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from osaa_lib.reports.html import (
    _plain,
    badge,
    callout,
    card,
    cards,
    delta,
    esc,
    facts,
    section,
    svg,
    table,
)

STATUS_COLORS = {"pass": "#1d7d4f", "warn": "#d69e2e", "fail": "#c53030"}
INTEGRITY_CHECKS = (
    "unknown_countries", "aggregates", "africa_coverage", "unlabelled", "schema", "schema_change",
)  # fmt: skip


def _records(data: Any) -> list[dict[str, Any]]:
    """Rows of a pyarrow table, DataFrame or list of dicts/dataclasses as dicts."""
    if data is None:
        return []
    if hasattr(data, "to_pylist"):
        return data.to_pylist()
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return data.to_dict("records")
    return [_plain(r) for r in data]


def vega(spec: dict[str, Any], caption: str = "") -> str:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **spec}
    spec.setdefault("config", {"view": {"stroke": None}, "axis": {"labelFontSize": 11}})
    return svg(spec, caption)


def verdict(result: Any) -> str:
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
                   files: Sequence[Mapping[str, Any]]) -> str:  # fmt: skip
    counts = result.counts
    summary = cards(
        [card("passed", counts.get("pass", 0), status="pass"),
         card("warnings", counts.get("warn", 0), status="warn"),
         card("failed", counts.get("fail", 0), status="fail"),
         card("anomalies", getattr(result, "anomaly_count", len(result.anomalies)))]
    )  # fmt: skip
    params = ", ".join(f"{k}={v!r}" for k, v in applied.items())
    run = facts({
        "run id": result.run_id, "checked at": result.run_at, "environment": result.space,
        "target": result.target, "previous run": result.previous_run_id or "none (first run)",
        "tables checked": ", ".join(result.tables), "parameters as applied": params,
        **dict(env),
    })  # fmt: skip
    body = verdict(result) + summary + run
    body += "<h3>Source files</h3>" + table(
        files, raw=("sha256",), empty="No landed source files found."
    )
    return section("Run", body, "What was checked, where, with which code and data.", "run")


KPI_LABELS = {
    "rows": "rows", "indicators": "indicators", "countries": "countries",
    "min_year": "first year", "max_year": "last year", "null_share": "null share",
    "duplicate_keys": "duplicate keys",
}  # fmt: skip


def kpi_section(kpis: Sequence[Any], main: str = "master") -> str:
    rows = [_plain(k) for k in kpis]
    shown = [r for r in rows if r["source"] == main] or rows[: len(KPI_LABELS)]
    items = [
        card(f"{KPI_LABELS.get(r['name'], r['name'])} ({r['source']})",
             _year(r["value"]) if r["name"].endswith("_year") else r["value"],
             delta(r["value"], r["previous"]))
        for r in shown
    ]  # fmt: skip
    detail = [
        {"table": r["source"], "kpi": KPI_LABELS.get(r["name"], r["name"]), "value": r["value"],
         "previous run": r["previous"],
         "change": None if r["value"] is None or r["previous"] is None
         else r["value"] - r["previous"]}
        for r in rows
    ]  # fmt: skip
    body = cards(items) + "<details><summary>Every table</summary>" + table(detail) + "</details>"
    return section("Key figures", body, "Headline figures of the published data, with the "
                   "change since the previous quality run.", "kpis")  # fmt: skip


def _samples(samples: Sequence[Mapping[str, Any]], limit: int = 5) -> str:
    if not samples:
        return ""
    return (f"<details><summary>{min(len(samples), limit)} failing rows</summary>"
            f"{table(list(samples)[:limit])}</details>")  # fmt: skip


def _year(value: Any) -> Any:
    return str(int(value)) if isinstance(value, int | float) else value


def check_rows(checks: Sequence[Any]) -> list[dict[str, Any]]:
    order = {"fail": 0, "warn": 1, "pass": 2}
    rows = []
    for c in sorted(checks, key=lambda c: (order.get(c.status, 3), c.severity != "error",
                                           c.source, c.name)):  # fmt: skip
        status = badge(c.status) + (" <em>accepted</em>" if c.accepted else "")
        rows.append({
            "status": status, "severity": c.severity, "table": c.source, "check": c.name,
            "failing": c.failing_count, "metric": c.metric, "threshold": c.threshold,
            "what it found": esc(c.message) + _samples(c.samples),
        })  # fmt: skip
    return rows


def checks_section(checks: Sequence[Any]) -> str:
    complete = [
        {"source": c.source, "completeness": c.metric}
        for c in checks
        if c.name == "completeness" and c.metric is not None
    ]
    chart = ""
    if complete:
        from osaa_lib.reports.charts import completeness_by_source

        limit = next((c.threshold for c in checks if c.name == "completeness"), None) or 0.95
        chart = svg(completeness_by_source(complete, threshold=limit))
    raw = ("status", "what it found")
    flagged = [c for c in checks if c.status != "pass"]
    passed = [c for c in checks if c.status == "pass"]
    body = chart + table(check_rows(flagged), raw=raw, max_rows=None,
                         empty="Every check passed.")  # fmt: skip
    if passed:
        body += (f"<details><summary>{len(passed)} checks passed</summary>"
                 f"{table(check_rows(passed), raw=raw, max_rows=None)}</details>")  # fmt: skip
    return section("Checks", body, "Every check on every table, failures first. An "
                   "error-severity failure stops publication; a warning does not. Open a row's "
                   "failing rows for examples.", "checks")  # fmt: skip


def history_section(history: Any, runs: int = 10) -> str:
    rows = _records(history)
    if not rows:
        return section("Check history", "<p>No earlier runs recorded.</p>", anchor="history")
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
    body = (
        chart
        + "<h3>Checks that did not pass in every run</h3>"
        + table(
            changed, raw=[i[:15] for i in ids], max_rows=None, empty="Every check passed every run."
        )
    )
    return section("Check history", body, f"Outcomes over the last {len(ids)} runs.", "history")


def volume_section(volume: Any, freshness: Sequence[Mapping[str, Any]]) -> str:
    rows = _records(volume)
    body = ""
    if rows:
        body += vega({
            "data": {"values": [{**r, "run": str(r["run_id"])[:15]} for r in rows]},
            "mark": {"type": "line", "point": True}, "width": 520, "height": 160,
            "encoding": {"x": {"field": "run", "type": "ordinal"},
                         "y": {"field": "rows", "type": "quantitative"},
                         "color": {"field": "source", "type": "nominal"}},
        }, "Rows per table, run after run")  # fmt: skip
    lags = [
        {"name": f["table"], "lag_years": f["lag years"]}
        for f in freshness
        if f.get("lag years") is not None
    ]
    if lags:
        from osaa_lib.reports.charts import freshness_bars

        body += svg(freshness_bars(lags), "Years between the latest year reported and this year")
    body += table(freshness, empty="No freshness information.")
    return section("Volume and freshness", body, "How much data each table holds and how "
                   "recent it is: row counts across runs, latest year, publication times.",
                   "volume")  # fmt: skip


def heatmap(values: Sequence[Mapping[str, Any]], x: str, y: str, color: str, title: str,
            x_type: str = "ordinal") -> str:  # fmt: skip
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
                     coverage: Any) -> str:  # fmt: skip
    body = ""
    if by_region:
        body += heatmap(
            by_region,
            "sub_region",
            "indicator",
            "share",
            "Share of each African sub-region's countries reporting, latest 10 years",
        )
    if by_year:
        body += heatmap(
            by_year, "year", "indicator", "share", "Share of African countries reporting, by year"
        )
    body += "<details><summary>Coverage per indicator</summary>" + table(
        _records(coverage), max_rows=None) + "</details>"  # fmt: skip
    return section("Coverage", body, "Which indicators report for which African countries: "
                   "darker is better, white means no data.", "coverage")  # fmt: skip


def integrity_section(checks: Sequence[Any]) -> str:
    picked = [c for c in checks if c.name in INTEGRITY_CHECKS]
    body = table(check_rows(picked), raw=("status", "what it found"), max_rows=None,
                 empty="No reference-integrity checks ran.")  # fmt: skip
    return section("Reference integrity", body, "Country codes checked against the country "
                   "reference (ISO/M49, Africa sub-regions, aggregates), labels and schema.",
                   "integrity")  # fmt: skip


def vintage_section(diffs: Mapping[str, Any]) -> str:
    if not diffs:
        return section("Vintage diff", "<p>Fewer than two vintages of any source: nothing to "
                       "compare yet.</p>", anchor="vintages")  # fmt: skip
    summary = []
    parts = []
    for name, d in diffs.items():
        d = _plain(d)
        summary.append({k: d.get(k) for k in ("source", "previous", "latest", "added", "removed",
                                              "revised", "unchanged")})  # fmt: skip
        if d.get("histogram"):
            from osaa_lib.reports.charts import revisions_histogram

            parts.append(svg(revisions_histogram(d["histogram"], name)))
        if d.get("largest"):
            parts.append(f"<h3>Largest revisions: {esc(name)}</h3>{table(d['largest'][:10])}")
    body = table(summary) + "".join(parts)
    return section(
        "Vintage diff",
        body,
        "What changed between the two latest published "
        "versions of each source: values added, removed and revised.",
        "vintages",
    )


def anomaly_section(anomalies: Sequence[Any], series: Sequence[Mapping[str, Any]],
                    total: int | None = None) -> str:  # fmt: skip
    rows = [_plain(a) for a in anomalies]
    body = ""
    if series:
        body += vega({
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
    cols = ["priority", "source", "indicator_id", "country_id", "year", "value", "expected",
            "method", "score", "annotation"]  # fmt: skip
    body += table(rows, columns=cols, empty="No anomalies.")
    shown = f"{len(rows)} of {total}" if total is not None else str(len(rows))
    return section(
        "Anomalies",
        body,
        f"Values the anomaly methods flag, most important first "
        f"({shown} listed). A flag asks for a look, not a correction.",
        "anomalies",
    )


def profile_section(profile: Any) -> str:
    if profile is None:
        return section("Profile", "<p>No profile.</p>", anchor="profile")
    body = "<h3>Tables</h3>" + table(getattr(profile, "tables", []))
    body += "<details><summary>Every indicator</summary>" + table(
        _records(getattr(profile, "indicators", None)), max_rows=2000) + "</details>"  # fmt: skip
    return section("Profile appendix", body, "Column statistics of each table and of each "
                   "indicator (counts, nulls, ranges, quantiles).", "profile")  # fmt: skip


def ingest_sections(result: Any, settings: Any, max_rejects: int = 20) -> str:
    """What landed (one row per file) and every problem found while reading the files."""
    from osaa_lib.ingest import read_rejects

    files = []
    problems = []
    for f in result.files:
        files.append({
            "source": f.source, "file": f.path.rsplit("/", 1)[-1], "status": badge(
                {"ingested": "pass", "skipped": "skip", "failed": "fail"}.get(f.status, f.status)
            ) + f" {esc(f.status)}", "rows": f.rows, "columns": f.columns,
            "rejected cells": f.rejects, "seconds": f.seconds,
            "landed as": f.landing_key, "vintage": f.vintage_id,
        })  # fmt: skip
        if f.error:
            problems.append(f"<h3>{esc(f.path)}: not landed</h3>{callout(f.error, 'alert')}")
        if f.rejects and f.status != "failed":
            rejects = read_rejects(settings, None, f.source, f.stem)
            problems.append(
                f"<h3>{esc(f.path)}: {f.rejects:,} rejected cells (stored as null)</h3>"
                + table(rejects, max_rows=max_rejects)
            )
    landed = table(files, raw=("status",), max_rows=None, empty="No files found in the raw folder.")
    verdict = (
        callout(f"{len(result.failed)} files could not be landed; their previous landing stays.",
                "alert") if result.failed else callout("Every file was read.", "ok")
    )  # fmt: skip
    return section(
        "What landed", verdict + landed, "Each CSV considered: landed, or skipped because its "
        "checksum did not change since the last ingest (use force to re-land).", "landed",
    ) + section(
        "Problems", "".join(problems) or "<p>No problems: every cell parsed.</p>",
        "Cells that could not be read as their column's type, with file line and value.",
        "problems",
    )  # fmt: skip
