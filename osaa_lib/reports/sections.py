"""The sections of the quality report, in reading order: each takes results, returns markup.

Each section is a template in `templates/sections/`; the functions here pick and shape what it
shows. Charts are Vega-Lite specs rendered to inline SVG, so the report draws with no network;
templates autoescape every text from the data. The checks and anomaly tables are sortable and
filterable by the page's one inline script, which only reads and reorders the page's rows.
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
# What the report says about the quality gate, said once: the verdict, the checks' intro and
# the notebook's header all take their words from here.
GATE = {
    "rule": "An error-severity check that fails stops publication; a warning asks for a look "
            "and does not stop it.",
    "blocked": "Publication blocked: error-severity checks failed: {names}.",
    "warnings": "Publishable: no error-severity check failed; the warnings below need a look.",
    "passed": "Publishable: every check passed.",
}  # fmt: skip
METHOD_NAMES = {"robust_z": "robust z", "hb": "HB", "zscore": "z-score"}
# The names of the anomaly counts (see `data.AnomalyValues`), the same in every section.
COUNT_NAMES = {"alarmed": "values alarmed", "flagged": "values flagged", "flags": "flags"}


def vega(spec: dict[str, Any], caption: str = "") -> Markup:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **spec}
    spec.setdefault("config", {"view": {"stroke": None}, "axis": {"labelFontSize": 11}})
    return svg(spec, caption)


def verdict(result: Any) -> Markup:
    counts = result.counts
    if result.gate_failed:
        names = ", ".join(f"{c.name} ({c.source})" for c in result.blocking)
        return callout(GATE["blocked"].format(names=names), "alert")
    if counts.get("warn") or counts.get("fail"):
        return callout(GATE["warnings"], "note")
    return callout(GATE["passed"], "ok")


def summary_section(result: Any, values: Any) -> Markup:
    """The verdict and the run's counts, above everything else."""
    return render(
        "sections/summary.html", verdict=verdict(result), counts=result.counts, values=values,
        names=COUNT_NAMES, rule=GATE["rule"],
    )  # fmt: skip


def run_section(result: Any, applied: Mapping[str, Any], env: Mapping[str, Any],
                files: Sequence[Mapping[str, Any]]) -> Markup:  # fmt: skip
    """What was checked, where, with which code and data (the report's provenance)."""
    params = ", ".join(f"{k}={v!r}" for k, v in applied.items())
    run = {
        "run id": result.run_id, "checked at": result.run_at, "environment": result.space,
        "target": result.target, "previous run": result.previous_run_id or "none (first run)",
        "tables checked": ", ".join(result.tables), "parameters as applied": params,
        **dict(env),
    }  # fmt: skip
    code = macro("code")
    files = [{**f, "sha256": code(f["sha256"], "hash")} if f.get("sha256") else f for f in files]
    return render("sections/run.html", run=run, files=files)


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


CHECK_FILTERS = ("status", "severity", "table", "check")


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
        "sections/checks.html", chart=chart, rule=GATE["rule"], filters=CHECK_FILTERS,
        flagged=check_rows([c for c in checks if c.status != "pass"]),
        passed=check_rows([c for c in checks if c.status == "pass"]),
    )  # fmt: skip


def history_section(history: Any, runs: int = 10) -> Markup:
    """Outcomes run after run: the checks whose outcome moved apart from those that never pass."""
    rows = _records(history)
    if not rows:
        return render("sections/history.html", runs=0, chart=None, moved=[], never=[])
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
    moved, never = [], []
    for (s, n), v in sorted(grid.items()):
        row = {"table": s, "check": n, **{i[:15]: badge(v.get(i)) if v.get(i) else "" for i in ids}}
        if len(set(v.values())) > 1:
            moved.append(row)
        elif "pass" not in v.values():
            never.append(row)
    return render("sections/history.html", runs=len(ids), chart=chart, moved=moved, never=never)


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


ANNOTATIONS = {
    "zscore_only": "z-score only (not alarming on its own)",
    "estimate": "an estimate (qualifier)",
    "break": "a series break (qualifier)",
}
VALUE_FILTERS = ("country group", "table", "methods")


def _country(v: Mapping[str, Any]) -> str:
    return f"{v['country']} ({v['country_id']})" if v.get("country") else str(v["country_id"])


def _short(text: str | None, limit: int = 90) -> str | None:
    """A label cut to a table cell's length (WDI's labels are whole definitions)."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + " …"


def value_row(v: Mapping[str, Any]) -> dict[str, Any]:
    """One anomalous value as a table row: its methods together, their scores side by side."""
    from osaa_lib.reports.values import METHODS

    return {
        "country group": v["country_group"], "country": _country(v), "table": v["source"],
        "indicator": v["indicator_id"], "label": _short(v.get("label")), "year": v["year"],
        "value": v["value"], "expected": v["expected"],
        "methods": ", ".join(METHOD_NAMES.get(m, m) for m in v["methods"]),
        **{f"{METHOD_NAMES[m]} score": v.get(m) for m in METHODS},
    }  # fmt: skip


def why_not_alarmed(v: Mapping[str, Any]) -> str:
    if v.get("annotation"):
        return ANNOTATIONS.get(v["annotation"], v["annotation"])
    return v.get("accept_reason") or "accepted"


def anomaly_section(values: Any, series: Sequence[Mapping[str, Any]]) -> Markup:
    """Every alarmed value once, methods together, African countries first."""
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
        }, "The first alarmed values in their series (red: the alarmed value)")  # fmt: skip
    quiet = [{**value_row(v), "why not alarmed": why_not_alarmed(v)} for v in values.quiet]
    return render(
        "sections/anomalies.html", chart=chart, values=values, names=COUNT_NAMES,
        rows=[value_row(v) for v in values.rows], quiet=quiet, filters=VALUE_FILTERS,
        groups="; ".join(f"{g}: {n:,}" for g, n in values.groups.items()),
        explained="; ".join(f"{ANNOTATIONS.get(k, k)}: {n:,}" for k, n in values.explained.items()),
    )  # fmt: skip


def _now(why: str) -> str:
    """`explained: zscore_only` in the reader's words."""
    kind, _, code = why.partition(": ")
    return f"{kind}: {ANNOTATIONS.get(code, code)}" if code else why


