"""Every notebook passes `marimo check` and follows the project's conventions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from osaa_lib import notebooks
from tests.notebooks.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))


def test_the_four_notebooks_exist() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {"ingest", "transform", "quality_report", "explore"}


def test_marimo_check_passes_strictly() -> None:
    marimo = Path(sys.executable).with_name("marimo")
    proc = subprocess.run(
        [str(marimo), "check", "--strict", *map(str, NOTEBOOKS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_opens_with_markdown_and_has_a_literal_parameters_cell(path: Path, tmp_path):
    nb = notebooks.prepare(notebooks.export_ipynb(path, tmp_path))
    cells = [c for c in nb["cells"] if c["metadata"].get("marimo", {}).get("name") != "setup"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).lstrip().startswith(
        "# "
    )
    params = next(c for c in cells if "parameters" in c["metadata"].get("tags", []))
    source = "".join(params["source"])
    for line in source.strip().splitlines():
        name, _, value = line.partition(" = ")
        assert name.isidentifier() and eval(value, {"__builtins__": {}}) is not None, line
    assert {"target", "username", "sources", "run_id"} <= {
        line.split(" = ")[0] for line in source.splitlines()
    }
