"""What an ingest result says about its files: landed, coerced, failed."""

from __future__ import annotations

import pytest

from osaa_lib.errors import IngestError
from osaa_lib.ingest.landing import FileResult, IngestResult


def _file(stem: str, status: str, rejects: int = 0) -> FileResult:
    return FileResult("sdg", stem, f"raw/sdg/{stem}.csv", status, rejects=rejects)


def test_landed_files_and_those_with_rejects() -> None:
    result = IngestResult(
        [
            _file("A", "ingested", rejects=3),
            _file("B", "ingested"),
            _file("C", "skipped", rejects=2),  # rejects of an earlier landing, not news
            _file("D", "failed"),
        ]
    )
    assert [f.stem for f in result.landed] == ["A", "B"]
    assert [f.stem for f in result.with_rejects] == ["A"]
    assert [f.stem for f in result.failed] == ["D"]


def test_one_failed_file_fails_the_ingest() -> None:
    result = IngestResult([_file("A", "ingested"), _file("B", "failed"), _file("C", "skipped")])
    with pytest.raises(IngestError, match=r"^1 of 3 file\(s\) failed; their previous landing"):
        result.raise_if_failed()


def test_skipped_and_landed_files_pass() -> None:
    IngestResult([_file("A", "ingested"), _file("B", "skipped")]).raise_if_failed()
    IngestResult([]).raise_if_failed()
