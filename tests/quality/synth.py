"""Master-schema Parquet made in DuckDB with planted defects whose exact keys are known.

Deterministic: every random draw is a hash of the row's key and the seed, so the same call
writes the same rows (and the benchmark can make 30 million of them in seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

AFRICA = ["NGA", "KEN", "ZAF", "EGY", "ETH", "GHA", "SEN", "MAR", "TZA", "UGA", "NAM", "ZMB"]
OTHERS = ["FRA", "DEU", "BRA", "IND", "CHN", "USA", "MEX", "IDN", "PAK", "PER", "VNM", "CAN"]


def u(*parts: str) -> str:
    """A uniform draw in (0, 1) from a hash of the parts."""
    return f"((hash({', '.join(parts)}) % 1000003)::DOUBLE + 0.5) / 1000003"


@dataclass
class Planted:
    duplicates: int = 0
    nulls: int = 0
    outliers: list[tuple[str, str, int]] = field(default_factory=list)
    estimate_outliers: list[tuple[str, str, int]] = field(default_factory=list)
    non_measurements: int = 0
    unknown_rows: int = 0
    aggregate_rows: int = 0
    unlabelled: list[str] = field(default_factory=list)
    measurement_values: int = 0


def make_master(
    path: Path,
    indicators: int = 30,
    countries: list[str] | None = None,
    years: tuple[int, int] = (1990, 2023),
    seed: int = 7,
    defects: bool = True,
    source: str = "sdg",
    extra_countries: int = 0,
) -> Planted:
    """Write a master.indicators-shaped Parquet file at path and say what was planted."""
    countries = countries or AFRICA + OTHERS
    con = duckdb.connect()
    codes = countries + [f"C{i:05d}" for i in range(extra_countries)]
    con.execute("CREATE TABLE c AS SELECT unnest(?) AS country_id", [codes])
    con.execute(
        f"""CREATE TABLE t AS
        WITH i AS (SELECT 'IND.' || lpad(i::VARCHAR, 4, '0') AS indicator_id, i
                   FROM range({indicators}) r(i)),
        g AS (SELECT i.indicator_id, i.i, c.country_id, y.year::INTEGER AS year
              FROM i CROSS JOIN c CROSS JOIN range({years[0]}, {years[1] + 1}) y(year)),
        p AS (SELECT *, pow(10, 1 + 3 * {u("indicator_id", str(seed))}) AS scale,
                0.5 + 2 * {u("indicator_id", "country_id", str(seed))} AS level,
                0.03 * ({u("indicator_id", "country_id", "'g'", str(seed))} - 0.3) AS growth,
                sqrt(-2 * ln({u("indicator_id", "country_id", "year", "'a'", str(seed))}))
                  * cos(2 * pi() * {u("indicator_id", "country_id", "year", "'b'", str(seed))})
                  AS noise
              FROM g)
        SELECT indicator_id, country_id, year,
          scale * level * pow(1 + growth, year - {years[0]}) * (1 + 0.02 * noise) AS value,
          CAST(NULL AS VARCHAR) AS magnitude, CAST(NULL AS VARCHAR) AS qualifier,
          'Indicator ' || indicator_id AS indicator_description, '{source}' AS source,
          {u("indicator_id", "country_id", "year", "'d'", str(seed))} AS pick
        FROM p"""
    )
    planted = Planted()
    if defects:
        planted = _plant(con, seed)
    planted.measurement_values = con.execute(
        "SELECT count(*) FROM t WHERE value IS NOT NULL AND coalesce(magnitude, '') = ''"
    ).fetchone()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT * EXCLUDE (pick) FROM t ORDER BY source, indicator_id, country_id, year)
        TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return planted


def _plant(con: duckdb.DuckDBPyConnection, seed: int) -> Planted:
    p = Planted()
    # outliers: x8 or /8 on a few interior points (not first/last year, not next to each other)
    con.execute(
        "CREATE TABLE o AS SELECT indicator_id, country_id, year FROM t "
        "WHERE pick < 0.004 AND year % 3 = 1 AND year > 1991 AND year < 2022"
    )
    p.outliers = [tuple(r) for r in con.execute("SELECT * FROM o ORDER BY ALL").fetchall()]
    con.execute(
        "UPDATE t SET value = CASE WHEN pick < 0.002 THEN value * 8 ELSE value / 8 END "
        "WHERE (indicator_id, country_id, year) IN (SELECT * FROM o)"
    )
    # the same size of jump on points marked as estimates: annotated, not alarmed
    con.execute(
        "CREATE TABLE e AS SELECT indicator_id, country_id, year FROM t "
        "WHERE pick BETWEEN 0.5 AND 0.5008 AND year % 3 = 2 AND year > 1991 AND year < 2022"
    )
    p.estimate_outliers = [tuple(r) for r in con.execute("SELECT * FROM e ORDER BY ALL").fetchall()]
    con.execute(
        "UPDATE t SET value = value * 8, qualifier = 'UIS_EST' "
        "WHERE (indicator_id, country_id, year) IN (SELECT * FROM e)"
    )
    # NA / NIL rows: value 0 that is not a measurement
    con.execute(
        "UPDATE t SET magnitude = CASE WHEN pick < 0.7015 THEN 'NA' ELSE 'NIL' END, value = 0 "
        "WHERE pick BETWEEN 0.7 AND 0.703"
    )
    p.non_measurements = con.execute(
        "SELECT count(*) FROM t WHERE magnitude IN ('NA', 'NIL')"
    ).fetchone()[0]
    # missing values
    con.execute("UPDATE t SET value = NULL WHERE pick BETWEEN 0.8 AND 0.802")
    p.nulls = con.execute(
        "SELECT count(*) FROM t WHERE value IS NULL AND magnitude IS NULL"
    ).fetchone()[0]
    # exact duplicate rows
    con.execute("INSERT INTO t SELECT * FROM t WHERE pick BETWEEN 0.9 AND 0.9015")
    p.duplicates = (
        con.execute("SELECT count(*) FROM t WHERE pick BETWEEN 0.9 AND 0.9015").fetchone()[0] // 2
    )
    # a code the reference does not know, and an aggregate
    con.execute(
        "INSERT INTO t SELECT indicator_id, 'XXK', year, value, magnitude, qualifier, "
        "indicator_description, source, pick FROM t WHERE country_id = 'KEN' AND year = 2000 "
        "AND indicator_id = 'IND.0001'"
    )
    p.unknown_rows = 1
    con.execute(
        "INSERT INTO t SELECT indicator_id, 'SSF', year, value, magnitude, qualifier, "
        "indicator_description, source, pick FROM t WHERE country_id = 'NGA' "
        "AND indicator_id = 'IND.0002' AND year >= 2020"
    )
    p.aggregate_rows = 4
    con.execute("UPDATE t SET indicator_description = NULL WHERE indicator_id = 'IND.0003'")
    p.unlabelled = ["IND.0003"]
    return p
