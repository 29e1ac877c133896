"""What changed since the previous run: the first thing the quality report says.

The previous run is `QualityResult.previous_run_id`, which the engine takes from
`quality.history.previous_run_id`: whichever rule decides which runs count (scheduled runs,
not an analyst's experiments) applies here and to the key figures alike. Everything is
compared with what that run recorded in the quality history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RANK = {"pass": 0, "warn": 1, "fail": 2}
# How a check moved, in reading order: worse first.
KINDS = ("newly failing", "new check", "resolved", "improved", "count changed", "no longer run")


@dataclass
class Changes:
    """This run against the previous one; `previous` is None when there is none to compare."""

    previous: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    kpis: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    new_values: list[dict[str, Any]] = field(default_factory=list)
    cleared_values: list[dict[str, Any]] = field(default_factory=list)
    new_count: int = 0
    cleared_count: int = 0
    anomalies_compared: bool = False

    def count(self, kind: str) -> int:
        return sum(c["change"] == kind for c in self.checks)


def check_changes(current: list[Any], previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each check whose outcome or failing count differs from the previous run, worse first."""
    before = {(p["source"], p["check_name"]): p for p in previous}
    out = []
    for c in current:
        p = before.pop((c.source, c.name), None)
        if p is None:
            kind = None if c.status == "pass" else "new check"
        elif RANK[c.status] > RANK[p["status"]]:
            kind = "newly failing"
        elif RANK[c.status] < RANK[p["status"]]:
            kind = "resolved" if c.status == "pass" else "improved"
        elif c.status != "pass" and c.failing_count != p["failing_count"]:
            kind = "count changed"
        else:
            kind = None
        if kind:
            out.append({
                "change": kind, "source": c.source, "check": c.name, "severity": c.severity,
                "before": p["status"] if p else None, "now": c.status,
                "failing before": p["failing_count"] if p else None,
                "failing now": c.failing_count, "message": c.message, "samples": c.samples,
                "accepted": c.accepted,
            })  # fmt: skip
    for (source, name), p in before.items():
        out.append({
            "change": "no longer run", "source": source, "check": name,
            "severity": p["severity"], "before": p["status"], "now": None,
            "failing before": p["failing_count"], "failing now": None, "message": "",
            "samples": [], "accepted": False,
        })  # fmt: skip
    return sorted(out, key=lambda r: (KINDS.index(r["change"]), -RANK.get(r["now"] or "", 0),
                                      r["source"], r["check"]))  # fmt: skip


def kpi_changes(kpis: list[Any]) -> list[dict[str, Any]]:
    """The key figures whose value differs from the previous run's."""
    return [
        {"source": k.source, "name": k.name, "before": k.previous, "now": k.value,
         "change": k.change}
        for k in kpis
        if k.previous is not None and k.value is not None and k.value != k.previous
    ]  # fmt: skip


def source_revisions(settings: Any, lake: Any, diffs: dict[str, Any],
                     since: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """Sources whose latest vintage was landed after `since`, with its diff to the one before."""
    from osaa_lib.ingest import list_vintages

    out = []
    for name, d in sorted(diffs.items()):
        created = {v.vintage_id: v.created for v in list_vintages(settings, lake, name)}
        landed = _utc(created.get(d.latest))
        if landed is None or landed <= since:
            continue
        out.append({
            "source": name, "previous vintage": d.previous, "latest vintage": d.latest,
            "landed": landed, "added": d.added, "removed": d.removed, "revised": d.revised,
            "unchanged": d.unchanged,
        })  # fmt: skip
    return out


def since_previous(con: Any, lake: Any, settings: Any, result: Any, values: Any,
                   listed: int = 100) -> Changes:  # fmt: skip
    """Compare `result` with the previous run; `values` is this run's `AnomalyValues`, whose
    table `data.VALUES` is still on `con`."""
    from osaa_lib.quality import history

    prev = result.previous_run_id
    if prev is None:
        return Changes()
    runs = history.read_run_table(con, lake, settings, "dq_runs", prev)
    meta = runs[0] if runs else {"run_id": prev, "run_at": None}
    at = _utc(meta.get("run_at"))
    changes = Changes(
        previous={"run_id": prev, "run_at": at, "counts": {
            s: meta.get(f"n_{s}") for s in RANK}},
        checks=check_changes(
            result.checks, history.read_run_table(con, lake, settings, "dq_check_results", prev)
        ),
        kpis=kpi_changes(result.kpis),
        sources=source_revisions(settings, lake, result.vintage_diffs, at) if at else [],
    )  # fmt: skip
    _anomaly_changes(con, lake, settings, result, values, changes, listed)
    return changes


def _anomaly_changes(con: Any, lake: Any, settings: Any, result: Any, values: Any,
                     changes: Changes, listed: int) -> None:  # fmt: skip
    """New alarmed values (not alarmed last time) and cleared ones (alarmed then, not now)."""
    from osaa_lib.quality import history
    from osaa_lib.reports.values import VALUES, _lit, add_labels, group_values, value_rows

    key = history.table_key(settings, "dq_anomalies", result.previous_run_id)
    if not values.complete or not lake.exists(key):
        return
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _report_prev_flags AS "
        f"SELECT * FROM read_parquet({_lit(lake.uri(key))})"
    )
    group_values(con, "_report_prev_flags", into="_report_prev_values")
    same = (
        "(p.source, p.indicator_id, p.country_id, p.year) = "
        f"({VALUES}.source, {VALUES}.indicator_id, {VALUES}.country_id, {VALUES}.year)"
    )
    new = f"alarmed AND NOT EXISTS (SELECT 1 FROM _report_prev_values p WHERE p.alarmed AND {same})"
    changes.new_count = con.execute(f"SELECT count(*) FROM {VALUES} WHERE {new}").fetchone()[0]
    changes.new_values = value_rows(con, new, listed)
    add_labels(con, result, changes.new_values)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _report_cleared AS
        SELECT p.*, CASE WHEN {VALUES}.source IS NULL THEN 'no longer flagged'
                         WHEN {VALUES}.accepted THEN 'accepted by a reviewer'
                         ELSE 'explained: ' || {VALUES}.annotation END AS now
        FROM _report_prev_values p LEFT JOIN {VALUES} ON {same}
        WHERE p.alarmed AND NOT coalesce({VALUES}.alarmed, false)"""
    )
    changes.cleared_count = con.execute("SELECT count(*) FROM _report_cleared").fetchone()[0]
    changes.cleared_values = value_rows(con, "true", listed, table="_report_cleared")
    changes.anomalies_compared = True


def _utc(value: Any) -> datetime | None:
    """History times are naive UTC, vintage times ISO text with an offset: both as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
