"""How checks and key figures are compared with the previous run (`reports.changes`)."""

from __future__ import annotations

from osaa_lib.quality.model import CheckResult, Kpi
from osaa_lib.reports.changes import check_changes, kpi_changes


def _check(name: str, status: str, failing: int = 0, source: str = "sdg") -> CheckResult:
    return CheckResult(name, source, "error" if status == "fail" else "warn", status, None, 0,
                       failing, f"{name} found {failing}")  # fmt: skip


def _recorded(c: CheckResult) -> dict:
    return {"source": c.source, "check_name": c.name, "severity": c.severity,
            "status": c.status, "failing_count": c.failing_count}  # fmt: skip


def test_the_one_check_that_moved_comes_before_29_that_did_not() -> None:
    steady = [_check(f"check_{i:02}", "warn", i + 1, source="master") for i in range(29)]
    previous = [_recorded(c) for c in steady] + [_recorded(_check("vanished_keys", "pass"))]
    now = steady + [_check("vanished_keys", "warn", 20)]
    changes = check_changes(now, previous)
    assert [(c["change"], c["check"], c["before"], c["now"]) for c in changes] == [
        ("newly failing", "vanished_keys", "pass", "warn")
    ]


def test_every_kind_of_move_in_reading_order() -> None:
    previous = [_recorded(c) for c in (
        _check("got_worse", "pass"), _check("fixed", "warn", 3), _check("eased", "fail", 2),
        _check("recount", "warn", 5), _check("dropped", "warn", 1), _check("same", "warn", 4),
        _check("still_fine", "pass"),
    )]  # fmt: skip
    now = [
        _check("fixed", "pass"), _check("eased", "warn", 1), _check("recount", "warn", 7),
        _check("same", "warn", 4), _check("still_fine", "pass"), _check("got_worse", "fail", 9),
        _check("brand_new", "warn", 2), _check("new_and_fine", "pass"),
    ]
    assert [(c["change"], c["check"]) for c in check_changes(now, previous)] == [
        ("newly failing", "got_worse"),
        ("new check", "brand_new"),
        ("resolved", "fixed"),
        ("improved", "eased"),
        ("count changed", "recount"),
        ("no longer run", "dropped"),
    ]


def test_failing_rows_of_a_moved_check_come_along() -> None:
    moved = _check("duplicates", "warn", 2)
    moved.samples = [{"indicator_id": "X", "country_id": "NGA", "year": 2020}]
    (change,) = check_changes([moved], [_recorded(_check("duplicates", "pass"))])
    assert change["samples"] == moved.samples and change["message"] == "duplicates found 2"
    assert (change["failing before"], change["failing now"]) == (0, 2)


def test_only_key_figures_that_moved_are_listed() -> None:
    kpis = [Kpi("master", "rows", 100.0, 120.0), Kpi("master", "countries", 54.0, 54.0),
            Kpi("sdg", "rows", 10.0, None)]  # fmt: skip
    assert kpi_changes(kpis) == [
        {"source": "master", "name": "rows", "before": 120.0, "now": 100.0, "change": -20.0}
    ]
