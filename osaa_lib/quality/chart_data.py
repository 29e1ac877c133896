"""Small aggregated tables for `osaa_lib.reports.charts`, computed in DuckDB from the published
Parquet or from a QualityResult, so no chart ever carries more than a few thousand points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from osaa_lib.quality.checks import lit
from osaa_lib.quality.model import Anomaly, QualityResult

if TYPE_CHECKING:
    import duckdb


def coverage_by_year(
    con: duckdb.DuckDBPyConnection, uri: str, max_indicators: int = 40, since: int | None = None
) -> Any:
    """(indicator_id, year, countries) for the indicators reported by most countries."""
    since_sql = f"AND year >= {int(since)}" if since is not None else ""
    return con.execute(
        f"""WITH m AS (SELECT indicator_id, country_id, year FROM read_parquet({lit(uri)})
                WHERE value IS NOT NULL {since_sql}),
            top AS (SELECT indicator_id FROM m GROUP BY indicator_id
                ORDER BY count(DISTINCT country_id) DESC, indicator_id LIMIT {int(max_indicators)})
        SELECT indicator_id, year, count(DISTINCT country_id) AS countries
        FROM m JOIN top USING (indicator_id) GROUP BY ALL ORDER BY ALL"""
    ).to_arrow_table()


def completeness_table(result: QualityResult) -> list[dict[str, Any]]:
    return [
        {"source": c.source, "completeness": c.metric}
        for c in result.checks
        if c.name == "completeness" and c.metric is not None
    ]


def freshness_table(result: QualityResult) -> list[dict[str, Any]]:
    return [
        {"name": c.source, "lag_years": c.metric}
        for c in result.checks
        if c.name == "freshness_year" and c.metric is not None
    ]


def anomaly_series(
    con: duckdb.DuckDBPyConnection,
    uri: str,
    anomalies: list[Anomaly],
    max_series: int = 9,
    z: float = 5.0,
) -> Any:
    """Series of the top alarmed anomalies with a band: rolling median +- z robust scales."""
    keys: list[tuple[str, str]] = []
    for a in anomalies:
        if a.annotation is None and not a.accepted and (a.indicator_id, a.country_id) not in keys:
            keys.append((a.indicator_id, a.country_id))
        if len(keys) >= max_series:
            break
    flagged = {(a.indicator_id, a.country_id, a.year) for a in anomalies}
    if not keys:
        return []
    values = ", ".join(f"({lit(i)}, {lit(c)})" for i, c in keys)
    cur = con.execute(
        f"""WITH k AS (SELECT * FROM (VALUES {values}) t(indicator_id, country_id)),
        s AS (SELECT indicator_id, country_id, year, avg(value) AS value
              FROM read_parquet({lit(uri)}) JOIN k USING (indicator_id, country_id)
              WHERE value IS NOT NULL GROUP BY ALL),
        r AS (SELECT *, median(value) OVER (PARTITION BY indicator_id, country_id ORDER BY year
                ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE CURRENT ROW) AS mid FROM s),
        sc AS (SELECT indicator_id, country_id, 1.4826 * median(abs(value - mid)) AS scale
               FROM r GROUP BY ALL)
        SELECT indicator_id || ' · ' || country_id AS series, indicator_id, country_id, year,
          value, coalesce(mid, value) - {z} * scale AS lower,
          coalesce(mid, value) + {z} * scale AS upper
        FROM r JOIN sc USING (indicator_id, country_id) ORDER BY series, year"""
    )
    cols = [d[0] for d in cur.description]
    out = [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    for row in out:
        row["flagged"] = (row["indicator_id"], row["country_id"], row["year"]) in flagged
    return out


def revisions(result: QualityResult, source: str) -> list[dict[str, Any]]:
    diff = result.vintage_diffs.get(source)
    return list(diff.histogram) if diff is not None else []
