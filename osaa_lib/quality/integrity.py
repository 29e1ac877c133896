"""Checks that compare a table with something else: the country reference, the previous run,
the ingest record and the lake's own timestamps."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from osaa_lib.quality.checks import Ctx, lit, result
from osaa_lib.quality.model import CheckResult

if TYPE_CHECKING:
    import duckdb

REF = "_dq_ref_countries"


def load_reference(con: duckdb.DuckDBPyConnection, uri: str | None = None) -> str:
    """The country reference as a temp table: the published reference.countries, else its seed."""
    from osaa_lib.transform.reference import load_countries

    return load_countries(con, uri, REF)


def african_total(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        f"SELECT count(*) FROM {REF} WHERE is_africa AND NOT is_aggregate"
    ).fetchone()[0]


def _country_rows(ctx: Ctx) -> str:
    """Rows per country code, joined with the reference: one scan for both reference checks."""
    table = f"{ctx.view}_countries"
    if not ctx.stats.get("_countries"):
        ctx.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT c.country_id, c.rows, r.iso3 IS NOT NULL AS known,
              coalesce(r.is_aggregate, false) AS is_aggregate, r.name
            FROM (SELECT country_id, count(*) AS rows FROM {ctx.view}
                  WHERE country_id IS NOT NULL AND trim(country_id) <> '' GROUP BY country_id) c
            LEFT JOIN {REF} r ON r.iso3 = c.country_id"""
        )
        ctx.stats["_countries"] = True
    return table


def check_unknown_countries(ctx: Ctx) -> CheckResult:
    codes = f"SELECT country_id, rows FROM {_country_rows(ctx)} WHERE NOT known"
    n_rows, n_codes = ctx.con.execute(
        f"SELECT coalesce(sum(rows), 0), count(*) FROM ({codes})"
    ).fetchone()
    ctx.metric("unknown_country_codes", n_codes)
    msg = f"{n_rows} rows carry {n_codes} country codes unknown to the reference"
    sql = f"{codes} ORDER BY rows DESC, country_id"
    return result(ctx, "unknown_countries", n_rows, n_rows, msg, sql, {"codes": n_codes})


def check_aggregates(ctx: Ctx) -> CheckResult:
    aggs = f"SELECT country_id, name, rows FROM {_country_rows(ctx)} WHERE is_aggregate"
    found = ctx.con.execute(f"SELECT country_id, rows FROM ({aggs}) ORDER BY 1").fetchall()
    n = sum(r for _, r in found)
    ctx.metric("aggregate_rows", n)
    msg = f"{n} rows are regional or income aggregates ({len(found)} codes), kept apart"
    check = result(ctx, "aggregates", n, n, msg, f"{aggs} ORDER BY rows DESC")
    check.details = {"codes": {c: r for c, r in found}}
    return check


def coverage_sql(ctx: Ctx, window: int) -> str:
    """Per indicator: countries reported, and the share of African countries over the window."""
    total = max(african_total(ctx.con), 1)
    return f"""WITH latest AS (SELECT indicator_id, max(year) AS last_year, min(year) AS first_year
            FROM {ctx.meas} GROUP BY indicator_id)
        SELECT m.indicator_id, any_value(l.first_year) AS first_year,
          any_value(l.last_year) AS last_year,
          count(DISTINCT m.country_id) FILTER (NOT coalesce(r.is_aggregate, false)) AS countries,
          count(DISTINCT m.country_id) FILTER (r.is_africa AND NOT r.is_aggregate)
            AS african_countries,
          count(DISTINCT m.country_id) FILTER (r.is_africa AND NOT r.is_aggregate
            AND m.year > l.last_year - {int(window)}) / {total} AS africa_share
        FROM {ctx.meas} m JOIN latest l USING (indicator_id)
        LEFT JOIN {REF} r ON r.iso3 = m.country_id
        GROUP BY m.indicator_id"""


def check_africa_coverage(ctx: Ctx) -> tuple[CheckResult, Any]:
    window = int(ctx.cfg.get("africa_coverage", "window_years", ctx.table, 10))
    threshold = ctx.cfg.threshold("africa_coverage", ctx.table)
    ctx.con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ctx.view}_coverage AS {coverage_sql(ctx, window)}"
    )
    cov = f"{ctx.view}_coverage"
    mean, below = ctx.con.execute(
        f"SELECT avg(africa_share), count(*) FILTER (africa_share < {threshold}) FROM {cov}"
    ).fetchone()
    ctx.metric("africa_coverage", mean)
    msg = (
        f"indicators cover {0 if mean is None else mean:.1%} of African countries on average over "
        f"their latest {window} years; {below} indicators below {threshold:.0%}"
    )
    sql = (
        f"SELECT * FROM {cov} WHERE africa_share < {threshold} ORDER BY africa_share, indicator_id"
    )
    table = ctx.con.execute(
        f"SELECT {lit(ctx.table)} AS source, * FROM {cov} ORDER BY indicator_id"
    ).to_arrow_table()
    return result(ctx, "africa_coverage", mean, below, msg, sql), table


