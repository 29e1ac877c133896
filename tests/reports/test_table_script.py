"""The page's table script in headless Chromium with no network: sorting, filtering, and text
from the data that stays text while the script reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import Markup

from osaa_lib import reports
from osaa_lib.reports import sections as rs

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.osaaXss=1"><script>window.osaaXss=2</script>'
SCRIPT = (Path(rs.__file__).parent / "templates" / "tables.js").read_text()


def _visible(page, box: str, column: str) -> list[str]:
    """The text of one column in the rows of a tools table the reader can see."""
    return page.evaluate(
        """([box, column]) => {
          const t = document.querySelectorAll('div.table-tools.ready')[box].querySelector('table');
          const col = [...t.tHead.rows[0].cells].findIndex(th => th.textContent.trim() === column);
          return [...t.tBodies[0].rows].filter(r => !r.hidden)
            .map(r => r.cells[col].textContent.trim());
        }""",
        [box, column],
    )


def _values_page(tmp_path: Path) -> Path:
    from osaa_lib.quality.model import CheckResult
    from osaa_lib.reports.values import AnomalyValues

    def value(country: str, group: str, score: float | None, year: int) -> dict:
        return {"source": "sdg", "indicator_id": f"CR.{year}", "country_id": country,
                "country": None, "country_group": group, "year": year, "value": 1.0,
                "expected": 2.0, "methods": ["robust_z"], "robust_z": score, "hb": None,
                "zscore": None, "label": HOSTILE, "annotation": None}  # fmt: skip

    rows = [value("NGA", "African countries", 1234.5, 2001), value("FRA", HOSTILE, None, 2002),
            value("GHA", "African countries", 0.00083, 2003), value("CHN", HOSTILE, -2.0, 2004),
            value("KEN", "African countries", 10.0, 2005)]  # fmt: skip
    values = AnomalyValues(5, 5, 5, {"African countries": 3, HOSTILE: 2}, {}, rows, [])
    checks = [CheckResult(n, HOSTILE if i % 2 else "sdg", "warn", s, None, 0, i, HOSTILE)
              for i, (n, s) in enumerate((("a", "warn"), ("b", "fail"), ("c", "pass"),
                                          ("d", "warn")))]  # fmt: skip
    body = Markup("").join([rs.checks_section(checks), rs.anomaly_section(values, [])])
    path = tmp_path / "tables.html"
    path.write_text(reports.page("tables", body))
    return path


def test_the_script_is_the_page_s_own_and_writes_no_markup() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "Function(", "fetch(", "XMLHttpRequest", "import(", "src", "href"):  # fmt: skip
        assert sink not in SCRIPT, sink
    assert "{{" not in SCRIPT and "{%" not in SCRIPT and "{#" not in SCRIPT  # inlined by Jinja


def test_sorting_orders_numbers_and_statuses_with_blanks_last(tmp_path, open_page) -> None:
    page = open_page(_values_page(tmp_path))
    assert page.locator("div.table-tools.ready").count() == 2, "a one-row table gets no tools"
    score = page.locator("div.table-tools.ready").nth(1).locator("th", has_text="robust z score")
    score.click()
    assert _visible(page, 1, "robust z score") == ["-2", "0.00083", "10", "1,234.5", "—"]
    score.click()
    assert _visible(page, 1, "robust z score") == ["1,234.5", "10", "0.00083", "-2", "—"]
    status = page.locator("div.table-tools.ready").nth(0).locator("th", has_text="status")
    status.click()
    assert _visible(page, 0, "status") == ["fail", "warn", "warn"]
    page.locator("div.table-tools.ready").nth(0).locator("th", has_text="failing").press("Enter")
    assert _visible(page, 0, "failing") == ["0", "1", "3"]


def test_filters_keep_text_from_the_data_as_text(tmp_path, open_page) -> None:
    page = open_page(_values_page(tmp_path))
    box = page.locator("div.table-tools.ready").nth(1)
    group = box.locator("select[aria-label='country group']")
    options = group.locator("option").all_inner_texts()
    assert options == ["country group: all", HOSTILE, "African countries"]
    group.select_option(label=HOSTILE)
    assert _visible(page, 1, "country") == ["FRA", "CHN"]
    assert box.locator(".shown").inner_text() == "2 of 5 rows shown"
    group.select_option(label="African countries")
    search = box.locator("input[type=search]")
    search.fill("2005 ken")  # words in any order, any case
    assert _visible(page, 1, "country") == ["KEN"]
    search.fill("onerror")  # the hostile label is searchable text in every row
    assert len(_visible(page, 1, "country")) == 3
    checks = page.locator("div.table-tools.ready").nth(0)
    checks.locator("select[aria-label='table']").select_option(label=HOSTILE)
    assert _visible(page, 0, "check") == ["b", "d"]
    assert page.evaluate("window.osaaXss") is None and page.dialogs == []
    assert page.locator("img").count() == 0
    assert page.locator("td", has_text="<script>window.osaaXss=2</script>").count() > 0
    assert {u.split(":", 1)[0] for u in page.requests_made} == {"file"}


def test_without_a_table_that_asks_there_is_no_script() -> None:
    plain = reports.page("plain", rs.integrity_section([]))
    assert "<script" not in plain
    tools = reports.page("tools", rs.checks_section([]))
    assert "<script" not in tools, "an empty checks table has nothing to sort"
    hostile = reports.page("text", '<div class="table-tools" data-filters="">')
    assert "<script" not in hostile, "text from the data cannot ask for the script"
