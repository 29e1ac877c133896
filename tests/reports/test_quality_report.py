"""The quality report of two scheduled runs on the committed sample, read as an analyst reads it.

The first `osaa run-pipeline` runs on the sample as shipped; then one raw file is edited as a
publisher's revision would (a series dropped, one planted outlier corrected, one new outlier)
and the pipeline runs again. Every number the reports show is checked against the quality
history those runs recorded and against the sample's planted defects (`defects.json`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osaa_lib import notebooks
from osaa_lib.cli import app
from tests.conftest import REPO, settings_at
from tests.reports.conftest import cards, number, rows, soup, text

pytestmark = pytest.mark.slow

KEY = ("source", "indicator_id", "country_id", "year")


def _pipeline(settings) -> Path:
    env = {k: v for k, v in notebooks.settings_environ(settings).items() if v}
    before = set(settings.reports_dir.glob("*/")) if settings.reports_dir.exists() else set()
    result = CliRunner().invoke(app, ["run-pipeline"], env=env)
    assert result.exit_code == 0, result.output
    (run_dir,) = set(settings.reports_dir.glob("*/")) - before
    return run_dir


def _revise(raw: Path) -> dict[str, Any]:
    """Edit SDG's data file: drop one clean non-African series, correct the planted outlier of
    PRYA.6.M in Cameroon 2013 and plant a new one in the same series in 2019."""
    planted = json.loads((raw / "defects.json").read_text())["defects"]
    fixed = next(d for d in planted if d["kind"] == "outlier" and d["source"] == "sdg"
                 and (d["indicator_id"], d["country_id"]) == ("PRYA.6.M", "CMR"))  # fmt: skip
    dirty = {(d.get("indicator_id"), d.get("country_id")) for d in planted if d["source"] == "sdg"}
    path = raw / "sdg" / "SDG_DATA_NATIONAL.csv"
    lines = path.read_text().splitlines(keepends=True)
    series: dict[tuple[str, str], int] = {}
    for line in lines[1:]:
        f = line.split(",")
        series[(f[0].strip('"'), f[1].strip('"'))] = series.get((f[0].strip('"'),
                                                                 f[1].strip('"')), 0) + 1
    dropped = max((k for k in series if k[1] == "AUT" and k not in dirty), key=series.get)
    out, new = [lines[0]], None
    for number_, line in enumerate(lines[1:], start=2):
        f = line.split(",")
        key = (f[0].strip('"'), f[1].strip('"'))
        if key == dropped:
            continue
        if number_ in fixed["lines"]:
            f[3] = repr(fixed["expected"])
        elif key == ("PRYA.6.M", "CMR") and f[2] == "2019":
            new = {"old": float(f[3]), "new": float(f[3]) * 40}
            f[3] = repr(new["new"])
        out.append(",".join(f))
    path.write_text("".join(out))
    return {"dropped": dropped, "dropped_rows": series[dropped], "fixed": fixed, "new": new}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("two-runs")
    settings = settings_at(root)
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir)
    first = _pipeline(settings)
    edit = _revise(settings.raw_dir)
    second = _pipeline(settings)
    return settings, first, second, edit


def _history(settings, run_id: str) -> dict[str, Any]:
    """What the run recorded, counted straight from its history files (not by the report)."""
    from osaa_lib.db import connect
    from osaa_lib.lake import open_lake
    from osaa_lib.quality import history

    lake, con = open_lake(settings), connect(settings)
    try:
        uri = lake.uri(history.table_key(settings, "dq_anomalies", run_id))
        flags = con.execute(f"SELECT * FROM read_parquet('{uri}')").to_arrow_table()
        by_value = con.execute(
            f"""SELECT {', '.join(KEY)}, bool_or(annotation IS NULL AND NOT accepted) AS alarmed
            FROM flags GROUP BY ALL"""
        ).fetchall()
        checks = history.read_run_table(con, lake, settings, "dq_check_results", run_id)
    finally:
        con.close()
    return {
        "flags": flags.num_rows,
        "flagged": {r[:4] for r in by_value},
        "alarmed": {r[:4] for r in by_value if r[4]},
        "checks": {(c["source"], c["check_name"]): c for c in checks},
    }


def _report(run_dir: Path) -> Any:
    return soup(run_dir / "quality_report.html")


def _tools(node: Any) -> list[dict[str, str]]:
    return rows(node.find_next("div", class_="table-tools").find("table"))


def _key(row: dict[str, str]) -> tuple[str, str, str, int]:
    code = row["country"].rsplit("(", 1)[-1].rstrip(")")
    return (row["table"], row["indicator"], code, int(row["year"]))


def test_the_first_run_says_there_is_nothing_to_compare(runs) -> None:
    _, first, _, _ = runs
    changes = _report(first).find("section", id="changes")
    assert "No previous run is recorded" in text(changes)
    assert not changes.find("table")


def test_anomaly_counts_agree_everywhere_and_with_the_history(runs) -> None:
    settings, first, _, _ = runs
    recorded = _history(settings, first.name)
    alarmed, flagged, flags = (len(recorded["alarmed"]), len(recorded["flagged"]),
                               recorded["flags"])  # fmt: skip
    page = _report(first)
    value, note = cards(page.find(id="verdict"))["values alarmed"]
    assert number(value) == alarmed > 0
    assert note == f"of {flagged:,} values flagged ({flags:,} flags)"
    checks = {(r["table"], r["check"]): r for r in _tools(page.find("section", id="checks"))}
    assert number(checks[("master", "anomalies")]["failing"]) == alarmed
    assert sum(number(checks[(s, "anomalies")]["failing"]) for s in ("sdg", "opri", "wdi")) == \
        alarmed  # fmt: skip
    assert checks[("master", "anomalies")]["what it found"].startswith(f"{alarmed} values alarmed")
    section = page.find("section", id="anomalies")
    facts = dict(zip((text(d) for d in section.select("dt")),
                     (text(d) for d in section.select("dd")), strict=True))  # fmt: skip
    assert facts["values alarmed"].startswith(f"{alarmed} (")
    assert facts["values flagged"].startswith(f"{flagged:,} ({flagged - alarmed:,} not alarmed")
    assert facts["flags"].startswith(f"{flags:,} ")
    heading = section.find("h3", id="alarmed")
    assert text(heading) == f"{alarmed} values alarmed"
    listed = _tools(heading)
    assert {_key(r) for r in listed} == recorded["alarmed"]
    assert len(listed) == alarmed, "one row per value"


def test_every_planted_outlier_is_one_row_with_its_methods(runs) -> None:
    _, first, _, _ = runs
    planted = [d for d in json.loads((REPO / "data" / "raw" / "defects.json").read_text())
               ["defects"] if d["kind"] == "outlier"]  # fmt: skip
    listed = _tools(_report(first).find("h3", id="alarmed"))
    by_key = {}
    for r in listed:
        by_key.setdefault(_key(r), []).append(r)
    assert len(planted) == 22
    for d in planted:
        found = by_key.get((d["source"], d["indicator_id"], d["country_id"], d["year"]))
        assert found and len(found) == 1, d
        methods = found[0]["methods"].split(", ")
        assert set(methods) & {"robust z", "HB"}, found
        scores = [found[0][f"{m} score"] for m in ("robust z", "HB", "z-score")]
        assert [s != "—" for s in scores] == [m in methods for m in ("robust z", "HB", "z-score")]


def test_african_countries_come_first_and_the_groups_follow_the_reference(runs) -> None:
    from osaa_lib.reports.values import GROUPS
    from osaa_lib.transform.reference import country_rows

    _, first, _, _ = runs
    ref = {r["iso3"]: r for r in country_rows()}

    def group(code: str) -> str:
        r = ref.get(code)
        if r is None:
            return GROUPS[3]
        if r["is_aggregate"]:
            return GROUPS[2]
        african = r["is_africa"] and r.get("is_un_member", True)
        return GROUPS[0] if african else GROUPS[1]

    listed = _tools(_report(first).find("h3", id="alarmed"))
    assert [r["country group"] for r in listed] == [group(_key(r)[2]) for r in listed]
    order = [GROUPS.index(r["country group"]) for r in listed]
    assert order == sorted(order) and order[0] == 0
    shown = {g: sum(r["country group"] == g for r in listed) for g in GROUPS}
    facts = text(_report(first).find("section", id="anomalies").find("dd"))
    assert facts == f"{len(listed)} (" + "; ".join(f"{g}: {n}" for g, n in shown.items()) + ")"


def test_the_ingest_page_counts_the_rejected_cells(runs) -> None:
    settings, first, second, _ = runs
    planted = json.loads((REPO / "data" / "raw" / "defects.json").read_text())["summary"]
    cells = sum(kinds.get("unparseable_value", 0) for kinds in planted.values())
    page = soup(first / "ingest.html")
    verdict = text(page.find("section", id="landed").select_one("div.note, div.ok, div.alert"))
    assert verdict == (f"No file failed (6 landed, 0 skipped as unchanged), but {cells} cells "
                       "in 3 files could not be read as the column's type: stored as null in "
                       "the landing zone and listed under Problems.")  # fmt: skip
    assert "every cell parsed" not in text(page)
    files = rows(page.find("section", id="landed").find("table"))
    assert sum(int(f["rejected cells"]) for f in files) == cells
    assert all(f["status"].startswith("warn") for f in files if f["rejected cells"] != "0")
    # the second run lands only the edited file; the unchanged ones still hold their nulls
    again = text(soup(second / "ingest.html").find("section", id="landed").find("div"))
    assert again.startswith(f"No file failed (1 landed, 5 skipped as unchanged), but {cells} "
                            "cells in 3 files could not be read")  # fmt: skip


def test_what_changed_puts_the_check_that_moved_first(runs) -> None:
    settings, first, second, edit = runs
    before, after = _history(settings, first.name), _history(settings, second.name)
    moved = {k for k, c in after["checks"].items()
             if before["checks"].get(k, {}).get("status") != c["status"]}  # fmt: skip
    assert ("sdg", "vanished_keys") in moved
    changes = _report(second).find("section", id="changes")
    assert f"Compared with run {first.name}" in text(changes)
    listed = _tools(changes.find("h3", string="Checks"))
    assert (listed[0]["change"], listed[0]["table"], listed[0]["check"]) == (
        "newly failing", "sdg", "vanished_keys")
    assert (listed[0]["before"], listed[0]["now"]) == ("pass", "warn")
    assert {(r["table"], r["check"]) for r in listed if r["change"] in ("newly failing",
            "resolved", "improved", "new check")} == moved  # fmt: skip
    assert number(cards(changes)["checks newly failing"][0]) == sum(
        after["checks"][k]["status"] != "pass" for k in moved)


def test_what_changed_lists_the_figures_the_source_and_the_values_that_moved(runs) -> None:
    settings, first, second, edit = runs
    before, after = _history(settings, first.name), _history(settings, second.name)
    changes = _report(second).find("section", id="changes")
    kpis = {(r["table"], r["figure"]): r for r in rows(
        changes.find("h3", string="Key figures that moved").find_next("table"))}  # fmt: skip
    for table in ("sdg", "master"):
        row = kpis[(table, "rows")]
        assert number(row["previous run"]) - number(row["this run"]) == edit["dropped_rows"]
        assert number(row["change"]) == -edit["dropped_rows"]
    (source,) = rows(changes.find("h3", string="Sources revised").find_next("table"))
    assert source["source"] == "sdg"
    assert (number(source["removed"]), number(source["revised"]), number(source["added"])) == (
        edit["dropped_rows"], 2, 0)
    new, cleared = after["alarmed"] - before["alarmed"], before["alarmed"] - after["alarmed"]
    planted = ("sdg", "PRYA.6.M", "CMR", 2019)
    fixed = ("sdg", "PRYA.6.M", "CMR", 2013)
    assert planted in new and fixed in cleared
    shown = cards(changes)
    assert number(shown["values alarmed: new"][0]) == len(new)
    assert number(shown["values alarmed: cleared"][0]) == len(cleared)
    assert {_key(r) for r in _tools(changes.find("h4", string="New values alarmed"))} == new
    gone = {_key(r): r for r in _tools(changes.find("h4", string="Cleared"))}
    assert set(gone) == cleared and gone[fixed]["now"] == "no longer flagged"


LAYOUT = """() => {
  const main = document.querySelector('main').getBoundingClientRect();
  const boxes = [...document.querySelectorAll('main .scroll')]
    .filter(s => !s.parentElement.closest('td'));
  return {
    page: document.documentElement.scrollWidth - window.innerWidth,
    outside: boxes.filter(s => s.getBoundingClientRect().right > main.right + 0.5).length,
    checks: [...document.querySelectorAll('#checks .table-tools > .scroll')]
      .map(s => s.scrollWidth - s.clientWidth),
  };
}"""


@pytest.mark.browser
def test_opening_failing_rows_keeps_the_checks_table_inside_the_page(runs, open_page) -> None:
    _, _, second, _ = runs
    page = open_page(second / "quality_report.html")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    layout = page.evaluate(LAYOUT)
    assert layout["page"] <= 0 and layout["outside"] == 0, layout
    assert layout["checks"] and max(layout["checks"]) <= 0, "failing rows scroll in their cell"
    page.screenshot(path=second / "quality_report-details-open.png", full_page=True)


@pytest.mark.browser
def test_the_report_sorts_and_filters_offline(runs, open_page) -> None:
    _, _, second, _ = runs
    page = open_page(second / "quality_report.html")
    checks = page.locator("#checks div.table-tools.ready").first
    checks.locator("thead th", has_text="failing").click()
    cells = checks.locator(":scope > .scroll > table > tbody > tr > td:nth-child(5)")
    failing = [number(t) for t in cells.all_inner_texts()]
    assert failing == sorted(failing) and len(failing) > 20
    checks.locator("select[aria-label='table']").select_option("sdg")
    shown = checks.locator(":scope > .scroll > table > tbody > tr:visible")
    assert set(shown.locator(":scope > td:nth-child(3)").all_inner_texts()) == {"sdg"}
    assert checks.locator(".shown").inner_text() == f"{shown.count()} of {len(failing)} rows shown"
    checks.locator("select[aria-label='table']").select_option("")
    checks.locator("input[type=search]").fill("master anomalies")
    assert shown.count() == 1
    values = page.locator("#anomalies div.table-tools.ready").first
    values.locator("select[aria-label='country group']").select_option("African countries")
    african = values.locator(":scope > .scroll > table > tbody > tr:visible")
    facts = page.locator("#anomalies dd").first.inner_text()
    assert f"African countries: {african.count()};" in facts
    assert set(african.locator(":scope > td:nth-child(1)").all_inner_texts()) == {
        "African countries"}
    assert {u.split(":", 1)[0] for u in page.requests_made} == {"file"}
    assert page.dialogs == []
