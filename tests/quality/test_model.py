"""The verdicts of a quality run: which anomalies alarm, and when the gate closes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from osaa_lib.errors import QualityGateError
from osaa_lib.quality.model import Anomaly, CheckResult, QualityResult


def _anomaly(country: str, annotation: str | None = None, accepted: bool = False) -> Anomaly:
    return Anomaly("sdg", "X.1", country, 2020, 5.0, "hb", 4.2, 1.0, 0.9, annotation, accepted)


def _check(name: str, severity: str, status: str, accepted: bool = False) -> CheckResult:
    return CheckResult(name, "master", severity, status, None, None, 0, accepted=accepted)


def _result(checks: list[CheckResult], anomalies: list[Anomaly] = ()) -> QualityResult:
    return QualityResult(
        "r1", datetime.now(UTC), "dev", "dev_t", {}, checks, list(anomalies), metrics=[]
    )


def test_an_anomaly_alarms_unless_annotated_or_accepted() -> None:
    plain, noted, accepted = _anomaly("KEN"), _anomaly("UGA", "census year"), _anomaly("TZA")
    accepted.accepted = True
    assert plain.alarms and not noted.alarms and not accepted.alarms
    later = _anomaly("RWA")
    result = _result([], [plain, noted, accepted, later])
    assert [a.country_id for a in result.alarmed] == ["KEN", "RWA"]


@pytest.mark.parametrize(
    ("checks", "blocked"),
    [
        ([_check("duplicates", "error", "fail")], "master.duplicates"),
        ([_check("a", "error", "fail"), _check("b", "error", "fail")], "master.a, master.b"),
        ([_check("duplicates", "error", "fail", accepted=True)], None),
        ([_check("coverage", "warn", "fail"), _check("nulls", "error", "warn")], None),
        ([_check("nulls", "error", "pass")], None),
    ],
)
def test_the_gate_fails_on_an_unaccepted_error_check(checks, blocked) -> None:
    result = _result(checks)
    if blocked is None:
        result.raise_if_failed()
        assert not result.gate_failed
        return
    with pytest.raises(QualityGateError) as caught:
        result.raise_if_failed()
    assert str(caught.value) == f"quality gate failed: {blocked}"
    assert caught.value.exit_code == 7
