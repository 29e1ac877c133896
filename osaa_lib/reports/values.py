"""A run's anomaly flags as one row per value, and the numbers the report names.

The engine records one flag per method and value; the report lists values. Grouping happens in
DuckDB over the run's history file, so only the listed rows come back to Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


METHODS = ("robust_z", "hb", "zscore")  # the order a value's methods are listed in
GROUPS = ("African countries", "other countries and territories", "aggregates",
          "not in the reference")  # fmt: skip
VALUES = "_report_values"
_VALUE_KEY = "source, indicator_id, country_id, year"


@dataclass
class AnomalyValues:
    """The run's anomaly flags as one row per value, and the numbers the report names.

    A *flag* is one method's verdict on one value; a *flagged value* has at least one flag; an
    *alarmed value* is a flagged value no annotation explains (estimate, break, z-score only)
    and no reviewer accepted: what the `anomalies` check counts. Every count the report shows
    about anomalies is one of these, under that name.
    """

    flags: int = 0
    flagged: int = 0
    alarmed: int = 0
    groups: dict[str, int] = field(default_factory=dict)  # alarmed values per country group
    explained: dict[str, int] = field(default_factory=dict)  # flagged, not alarmed, per reason
    rows: list[dict[str, Any]] = field(default_factory=list)  # alarmed, Africa first
    quiet: list[dict[str, Any]] = field(default_factory=list)  # flagged, not alarmed
    complete: bool = True  # False: grouped from the flags the result lists, not the history

    @property
    def listed(self) -> int:
        return len(self.rows)

    @property
    def not_alarmed(self) -> int:
        return self.flagged - self.alarmed


def run_flags(con: Any, lake: Any, settings: Any, result: Any) -> tuple[str, bool]:
    """A relation of every flag of the run, and whether it holds them all.

    A recorded run's flags are all in its history file; an unrecorded one has only the flags
    its result lists (at most `max_listed`).
    """
    import pyarrow as pa

    from osaa_lib.quality import history
    from osaa_lib.quality.runner import ANOMALY_COLS

    key = history.table_key(settings, "dq_anomalies", result.run_id)
    if lake.exists(key):
        # a view cannot take parameters; the URI is quoted as a literal instead
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _report_flags AS "
            f"SELECT {ANOMALY_COLS} FROM read_parquet({_lit(lake.uri(key))})"
        )
        return "_report_flags", True
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _report_flags AS SELECT {ANOMALY_COLS} "
        f"FROM ({history._empty_select('dq_anomalies')})"
    )
    if result.anomalies:
        listed = pa.Table.from_pylist([a.to_dict() for a in result.anomalies])  # noqa: F841
        con.execute("INSERT INTO _report_flags BY NAME SELECT * FROM listed")
    return "_report_flags", False


def group_values(con: Any, flags: str, into: str = VALUES) -> str:
    """One row per flagged value of relation `flags` (shaped like `dq_anomalies`) in `into`:
    its methods, each method's score, the expected value of the most telling method, whether
    it alarms, and the country's group in the country reference.

    African countries are the reference's African UN member states when it records membership
    (territories such as Réunion go with the others), else every African non-aggregate.
    """
    from osaa_lib.quality.integrity import REF

    columns = {r[0] for r in con.execute(f"DESCRIBE {REF}").fetchall()}
    african = "r.is_africa AND r.is_un_member" if "is_un_member" in columns else "r.is_africa"

    order = "[" + ", ".join(f"'{m}'" for m in METHODS) + "]"
    score = ",\n".join(f"max(score) FILTER (method = '{m}') AS {m}" for m in METHODS)
    expected = ", ".join(f"max(expected) FILTER (method = '{m}')" for m in METHODS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {into} AS
        WITH v AS (
          SELECT {_VALUE_KEY}, any_value(value) AS value,
            list(method ORDER BY list_position({order}, method), method) AS methods, {score},
            coalesce({expected}) AS expected, max(priority) AS priority,
            bool_or(annotation IS NULL AND NOT coalesce(accepted, false)) AS alarmed,
            min(annotation) AS annotation, bool_or(coalesce(accepted, false)) AS accepted,
            min(accept_reason) AS accept_reason
          FROM {flags} GROUP BY {_VALUE_KEY})
        SELECT v.*, r.name AS country,
          CASE WHEN r.iso3 IS NULL THEN '{GROUPS[3]}' WHEN r.is_aggregate THEN '{GROUPS[2]}'
               WHEN {african} THEN '{GROUPS[0]}' ELSE '{GROUPS[1]}' END AS country_group
        FROM v LEFT JOIN {REF} r ON r.iso3 = v.country_id"""
    )
    return into


