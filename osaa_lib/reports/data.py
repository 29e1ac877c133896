"""What the reports show beyond the library results: small queries over the lake and project.

The quality report needs history, volume, coverage by African sub-region, the anomalous values
one per row (`values`), what changed since the previous run (`changes`) and the series around
the values; the transform page needs the models' lineage. Kept here, not in notebook cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from osaa_lib.reports.values import records


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
    from osaa_lib.reports.values import anomaly_values

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


def _coverage(con: Any, uri: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from osaa_lib.quality.integrity import REF

    src = f"read_parquet('{uri.replace(chr(39), chr(39) * 2)}')"
    base = f"""WITH africa AS (SELECT iso3, coalesce(intermediate_region, sub_region) AS sub_region
                 FROM {REF}
                 WHERE is_africa AND NOT is_aggregate),
            m AS (SELECT indicator_id, country_id, year FROM {src} WHERE value IS NOT NULL),
            top AS (SELECT indicator_id FROM m JOIN africa ON iso3 = country_id
                 GROUP BY ALL ORDER BY count(DISTINCT country_id) DESC, indicator_id LIMIT 40)"""
    by_region = records(
        con.execute(f"""{base},
        last AS (SELECT max(year) AS y FROM m)
        SELECT m.indicator_id AS indicator, a.sub_region,
          count(DISTINCT m.country_id) / any_value(t.n) AS share
        FROM m JOIN africa a ON a.iso3 = m.country_id JOIN top USING (indicator_id)
        JOIN (SELECT sub_region, count(*) AS n FROM africa GROUP BY ALL) t USING (sub_region)
        WHERE m.year > (SELECT y FROM last) - 10 GROUP BY ALL ORDER BY ALL""")
    )
    by_year = records(
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
    rows = records(con.execute(
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
