"""The headless-run machinery on a tiny notebook of the tests: parameters, errors, offline HTML."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from osaa_lib import notebooks
from osaa_lib.notebooks import NotebookError, NotebookRun
from tests.conftest import settings_at
from tests.notebooks.conftest import FIXTURES, REPO, not_blank

TINY = FIXTURES / "tiny.py"
HOSTILE = "<script>alert(1)</script>"
SECRET = "sekret-Value-4711"


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, NotebookRun]:
    """One successful and one failing papermill run, shared by the tests of this module."""
    root = tmp_path_factory.mktemp("tiny")
    settings = settings_at(root, AWS_SECRET_ACCESS_KEY=SECRET, AWS_ACCESS_KEY_ID="AKIATEST")
    ok = notebooks.run(
        TINY,
        {"target": "qa", "run_id": "r-ok", "sources": ["sdg", "wdi"], "label": HOSTILE},
        settings,
    )
    bad = notebooks.run(TINY, {"run_id": "r-bad", "fail": True}, settings)
    return {"ok": ok, "bad": bad, "settings": settings}  # type: ignore[dict-item]


def test_papermill_injects_parameters_after_the_parameters_cell(tiny_runs) -> None:
    run = tiny_runs["ok"]
    assert run.ok and run.error is None
    assert run.results == {
        "target": "qa",
        "lake": str(tiny_runs["settings"].lake_root),
        "label": HOSTILE,
        "sources": ["sdg", "wdi"],
        "has_secret": True,
    }
    nb = json.loads(run.ipynb.read_text())
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    index = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert "injected-parameters" in tags[index + 1]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert run.html == tiny_runs["settings"].reports_dir / "r-ok" / "tiny.html"


def test_secrets_reach_the_kernel_but_never_the_saved_notebook(tiny_runs) -> None:
    for run in (tiny_runs["ok"], tiny_runs["bad"]):
        assert SECRET not in run.ipynb.read_text()
        assert SECRET not in run.html.read_text()


def test_kernel_is_the_project_python(tiny_runs) -> None:
    nb = json.loads(tiny_runs["ok"].ipynb.read_text())
    version = nb["metadata"]["language_info"]["version"]
    assert version == ".".join(map(str, sys.version_info[:3]))


def test_html_is_offline_and_escapes_data(tiny_runs) -> None:
    html = tiny_runs["ok"].html.read_text()
    assert "<svg" in html
    assert not re.search(r"<script\b", html), "no script at all in a report"
    assert not re.search(r"""(src|href)=["']?https?://""", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "notebooks.parameters(" not in html, "code is hidden in a successful run"


def test_code_error_keeps_notebook_and_html_with_the_failing_cell(tiny_runs) -> None:
    run = tiny_runs["bad"]
    assert not run.ok
    assert run.error is not None and "RuntimeError: planted failure" in run.error
    html = run.html.read_text()
    assert "This run failed" in html
    assert "planted failure for the test" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert 'raise RuntimeError("planted failure for the test")' in text.replace("&quot;", '"')
    assert run.ipynb.exists()


def test_missing_notebook_and_parameters_cell_raise(tmp_path: Path, make_settings) -> None:
    settings = make_settings()
    with pytest.raises(NotebookError, match="does not exist"):
        notebooks.run("no_such_notebook", {}, settings)
    with pytest.raises(NotebookError, match="no cell named `parameters`"):
        notebooks.prepare({"cells": [{"cell_type": "code", "metadata": {}}], "metadata": {}})
    with pytest.raises(NotebookError, match="run id"):
        notebooks.run(TINY, {"run_id": "../escape"}, settings)


def test_tiny_runs_as_a_script_with_command_line_parameters(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(TINY), "--", "--target", "prod", "--sources", "a,b"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "OSAA_PROJECT_DIR": str(REPO),
             "OSAA_LAKE": str(tmp_path / "lake"), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "applied prod prod ['a', 'b']" in proc.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {"target": "", "sources": [], "force": False, "n": 3}),
        (["--", "--target", "qa"], {"target": "qa", "sources": [], "force": False, "n": 3}),
        (["--sources", "sdg,wdi", "--force", "--n", "7"],
         {"target": "", "sources": ["sdg", "wdi"], "force": True, "n": 7}),
    ],
)  # fmt: skip
def test_parameters_from_the_command_line(argv, expected) -> None:
    defaults = {"target": "", "sources": [], "force": False, "n": 3}
    assert notebooks.parameters(defaults, argv) == expected


def test_settings_survive_the_trip_to_the_kernel(make_settings) -> None:
    from osaa_lib.config import load_settings

    settings = make_settings({"DUCKDB_THREADS": "2", "AWS_ACCESS_KEY_ID": "AKIA-test"})
    rebuilt = load_settings(environ=notebooks.settings_environ(settings), dotenv=Path("/none"))
    assert rebuilt == settings


@pytest.mark.browser
def test_html_renders_offline_in_chromium(tiny_runs, browser) -> None:
    page = browser(tiny_runs["ok"].html, height=900)
    assert page.dom.count("<svg") >= 1
    assert "alert(1)" in page.dom and "<script>alert" not in page.dom
    assert not_blank(page.screenshot) > 0.01
