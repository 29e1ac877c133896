"""One page shell and autoescape: every HTML writer's page comes from the same template, carries
the one stylesheet, and shows text from the data as text.

The pages are made by the writers themselves (index, performance, storage, lineage, notebook
pages through nbconvert, the quality and ingest sections) from inputs that carry hostile text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from osaa_lib import reports
from osaa_lib.config import Settings

PACKAGE = Path(__file__).resolve().parents[2] / "osaa_lib"
MARKER = '<meta name="generator" content="osaa-report-page">'
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onload="alert(1)'
# Lake keys and folder names cannot hold "/", so they carry an element without a closing tag.
ELEMENT = "<img src=x onerror=alert(1)>"
TABLES_JS = (PACKAGE / "reports" / "templates" / "tables.js").read_text()


def _notebook_page(settings: Settings) -> str:
    import nbformat

    from osaa_lib.notebooks.runner import render_html

    cell_html = reports.section(
        SCRIPT, reports.table([{"indicator": SCRIPT, "note": ATTRIBUTE}]), intro=ATTRIBUTE
    )
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"{SCRIPT} {ATTRIBUTE}\n"),
        nbformat.v4.new_output("display_data", data={"text/html": str(cell_html)}),
    ]
    nb.cells = [code]
    path = settings.reports_dir / "nb.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return render_html(path, f"explore {SCRIPT} {ATTRIBUTE}", error=f"{SCRIPT} {ATTRIBUTE}")


def _index_page(settings: Settings) -> str:
    for run_id in (ATTRIBUTE, ELEMENT):
        folder = settings.reports_dir / run_id
        folder.mkdir(parents=True)
        (folder / "quality_report.html").write_text("x")
        (folder / "run.json").write_text(json.dumps({
            "run_id": run_id, "started": "2026-11-01T05:30:00", "status": SCRIPT,
            "target": "dev", "space": f"{SCRIPT} {ATTRIBUTE}", "counts": {"pass": 1},
        }))  # fmt: skip
    return reports.write_index(settings).read_text()


def _performance_page(settings: Settings) -> str:
    from osaa_lib.lake import open_lake
    from osaa_lib.lake.keys import new_run_id
    from osaa_lib.ops import report
    from osaa_lib.ops.runs import RunRecord, Stage, save

    lake = open_lake(settings)
    now = datetime.now(UTC)
    start = now - timedelta(hours=2)
    save(lake, RunRecord(
        new_run_id(start), f"etl {SCRIPT}", {"note": ATTRIBUTE}, "tester", "", "dev",
        "dev_tester", "h", 1, start.isoformat(), now.isoformat(), 30.0, "failed", 1,
        f"{SCRIPT} {ATTRIBUTE}", None,
        [Stage(f"model:{SCRIPT}", seconds=3.0, started=start.isoformat()),
         Stage(f"model:{ATTRIBUTE}", seconds=2.0, started=start.isoformat())],
    ))  # fmt: skip
    return report.build(settings, "week", now).html_path.read_text()


def _storage_page(settings: Settings) -> str:
    from osaa_lib.lake import open_lake
    from osaa_lib.lake.storage import storage_report

    lake = open_lake(settings)
    lake.write_bytes(f"dev/landing/{ELEMENT}/X.parquet", b"x" * 10)
    lake.write_bytes(f"dev/landing/{ATTRIBUTE}/X.parquet", b"y" * 10)
    return storage_report(settings).html_path.read_text()


def _lineage_page(settings: Settings) -> str:
    from osaa_lib.transform.lineage import Lineage, render_html

    upstream = {f"raw.{SCRIPT}": [], f"sources.{ATTRIBUTE}": [f"raw.{SCRIPT}"]}
    downstream = {f"raw.{SCRIPT}": [f"sources.{ATTRIBUTE}"], f"sources.{ATTRIBUTE}": []}
    return render_html(Lineage(f"sources.{ATTRIBUTE}", upstream, downstream))


def _quality_page(settings: Settings) -> str:
    from osaa_lib.quality.model import Anomaly, CheckResult, Kpi, QualityResult
    from osaa_lib.quality.vintages import VintageDiff
    from osaa_lib.reports import sections as rs
    from osaa_lib.reports.changes import Changes
    from osaa_lib.reports.values import AnomalyValues

    hostile = f"{SCRIPT} {ATTRIBUTE}"
    sample = {"indicator_id": SCRIPT, "country_id": ATTRIBUTE, "year": 2020}
    checks = [
        CheckResult("completeness", "sdg", "error", "fail", 0.5, 0.95, 3, hostile, [sample]),
        CheckResult("unknown_countries", hostile, "warn", "warn", 2.0, 0.0, 2, hostile, [sample]),
        CheckResult("duplicates", "sdg", "warn", "pass", 0.0, 0.0, 0, hostile),
    ]
    anomalies = [Anomaly("sdg", SCRIPT, ATTRIBUTE, 2020, 9.0, "hb", 5.0, 1.0, 3.0, hostile)]
    result = QualityResult(
        "run-1", datetime.now(UTC), "dev", hostile, {"sdg": hostile}, checks, anomalies, [],
        kpis=[Kpi("master", "rows", 10.0, 8.0), Kpi(hostile, "max_year", 2020.0, None)],
        coverage=[{"indicator_id": SCRIPT, "countries": 3}], anomaly_count=1,
        vintage_diffs={"sdg": VintageDiff("sdg", "v1", hostile, 1, 0, 1, 5,
                                          largest=[{**sample, "old": 1.0, "new": 2.0}])},
    )  # fmt: skip
    value = {"source": hostile, "indicator_id": SCRIPT, "country_id": ATTRIBUTE, "year": 2020,
             "country": ELEMENT, "country_group": hostile, "value": 9.0, "expected": 1.0,
             "methods": ["hb", SCRIPT], "robust_z": None, "hb": 5.0, "zscore": None,
             "label": SCRIPT, "annotation": hostile, "accept_reason": None}  # fmt: skip
    values = AnomalyValues(1, 2, 1, {hostile: 1}, {hostile: 1}, [value], [value])
    changes = Changes(
        {"run_id": hostile, "run_at": datetime.now(UTC), "counts": {}},
        checks=[{"change": hostile, "source": hostile, "check": SCRIPT, "severity": "warn",
                 "before": hostile, "now": "warn", "failing before": 0, "failing now": 2,
                 "message": hostile, "samples": [sample], "accepted": False}],
        kpis=[{"source": hostile, "name": SCRIPT, "before": 1.0, "now": 2.0, "change": 1.0}],
        sources=[{"source": hostile, "latest vintage": ELEMENT}],
        new_values=[value, value], cleared_values=[{**value, "now": hostile}],
        new_count=2, cleared_count=1, anomalies_compared=True,
    )  # fmt: skip
    history = [
        {"run_id": f"r{i}", "source": "sdg", "check_name": hostile, "status": s}
        for i, s in enumerate(("pass", "warn"))
    ]
    freshness = [{"table": hostile, "rows": 3, "last year": 2020, "lag years": 6}]
    body = Markup("").join([
        rs.summary_section(result, values),
        rs.changes_section(changes, values),
        rs.kpi_section(result.kpis),
        rs.checks_section(result.checks),
        rs.anomaly_section(values, []),
        rs.history_section(history),
        rs.volume_section([{"run_id": "r1", "source": hostile, "rows": 3}], freshness),
        rs.coverage_section([{"indicator": SCRIPT, "sub_region": ATTRIBUTE, "share": 0.5}],
                            [{"indicator": SCRIPT, "year": 2020, "share": 0.5}], result.coverage),
        rs.integrity_section(result.checks),
        rs.vintage_section(result.vintage_diffs),
        rs.run_section(result, {"sources": [SCRIPT]}, {"host": hostile},
                       [{"source": hostile, "file": SCRIPT, "sha256": ATTRIBUTE}]),
        rs.profile_section(None),
    ])  # fmt: skip
    return reports.page(f"quality {hostile}", body, subtitle=hostile)


def _ingest_page(settings: Settings) -> str:
    from osaa_lib.ingest.landing import FileResult, IngestResult
    from osaa_lib.reports import sections as rs

    result = IngestResult([
        FileResult(ATTRIBUTE, "X", f"data/raw/{SCRIPT}.csv", "failed", error=f"{SCRIPT} line 3"),
        FileResult("sdg", "Y", f"data/raw/{ATTRIBUTE}.csv", "ingested", 10, 7,
                   landing_key=f"dev/landing/{ELEMENT}"),
    ])  # fmt: skip
    return reports.page("ingest", rs.ingest_sections(result, settings))


WRITERS = {
    "notebook": _notebook_page,
    "index": _index_page,
    "performance": _performance_page,
    "storage": _storage_page,
    "lineage": _lineage_page,
    "quality": _quality_page,
    "ingest": _ingest_page,
}


@pytest.fixture(params=sorted(WRITERS))
def written(request, make_settings) -> tuple[str, str]:
    return request.param, WRITERS[request.param](make_settings())


def test_every_page_is_the_one_shell_with_the_one_stylesheet(written) -> None:
    name, document = written
    assert document.startswith("<!DOCTYPE html>\n"), name
    assert document.count(MARKER) == 1, name
    assert document.count("<style") == 1 and reports.css() in document, name
    assert document.count('<footer class="page">') == 1, name
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", document), name
    assert not re.search(r"<link\b", document), name
    assert [s for s in re.findall(r"<script\b([^>]*)>(.*?)</script>", document, re.S)
            if not s[0].startswith(' type="application/json"') and s[1] != f"\n{TABLES_JS}"
            ] == [], name
    tables_script = document.count(f"<script>\n{TABLES_JS}</script>")
    assert tables_script == (name == "quality"), "the tables script where a table asks for it"


class _Parsed(HTMLParser):
    """Elements, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self, document: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(document)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_text_from_the_data_is_escaped_on_every_page(written) -> None:
    """The hostile texts show as text: no script, element or event attribute comes of them."""
    name, document = written
    parsed = _Parsed(document)
    assert [t for t, _ in parsed.tags if t == "img"] == [], name
    assert [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")] == [], name
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert all(a.get("type") == "application/json" or not a for a in scripts), name
    text = "\n".join(parsed.text)
    shown = [p for p in (SCRIPT, ATTRIBUTE, ELEMENT) if p in text]
    assert len(shown) >= 2, f"{name} shows {shown} as text"
    assert SCRIPT not in document and ELEMENT not in document, name


def test_lineage_data_block_is_json_with_no_markup(make_settings) -> None:
    document = _lineage_page(make_settings())
    (data,) = re.findall(r'<script type="application/json" id="lineage">(.*?)</script>', document)
    assert "<" not in data
    assert json.loads(data)["upstream"][f"sources.{ATTRIBUTE}"] == [f"raw.{SCRIPT}"]


def test_plain_text_is_escaped_and_only_markup_passes() -> None:
    page = reports.page("t", "<p>plain</p>")
    assert "&lt;p&gt;plain&lt;/p&gt;" in page and "<p>plain</p>" not in page
    kept = reports.page("t", reports.section("s", reports.badge("warn")))
    assert '<section><h2>s</h2><span class="badge warn">warn</span></section>' in kept
    assert reports.callout(SCRIPT) == f'<div class="note">{escape(SCRIPT)}</div>'
    assert reports.section(SCRIPT, SCRIPT).count(str(escape(SCRIPT))) == 2


def test_badge_and_card_classes_are_one_class_name() -> None:
    assert reports.badge("no data") == '<span class="badge no-data">no data</span>'
    assert reports.badge(None) == '<span class="badge unknown">unknown</span>'
    assert 'class="card -onload-alert-1-"' in reports.card("l", 1, status=ATTRIBUTE)


def test_no_page_is_built_outside_the_templates() -> None:
    """HTML documents, stylesheets and hand escaping live in `reports/templates` only, and the
    only markup marked safe by hand is our own (rendered templates, vl-convert's SVG,
    nbconvert's rendering of a notebook)."""
    by_hand = re.compile(
        r"<!doctype html|<html[ >]|<style[ >]|html\.escape|^import html$", re.I | re.M
    )
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if by_hand.search(p.read_text())]  # fmt: skip
    assert offenders == []
    marked = sorted(
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "Markup(" in p.read_text()
    )
    assert marked == ["notebooks/runner.py", "reports/charts.py", "reports/html.py"]
    templates = list((PACKAGE / "reports" / "templates").rglob("*.html"))
    assert templates and not [t.name for t in templates if "|safe" in t.read_text()]
    assert not [t.name for t in templates if "autoescape false" in t.read_text()]


def test_a_failed_write_keeps_the_previous_page(tmp_path: Path) -> None:
    path = reports.write_page(tmp_path / "ops" / "index.html", reports.page("one", "first"))
    with pytest.raises(UnicodeEncodeError):
        reports.write_page(path, reports.page("two", "\ud800"))  # not encodable as UTF-8
    assert "<h1>one</h1>" in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]
