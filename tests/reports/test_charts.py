"""Every chart builds from aggregated tables and renders to SVG offline."""

from __future__ import annotations

import duckdb
import pytest

from osaa_lib.quality import chart_data
from osaa_lib.quality.model import Anomaly
from osaa_lib.reports import charts


@pytest.fixture(scope="module")
def master(tmp_path_factory):
    from tests.quality.synth import make_master

    path = tmp_path_factory.mktemp("charts") / "master.parquet"
    planted = make_master(path, indicators=8)
    return path, planted


def _svg(chart) -> str:
    svg = charts.to_svg(chart)
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "http://" not in svg.replace("http://www.w3.org", "")
    return svg


def test_coverage_heatmap(master):
    path, _ = master
    data = chart_data.coverage_by_year(duckdb.connect(), str(path), max_indicators=5)
    assert data.num_rows == 5 * 34
    svg = _svg(charts.coverage_heatmap(data))
    assert "IND.0000" in svg


def test_completeness_freshness_history_revisions():
    _svg(charts.completeness_by_source([{"source": "sdg", "completeness": 0.97},
                                        {"source": "wdi", "completeness": 0.90}]))  # fmt: skip
    _svg(charts.freshness_bars([{"name": "sdg", "lag_years": 2}, {"name": "wdi", "lag_years": 5}]))
    hist = [{"run_id": f"r{i}", "source": "sdg", "check_name": "duplicates",
             "status": ("pass", "warn", "fail")[i % 3]} for i in range(6)]  # fmt: skip
    assert "duplicates" in _svg(charts.check_history(hist))
    revised = [{"log10_rel_change": x, "revisions": n} for x, n in ((-2.0, 10), (0.5, 2))]
    _svg(charts.revisions_histogram(revised, "sdg"))


def test_anomaly_small_multiples(master):
    path, planted = master
    anomalies = [
        Anomaly("sdg", i, c, y, 1.0, "hb", 50.0, 1.0, 5.0) for i, c, y in planted.outliers[:4]
    ]
    data = chart_data.anomaly_series(duckdb.connect(), str(path), anomalies)
    assert sum(r["flagged"] for r in data) == len(anomalies)
    assert all(r["lower"] <= r["upper"] for r in data)
    svg = _svg(charts.anomaly_small_multiples(data))
    assert f"{planted.outliers[0][0]} · {planted.outliers[0][1]}" in svg


def test_refuses_unaggregated_data():
    rows = [{"indicator_id": "x", "year": i, "countries": 1} for i in range(6000)]
    with pytest.raises(ValueError, match="aggregate in DuckDB first"):
        charts.coverage_heatmap(rows)
    with pytest.raises(ValueError, match="missing column"):
        charts.freshness_bars([{"name": "sdg"}])


def test_empty_tables_still_render():
    _svg(charts.coverage_heatmap([]))
    _svg(charts.anomaly_small_multiples([]))
