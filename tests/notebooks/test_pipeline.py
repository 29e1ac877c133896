"""The scheduled run on the shipped sample data, and every notebook as a script and under papermill.

One `osaa run-pipeline` (ingest -> transform -> quality_report through papermill) is shared by
the module; the script runs reuse its lake.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osaa_lib import notebooks
from osaa_lib.cli import app
from tests.conftest import settings_at
from tests.notebooks.conftest import REPO

pytestmark = pytest.mark.slow
TABLES_JS = (REPO / "osaa_lib" / "reports" / "templates" / "tables.js").read_text()


def _env(settings) -> dict[str, str]:
    return {k: v for k, v in notebooks.settings_environ(settings).items() if v}


@pytest.fixture(scope="module")
def piped(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("pipeline")
    settings = settings_at(root)
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir)
    result = CliRunner().invoke(app, ["run-pipeline"], env=_env(settings))
    run_dir = next(p for p in settings.reports_dir.iterdir() if p.is_dir())
    summary = json.loads((run_dir / "run.json").read_text())
    return settings, result, run_dir, summary


def _script(settings, notebook: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(settings)}
    return subprocess.run(
        [sys.executable, str(REPO / "notebooks" / f"{notebook}.py"), "--", *args],
        capture_output=True, text=True, env=env, cwd=settings.project_dir, timeout=300,
    )  # fmt: skip


def test_run_pipeline_runs_every_notebook_and_exits_by_the_gate(piped) -> None:
    _, result, run_dir, summary = piped
    assert [n["notebook"] for n in summary["notebooks"]] == ["ingest", "transform",
                                                             "quality_report"]  # fmt: skip
    assert all(n["ok"] for n in summary["notebooks"]), summary
    # the shipped sample's planted defects are warnings: the scheduled run succeeds
    assert not summary["gate_failed"] and result.exit_code == 0, result.output
    for name in ("ingest", "transform", "quality_report"):
        html = (run_dir / f"{name}.html").read_text()
        assert (run_dir / f"{name}.ipynb").exists()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
        assert [a for a, body in scripts if a or body.strip() != TABLES_JS.strip()] == [], name
        assert bool(scripts) == (name == "quality_report"), "only the report's tables script"
        assert "This run failed" not in html


def test_report_finds_the_planted_defects(piped) -> None:
    from osaa_lib.db import connect
    from osaa_lib.lake import open_lake
    from osaa_lib.quality import history

    settings, _, run_dir, summary = piped
    planted = json.loads((settings.raw_dir / "defects.json").read_text())["summary"]
    con = connect(settings)
    rows = history.read_run_table(con, open_lake(settings), settings, "dq_check_results",
                                  summary["run_id"])  # fmt: skip
    status = {(r["source"], r["check_name"]): r["status"] for r in rows}
    html = (run_dir / "quality_report.html").read_text()
    for source, kinds in planted.items():
        if kinds.get("duplicate_exact") or kinds.get("duplicate_conflict"):
            assert status[(source, "duplicates")] != "pass", source
        if kinds.get("unknown_country"):
            assert status[(source, "unknown_countries")] != "pass", source
        if kinds.get("unlabelled_indicator"):
            assert status[(source, "unlabelled_indicators")] != "pass", source
    assert summary["counts"]["warn"] > 0
    assert html.count('class="badge warn"') >= summary["counts"]["warn"]
    ingest_html = (run_dir / "ingest.html").read_text()
    assert "rejected cells (stored as null)" in ingest_html, "unparseable values are listed"


def test_index_links_the_run(piped) -> None:
    settings, _, run_dir, summary = piped
    html = (settings.reports_dir / "index.html").read_text()
    assert f'href="{run_dir.name}/quality_report.html"' in html
    assert f'class="badge {summary["status"]}"' in html


def test_explore_under_papermill_with_parameters(piped, tmp_path: Path) -> None:
    settings, *_ = piped
    out = tmp_path / "selection.csv"
    run = notebooks.run(
        "explore",
        {"run_id": "explore-test", "region": "Western Africa", "export_csv": str(out)},
        settings,
    )
    assert run.ok, run.error
    rows = list(csv.DictReader(out.open()))
    assert run.results["rows"] == len(rows) > 0
    from osaa_lib.notebooks.explore import regions

    assert {r["country_id"] for r in rows} <= set(regions()["Western Africa"])
    assert len({r["indicator_id"] for r in rows}) == 1
    assert run.html.read_text().count("<svg") >= 2


def test_ingest_as_a_script_only_lands_the_requested_source(tmp_path: Path) -> None:
    settings = settings_at(tmp_path)
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir)
    proc = _script(settings, "ingest", "--sources", "sdg")
    assert proc.returncode == 0, proc.stderr[-3000:]
    landed = {
        p.parent.name for p in (Path(settings.lake_root) / "dev" / "landing").glob("*/*.parquet")
    }
    assert landed == {"sdg"}


@pytest.mark.parametrize(
    ("notebook", "args"),
    [
        ("transform", ["--dry-run"]),
        ("quality_report", ["--history-runs", "3"]),
        ("explore", ["--search", "a", "--region", "Africa"]),
    ],
)
def test_notebook_runs_as_a_script(piped, notebook: str, args: list[str]) -> None:
    settings, *_ = piped
    proc = _script(settings, notebook, *args)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_explore_interactive_branch_runs_in_the_marimo_runtime(piped, tmp_path: Path) -> None:
    """`marimo export html` executes in marimo's runtime: the UI-control code paths run."""
    settings, *_ = piped
    out = tmp_path / "explore.html"
    marimo = Path(sys.executable).with_name("marimo")
    proc = subprocess.run(
        [str(marimo), "export", "html", str(REPO / "notebooks" / "explore.py"), "-o", str(out)],
        capture_output=True, text=True, env={**os.environ, **_env(settings)}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = out.read_text()
    assert "Time series" in html and "Export CSV" in html