def changes_section(changes: Any, values: Any) -> Markup:
    """What moved since the previous run: checks, key figures, sources, alarmed values."""
    finding, status = macro("finding", PARTS), macro("check_status", PARTS)
    checks = [{
        "change": badge(c["change"]), "table": c["source"], "check": c["check"],
        "severity": c["severity"], "before": badge(c["before"]) if c["before"] else "—",
        "now": status(c["now"], c["accepted"]) if c["now"] else "—",
        "failing before": c["failing before"], "failing now": c["failing now"],
        "what it found now": finding(c["message"], list(c["samples"])[:5]),
    } for c in changes.checks]  # fmt: skip
    kpis = [{"table": k["source"], "figure": KPI_LABELS.get(k["name"], k["name"]),
             "previous run": _year(k["before"]) if k["name"].endswith("_year") else k["before"],
             "this run": _year(k["now"]) if k["name"].endswith("_year") else k["now"],
             "change": k["change"]} for k in changes.kpis]  # fmt: skip
    cleared = [{
        "country group": v["country_group"], "country": _country(v), "table": v["source"],
        "indicator": v["indicator_id"], "year": v["year"], "value then": v["value"],
        "methods then": ", ".join(METHOD_NAMES.get(m, m) for m in v["methods"]),
        "now": _now(v["now"]),
    } for v in changes.cleared_values]  # fmt: skip
    return render(
        "sections/changes.html", changes=changes, checks=checks, kpis=kpis,
        sources=changes.sources, new=[value_row(v) for v in changes.new_values],
        cleared=cleared, names=COUNT_NAMES, values=values, filters=VALUE_FILTERS,
        worse=changes.count("newly failing") + changes.count("new check"),
        better=changes.count("resolved") + changes.count("improved"),
    )  # fmt: skip


def profile_section(profile: Any) -> Markup:
    if profile is None:
        return render("sections/profile.html", tables=None, indicators=[])
    return render(
        "sections/profile.html",
        tables=list(getattr(profile, "tables", [])),
        indicators=_records(getattr(profile, "indicators", None)),
    )


INGEST_STATUS = {"ingested": "pass", "skipped": "skip", "failed": "fail"}


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def ingest_verdict(result: Any) -> Markup:
    """One line on the whole ingest that never calls it clean while cells were rejected."""
    kept = [f for f in result.files if f.status != "failed"]
    cells = sum(f.rejects or 0 for f in kept)
    files = sum(bool(f.rejects) for f in kept)
    skipped = sum(f.status == "skipped" for f in kept)
    read = f"{len(kept) - skipped} landed, {skipped} skipped as unchanged"
    rejected = (
        f"{_n(cells, 'cell')} in {_n(files, 'file')} could not be read as the column's type: "
        "stored as null in the landing zone and listed under Problems."
    )
    if result.failed:
        text = (f"{len(result.failed)} of {len(result.files)} files could not be landed; their "
                f"previous landing stays (see Problems). Of the others, {read}.")  # fmt: skip
        return callout(f"{text} {rejected}" if cells else text, "alert")
    if cells:
        return callout(f"No file failed ({read}), but {rejected}", "note")
    if not result.files:
        return callout("No files found in the raw folder.", "note")
    return callout(f"Every file was read and every cell parsed: {read}.", "ok")


def ingest_sections(result: Any, settings: Any, max_rejects: int = 20) -> Markup:
    """What landed (one row per file) and every problem found while reading the files."""
    from osaa_lib.ingest import read_rejects

    status = macro("file_status", PARTS)
    files = []
    problems = []
    for f in result.files:
        kind = "warn" if f.rejects and f.status != "failed" else INGEST_STATUS.get(f.status)
        files.append({
            "source": f.source, "file": f.path.rsplit("/", 1)[-1],
            "status": status(kind or f.status, f.status),
            "rows": f.rows, "columns": f.columns, "rejected cells": f.rejects,
            "seconds": f.seconds, "landed as": f.landing_key, "vintage": f.vintage_id,
        })  # fmt: skip
        rejects = None
        if f.rejects and f.status != "failed":
            rejects = [{**r, "line": str(r["line"])} if isinstance(r.get("line"), int) else r
                       for r in read_rejects(settings, None, f.source, f.stem)]  # fmt: skip
        if f.error or rejects is not None:
            problems.append({"path": f.path, "error": f.error, "count": f.rejects,
                             "rejects": rejects})  # fmt: skip
    return render(
        "sections/ingest.html", verdict=ingest_verdict(result), files=files,
        problems=problems, max_rejects=max_rejects,
    )  # fmt: skip
