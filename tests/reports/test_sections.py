"""What the report's sections say in their own words: the ingest verdict and the gate's rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from osaa_lib.ingest import FileResult, IngestResult
from osaa_lib.reports import sections as rs

REPO = Path(__file__).resolve().parents[2]


def _file(status: str, rejects: int = 0, name: str = "X") -> FileResult:
    return FileResult("sdg", name, f"data/raw/sdg/{name}.csv", status, 10, 6, rejects,
                      error="line 3: bad quote" if status == "failed" else None)  # fmt: skip


@pytest.mark.parametrize(("files", "kind", "said"), [
    ([_file("ingested"), _file("skipped")], "ok",
     "Every file was read and every cell parsed: 1 landed, 1 skipped as unchanged."),
    ([_file("ingested", 3), _file("skipped", 2), _file("ingested")], "note",
     "No file failed (2 landed, 1 skipped as unchanged), but 5 cells in 2 files could not be read"
     " as the column's type: stored as null in the landing zone and listed under Problems."),
    ([_file("failed"), _file("ingested", 1)], "alert",
     "1 of 2 files could not be landed; their previous landing stays (see Problems). Of the "
     "others, 1 landed, 0 skipped as unchanged. 1 cell in 1 file could not be read as the "
     "column's type: stored as null in the landing zone and listed under Problems."),
    ([], "note", "No files found in the raw folder."),
])  # fmt: skip
def test_the_ingest_verdict_never_calls_rejected_cells_clean(files, kind, said) -> None:
    assert rs.ingest_verdict(IngestResult(files)) == f'<div class="{kind}">{escape(said)}</div>'


def test_the_gate_is_worded_in_one_place() -> None:
    """The report's words on what stops publication are `sections.GATE` and nowhere else."""
    words = re.compile(r"stops? publication|publication (is )?blocked|publishable", re.I)
    places = [REPO / "notebooks" / "quality_report.py",
              *(REPO / "osaa_lib" / "reports" / "templates" / "sections").glob("*.html")]
    assert [p.name for p in places if words.search(p.read_text())] == []
    code = (REPO / "osaa_lib" / "reports" / "sections.py").read_text()
    gate = code[code.index("GATE = {"):code.index("}  # fmt: skip", code.index("GATE = {"))]
    assert len(words.findall(code)) == len(words.findall(gate)) > 0
