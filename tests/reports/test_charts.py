"""Every chart builds from aggregated tables and renders to SVG offline."""

from __future__ import annotations

import pytest

from osaa_lib.reports import charts


def _svg(chart) -> str:
    svg = charts.to_svg(chart)
    assert svg.startswith("<svg") and "</svg>" in svg
    assert "http://" not in svg.replace("http://www.w3.org", "")
    return svg


def test_completeness_freshness_revisions():
    _svg(charts.completeness_by_source([{"source": "sdg", "completeness": 0.97},
                                        {"source": "wdi", "completeness": 0.90}]))  # fmt: skip
    _svg(charts.freshness_bars([{"name": "sdg", "lag_years": 2}, {"name": "wdi", "lag_years": 5}]))
    revised = [{"log10_rel_change": x, "revisions": n} for x, n in ((-2.0, 10), (0.5, 2))]
    _svg(charts.revisions_histogram(revised, "sdg"))


def test_refuses_unaggregated_data():
    rows = [{"name": f"x{i}", "lag_years": 1} for i in range(6000)]
    with pytest.raises(ValueError, match="aggregate in DuckDB first"):
        charts.freshness_bars(rows)
    with pytest.raises(ValueError, match="missing column"):
        charts.freshness_bars([{"name": "sdg"}])


def test_empty_tables_still_render():
    _svg(charts.completeness_by_source([]))
    _svg(charts.freshness_bars([]))
