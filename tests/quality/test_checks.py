"""Checks over a published lake with planted defects: exact counts, statuses, the gate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from osaa_lib.errors import ConfigError, LakeError
from osaa_lib.lake import keys
from osaa_lib.quality import run_checks
from osaa_lib.quality.config import load_config

NOW = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.fixture
def result(settings, published):
    return run_checks(settings, now=NOW)


def test_exact_counts_of_planted_defects(result, published):
    for table in ("sdg", "master"):
        dup = result.check("duplicates", table)
        assert dup.failing_count == published.duplicates
        assert dup.details["duplicate_keys"] == published.duplicates
        assert dup.samples and dup.samples[0]["n"] == 2
        assert result.check("null_values", table).failing_count == published.nulls
        nm = result.check("non_measurements", table)
        assert nm.details["rows"] == published.non_measurements
        assert set(nm.details["by_magnitude"]) == {"NA", "NIL"}
        assert nm.failing_count == 0
        unknown = result.check("unknown_countries", table)
        assert unknown.failing_count == published.unknown_rows
        assert unknown.samples[0]["country_id"] == "XXK"
        agg = result.check("aggregates", table)
        assert (agg.failing_count, agg.status) == (published.aggregate_rows, "pass")
        assert agg.details["codes"] == {"SSF": published.aggregate_rows}
        unl = result.check("unlabelled_indicators", table)
        assert [s["indicator_id"] for s in unl.samples] == published.unlabelled


def test_severities_and_gate(result):
    assert result.check("duplicates", "master").status == "fail"
    assert result.check("duplicates", "sdg").status == "warn"
    assert result.check("completeness", "master").status == "pass"
    assert result.gate_failed
    assert [(c.source, c.name) for c in result.blocking] == [("master", "duplicates")]
    assert sum(result.counts.values()) == len(result.checks)


def test_completeness_below_95_percent_is_an_error(settings, make_settings, tmp_path):
    import duckdb

    base = Path(settings.lake_root) / keys.staging_prefix(settings) / "sources"
    base.mkdir(parents=True)
    duckdb.execute(
        f"""COPY (SELECT 'I1' AS indicator_id, 'KEN' AS country_id, (2000 + i)::INTEGER AS year,
              CASE WHEN i < 10 THEN NULL ELSE i::DOUBLE END AS value,
              NULL::VARCHAR AS magnitude, NULL::VARCHAR AS qualifier,
              'label' AS indicator_description FROM range(100) t(i))
            TO '{base / "opri.parquet"}' (FORMAT parquet)"""
    )
    r = run_checks(settings, now=NOW)
    comp = r.check("completeness", "opri")
    assert comp.metric == pytest.approx(0.90)
    assert (comp.status, comp.failing_count, comp.severity) == ("fail", 10, "error")
    assert r.gate_failed


def test_series_holes_and_freshness(settings, tmp_path):
    import duckdb

    base = Path(settings.lake_root) / keys.staging_prefix(settings) / "sources"
    base.mkdir(parents=True)
    duckdb.execute(
        f"""COPY (SELECT 'I' || (i % 2) AS indicator_id, 'KEN' AS country_id,
              (2000 + i // 2)::INTEGER AS year, 1.0::DOUBLE AS value, NULL::VARCHAR AS magnitude,
              NULL::VARCHAR AS qualifier, 'x' AS indicator_description
            FROM range(30) t(i) WHERE i // 2 NOT IN (3, 4, 9))
            TO '{base / "sdg.parquet"}' (FORMAT parquet)"""
    )
    r = run_checks(settings, now=NOW)
    holes = r.check("series_holes", "sdg")
    assert holes.failing_count == 6  # years 2003, 2004, 2009 in two series
    assert holes.samples[0]["holes"] == 3
    fresh = r.check("freshness_year", "sdg")
    assert fresh.metric == 2026 - 2014 and fresh.status == "warn" and fresh.failing_count == 2


def test_volume_and_schema_change_against_previous_run(settings, published, synth):
    import duckdb

    first = run_checks(settings, now=NOW)
    assert first.check("volume_change", "sdg").metric is None
    key = Path(settings.lake_root) / keys.staging_prefix(settings) / "sources" / "sdg.parquet"
    duckdb.execute(
        f"""COPY (SELECT * EXCLUDE (qualifier) REPLACE (year::BIGINT AS year)
              FROM read_parquet('{synth[0] / "sdg.parquet"}') WHERE indicator_id < 'IND.0020')
            TO '{key}' (FORMAT parquet)"""
    )
    second = run_checks(settings, now=NOW)
    assert second.previous_run_id == first.run_id
    vol = second.check("volume_change", "sdg")
    assert vol.status == "warn" and vol.metric == pytest.approx(0.5, abs=0.01)
    change = second.check("schema_change", "sdg")
    assert change.status == "fail" and change.severity == "error"
    assert {(s["column"], s["change"]) for s in change.samples} == {
        ("qualifier", "removed"),
        ("year", "type"),
    }
    assert second.check("schema", "sdg").status == "fail"  # qualifier is contracted
    kpi = {(k.source, k.name): k for k in second.kpis}
    assert kpi[("sdg", "indicators")].previous == 40 and kpi[("sdg", "indicators")].change == -20
    # a value column that is no longer numeric stops the table's other checks
    duckdb.execute(
        f"""COPY (SELECT * REPLACE (CAST(value AS VARCHAR) AS value)
              FROM read_parquet('{synth[0] / "sdg.parquet"}')) TO '{key}' (FORMAT parquet)"""
    )
    third = run_checks(settings, now=NOW)
    sdg = [c.name for c in third.checks if c.source == "sdg"]
    assert sdg == ["schema", "schema_change"]
    assert third.check("schema", "sdg").samples == [
        {"column": "value", "problem": "type VARCHAR", "expected": "DOUBLE"}
    ]
    assert third.gate_failed


def test_history_records_every_result(settings, published):
    import duckdb

    from osaa_lib.quality.history import attach_views

    r = run_checks(settings, now=datetime.now(UTC))
    con = duckdb.connect()
    attach_views(con, settings)
    n_checks = con.execute(
        "SELECT count(*) FROM data_quality.daily_checks WHERE check_date = CURRENT_DATE"
    ).fetchone()[0]
    assert n_checks == len(r.checks)
    assert con.execute("SELECT count(*) FROM data_quality.dq_anomalies").fetchone()[0] == (
        r.anomaly_count
    )
    run = con.execute("SELECT gate_failed, n_fail FROM data_quality.dq_runs").fetchone()
    assert run == (True, r.counts["fail"])
    rows = con.execute(
        "SELECT row_json FROM data_quality.dq_failing_rows WHERE check_name = 'duplicates' "
        "AND source = 'master' ORDER BY row_number"
    ).fetchall()
    assert len(rows) == 20  # capped per check
    assert json.loads(rows[0][0])["n"] == 2
    metrics = dict(
        con.execute(
            "SELECT metric, value FROM data_quality.dq_metrics WHERE source = 'sdg' "
            "AND metric IN ('rows', 'duplicate_keys')"
        ).fetchall()
    )
    assert metrics["duplicate_keys"] == published.duplicates


def test_source_selection_and_missing_tables(settings, published):
    r = run_checks(settings, sources=["sdg"], record=False, now=NOW)
    assert {c.source for c in r.checks} == {"sdg"}
    assert not r.saved
    with pytest.raises(LakeError, match="no published table for wdi"):
        run_checks(settings, sources=["wdi"], record=False)


def test_nothing_published(settings):
    with pytest.raises(LakeError, match="nothing published"):
        run_checks(settings)


def test_config_overrides_and_errors(tmp_path, settings, published):
    path = tmp_path / "q.toml"
    path.write_text(
        '[checks.duplicates]\nseverity = "warn"\nthreshold = 100\n'
        '[source.sdg.null_values]\nseverity = "error"\n'
    )
    cfg = load_config(path=path)
    r = run_checks(settings, config=cfg, record=False, now=NOW)
    assert r.check("duplicates", "master").status == "pass"
    assert r.check("null_values", "sdg").status == "fail"
    assert r.check("null_values", "master").status == "warn"
    path.write_text('[checks.duplicate]\nseverity = "warn"\n')
    with pytest.raises(ConfigError, match="unknown check 'duplicate'"):
        load_config(path=path)
    path.write_text('[checks.duplicates]\nseverity = "fatal"\n')
    with pytest.raises(ConfigError, match="use 'warn' or 'error'"):
        load_config(path=path)


def test_project_config_is_valid():
    from osaa_lib.quality.config import CHECKS

    cfg = load_config(path=Path(__file__).resolve().parents[2] / "quality.toml")
    assert set(cfg.checks) == set(CHECKS)
    assert cfg.threshold("completeness") == 0.95 and cfg.severity("completeness") == "error"
    assert cfg.severity("duplicates", "master") == "warn"  # sources' duplicates pass through


def test_empty_table_is_checked_without_errors(settings):
    import duckdb

    base = Path(settings.lake_root) / keys.staging_prefix(settings) / "sources"
    base.mkdir(parents=True)
    duckdb.execute(
        f"""COPY (SELECT 'I'::VARCHAR AS indicator_id, 'KEN'::VARCHAR AS country_id,
              2000::INTEGER AS year, 1.0::DOUBLE AS value, NULL::VARCHAR AS magnitude,
              NULL::VARCHAR AS qualifier, 'x'::VARCHAR AS indicator_description WHERE false)
            TO '{base / "sdg.parquet"}' (FORMAT parquet)"""
    )
    r = run_checks(settings, now=NOW)
    assert r.check("completeness", "sdg").status == "pass"
    assert r.check("freshness_year", "sdg").metric is None
    assert r.anomaly_count == 0 and not r.gate_failed
    assert r.profile.table("sdg")["rows"] == 0
