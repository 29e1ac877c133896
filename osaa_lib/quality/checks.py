"""The checks run over one published table, each a DuckDB query returning a few numbers.

Most counts come from one scan (`basic_stats`); a check queries again only for its samples,
and only when it fails, so adding checks costs little at 30 million rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from osaa_lib.layouts import ACCEPTED_TYPES
from osaa_lib.quality.config import MIN_CHECKS, QualityConfig
from osaa_lib.quality.model import CheckResult, Metric

if TYPE_CHECKING:
    import duckdb

KEYS = ("indicator_id", "country_id", "year")
REQUIRED = ACCEPTED_TYPES


@dataclass
class Ctx:
    """What every check of one table needs: the connection, its views and the settings."""

    con: duckdb.DuckDBPyConnection
    cfg: QualityConfig
    table: str
    view: str
    now: datetime
    columns: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Metric] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    failing_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def meas(self) -> str:
        return f"{self.view}_meas"

    def metric(self, name: str, value: float | None, indicator: str | None = None, text=None):
        self.metrics.append(Metric(self.table, name, value, indicator, text))


def lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def in_list(items: list[str]) -> str:
    return "(" + ", ".join(lit(i.upper()) for i in items) + ")" if items else "(NULL)"


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [{c: jsonable(v) for c, v in zip(cols, r, strict=True)} for r in cur.fetchall()]


def result(
    ctx: Ctx,
    name: str,
    metric: float | None,
    failing: int,
    message: str,
    samples_sql: str | None = None,
    details: dict[str, Any] | None = None,
    force_status: str | None = None,
) -> CheckResult:
    """Judge a metric against its threshold and collect failing rows when it fails."""
    cfg, table = ctx.cfg, ctx.table
    severity = cfg.severity(name, table)
    threshold = cfg.threshold(name, table)
    if force_status is not None:
        status = force_status
    elif metric is None or threshold < 0:
        status = "pass"
    else:
        bad = metric < threshold if name in MIN_CHECKS else metric > threshold
        status = ("fail" if severity == "error" else "warn") if bad else "pass"
    samples: list[dict[str, Any]] = []
    if status != "pass" and samples_sql:
        cap = int(cfg.general["failing_rows_cap"])
        failing_rows = rows(ctx.con, f"SELECT * FROM ({samples_sql}) LIMIT {cap}")
        ctx.failing_rows += [{"check_name": name, "row": r} for r in failing_rows]
        samples = failing_rows[: int(cfg.general["sample_rows"])]
    check = CheckResult(name, table, severity, status, metric, threshold, int(failing), message)
    check.samples = samples
    check.details = details or {}
    return check


def nm_expr(cfg: QualityConfig) -> str:
    codes = in_list(cfg.general["non_measurement_magnitudes"])
    return f"coalesce(upper(trim(magnitude)) IN {codes}, false)"


def filled(col: str, typ: str) -> str:
    if typ == "VARCHAR":
        return f"({col} IS NOT NULL AND trim({col}) <> '')"
    return f"({col} IS NOT NULL)"


def create_views(ctx: Ctx, uri: str) -> None:
    """The table and its measurement rows (non-measurement magnitudes and nulls left out)."""
    con = ctx.con
    src = f"read_parquet({lit(uri)})"
    ctx.columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    optional = ("magnitude", "qualifier", "indicator_description")
    fill = "".join(f", NULL::VARCHAR AS {c}" for c in optional if c not in ctx.columns)
    con.execute(f"CREATE OR REPLACE VIEW {ctx.view} AS SELECT *{fill} FROM {src}")


def create_measurement_view(ctx: Ctx) -> None:
    src = "source" if "source" in ctx.columns else f"{lit(ctx.table)}"
    ctx.con.execute(
        f"""CREATE OR REPLACE VIEW {ctx.meas} AS
        SELECT {src} AS source, indicator_id, country_id, year, value, qualifier
        FROM {ctx.view}
        WHERE value IS NOT NULL AND year IS NOT NULL AND indicator_id IS NOT NULL
          AND country_id IS NOT NULL AND NOT {nm_expr(ctx.cfg)} AND isfinite(value)"""
    )


def check_schema(ctx: Ctx) -> CheckResult:
    problems = []
    for col, types in REQUIRED.items():
        got = ctx.columns.get(col)
        if got is None:
            problems.append({"column": col, "problem": "missing", "expected": types[0]})
        elif got not in types:
            problems.append({"column": col, "problem": f"type {got}", "expected": types[0]})
    ctx.metric("schema", None, text=json.dumps(ctx.columns, sort_keys=True))
    msg = "; ".join(f"{p['column']}: {p['problem']}" for p in problems) or "columns as contracted"
    check = result(ctx, "schema", len(problems), len(problems), msg)
    check.samples = problems[: int(ctx.cfg.general["sample_rows"])]
    check.details = {"problems": problems}
    return check


def basic_stats(ctx: Ctx) -> dict[str, Any]:
    """Row counts of every kind in one scan of the table."""
    cfg, cols = ctx.cfg, ctx.columns
    crit = [c for c in cfg.general["critical_fields"] if c in cols]
    complete = " AND ".join(filled(c, cols[c]) for c in crit) or "true"
    empty = " OR ".join(f"NOT {filled(c, cols[c])}" for c in KEYS)
    nm = nm_expr(cfg)
    stats = rows(
        ctx.con,
        f"""SELECT count(*) AS rows,
          count(*) FILTER ({empty}) AS empty_keys,
          count(*) FILTER (NOT nm AND value IS NULL) AS null_values,
          count(*) FILTER (NOT nm) AS measurement_rows,
          count(*) FILTER ({complete}) AS complete_rows,
          count(*) FILTER (nm) AS non_measurements,
          count(*) FILTER (nm AND value IS NOT NULL AND value <> 0) AS non_measurement_nonzero,
          count(DISTINCT indicator_id) AS indicators,
          count(DISTINCT country_id) AS countries,
          min(year) AS min_year, max(year) AS max_year
        FROM (SELECT *, {nm} AS nm FROM {ctx.view})""",
    )[0]
    ctx.stats = stats
    for name in ("rows", "indicators", "countries", "min_year", "max_year", "null_values"):
        ctx.metric(name, stats[name])
    ctx.metric("null_share", stats["null_values"] / max(stats["measurement_rows"], 1))
    return stats


def materialize(ctx: Ctx, name: str, sql: str) -> str:
    """Keep a grouped result so the check's counts and samples share one scan of the table."""
    table = f"{ctx.view}_{name}"
    ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}")
    return table


