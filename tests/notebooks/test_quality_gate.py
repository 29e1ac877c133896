"""A failing error-severity check: the gate's exit code, a rendered report, and the index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osaa_lib.cli import app
from osaa_lib.lake import keys
from tests.conftest import REPO, settings_at
from tests.notebooks.conftest import not_blank
from tests.quality.conftest import STRICT_MASTER
from tests.quality.synth import make_master

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory):
    """`osaa run-notebooks quality_report` twice over a master with planted duplicate keys."""
    root = tmp_path_factory.mktemp("gate")
    settings = settings_at(root)
    master = Path(settings.lake_root) / keys.master_key(settings)
    master.parent.mkdir(parents=True)
    planted = make_master(master)
    strict = root / "quality.toml"  # the project's thresholds, master duplicates blocking
    strict.write_text((REPO / "quality.toml").read_text() + STRICT_MASTER)
    env = {k: str(v) for k, v in {
        "OSAA_QUALITY_CONFIG": strict,
        "OSAA_PROJECT_DIR": settings.project_dir, "OSAA_LAKE": settings.lake_root,
        "OSAA_RAW_DIR": settings.raw_dir, "OSAA_STATE_DIR": settings.state_dir,
        "OSAA_REPORTS_DIR": settings.reports_dir, "OSAA_LOG_DIR": settings.log_dir,
        "USERNAME": "tester", "TARGET": "dev",
    }.items()}  # fmt: skip
    runner = CliRunner()
    results = [runner.invoke(app, ["run-notebooks", "quality_report"], env=env) for _ in range(2)]
    return settings, planted, results


def test_gate_failure_exits_with_the_quality_gate_code(gated) -> None:
    _, planted, results = gated
    assert planted.duplicates > 0
    for result in results:
        assert result.exit_code == 7, result.output
        assert "error-severity quality check failed" in result.output


def test_report_renders_and_names_the_blocking_check(gated) -> None:
    settings, planted, _ = gated
    reports = sorted(settings.reports_dir.glob("*/quality_report.html"))
    assert len(reports) == 2
    html = reports[-1].read_text()
    assert "Publication blocked" in html and "duplicates (master)" in html
    assert f"{planted.duplicates} duplicated keys" in html
    for title in (
        "What changed since the previous run",
        "Key figures",
        "Checks",
        "Check history",
        "Volume and freshness",
        "Coverage",
        "Reference integrity",
        "Vintage diff",
        "Anomalies",
        "Run details",
        "Profile appendix",
    ):
        assert f"<h2>{title}</h2>" in html, title
    assert "since last run" in html or "no change" in html, "KPIs compare with the previous run"
    assert "Nothing changed" in html, "the same data checked twice"
    assert not re.search(r"<script\b[^>]*\bsrc=", html), "inline scripts only"


def test_index_lists_both_runs_newest_first(gated) -> None:
    settings, _, _ = gated
    html = (settings.reports_dir / "index.html").read_text()
    ids = sorted(p.parent.name for p in settings.reports_dir.glob("*/quality_report.html"))
    assert html.index(ids[1]) < html.index(ids[0])
    assert html.count('class="badge quality_failed"') == 2
    assert f'href="{ids[0]}/quality_report.html"' in html


@pytest.mark.browser
def test_quality_report_draws_offline_in_chromium(gated, browser) -> None:
    settings, _, _ = gated
    report = sorted(settings.reports_dir.glob("*/quality_report.html"))[-1]
    page = browser(report)
    assert page.dom.count("<svg") >= 5, "history, volume, two heatmaps, anomaly small multiples"
    assert "Publication blocked" in page.dom
    assert not_blank(page.screenshot) > 0.05
