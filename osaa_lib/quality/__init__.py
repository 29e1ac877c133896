"""Data quality engine: checks, anomalies, profiles, vintage diffs and a history of every run.

Everything is computed in DuckDB over the published Parquet; only small results (check rows,
a few samples, ranked anomalies) come back to Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from osaa_lib.quality.model import Anomaly, CheckResult, Kpi, Metric, QualityResult

if TYPE_CHECKING:
    from osaa_lib.config import Settings
    from osaa_lib.lake import Lake

__all__ = [
    "Anomaly",
    "CheckResult",
    "Kpi",
    "Metric",
    "QualityResult",
    "run_checks",
    "save",
]


def run_checks(
    settings: Settings,
    sources: list[str] | None = None,
    lake: Lake | None = None,
    run_id: str | None = None,
    **kwargs: Any,
) -> QualityResult:
    """Run every check, anomaly method and profile; see `osaa_lib.quality.runner.run_checks`."""
    from osaa_lib.quality.runner import run_checks as _run

    return _run(settings, sources=sources, lake=lake, run_id=run_id, **kwargs)


def save(result: QualityResult, settings: Settings, lake: Lake | None = None) -> None:
    """Kept for symmetry: `run_checks(record=True)` (the default) already recorded the run."""
    from osaa_lib.quality.runner import save as _save

    _save(result, settings, lake=lake)