def check_duplicates(ctx: Ctx) -> CheckResult:
    dup = materialize(
        ctx,
        "dup",
        f"""SELECT indicator_id, country_id, year, count(*) AS n FROM {ctx.view}
        GROUP BY ALL HAVING count(*) > 1""",
    )
    keys, extra = ctx.con.execute(f"SELECT count(*), coalesce(sum(n - 1), 0) FROM {dup}").fetchone()
    ctx.metric("duplicate_keys", keys)
    ctx.metric("duplicate_extra_rows", extra)
    msg = f"{keys} duplicated keys, {extra} extra rows on (indicator_id, country_id, year)"
    return result(
        ctx,
        "duplicates",
        extra,
        extra,
        msg,
        f"SELECT * FROM {dup} ORDER BY n DESC, indicator_id, country_id, year",
        {"duplicate_keys": keys},
    )


def check_empty_keys(ctx: Ctx) -> CheckResult:
    n = ctx.stats["empty_keys"]
    empty = " OR ".join(f"NOT {filled(c, ctx.columns[c])}" for c in KEYS)
    sql = f"SELECT * FROM {ctx.view} WHERE {empty}"
    return result(ctx, "empty_keys", n, n, f"{n} rows with a blank key", sql)


def check_null_values(ctx: Ctx) -> CheckResult:
    n, base = ctx.stats["null_values"], max(ctx.stats["measurement_rows"], 1)
    sql = f"SELECT * FROM {ctx.view} WHERE value IS NULL AND NOT {nm_expr(ctx.cfg)}"
    return result(ctx, "null_values", n / base, n, f"{n} measurement rows without a value", sql)


def check_completeness(ctx: Ctx) -> CheckResult:
    total = max(ctx.stats["rows"], 1)
    share = ctx.stats["complete_rows"] / total if ctx.stats["rows"] else 1.0
    bad = ctx.stats["rows"] - ctx.stats["complete_rows"]
    ctx.metric("completeness", share)
    crit = [c for c in ctx.cfg.general["critical_fields"] if c in ctx.columns]
    cond = " OR ".join(f"NOT {filled(c, ctx.columns[c])}" for c in crit) or "false"
    msg = f"{share:.2%} of rows have every critical field ({', '.join(crit)})"
    return result(ctx, "completeness", share, bad, msg, f"SELECT * FROM {ctx.view} WHERE {cond}")


def check_non_measurements(ctx: Ctx) -> CheckResult:
    by_code = rows(
        ctx.con,
        f"""SELECT upper(trim(magnitude)) AS magnitude, count(*) AS n
        FROM {ctx.view} WHERE {nm_expr(ctx.cfg)} GROUP BY 1 ORDER BY 1""",
    )
    for r in by_code:
        ctx.metric(f"magnitude_{r['magnitude'].lower()}", r["n"])
    n, bad = ctx.stats["non_measurements"], ctx.stats["non_measurement_nonzero"]
    codes = ", ".join(f"{r['magnitude']}={r['n']}" for r in by_code)
    msg = (
        f"{n} rows are not measurements ({codes}; excluded from statistics and anomalies); "
        f"{bad} of them carry a non-zero value"
    )
    sql = f"SELECT * FROM {ctx.view} WHERE {nm_expr(ctx.cfg)} AND value IS NOT NULL AND value <> 0"
    details = {"by_magnitude": {r["magnitude"]: r["n"] for r in by_code}, "rows": n}
    return result(ctx, "non_measurements", bad, bad, msg, sql, details)


