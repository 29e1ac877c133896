"""When a validation of the project fails, and which audits count as clean."""

from __future__ import annotations

import pytest

from osaa_lib.errors import TransformError
from osaa_lib.transform.lineage import AuditOutcome, ValidationResult


def _audits(*outcomes: tuple[int, bool]) -> list[AuditOutcome]:
    return [AuditOutcome(f"m{i}", "a", n, blocking) for i, (n, blocking) in enumerate(outcomes)]


@pytest.mark.parametrize(
    ("result", "ok"),
    [
        (ValidationResult(audits=_audits((0, True), (3, False))), True),
        (ValidationResult(audits=_audits((2, True))), False),
        (ValidationResult(render_errors={"sources.sdg": "parse error"}), False),
        (ValidationResult(test_failures=["test_master: 1 row differs"]), False),
    ],
)
def test_validation_fails_on_render_test_or_blocking_audit(result, ok) -> None:
    assert result.ok is ok
    if ok:
        result.raise_if_failed()
    else:
        with pytest.raises(TransformError, match="validation failed"):
            result.raise_if_failed()


def test_clean_audits_are_those_without_failing_rows() -> None:
    result = ValidationResult(audits=_audits((0, True), (3, False), (0, False)))
    assert [a.model for a in result.clean_audits] == ["m0", "m2"]
