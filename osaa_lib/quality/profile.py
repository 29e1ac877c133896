"""Profiles of the published tables: sizes, ranges and value distributions, in DuckDB.

Value statistics leave out rows that are not measurements (magnitude NA/NIL/SUPP/INCLUDED),
whose zeros would drag means and quantiles down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from osaa_lib.quality.checks import lit, nm_expr, rows
from osaa_lib.quality.config import QualityConfig

if TYPE_CHECKING:
    import duckdb

    from osaa_lib.config import Settings
    from osaa_lib.lake import Lake


@dataclass
class Profile:
    """`tables`: one dict per table; `indicators`: a pyarrow table, one row per indicator."""

    tables: list[dict[str, Any]] = field(default_factory=list)
    indicators: Any = None

    def table(self, name: str) -> dict[str, Any]:
        return next(t for t in self.tables if t["source"] == name)


def _stats_sql(view: str, cfg: QualityConfig, group: str | None) -> str:
    nm = nm_expr(cfg)
    keys = f"{group}, " if group else ""
    return f"""SELECT {keys}count(*) AS rows,
        count(DISTINCT indicator_id) AS indicators, count(DISTINCT country_id) AS countries,
        min(year) AS min_year, max(year) AS max_year,
        count(*) FILTER (nm) AS non_measurements,
        count(v) AS values, min(v) AS min, max(v) AS max, avg(v) AS mean,
        stddev_samp(v) AS stddev, quantile_cont(v, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q,
        count(*) FILTER (NOT nm AND value IS NULL) / greatest(count(*) FILTER (NOT nm), 1)
          AS null_share
      FROM (SELECT *, {nm} AS nm,
              CASE WHEN NOT {nm} AND isfinite(value) THEN value END AS v FROM {view})
      {"GROUP BY " + group if group else ""}"""


def _flatten(rec: dict[str, Any]) -> dict[str, Any]:
    q = rec.pop("q", None) or [None] * 5
    rec.update(dict(zip(("p05", "p25", "median", "p75", "p95"), q, strict=True)))
    return rec


def profile_tables(
    con: duckdb.DuckDBPyConnection, views: dict[str, str], cfg: QualityConfig
) -> Profile:
    """Profile each view (table name -> DuckDB view over its Parquet)."""
    out = Profile()
    parts = []
    for name, view in views.items():
        rec = rows(con, _stats_sql(view, cfg, None))[0]
        out.tables.append(_flatten({"source": name, **rec}))
        parts.append(
            f"SELECT {lit(name)} AS source, * FROM ({_stats_sql(view, cfg, 'indicator_id')})"
        )
    if parts:
        sql = " UNION ALL ".join(parts)
        out.indicators = con.execute(
            f"""SELECT * EXCLUDE (q), q[1] AS p05, q[2] AS p25, q[3] AS median, q[4] AS p75,
                q[5] AS p95 FROM ({sql}) ORDER BY source, indicator_id"""
        ).to_arrow_table()
    return out


def run_profile(
    settings: Settings,
    sources: list[str] | None = None,
    lake: Lake | None = None,
    tables: dict[str, str] | None = None,
) -> Profile:
    """`osaa profile`: profile the published tables without running the checks."""
    from osaa_lib.db import connect
    from osaa_lib.lake import open_lake
    from osaa_lib.quality.config import load_config
    from osaa_lib.quality.inputs import published_tables

    lake = lake or open_lake(settings)
    tables = tables or published_tables(settings, lake, sources)
    cfg = load_config(settings)
    con = connect(settings)
    try:
        views = {}
        for name, uri in tables.items():
            view = f"_dq_p_{name}"
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({lit(uri)})")
            views[name] = view
        return profile_tables(con, views, cfg)
    finally:
        con.close()