def check_volume_change(ctx: Ctx) -> CheckResult:
    changes: list[dict[str, Any]] = []
    for name in ("rows", "indicators", "countries"):
        prev = ctx.previous.get(name)
        if prev is None or prev.value is None:
            continue
        now = ctx.stats[name]
        rel = abs(now - prev.value) / prev.value if prev.value else (1.0 if now else 0.0)
        changes.append({"measure": name, "previous": prev.value, "current": now, "change": rel})
    if not changes:
        return result(ctx, "volume_change", None, 0, "no previous run to compare with")
    worst = max(changes, key=lambda c: c["change"])
    threshold = ctx.cfg.threshold("volume_change", ctx.table)
    bad = [c for c in changes if c["change"] > threshold]
    msg = ", ".join(f"{c['measure']} {c['previous']:.0f} -> {c['current']}" for c in changes)
    check = result(ctx, "volume_change", worst["change"], len(bad), msg)
    check.samples = bad
    return check


def check_schema_change(ctx: Ctx) -> CheckResult:
    prev = ctx.previous.get("schema")
    if prev is None or not prev.text:
        return result(ctx, "schema_change", None, 0, "no previous run to compare with")
    before: dict[str, str] = json.loads(prev.text)
    now = ctx.columns
    removed = [c for c in before if c not in now]
    retyped = [c for c in before if c in now and now[c] != before[c]]
    added = [c for c in now if c not in before]
    samples = (
        [{"column": c, "change": "removed", "was": before[c]} for c in removed]
        + [{"column": c, "change": "type", "was": before[c], "now": now[c]} for c in retyped]
        + [{"column": c, "change": "added", "now": now[c]} for c in added]
    )
    broken = len(removed) + len(retyped)
    msg = f"{len(removed)} columns removed, {len(retyped)} retyped, {len(added)} added"
    force = "warn" if not broken and added else None
    check = result(ctx, "schema_change", broken, broken + len(added), msg, force_status=force)
    check.samples = samples
    return check


def check_parse_failures(ctx: Ctx, rejected: dict[str, Any] | None) -> CheckResult:
    """Cells that failed to parse at ingest, as counted in the ingest record of this source."""
    if rejected is None:
        return result(ctx, "parse_failures", None, 0, "no ingest record for this table")
    n = int(rejected.get("rejected_cells", 0))
    ctx.metric("rejected_cells", n)
    check = result(ctx, "parse_failures", n, n, f"{n} cells failed to parse at ingest")
    check.samples = list(rejected.get("samples", []))[: int(ctx.cfg.general["sample_rows"])]
    check.details = {k: v for k, v in rejected.items() if k != "samples"}
    return check


def check_publication_lag(
    ctx: Ctx, source_updated: datetime | None, published: datetime | None
) -> CheckResult:
    """Hours between the newest source file's update and this table's publication."""
    if source_updated is None or published is None:
        return result(ctx, "publication_lag", None, 0, "no source update time known")
    now = ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)
    pending = published < source_updated
    end = now if pending else published
    hours = max((end - source_updated).total_seconds() / 3600, 0.0)
    ctx.metric("publication_lag_hours", hours)
    state = "not yet published" if pending else "published"
    msg = f"source updated {source_updated:%Y-%m-%d %H:%M}Z, {state}: lag {hours:.1f} h"
    check = result(ctx, "publication_lag", hours, int(pending), msg)
    check.details = {
        "source_updated": source_updated.isoformat(),
        "published": published.isoformat(),
        "pending": pending,
    }
    return check


def check_vanished(ctx: Ctx, diff: Any | None) -> CheckResult:
    """Country-years of the previous vintage that the latest vintage no longer reports."""
    if diff is None:
        return result(ctx, "vanished_keys", None, 0, "fewer than two vintages to compare")
    n = diff.removed
    msg = f"{n} country-years of vintage {diff.previous} gone in {diff.latest}"
    check = result(ctx, "vanished_keys", n, n, msg)
    check.samples = diff.removed_samples[: int(ctx.cfg.general["sample_rows"])]
    return check
