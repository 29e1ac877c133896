"""What an etl result makes of a file that failed to ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from osaa_lib.errors import IngestError
from osaa_lib.ingest.landing import FileResult, IngestResult
from osaa_lib.transform.run import EtlResult, TransformResult


def _etl(*statuses: str) -> EtlResult:
    files = [FileResult("sdg", f"F{i}", f"F{i}.csv", s) for i, s in enumerate(statuses)]
    return EtlResult(IngestResult(files), TransformResult("dev", "dev_t", Path("x")), None)


def test_a_failed_file_fails_the_etl_after_publishing_the_rest() -> None:
    with pytest.raises(IngestError, match=r"^2 file\(s\) failed to ingest; transform and publish "):
        _etl("ingested", "failed", "failed").raise_if_failed()


def test_landed_and_unchanged_files_pass() -> None:
    _etl("ingested", "skipped").raise_if_failed()
