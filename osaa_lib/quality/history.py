"""Every quality run, passes included, kept append-only in the lake and queryable as views.

One Parquet file per run and table (`<history_prefix>/<table>/<run_id>.parquet`): runs never
rewrite each other's files, so two runs cannot lose each other's results, and the same layout
works on a local folder and on S3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, keys, open_lake

if TYPE_CHECKING:
    import duckdb

SCHEMA = "data_quality"

TABLES: dict[str, list[tuple[str, str]]] = {
    "dq_runs": [
        ("run_id", "VARCHAR"),
        ("run_at", "TIMESTAMP"),
        ("target", "VARCHAR"),
        ("space", "VARCHAR"),
        ("tables", "VARCHAR"),
        ("n_checks", "INTEGER"),
        ("n_pass", "INTEGER"),
        ("n_warn", "INTEGER"),
        ("n_fail", "INTEGER"),
        ("n_anomalies", "BIGINT"),
        ("gate_failed", "BOOLEAN"),
        ("duration_s", "DOUBLE"),
    ],
    "dq_check_results": [
        ("run_id", "VARCHAR"),
        ("run_at", "TIMESTAMP"),
        ("check_name", "VARCHAR"),
        ("source", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("status", "VARCHAR"),
        ("metric", "DOUBLE"),
        ("threshold", "DOUBLE"),
        ("failing_count", "BIGINT"),
        ("message", "VARCHAR"),
        ("accepted", "BOOLEAN"),
        ("accept_reason", "VARCHAR"),
    ],
    "dq_metrics": [
        ("run_id", "VARCHAR"),
        ("run_at", "TIMESTAMP"),
        ("source", "VARCHAR"),
        ("indicator_id", "VARCHAR"),
        ("metric", "VARCHAR"),
        ("value", "DOUBLE"),
        ("text", "VARCHAR"),
    ],
    "dq_anomalies": [
        ("run_id", "VARCHAR"),
        ("run_at", "TIMESTAMP"),
        ("source", "VARCHAR"),
        ("indicator_id", "VARCHAR"),
        ("country_id", "VARCHAR"),
        ("year", "INTEGER"),
        ("value", "DOUBLE"),
        ("method", "VARCHAR"),
        ("score", "DOUBLE"),
        ("expected", "DOUBLE"),
        ("priority", "DOUBLE"),
        ("annotation", "VARCHAR"),
        ("accepted", "BOOLEAN"),
        ("accept_reason", "VARCHAR"),
    ],
    "dq_failing_rows": [
        ("run_id", "VARCHAR"),
        ("run_at", "TIMESTAMP"),
        ("check_name", "VARCHAR"),
        ("source", "VARCHAR"),
        ("row_number", "INTEGER"),
        ("row_json", "VARCHAR"),
    ],
    "dq_accepted": [
        ("accepted_at", "TIMESTAMP"),
        ("kind", "VARCHAR"),
        ("name", "VARCHAR"),
        ("source", "VARCHAR"),
        ("indicator_id", "VARCHAR"),
        ("country_id", "VARCHAR"),
        ("year", "INTEGER"),
        ("value", "DOUBLE"),
        ("reason", "VARCHAR"),
        ("reviewer", "VARCHAR"),
        ("status", "VARCHAR"),
    ],
}


def table_key(settings: Settings, table: str, run_id: str) -> str:
    return keys.history_key(settings, table, run_id)


def _columns(table: str) -> str:
    return ", ".join(f"{name} {typ}" for name, typ in TABLES[table])


def _empty_select(table: str) -> str:
    cols = ", ".join(f"CAST(NULL AS {typ}) AS {name}" for name, typ in TABLES[table])
    return f"SELECT {cols} WHERE false"


def _files(lake: Lake, settings: Settings, table: str) -> list[str]:
    prefix = keys.history_table_prefix(settings, table)
    return [o.key for o in lake.list(prefix) if o.key.endswith(".parquet")]


def source_sql(lake: Lake, settings: Settings, table: str) -> str:
    """A SELECT over every run's file of a history table (typed and empty when none exists)."""
    files = _files(lake, settings, table)
    if not files:
        return _empty_select(table)
    uris = ", ".join("'" + lake.uri(k).replace("'", "''") + "'" for k in files)
    cols = ", ".join(f"CAST({name} AS {typ}) AS {name}" for name, typ in TABLES[table])
    return f"SELECT {cols} FROM read_parquet([{uris}], union_by_name = true)"


