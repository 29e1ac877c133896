"""What the reports show beyond the library results: small queries over the lake and project.

The quality report needs history, volume, coverage by African sub-region, the anomalous values
one per row and the series around them; the transform page needs the models' lineage. Kept
here, not in notebook cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def environment(settings: Any) -> dict[str, str]:
    """Which code and machine produced the report (git commit, Python, key packages)."""
    import platform
    import subprocess
    import sys
    from importlib.metadata import PackageNotFoundError, version

    try:
        proc = subprocess.run(
            ["git", "-C", str(settings.project_dir), "describe", "--always", "--dirty",
             "--abbrev=12"], capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        commit = proc.stdout.strip() or "unknown (not a git checkout)"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown (git not available)"
    packages = []
    for name in ("duckdb", "sqlmesh", "marimo", "papermill"):
        try:
            packages.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return {
        "git commit": commit,
        "python": f"{platform.python_version()} ({sys.executable})",
        "host": platform.node(),
        "packages": ", ".join(packages),
        "lake": settings.lake_root,
    }


def source_files(settings: Any, lake: Any) -> list[dict[str, Any]]:
    """The publishers' files behind the checked tables: CSV checksum, size, rows, vintage."""
    from osaa_lib.ingest import read_manifests

    return [
        {
            "source": m.get("source"), "file": m.get("file"),
            "sha256": m.get("sha256"),
            "bytes": m.get("size"), "rows": m.get("rows"), "rejected cells": m.get("rejects"),
            "ingested (UTC)": str(m.get("ingested_at") or "")[:19].replace("T", " "),
            "vintage": m.get("vintage_id"),
        }
        for m in read_manifests(settings, lake)
    ]  # fmt: skip


def gather(settings: Any, result: Any, lake: Any = None, history_runs: int = 10,
           top_anomalies: int = 12, listed: int = 500) -> dict[str, Any]:  # fmt: skip
    """Everything the report shows beyond `result`: history, volume, coverage, series, the
    anomalous values one per row and what changed since the previous run."""
    from osaa_lib.db import connect
    from osaa_lib.lake import open_lake
    from osaa_lib.quality import history, inputs, integrity
    from osaa_lib.reports.changes import since_previous

    lake = lake or open_lake(settings)
    con = connect(settings)
    try:
        history.attach_views(con, settings, lake)
        integrity.load_reference(con, inputs.reference_uri(settings, lake))
        volume = con.execute(
            f"""SELECT run_id, source, value AS rows FROM {history.SCHEMA}.dq_metrics
            WHERE metric = 'rows' AND indicator_id IS NULL AND run_id IN (
              SELECT run_id FROM {history.SCHEMA}.dq_runs ORDER BY run_id DESC LIMIT ?)
            ORDER BY run_id, source""",
            [history_runs],
        ).to_arrow_table()
        metrics = {(m.source, m.metric): m.value for m in result.metrics if not m.indicator_id}
        fresh = []
        for name in result.tables:
            fresh.append({
                "table": name, "rows": metrics.get((name, "rows")),
                "last year": metrics.get((name, "max_year")),
                "lag years": None if metrics.get((name, "max_year")) is None
                else result.run_at.year - int(metrics[(name, "max_year")]),
                "published": inputs.published_at(settings, lake, name),
                "source updated": None if name == inputs.MASTER
                else inputs.source_updated_at(settings, lake, name),
            })  # fmt: skip
        main = result.tables.get(inputs.MASTER) or next(iter(result.tables.values()), None)
        values = anomaly_values(con, lake, settings, result, listed=listed)
        by_region, by_year, series = [], [], []
        if main:
            by_region, by_year = _coverage(con, main)
            series = _series(con, main, values.rows[:top_anomalies])
        return {
            "history": history.check_history(settings, runs=history_runs, lake=lake, con=con),
            "volume": volume, "freshness": fresh, "by_region": by_region, "by_year": by_year,
            "series": series, "files": source_files(settings, lake),
            "environment": environment(settings), "values": values,
            "changes": since_previous(con, lake, settings, result, values),
        }  # fmt: skip
    finally:
        con.close()


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
    return _rows(con.execute(
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


def _rows(cur: Any) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _coverage(con: Any, uri: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from osaa_lib.quality.integrity import REF

    src = f"read_parquet('{uri.replace(chr(39), chr(39) * 2)}')"
    base = f"""WITH africa AS (SELECT iso3, coalesce(intermediate_region, sub_region) AS sub_region
                 FROM {REF}
                 WHERE is_africa AND NOT is_aggregate),
            m AS (SELECT indicator_id, country_id, year FROM {src} WHERE value IS NOT NULL),
            top AS (SELECT indicator_id FROM m JOIN africa ON iso3 = country_id
                 GROUP BY ALL ORDER BY count(DISTINCT country_id) DESC, indicator_id LIMIT 40)"""
    by_region = _rows(
        con.execute(f"""{base},
        last AS (SELECT max(year) AS y FROM m)
        SELECT m.indicator_id AS indicator, a.sub_region,
          count(DISTINCT m.country_id) / any_value(t.n) AS share
        FROM m JOIN africa a ON a.iso3 = m.country_id JOIN top USING (indicator_id)
        JOIN (SELECT sub_region, count(*) AS n FROM africa GROUP BY ALL) t USING (sub_region)
        WHERE m.year > (SELECT y FROM last) - 10 GROUP BY ALL ORDER BY ALL""")
    )
    by_year = _rows(
        con.execute(f"""{base}
        SELECT m.indicator_id AS indicator, m.year,
          count(DISTINCT m.country_id) / (SELECT count(*) FROM africa) AS share
        FROM m JOIN africa a ON a.iso3 = m.country_id JOIN top USING (indicator_id)
        GROUP BY ALL ORDER BY ALL""")
    )
    return by_region, by_year


def _series(con: Any, uri: str, values: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The whole series of each value (for the small multiples), the value itself flagged."""
    if not values:
        return []
    keys = [(v["indicator_id"], v["country_id"]) for v in values]
    flagged = {(v["indicator_id"], v["country_id"], v["year"]) for v in values}
    src = f"read_parquet('{uri.replace(chr(39), chr(39) * 2)}')"
    con.execute("CREATE OR REPLACE TEMP TABLE _report_keys (i VARCHAR, c VARCHAR)")
    con.executemany("INSERT INTO _report_keys VALUES (?, ?)", keys)
    rows = _rows(con.execute(
        f"""SELECT indicator_id, country_id, year, avg(value) AS value FROM {src}
        JOIN _report_keys ON i = indicator_id AND c = country_id
        WHERE value IS NOT NULL GROUP BY ALL ORDER BY ALL"""))  # fmt: skip
    for r in rows:
        r["series"] = f"{r['indicator_id']} · {r['country_id']}"
        r["flagged"] = (r["indicator_id"], r["country_id"], r["year"]) in flagged
    return rows


def lineage(settings: Any) -> list[dict[str, Any]]:
    """Each SQLMesh model with its kind and the models it reads (the project's lineage)."""
    from osaa_lib.transform import short
    from osaa_lib.transform.project import open_context

    ctx = open_context(settings)
    rows = []
    for name, model in sorted(ctx.models.items()):
        rows.append({
            "model": short(name), "kind": str(getattr(model.kind, "name", model.kind)),
            "reads": ", ".join(sorted(short(d) for d in model.depends_on))
            or ("— (seed file)" if "SEED" in str(model.kind).upper() else "— (landing files)"),
        })  # fmt: skip
    return rows