def _order(table: str) -> str:
    groups = "[" + ", ".join(f"'{g}'" for g in GROUPS) + "]"
    return (f"list_position({groups}, {table}.country_group), {table}.priority DESC, "
            f"{table}.indicator_id, {table}.country_id, {table}.year")  # fmt: skip


def value_rows(con: Any, where: str, limit: int, table: str = VALUES) -> list[dict[str, Any]]:
    """Values of `table` matching `where`, Africa first, then by priority."""
    return records(con.execute(
        f"SELECT * FROM {table} WHERE {where} ORDER BY {_order(table)} LIMIT {int(limit)}"
    ))  # fmt: skip


def anomaly_values(con: Any, lake: Any, settings: Any, result: Any, listed: int = 500,
                   quiet: int = 200) -> AnomalyValues:  # fmt: skip
    """The run's flags grouped by value (left in temp table `VALUES` for later queries)."""
    flags, complete = run_flags(con, lake, settings, result)
    group_values(con, flags)
    n_flags = con.execute(f"SELECT count(*) FROM {flags}").fetchone()[0]
    flagged, alarmed = con.execute(
        f"SELECT count(*), count(*) FILTER (alarmed) FROM {VALUES}"
    ).fetchone()
    groups = dict.fromkeys(GROUPS, 0) | dict(con.execute(
        f"SELECT country_group, count(*) FROM {VALUES} WHERE alarmed GROUP BY 1"
    ).fetchall())  # fmt: skip
    explained = dict(con.execute(
        f"""SELECT coalesce(annotation, 'accepted') AS why, count(*) FROM {VALUES}
        WHERE NOT alarmed GROUP BY 1 ORDER BY 2 DESC, 1"""
    ).fetchall())  # fmt: skip
    values = AnomalyValues(
        flags=n_flags, flagged=flagged, alarmed=alarmed, groups=groups, explained=explained,
        rows=value_rows(con, "alarmed", listed), quiet=value_rows(con, "NOT alarmed", quiet),
        complete=complete,
    )  # fmt: skip
    add_labels(con, result, values.rows + values.quiet)
    return values


def add_labels(con: Any, result: Any, rows: list[dict[str, Any]]) -> None:
    """The indicator labels of the listed values, from the table that carries them."""
    if not rows:
        return
    wanted = sorted({r["indicator_id"] for r in rows})
    found: dict[str, str] = {}
    for uri in result.tables.values():
        cols = {c[0] for c in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(uri)})")
                .fetchall()}  # fmt: skip
        if "indicator_description" not in cols:
            continue
        found.update(con.execute(
            f"""SELECT indicator_id, any_value(indicator_description) FROM read_parquet({_lit(uri)})
            WHERE list_contains(?, indicator_id) AND indicator_description IS NOT NULL
            GROUP BY 1""", [wanted]
        ).fetchall())  # fmt: skip
        if len(found) == len(wanted):
            break
    for r in rows:
        r["label"] = found.get(r["indicator_id"])


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def records(cur: Any) -> list[dict[str, Any]]:
    """The rows of a DuckDB result as dicts by column name."""
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
