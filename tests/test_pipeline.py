"""The pipeline's verdict: a notebook that raised comes before the quality gate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from osaa_lib.errors import QualityGateError
from osaa_lib.notebooks import NotebookError, NotebookRun
from osaa_lib.pipeline import PipelineResult


def _nb(name: str, ok: bool) -> NotebookRun:
    out = Path("/reports/r1")
    return NotebookRun(
        name,
        "r1",
        {},
        out / f"{name}.ipynb",
        out / f"{name}.html",
        1.0,
        ok,
        None if ok else "ValueError: boom",
    )


def _result(runs: list[NotebookRun], gate_failed: bool) -> PipelineResult:
    return PipelineResult("r1", Path("/reports/r1"), "2026-11-29", runs, gate_failed=gate_failed)


@pytest.mark.parametrize(
    ("runs", "gate_failed", "error", "message"),
    [
        ([_nb("ingest", False)], True, NotebookError, "notebook ingest failed (ValueError: boom)"),
        (
            [_nb("ingest", True), _nb("quality_report", True)],
            True,
            QualityGateError,
            "see /reports/r1/quality_report.html",
        ),
        ([_nb("ingest", True)], True, QualityGateError, "see /reports/r1"),
    ],
)
def test_failed_run_raises_the_error_of_its_exit_code(runs, gate_failed, error, message) -> None:
    result = _result(runs, gate_failed)
    with pytest.raises(error, match=re.escape(message)) as caught:
        result.raise_if_failed()
    assert caught.value.exit_code == result.exit_code != 0


def test_a_clean_run_passes() -> None:
    result = _result([_nb("ingest", True), _nb("quality_report", True)], gate_failed=False)
    result.raise_if_failed()
    assert result.exit_code == 0 and result.status == "success"
