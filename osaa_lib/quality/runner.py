"""`run_checks`: every check, the anomaly methods and the profile over the published tables,
recorded in the lake's quality history (passes included) unless `record=False`."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, keys, open_lake
from osaa_lib.quality import anomalies, checks, history, inputs, integrity
from osaa_lib.quality.accept import apply_to_anomalies, apply_to_checks, load_marks
from osaa_lib.quality.config import QualityConfig, load_config
from osaa_lib.quality.model import Anomaly, CheckResult, Kpi, Metric, QualityResult
from osaa_lib.quality.profile import profile_tables

if TYPE_CHECKING:
    import duckdb

KPI_METRICS = (
    "rows",
    "indicators",
    "countries",
    "min_year",
    "max_year",
    "null_share",
    "duplicate_keys",
)
ANOMALY_COLS = (
    "source, indicator_id, country_id, year, value, method, score, expected, priority, "
    "annotation, accepted, accept_reason"
)


def _previous_metrics(
    con: duckdb.DuckDBPyConnection, lake: Lake, settings: Settings, prev: str | None
) -> dict[str, dict[str, Metric]]:
    out: dict[str, dict[str, Metric]] = {}
    if prev is None:
        return out
    for r in history.read_run_table(con, lake, settings, "dq_metrics", prev):
        if r["indicator_id"] is None:
            out.setdefault(r["source"], {})[r["metric"]] = Metric(
                r["source"], r["metric"], r["value"], None, r["text"]
            )
    return out


def _table_checks(
    ctx: checks.Ctx, settings: Settings, lake: Lake, vintage_diffs: dict[str, Any]
) -> tuple[list[CheckResult], Any]:
    out = [checks.check_schema(ctx)]
    if any(p["column"] in checks.KEYS + ("value",) for p in out[0].details["problems"]):
        return out + [integrity.check_schema_change(ctx)], None
    checks.create_measurement_view(ctx)
    checks.basic_stats(ctx)
    out += [
        checks.check_duplicates(ctx),
        checks.check_empty_keys(ctx),
        checks.check_null_values(ctx),
        checks.check_completeness(ctx),
        checks.check_non_measurements(ctx),
        checks.check_series_holes(ctx),
        checks.check_freshness_year(ctx),
        checks.check_unlabelled(ctx),
        integrity.check_unknown_countries(ctx),
        integrity.check_aggregates(ctx),
    ]
    coverage_check, coverage = integrity.check_africa_coverage(ctx)
    for rec in coverage.select(
        ["indicator_id", "countries", "africa_share", "last_year"]
    ).to_pylist():
        for name in ("countries", "africa_share", "last_year"):
            ctx.metric(name, rec[name], indicator=rec["indicator_id"])
    out += [coverage_check, integrity.check_volume_change(ctx), integrity.check_schema_change(ctx)]
    is_source = ctx.table != inputs.MASTER
    record = inputs.ingest_record(settings, lake, ctx.table) if is_source else None
    out.append(integrity.check_parse_failures(ctx, record))
    sources = [ctx.table] if is_source else sorted(inputs.source_keys(settings, lake))
    updated = [u for u in (inputs.source_updated_at(settings, lake, s) for s in sources) if u]
    out.append(
        integrity.check_publication_lag(
            ctx, max(updated) if updated else None, inputs.published_at(settings, lake, ctx.table)
        )
    )
    if is_source:
        out.append(integrity.check_vanished(ctx, vintage_diffs.get(ctx.table)))
    return out, coverage


def _anomaly_check(ctx: checks.Ctx, con: duckdb.DuckDBPyConnection) -> CheckResult:
    where = "" if ctx.table == inputs.MASTER else f"AND source = {checks.lit(ctx.table)}"
    n = con.execute(
        f"""SELECT count(DISTINCT (source, indicator_id, country_id, year)) FROM {anomalies.TABLE}
        WHERE annotation IS NULL AND NOT accepted {where}"""
    ).fetchone()[0]
    base = max(ctx.stats.get("measurement_rows", 0) - ctx.stats.get("null_values", 0), 1)
    ctx.metric("anomalies", n)
    # one failing row per value alarmed, its methods together, as the check counts them
    sql = f"""SELECT source, indicator_id, country_id, year, any_value(value) AS value,
          string_agg(method, ', ' ORDER BY method) AS methods, max(priority) AS priority
        FROM {anomalies.TABLE} WHERE annotation IS NULL AND NOT accepted {where}
        GROUP BY source, indicator_id, country_id, year
        ORDER BY priority DESC, indicator_id, country_id, year"""
    msg = f"{n} values alarmed by the anomaly methods ({n / base:.2%} of measurements)"
    return checks.result(ctx, "anomalies", n / base, n, msg, sql)


def _kpis(metrics: list[Metric], prev: dict[str, dict[str, Metric]]) -> list[Kpi]:
    out = []
    for m in metrics:
        if m.indicator_id is None and m.metric in KPI_METRICS:
            p = prev.get(m.source, {}).get(m.metric)
            out.append(Kpi(m.source, m.metric, m.value, p.value if p else None))
    return out


def run_checks(
    settings: Settings,
    sources: list[str] | None = None,
    lake: Lake | None = None,
    run_id: str | None = None,
    tables: dict[str, str] | None = None,
    now: datetime | None = None,
    record: bool = True,
    config: QualityConfig | Path | None = None,
    vintages: bool = True,
    max_anomalies: int | None = None,
) -> QualityResult:
    """Check the published tables of these settings (or `tables`: name -> Parquet URI).

    Returns every result; with `record` (the default) the run is also appended to the lake's
    quality history. Never raises for failed checks: callers act on `.gate_failed`.
    `max_anomalies` caps the anomalies listed in the result (None: the configured
    `max_listed`; 0: all of them); the history always keeps every flag.
    """
    from osaa_lib.db import connect

    started = time.perf_counter()
    lake = lake or open_lake(settings)
    now = now or datetime.now(UTC)
    run_id = run_id or keys.new_run_id()
    cfg = config if isinstance(config, QualityConfig) else load_config(settings, config)
    tables = tables or inputs.published_tables(settings, lake, sources)
    con = connect(settings)
    try:
        integrity.load_reference(con, inputs.reference_uri(settings, lake))
        prev_id = history.previous_run_id(lake, settings)
        prev = _previous_metrics(con, lake, settings, prev_id)
        marks = load_marks(con, lake, settings)
        diffs: dict[str, Any] = {}
        if vintages:
            from osaa_lib.quality.vintages import latest_diff

            for name in tables:
                if name != inputs.MASTER:
                    diffs[name] = latest_diff(settings, name, lake=lake, con=con)
        results: list[CheckResult] = []
        metrics: list[Metric] = []
        failing_rows: list[dict[str, Any]] = []
        coverage = []
        ctxs: dict[str, checks.Ctx] = {}
        for i, (name, uri) in enumerate(tables.items()):
            ctx = checks.Ctx(con, cfg, name, f"_dq_t{i}", now, previous=prev.get(name, {}))
            try:
                checks.create_views(ctx, uri)
            except Exception as exc:  # noqa: BLE001 - a damaged table is named, not a trace
                from osaa_lib.errors import LakeError

                problem = " ".join(str(exc).split()).split(" LINE 1:")[0]
                raise LakeError(f"cannot read the published table {name}: {problem}") from None
            found, cov = _table_checks(ctx, settings, lake, diffs)
            results += found
            if cov is not None:
                coverage.append(cov)
                ctxs[name] = ctx
        scope = [ctxs[inputs.MASTER]] if inputs.MASTER in ctxs else list(ctxs.values())
        union = " UNION ALL ".join(f"SELECT * FROM {c.meas}" for c in scope) or None
        if union:
            con.execute(f"CREATE OR REPLACE TEMP VIEW _dq_meas_all AS {union}")
            anomalies.compute(con, "_dq_meas_all", cfg)
        else:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {anomalies.TABLE} AS "
                f"SELECT * FROM ({history._empty_select('dq_anomalies')})"
            )
        apply_to_anomalies(con, anomalies.TABLE, marks)
        for ctx in ctxs.values():
            results.append(_anomaly_check(ctx, con))
        for ctx in ctxs.values():
            metrics += ctx.metrics
            failing_rows += [{**r, "source": ctx.table} for r in ctx.failing_rows]
        apply_to_checks(con, results, marks)
        profile = profile_tables(con, {n: c.view for n, c in ctxs.items()}, cfg)
        listed = int(cfg.anomaly("max_listed") if max_anomalies is None else max_anomalies)
        top = checks.rows(
            con,
            f"SELECT {ANOMALY_COLS} FROM {anomalies.TABLE} ORDER BY priority DESC, "
            f"indicator_id, country_id, year, method" + (f" LIMIT {listed}" if listed else ""),
        )
        result = QualityResult(
            run_id=run_id,
            run_at=now,
            target=settings.target,
            space=settings.space,
            tables=dict(tables),
            checks=results,
            anomalies=[Anomaly(**a) for a in top],
            metrics=metrics,
            profile=profile,
            kpis=_kpis(metrics, prev),
            coverage=_concat(coverage),
            previous_run_id=prev_id,
            vintage_diffs={k: v for k, v in diffs.items() if v is not None},
        )
        result.anomaly_count = con.execute(f"SELECT count(*) FROM {anomalies.TABLE}").fetchone()[0]
        result.duration_s = time.perf_counter() - started
        if record:
            _record(con, lake, settings, result, failing_rows)
        return result
    finally:
        con.close()


def _concat(tables: list[Any]) -> Any:
    if not tables:
        return None
    import pyarrow as pa

    return pa.concat_tables(tables, promote_options="permissive")


def _record(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    settings: Settings,
    result: QualityResult,
    failing_rows: list[dict[str, Any]],
) -> None:
    """Append this run to the history: details first, dq_runs last (it marks the run complete)."""
    rid, at = result.run_id, result.run_at.astimezone(UTC).replace(tzinfo=None)
    base = {"run_id": rid, "run_at": at}
    history.write_rows(
        con,
        lake,
        settings,
        "dq_check_results",
        rid,
        [
            {
                **base,
                "check_name": c.name,
                **{
                    k: getattr(c, k)
                    for k in (
                        "source",
                        "severity",
                        "status",
                        "metric",
                        "threshold",
                        "failing_count",
                        "message",
                        "accepted",
                        "accept_reason",
                    )
                },
            }
            for c in result.checks
        ],
    )
    history.write_rows(
        con,
        lake,
        settings,
        "dq_metrics",
        rid,
        [
            {
                **base,
                "source": m.source,
                "indicator_id": m.indicator_id,
                "metric": m.metric,
                "value": m.value,
                "text": m.text,
            }
            for m in result.metrics
        ],
    )
    counters: dict[tuple[str, str], int] = {}
    fr = []
    for r in failing_rows:
        k = (r["check_name"], r["source"])
        counters[k] = counters.get(k, 0) + 1
        fr.append(
            {
                **base,
                "check_name": k[0],
                "source": k[1],
                "row_number": counters[k],
                "row_json": json.dumps(r["row"], default=str, sort_keys=True),
            }
        )
    history.write_rows(con, lake, settings, "dq_failing_rows", rid, fr)
    ts = at.isoformat(sep=" ")
    history.write_query(
        con,
        lake,
        settings,
        "dq_anomalies",
        rid,
        f"SELECT '{rid}' AS run_id, TIMESTAMP '{ts}' AS run_at, * FROM {anomalies.TABLE}",
    )
    counts = result.counts
    history.write_rows(
        con,
        lake,
        settings,
        "dq_runs",
        rid,
        [
            {
                **base,
                "target": result.target,
                "space": result.space,
                "tables": json.dumps(sorted(result.tables)),
                "n_checks": len(result.checks),
                "n_pass": counts["pass"],
                "n_warn": counts["warn"],
                "n_fail": counts["fail"],
                "n_anomalies": result.anomaly_count,
                "gate_failed": result.gate_failed,
                "duration_s": result.duration_s,
            }
        ],
    )
    result.saved = True


def save(result: QualityResult, settings: Settings, lake: Lake | None = None) -> None:
    """Nothing to do when run_checks recorded the run; refuses to record a run twice."""
    if result.saved:
        return
    from osaa_lib.errors import OsaaError

    raise OsaaError(
        f"run {result.run_id} was made with record=False; run it again with record=True to keep it"
    )