def register_overrides(ctx: Ctx, check: str, key: str, default: float) -> str:
    """Per-indicator overrides of one setting as a temp table (indicator_id, v)."""
    name = f"_ovr_{check}_{key}"
    ovr = ctx.cfg.indicator_overrides(check, key)
    values = ", ".join(f"({lit(k)}, {float(v)})" for k, v in ovr.items())
    body = (
        f"SELECT * FROM (VALUES {values}) t(indicator_id, v)"
        if ovr
        else ("SELECT CAST(NULL AS VARCHAR) AS indicator_id, CAST(NULL AS DOUBLE) AS v WHERE false")
    )
    ctx.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {body}")
    return f"(SELECT indicator_id, coalesce(v, {float(default)}) AS v FROM {name})"


def check_series_holes(ctx: Ctx) -> CheckResult:
    default = float(ctx.cfg.get("series_holes", "cadence_years", ctx.table, 1))
    ovr = register_overrides(ctx, "series_holes", "cadence_years", default)
    series = materialize(
        ctx,
        "series",
        f"""SELECT s.*, greatest(CAST(floor((hi - lo) / cad) AS BIGINT) + 1 - n, 0) AS holes,
          CAST(floor((hi - lo) / cad) AS BIGINT) + 1 AS expected
        FROM (SELECT m.indicator_id, m.country_id, min(year) AS lo, max(year) AS hi,
                count(DISTINCT year) AS n, coalesce(any_value(o.v), {default}) AS cad
              FROM {ctx.view} m LEFT JOIN {ovr} o USING (indicator_id)
              WHERE year IS NOT NULL GROUP BY m.indicator_id, m.country_id) s""",
    )
    holes, expected = ctx.con.execute(
        f"SELECT coalesce(sum(holes), 0), coalesce(sum(expected), 0) FROM {series}"
    ).fetchone()
    share = holes / expected if expected else 0.0
    ctx.metric("series_holes", holes)
    msg = f"{holes} years missing inside country series ({share:.2%} of expected years)"
    sql = f"SELECT * FROM {series} WHERE holes > 0 ORDER BY holes DESC, indicator_id, country_id"
    return result(ctx, "series_holes", share, holes, msg, sql)


def check_freshness_year(ctx: Ctx) -> CheckResult:
    default = ctx.cfg.threshold("freshness_year", ctx.table)
    ovr = register_overrides(ctx, "freshness_year", "threshold", default)
    ref_year = ctx.now.year
    per_ind = materialize(
        ctx,
        "fresh",
        f"""SELECT m.indicator_id, max(year) AS latest_year,
          {ref_year} - max(year) AS lag_years, coalesce(any_value(o.v), {default}) AS max_lag
        FROM {ctx.meas} m LEFT JOIN {ovr} o USING (indicator_id) GROUP BY m.indicator_id""",
    )
    latest, stale = ctx.con.execute(
        f"SELECT max(latest_year), count(*) FILTER (lag_years > max_lag) FROM {per_ind}"
    ).fetchone()
    lag = None if latest is None else ref_year - latest
    ctx.metric("latest_year", latest)
    ctx.metric("stale_indicators", stale)
    msg = f"latest year {latest} ({lag} years before {ref_year}); {stale} indicators stale"
    sql = f"SELECT * FROM {per_ind} WHERE lag_years > max_lag ORDER BY lag_years DESC, indicator_id"
    check = result(ctx, "freshness_year", lag, stale, msg, sql)
    if check.status == "pass" and stale:
        check = result(ctx, "freshness_year", lag, stale, msg, sql, force_status="warn")
    return check


def check_unlabelled(ctx: Ctx) -> CheckResult:
    if "indicator_description" not in ctx.columns:
        return result(ctx, "unlabelled_indicators", None, 0, "no description column")
    per_ind = materialize(
        ctx,
        "unlabelled",
        f"""SELECT indicator_id, count(*) AS rows FROM {ctx.view}
        WHERE indicator_id IS NOT NULL GROUP BY indicator_id
        HAVING count(*) FILTER ({filled("indicator_description", "VARCHAR")}) = 0""",
    )
    n = ctx.con.execute(f"SELECT count(*) FROM {per_ind}").fetchone()[0]
    sql = f"SELECT * FROM {per_ind} ORDER BY indicator_id"
    return result(ctx, "unlabelled_indicators", n, n, f"{n} indicator ids without a label", sql)
