"""Compare the latest two vintages of a source: keys added and removed, revised values.

Each ingest of a source keeps its landing Parquet as a vintage under
`<target>/vintages/<source>/<vintage_id>/`. Vintage ids sort in time order. UIS files are long
already; WDI's wide year columns are unpivoted so both compare on (indicator, country, year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, open_lake
from osaa_lib.lake import keys as lake_keys
from osaa_lib.quality.checks import lit, rows

if TYPE_CHECKING:
    import duckdb

YEAR = re.compile(r"^\d{4}$")


@dataclass
class VintageDiff:
    source: str
    previous: str
    latest: str
    added: int = 0
    removed: int = 0
    revised: int = 0
    unchanged: int = 0
    largest: list[dict[str, Any]] = field(default_factory=list)
    added_samples: list[dict[str, Any]] = field(default_factory=list)
    removed_samples: list[dict[str, Any]] = field(default_factory=list)
    histogram: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def list_vintages(settings: Settings, lake: Lake, source: str) -> dict[str, list[str]]:
    """Complete vintage id -> Parquet keys in it, oldest first (as sealed by ingest)."""
    from osaa_lib.ingest import list_vintages as ingested

    return {v.vintage_id: sorted(v.files.values()) for v in ingested(settings, lake, source)}


def _data_key(keys: list[str]) -> str | None:
    names = {lake_keys.stem(k): k for k in keys}
    for stem, key in sorted(names.items()):
        if stem.endswith("_DATA_NATIONAL") or stem == "WDICSV":
            return key
    return None


def _long_sql(con: duckdb.DuckDBPyConnection, uri: str) -> str:
    cols = [
        r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(uri)})").fetchall()
    ]
    src = f"read_parquet({lit(uri)})"
    if {"indicator_id", "country_id", "year", "value"} <= set(cols):
        return f"""SELECT CAST(indicator_id AS VARCHAR) AS indicator_id, country_id,
            CAST(year AS INTEGER) AS year, CAST(value AS DOUBLE) AS value FROM {src}"""
    years = [c for c in cols if YEAR.match(c)]
    if {"country_code", "indicator_code"} <= set(cols) and years:
        ycols = ", ".join(f'"{y}"' for y in years)
        return f"""SELECT indicator_code AS indicator_id, country_code AS country_id,
            CAST(year AS INTEGER) AS year, CAST(value AS DOUBLE) AS value
            FROM (UNPIVOT (SELECT indicator_code, country_code, {ycols} FROM {src})
                  ON {ycols} INTO NAME year VALUE value)"""
    raise ValueError(f"{uri}: neither a long UIS file nor a wide WDI file")


def diff_files(
    con: duckdb.DuckDBPyConnection,
    source: str,
    previous: tuple[str, str],
    latest: tuple[str, str],
    top: int = 20,
) -> VintageDiff:
    """Diff two vintage files given as (vintage_id, uri); values that are null count as absent."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW _dq_v_old AS {_long_sql(con, previous[1])}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _dq_v_new AS {_long_sql(con, latest[1])}")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _dq_vdiff AS
        SELECT coalesce(o.indicator_id, n.indicator_id) AS indicator_id,
          coalesce(o.country_id, n.country_id) AS country_id, coalesce(o.year, n.year) AS year,
          o.value AS old_value, n.value AS new_value,
          CASE WHEN o.indicator_id IS NULL THEN 'added' WHEN n.indicator_id IS NULL THEN 'removed'
               WHEN o.value IS NOT DISTINCT FROM n.value THEN 'unchanged' ELSE 'revised' END AS kind
        FROM (SELECT indicator_id, country_id, year, any_value(value) AS value FROM _dq_v_old
              WHERE value IS NOT NULL GROUP BY ALL) o
        FULL OUTER JOIN (SELECT indicator_id, country_id, year, any_value(value) AS value
              FROM _dq_v_new WHERE value IS NOT NULL GROUP BY ALL) n
          USING (indicator_id, country_id, year)"""
    )
    counts = dict(con.execute("SELECT kind, count(*) FROM _dq_vdiff GROUP BY 1").fetchall())
    d = VintageDiff(
        source,
        previous[0],
        latest[0],
        **{k: counts.get(k, 0) for k in ("added", "removed", "revised", "unchanged")},
    )
    d.largest = rows(
        con,
        f"""SELECT indicator_id, country_id, year, old_value, new_value,
            new_value - old_value AS change,
            (new_value - old_value) / nullif(abs(old_value), 0) AS relative_change
        FROM _dq_vdiff WHERE kind = 'revised'
        ORDER BY abs(coalesce(relative_change, 1e300)) DESC, indicator_id, country_id, year
        LIMIT {int(top)}""",
    )
    for kind in ("added", "removed"):
        setattr(
            d,
            f"{kind}_samples",
            rows(
                con,
                f"SELECT indicator_id, country_id, year, old_value, new_value FROM _dq_vdiff "
                f"WHERE kind = '{kind}' ORDER BY ALL LIMIT {int(top)}",
            ),
        )
    d.histogram = rows(
        con,
        """SELECT floor(log10(greatest(abs(new_value - old_value) / nullif(abs(old_value), 0),
              1e-6)) * 2) / 2 AS log10_rel_change, count(*) AS revisions
        FROM _dq_vdiff WHERE kind = 'revised' GROUP BY 1 ORDER BY 1""",
    )
    return d


def latest_diff(
    settings: Settings,
    source: str,
    lake: Lake | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    top: int = 20,
) -> VintageDiff | None:
    """The diff of the latest two vintages of `source`, or None with fewer than two."""
    from osaa_lib.db import connect

    lake = lake or open_lake(settings)
    found = [(vid, _data_key(keys)) for vid, keys in list_vintages(settings, lake, source).items()]
    found = [(vid, key) for vid, key in found if key]
    if len(found) < 2:
        return None
    own = con is None
    con = con or connect(settings)
    try:
        (pid, pkey), (lid, lkey) = found[-2], found[-1]
        return diff_files(con, source, (pid, lake.uri(pkey)), (lid, lake.uri(lkey)), top)
    finally:
        if own:
            con.close()
