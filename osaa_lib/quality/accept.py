"""Reviewers' marks: a finding accepted or explained, with a reason, kept in the lake.

A mark remembers the value it was given for (a check's metric, an anomaly's value) and holds in
later runs only while that value is unchanged: a new number is a new finding to look at.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.errors import OsaaError
from osaa_lib.lake import Lake, keys, open_lake
from osaa_lib.quality import history
from osaa_lib.quality.model import CheckResult

if TYPE_CHECKING:
    import duckdb

MARKS = "_dq_marks"


class FindingNotFound(OsaaError):
    """The finding to accept is not in the latest quality run."""

    exit_code = 2


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def load_marks(con: duckdb.DuckDBPyConnection, lake: Lake, settings: Settings) -> str:
    """Every mark as a temp table, the latest per finding winning."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {MARKS} AS
        SELECT * FROM ({history.source_sql(lake, settings, "dq_accepted")})
        QUALIFY row_number() OVER (PARTITION BY kind, name, source, indicator_id, country_id,
            year ORDER BY accepted_at DESC) = 1"""
    )
    return MARKS


def apply_to_anomalies(con: duckdb.DuckDBPyConnection, table: str, marks: str) -> None:
    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS accepted BOOLEAN DEFAULT false")
    con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS accept_reason VARCHAR")
    con.execute(
        f"""UPDATE {table} a SET accepted = true,
          accept_reason = coalesce(m.status, 'accepted') || ': ' || m.reason
        FROM {marks} m
        WHERE m.kind = 'anomaly' AND m.source = a.source AND m.indicator_id = a.indicator_id
          AND m.country_id = a.country_id AND m.year = a.year
          AND (m.name IS NULL OR m.name = a.method)
          AND abs(m.value - a.value) <= 1e-9 * greatest(abs(m.value), abs(a.value), 1)"""
    )


def apply_to_checks(con: duckdb.DuckDBPyConnection, results: list[CheckResult], table: str) -> None:
    """Mark check results whose metric equals the one a reviewer accepted."""
    found = con.execute(
        f"SELECT name, source, value, coalesce(status, 'accepted') || ': ' || reason "
        f"FROM {table} WHERE kind = 'check'"
    ).fetchall()
    by_key = {(n, s): (v, r) for n, s, v, r in found}
    for c in results:
        hit = by_key.get((c.name, c.source))
        if hit and c.status != "pass" and _same(hit[0], c.metric):
            c.accepted, c.accept_reason = True, hit[1]


def accept(
    settings: Settings,
    kind: str,
    source: str,
    reason: str,
    name: str | None = None,
    indicator_id: str | None = None,
    country_id: str | None = None,
    year: int | None = None,
    reviewer: str | None = None,
    lake: Lake | None = None,
    status: str = "accepted",
) -> dict[str, Any]:
    """Record a mark (`accepted` or `explained`) for a finding of the latest run."""
    from osaa_lib.db import connect

    if status not in ("accepted", "explained"):
        raise FindingNotFound(f"status must be 'accepted' or 'explained', not {status!r}")

    if kind not in ("check", "anomaly"):
        raise FindingNotFound(f"kind must be 'check' or 'anomaly', not {kind!r}")
    if not reason.strip():
        raise FindingNotFound("a reason is required to accept a finding")
    lake = lake or open_lake(settings)
    run = history.previous_run_id(lake, settings)
    if run is None:
        raise FindingNotFound("no quality run recorded yet: run `osaa quality` first")
    con = connect(settings)
    try:
        if kind == "check":
            if not name:
                raise FindingNotFound("name the check to accept (--check)")
            got = [
                r
                for r in history.read_run_table(con, lake, settings, "dq_check_results", run)
                if r["check_name"] == name and r["source"] == source
            ]
            value = got[0]["metric"] if got else None
        else:
            if not (indicator_id and country_id and year is not None):
                raise FindingNotFound("an anomaly is named by --indicator, --country and --year")
            got = [
                r
                for r in history.read_run_table(con, lake, settings, "dq_anomalies", run)
                if r["source"] == source
                and r["indicator_id"] == indicator_id
                and r["country_id"] == country_id
                and r["year"] == int(year)
                and (name is None or r["method"] == name)
            ]
            value = got[0]["value"] if got else None
        if not got:
            what = name if kind == "check" else f"{indicator_id}/{country_id}/{year}"
            raise FindingNotFound(f"no {kind} {what} on {source} in the latest run {run}")
        now = datetime.now(UTC)
        mark = {
            "accepted_at": now.replace(tzinfo=None),
            "kind": kind,
            "name": name,
            "source": source,
            "indicator_id": indicator_id,
            "country_id": country_id,
            "year": None if year is None else int(year),
            "value": value,
            "reason": reason.strip(),
            "reviewer": reviewer or settings.username or getpass.getuser(),
            "status": status,
        }
        history.write_rows(con, lake, settings, "dq_accepted", keys.new_run_id(now), [mark])
        return mark
    finally:
        con.close()
