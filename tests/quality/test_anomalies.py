"""Anomaly methods: accuracy on planted outliers, annotations, the MAD = 0 guard, HB spikes."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from osaa_lib.quality.anomalies import compute
from osaa_lib.quality.config import load_config

CFG = load_config(path=Path(__file__).resolve().parents[2] / "quality.toml")


def _flagged(con: duckdb.DuckDBPyConnection, alarmed: bool = True) -> set[tuple]:
    cond = "annotation IS NULL" if alarmed else "annotation IS NOT NULL"
    return set(
        con.execute(
            f"SELECT DISTINCT indicator_id, country_id, year FROM _dq_anomalies WHERE {cond}"
        ).fetchall()
    )


def _meas(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        f"""CREATE VIEW m AS SELECT source, indicator_id, country_id, year, value, qualifier
        FROM read_parquet('{path}') WHERE value IS NOT NULL
          AND coalesce(upper(magnitude) IN ('NA', 'NIL'), false) = false"""
    )


def test_accuracy_on_planted_outliers(synth):
    folder, planted = synth
    con = duckdb.connect()
    _meas(con, folder / "master.parquet")
    compute(con, "m", CFG)
    alarmed = _flagged(con)
    outliers = set(planted.outliers)
    recall = len(alarmed & outliers) / len(outliers)
    false_share = len(alarmed - outliers) / (planted.measurement_values - len(outliers))
    assert recall >= 0.95, recall
    assert false_share <= 0.01, false_share
    # the robust methods alone are far more precise than the runbook's z-score
    robust = set(
        con.execute(
            "SELECT DISTINCT indicator_id, country_id, year FROM _dq_anomalies "
            "WHERE annotation IS NULL AND method IN ('robust_z', 'hb')"
        ).fetchall()
    )
    assert len(robust & outliers) == len(outliers)
    assert len(robust - outliers) / planted.measurement_values <= 0.001


def test_estimates_are_annotated_not_alarmed(synth):
    folder, planted = synth
    con = duckdb.connect()
    _meas(con, folder / "master.parquet")
    compute(con, "m", CFG)
    annotated = _flagged(con, alarmed=False)
    assert set(planted.estimate_outliers) <= annotated
    assert not set(planted.estimate_outliers) & _flagged(con)
    low = con.execute(
        "SELECT max(priority) FROM _dq_anomalies WHERE annotation = 'estimate'"
    ).fetchone()[0]
    high = con.execute(
        "SELECT min(priority) FROM _dq_anomalies WHERE annotation IS NULL AND method = 'hb'"
    ).fetchone()[0]
    assert low < high


def _series(con: duckdb.DuckDBPyConnection, values: dict[str, list[float]]) -> None:
    rows = [
        f"('s', '{ind}', '{c}', {2000 + y}, {v}, NULL)"
        for ind, series in values.items()
        for c, vs in [(f"C{k}", series) for k in range(1)]
        for y, v in enumerate(vs)
    ]
    con.execute(
        "CREATE OR REPLACE TABLE m AS SELECT * FROM (VALUES "
        + ", ".join(rows)
        + ") t(source, indicator_id, country_id, year, value, qualifier)"
    )
    con.execute("ALTER TABLE m ALTER qualifier TYPE VARCHAR; ALTER TABLE m ALTER value TYPE DOUBLE")


def test_constant_series_mad_zero_guard():
    con = duckdb.connect()
    _series(con, {"FLAT": [5.0] * 12, "ONE": [5.0] * 6 + [50.0] + [5.0] * 5})
    compute(con, "m", CFG)
    got = con.execute(
        "SELECT indicator_id, year, method, expected FROM _dq_anomalies "
        "WHERE method = 'robust_z' ORDER BY ALL"
    ).fetchall()
    assert [g[:3] for g in got] == [("ONE", 2006, "robust_z")]
    assert got[0][3] == pytest.approx(5.0)


def test_trend_is_not_an_anomaly_but_a_spike_is():
    con = duckdb.connect()
    noise = [0.004, -0.006, 0.01, -0.002, 0.0, 0.007, -0.009, 0.003, -0.004, 0.006]
    trend = [100 * 1.08**i * (1 + noise[i % 10]) for i in range(20)]
    spike = list(trend)
    spike[10] *= 6
    _series(con, {"TREND": trend, "SPIKE": spike})
    compute(con, "m", CFG)
    got = con.execute(
        "SELECT DISTINCT indicator_id, year FROM _dq_anomalies WHERE method = 'robust_z'"
    ).fetchall()
    assert got == [("SPIKE", 2010)]


def test_hb_flags_the_spike_not_the_return(synth):
    folder, planted = synth
    con = duckdb.connect()
    _meas(con, folder / "master.parquet")
    compute(con, "m", CFG)
    hb = set(
        con.execute(
            "SELECT indicator_id, country_id, year FROM _dq_anomalies WHERE method = 'hb' "
            "AND annotation IS NULL"
        ).fetchall()
    )
    outliers = set(planted.outliers)
    assert hb == outliers
    after = {(i, c, y + 1) for i, c, y in outliers}
    assert not hb & after


@pytest.mark.parametrize("qualifier,annotation", [("UIS_EST", "estimate"), ("BREAK", "break")])
def test_qualifiers_annotate(qualifier, annotation):
    con = duckdb.connect()
    _series(con, {"Q": [10.0 + (i % 3) * 0.1 for i in range(15)]})
    con.execute(f"UPDATE m SET value = 100, qualifier = '{qualifier}' WHERE year = 2007")
    compute(con, "m", CFG)
    got = con.execute("SELECT DISTINCT annotation FROM _dq_anomalies WHERE year = 2007").fetchall()
    assert got == [(annotation,)]
