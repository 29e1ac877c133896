"""Report building blocks: escaping, formatting, self-contained pages, the runs index."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from osaa_lib import reports
from osaa_lib.reports import sections as rs

HOSTILE = '<script>alert(1)</script>"&'


def test_table_escapes_data_but_keeps_markup() -> None:
    html = reports.table(
        [{"label": HOSTILE, "badge": reports.badge("warn"), "value": 1234.5, "year": 2020.0}]
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&amp;" in html  # markupsafe writes " as &#34;
    assert '<span class="badge warn">warn</span>' in html
    assert ">1,234.5<" in html and ">2020<" in html


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (float("nan"), "—"), (3, "3"), (1234567, "1,234,567"), (0.25, "0.25"),
     (True, "yes"), ("<b>", "&lt;b&gt;")],
)  # fmt: skip
def test_fmt(value, text) -> None:
    assert reports.fmt(value) == text


def test_delta_wording() -> None:
    assert reports.delta(5, None) == "first run"
    assert reports.delta(5, 5) == "no change"
    assert reports.delta(7, 5) == "+2 since last run"
    assert reports.delta(3, 5) == "−2 since last run"


def test_page_is_self_contained() -> None:
    html = reports.page(HOSTILE, "<p>body</p>", subtitle=HOSTILE, error=HOSTILE)
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)
    assert html.count("&lt;script&gt;") == 4  # title, heading, subtitle, error banner


def test_svg_renders_charts_inline_without_scripts() -> None:
    spec = {"data": {"values": [{"x": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "x", "type": "quantitative"}}}  # fmt: skip
    html = rs.vega(spec, HOSTILE)
    assert html.startswith('<figure class="chart"><svg') and "<script" not in html
    assert "&lt;script&gt;" in html


@dataclass
class _File:
    path: str
    rows: int


@dataclass
class _Result:
    files: list[_File] = field(default_factory=list)
    vintages: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def test_describe_shows_any_result_escaped() -> None:
    html = reports.describe(_Result([_File(HOSTILE, 3)], {"sdg": "v1"}, 1.5))
    assert "<h3>files</h3>" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "sdg: v1" in html
    assert reports.jsonable(_Result([_File("a", 1)])) == {
        "files": [{"path": "a", "rows": 1}], "vintages": {}, "seconds": 0.0,
    }  # fmt: skip


def test_index_merges_run_summaries_newest_first(make_settings) -> None:
    settings = make_settings()
    for run_id, started, status in (("r1", "2026-11-01T05:30:00", "success"),
                                    ("r2", "2026-11-02T05:30:00", "quality_failed")):  # fmt: skip
        folder = settings.reports_dir / run_id
        folder.mkdir(parents=True)
        (folder / "quality_report.html").write_text("x")
        (folder / "run.json").write_text(json.dumps({
            "run_id": run_id, "started": started, "status": status, "target": "dev",
            "space": "dev_tester", "counts": {"pass": 3, "warn": 1, "fail": int(run_id == "r2")},
        }))  # fmt: skip
    path = reports.write_index(settings)
    html = path.read_text()
    assert path == settings.reports_dir / "index.html"
    assert html.index("r2/quality_report.html") < html.index("r1/quality_report.html")
    assert 'class="badge quality_failed"' in html and 'class="badge success"' in html
    assert "<script" not in html


def test_index_without_runs(make_settings) -> None:
    html = reports.write_index(make_settings()).read_text()
    assert "No runs yet" in html


def test_explorer_regions_match_the_country_reference() -> None:
    from osaa_lib.notebooks import explore
    from osaa_lib.transform.reference import country_rows

    built = [r for r in country_rows() if r["is_africa"] and not r["is_aggregate"]]
    regions = explore.regions()
    assert regions["Africa"] == sorted(r["iso3"] for r in built)
    assert set(regions) >= {"Northern Africa", "Eastern Africa", "Middle Africa",
                            "Southern Africa", "Western Africa"}  # fmt: skip
    assert "NGA" in regions["Western Africa"] and "NAM" in regions["Southern Africa"]


def test_vintage_section_shows_counts_revisions_and_their_histogram() -> None:
    from osaa_lib.quality.vintages import VintageDiff

    diff = VintageDiff(
        "sdg", "v1", "v2", added=3, removed=1, revised=2, unchanged=10,
        largest=[{"indicator_id": HOSTILE, "country_id": "NGA", "year": 2020, "old": 1.0,
                  "new": 10.0}],
        histogram=[{"log10_rel_change": 0.0, "revisions": 1},
                   {"log10_rel_change": 1.0, "revisions": 1}],
    )  # fmt: skip
    html = rs.vintage_section({"sdg": diff})
    assert "<svg" in html and "Largest revisions: sdg" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert rs.vintage_section({}).count("nothing to compare yet") == 1
