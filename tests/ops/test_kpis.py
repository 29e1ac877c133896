"""KPIs on run histories built by hand, and completeness on a real Parquet file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from osaa_lib.db import connect
from osaa_lib.lake import Lake, keys
from osaa_lib.lake.keys import new_run_id
from osaa_lib.ops import kpis
from osaa_lib.ops.runs import RunRecord, Stage, save

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WEEK_AGO = NOW - timedelta(days=7)


def run(
    command: str,
    hours_ago: float,
    status: str = "success",
    seconds: float = 60.0,
    target: str = "prod",
    stages: list[Stage] | None = None,
) -> RunRecord:
    start = NOW - timedelta(hours=hours_ago)
    end = start + timedelta(seconds=seconds)
    return RunRecord(
        new_run_id(start),
        command,
        {},
        "ops",
        "",
        target,
        target,
        "h",
        1,
        start.isoformat(),
        end.isoformat(),
        seconds,
        status,
        0 if status == "success" else 1,
        None if status == "success" else "boom",
        None,
        stages or [],
    )


def by_name(report: kpis.KpiReport) -> dict[str, kpis.Kpi]:
    return {k.name: k for k in report.kpis}


def test_runtime_takes_the_slowest_pipeline_run() -> None:
    history = [
        run("etl", 30, seconds=3600),
        run("etl", 20, seconds=9000),
        run("etl", 10, "failed", seconds=99999),
        run("ingest", 5, seconds=99999),
    ]
    k = by_name(kpis.compute(history, WEEK_AGO, NOW))["Pipeline runtime"]
    assert k.value == pytest.approx(2.5) and k.ok is False
    k = by_name(kpis.compute(history[:1], WEEK_AGO, NOW))["Pipeline runtime"]
    assert k.value == pytest.approx(1.0) and k.ok is True


@pytest.mark.parametrize(
    ("failed", "total", "rate", "ok"),
    [(0, 50, 0.0, True), (1, 200, 0.5, True), (2, 100, 2.0, False)],
)
def test_error_rate(failed: int, total: int, rate: float, ok: bool) -> None:
    history = [
        run("ingest", 1 + i * 0.5, "failed" if i < failed else "success") for i in range(total)
    ]
    history += [run("status", 1, "failed"), run("logs", 2, "failed")]  # monitoring: not counted
    history += [run("ingest", 24 * 8, "failed")]  # before the period
    report = kpis.compute(history, WEEK_AGO, NOW)
    k = by_name(report)["Error rate"]
    assert k.value == pytest.approx(rate) and k.ok is ok
    assert report.runs_total == total and report.runs_failed == failed


def test_error_rate_ignores_other_targets() -> None:
    history = [run("etl", 2, "failed", target="dev"), run("etl", 3, target="prod")]
    assert by_name(kpis.compute(history, WEEK_AGO, NOW, "prod"))["Error rate"].value == 0.0


def test_freshness_lag_from_update_to_publication() -> None:
    history = [
        run("etl", 24 * 19, seconds=600),  # published opri's old update before the period
        run("etl", 50, seconds=600),  # before the sdg update: does not count
        run("etl", 44, "failed"),  # failed publication: does not count
        run("etl", 40, seconds=3600),  # publishes sdg: lag = 8 h + 1 h
        run("ingest", 1),  # not a publishing command
    ]
    updates = {
        "sdg": [NOW - timedelta(hours=48)],
        "wdi": [NOW - timedelta(hours=30)],  # never published since: lag = 30 h
        "opri": [NOW - timedelta(days=20), NOW - timedelta(hours=45)],
    }
    report = kpis.compute(history, WEEK_AGO, NOW, source_updates=updates)
    assert report.freshness_by_source == pytest.approx({"sdg": 9.0, "wdi": 30.0, "opri": 6.0})
    k = by_name(report)["Data freshness"]
    assert k.value == pytest.approx(30.0) and k.ok is False and "wdi" in k.detail
    report = kpis.compute(history, WEEK_AGO, NOW, source_updates={"sdg": updates["sdg"]})
    assert by_name(report)["Data freshness"].ok is True
    late = kpis.compute(history[1:], WEEK_AGO, NOW, source_updates={"opri": updates["opri"]})
    assert late.freshness_by_source["opri"] == pytest.approx(20 * 24 - 50 + 600 / 3600)
    quiet = kpis.compute(
        history, NOW - timedelta(hours=12), NOW, source_updates={"sdg": updates["sdg"]}
    )
    assert quiet.freshness_by_source == {} and by_name(quiet)["Data freshness"].ok is None


def test_freshness_from_ingest_stage_metadata() -> None:
    stage = Stage("ingest sdg", extra={"source": "sdg", "source_modified": "2026-11-28T00:00Z"})
    history = [run("ingest", 30, stages=[stage])]
    assert kpis.source_updates_from_runs(history) == {"sdg": [datetime(2026, 11, 28, tzinfo=UTC)]}


def test_upload_success_from_stage_counts_then_commands() -> None:
    counted = [
        run("promote", 5, stages=[Stage("upload", uploads=10, upload_failures=1)]),
        run("etl", 4, stages=[Stage("publish", uploads=30)]),
    ]
    k = by_name(kpis.compute(counted, WEEK_AGO, NOW))["Upload success"]
    assert k.value == pytest.approx(97.5) and k.ok is False and "39 of 40" in k.detail
    commands = [run("promote", 5), run("promote", 4)]
    k = by_name(kpis.compute(commands, WEEK_AGO, NOW))["Upload success"]
    assert k.value == 100.0 and k.ok is True
    k = by_name(kpis.compute([run("ingest", 1)], WEEK_AGO, NOW))["Upload success"]
    assert k.value is None and k.ok is None and k.verdict == "no data"


def test_completeness_of_published_master_indicators(settings, lake: Lake) -> None:
    assert kpis.completeness_of(settings) == {}
    key = f"{keys.staging_prefix(settings)}/master/indicators.parquet"
    with lake.writing(key) as tmp, connect(settings) as con:
        con.execute(f"""COPY (
            SELECT 'I' || (i % 7) AS indicator_id,
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'KEN' END AS country_id,
                   2000 + i % 20 AS year,
                   CASE WHEN i % 4 = 0 THEN NULL ELSE i * 1.5 END AS value,
                   'x' AS magnitude, 'y' AS qualifier, 'd' AS indicator_description,
                   'sdg' AS source
            FROM range(1000) t(i)) TO '{tmp}' (FORMAT parquet)""")
    found = kpis.completeness_of(settings)
    assert found == pytest.approx(
        {"indicator_id": 100.0, "country_id": 90.0, "year": 100.0, "value": 75.0, "source": 100.0}
    )
    k = kpis.completeness_kpi(found)
    assert k.value == pytest.approx(93.0) and k.ok is False and "value 75.0" in k.detail


def test_collect_reads_history_from_the_lake(settings, lake: Lake) -> None:
    now = datetime.now(UTC)
    for hours, status in ((1, "success"), (2, "failed"), (24 * 10, "failed")):
        record = run("ingest", 0, status, target="dev")
        record.start = (now - timedelta(hours=hours)).isoformat()
        record.run_id = new_run_id(now - timedelta(hours=hours))
        save(lake, record)
    report, window = kpis.collect(settings, "week", now)
    assert len(window) == 2 and report.runs_failed == 1
    assert by_name(report)["Error rate"].value == pytest.approx(50.0)


def test_freshness_reads_real_ingest_manifests(settings, sample_raw, lake: Lake) -> None:
    import os

    from osaa_lib.ingest import ingest
    from osaa_lib.ops import runs

    updated = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    for csv in sample_raw.rglob("*.csv"):
        os.utime(csv, (updated.timestamp(), updated.timestamp()))
    ingest(settings, sources=["sdg", "wdi"])
    found = kpis.source_updates_from_manifests(settings)
    assert found == {"sdg": [updated], "wdi": [updated]}
    with runs.track(settings, "etl"):
        pass
    report, _ = kpis.collect(settings, "week")
    lags = report.freshness_by_source
    assert set(lags) == {"sdg", "wdi"} and 4.9 < lags["sdg"] < 5.2
    assert by_name(report)["Data freshness"].ok is True