def attach_views(
    con: duckdb.DuckDBPyConnection, settings: Settings, lake: Lake | None = None
) -> list[str]:
    """Create schema `data_quality` with one view per history table, plus `daily_checks`.

    The views list the run files present now; call again to see later runs. With no history
    yet the views exist and are empty, so the runbook's queries never fail on a fresh lake.
    """
    lake = lake or open_lake(settings)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    names = []
    for table in TABLES:
        con.execute(
            f"CREATE OR REPLACE VIEW {SCHEMA}.{table} AS {source_sql(lake, settings, table)}"
        )
        names.append(f"{SCHEMA}.{table}")
    con.execute(
        f"""CREATE OR REPLACE VIEW {SCHEMA}.daily_checks AS
        SELECT CAST(c.run_at AS DATE) AS check_date, c.*, r.target, r.space
        FROM {SCHEMA}.dq_check_results c LEFT JOIN {SCHEMA}.dq_runs r USING (run_id)"""
    )
    con.execute(
        f"""CREATE OR REPLACE VIEW {SCHEMA}.latest_checks AS
        SELECT * FROM {SCHEMA}.daily_checks
        WHERE run_id = (SELECT max(run_id) FROM {SCHEMA}.dq_runs)"""
    )
    names += [f"{SCHEMA}.daily_checks", f"{SCHEMA}.latest_checks"]
    return names


def write_rows(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    settings: Settings,
    table: str,
    run_id: str,
    rows: list[dict[str, Any]],
) -> str:
    """Write a small list of records as this run's file of `table` (typed by TABLES)."""
    import pyarrow as pa

    names = [n for n, _ in TABLES[table]]
    data = {n: [r.get(n) for r in rows] for n in names}
    arrow = pa.table(data) if rows else None
    tmp_name = f"_dq_rows_{table}"
    if arrow is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {tmp_name} AS {_empty_select(table)}")
    else:
        con.register(f"{tmp_name}_arrow", arrow)
        cols = ", ".join(f"CAST({n} AS {t}) AS {n}" for n, t in TABLES[table])
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {tmp_name} AS SELECT {cols} FROM {tmp_name}_arrow"
        )
        con.unregister(f"{tmp_name}_arrow")
    key = write_query(con, lake, settings, table, run_id, f"SELECT * FROM {tmp_name}")
    con.execute(f"DROP TABLE {tmp_name}")
    return key


def write_query(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    settings: Settings,
    table: str,
    run_id: str,
    query: str,
) -> str:
    """Write the result of a query (already shaped like `table`) as this run's file."""
    key = table_key(settings, table, run_id)
    names = ", ".join(n for n, _ in TABLES[table])
    with lake.writing(key) as tmp:
        path = str(tmp).replace("'", "''")
        con.execute(f"COPY (SELECT {names} FROM ({query})) TO '{path}' (FORMAT parquet)")
    return key


def previous_run_id(lake: Lake, settings: Settings, before: str | None = None) -> str | None:
    """The latest recorded run (strictly before `before` when given)."""
    ids = sorted(keys.history_run_id(k) for k in _files(lake, settings, "dq_runs"))
    if before is not None:
        ids = [i for i in ids if i < before]
    return ids[-1] if ids else None


def read_run_table(
    con: duckdb.DuckDBPyConnection, lake: Lake, settings: Settings, table: str, run_id: str
) -> list[dict[str, Any]]:
    """One run's rows of a history table as dicts (these files are small by construction)."""
    key = table_key(settings, table, run_id)
    if not lake.exists(key):
        return []
    cur = con.execute(f"SELECT * FROM read_parquet('{lake.uri(key)}')")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def check_history(
    settings: Settings,
    runs: int = 20,
    lake: Lake | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Any:
    """Check results of the last `runs` runs (a small pyarrow table, for reports and charts)."""
    from osaa_lib.db import connect

    lake = lake or open_lake(settings)
    own = con is None
    con = con or connect(settings)
    try:
        attach_views(con, settings, lake)
        return con.execute(
            f"""SELECT c.* FROM {SCHEMA}.dq_check_results c
            WHERE c.run_id IN (SELECT run_id FROM {SCHEMA}.dq_runs ORDER BY run_id DESC LIMIT ?)
            ORDER BY c.run_id, c.source, c.check_name""",
            [runs],
        ).to_arrow_table()
    finally:
        if own:
            con.close()
