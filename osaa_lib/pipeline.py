"""The scheduled run: ingest -> transform -> quality_report, each as an executed notebook.

Running the stages through their notebooks (rather than calling the library directly) leaves a
readable record of every run in `reports/<run_id>/`: what landed, what was built, what the checks
found. The exit status: a cell that raises is a code error and stops
the run; a failed data-quality check never stops the notebooks (the report must render) and only
an error-severity failure makes the run fail, with the quality gate's exit code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import QualityGateError
from osaa_lib.lake.keys import new_run_id
from osaa_lib.notebooks import NotebookError, NotebookRun, check_run_id, run

PIPELINE = ("ingest", "transform", "quality_report")
SUCCESS, QUALITY_FAILED, ERROR = "success", "quality_failed", "error"


@dataclass
class PipelineResult:
    run_id: str
    out_dir: Path
    started: str
    runs: list[NotebookRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    gate_failed: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    index: Path | None = None

    @property
    def failed(self) -> NotebookRun | None:
        """The notebook whose code raised, if any (the run stopped there)."""
        return next((r for r in self.runs if not r.ok), None)

    @property
    def status(self) -> str:
        if self.failed is not None:
            return ERROR
        return QUALITY_FAILED if self.gate_failed else SUCCESS

    @property
    def exit_code(self) -> int:
        if self.failed is not None:
            return NotebookError.exit_code
        return QualityGateError.exit_code if self.gate_failed else 0

    def raise_if_failed(self) -> None:
        """A notebook that raised fails the run first; then the quality gate."""
        if self.failed is not None:
            raise NotebookError(
                f"notebook {self.failed.notebook} failed ({self.failed.error}); "
                f"see {self.failed.html}"
            )
        if self.gate_failed:
            raise QualityGateError(
                f"an error-severity quality check failed; see {self.report or self.out_dir}"
            )

    @property
    def report(self) -> Path | None:
        """The quality report of this run, when that notebook ran."""
        return next((r.html for r in self.runs if r.notebook == "quality_report"), None)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started": self.started,
            "status": self.status,
            "exit_code": self.exit_code,
            "gate_failed": self.gate_failed,
            "counts": self.counts,
            "notebooks": [
                {
                    "notebook": r.notebook,
                    "ok": r.ok,
                    "error": r.error,
                    "seconds": round(r.seconds, 3),
                    "html": r.html.name,
                }
                for r in self.runs
            ],
            "skipped": self.skipped,
        }


def run_pipeline(
    settings: Settings,
    run_id: str | None = None,
    notebooks: Sequence[str] = PIPELINE,
    sources: Sequence[str] | None = None,
    extra: Mapping[str, Mapping[str, Any]] | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[NotebookRun], None] | None = None,
    write_index: bool = True,
) -> PipelineResult:
    """Execute the notebooks in order as one run; stop at the first code error.

    `extra` gives per-notebook parameters (`{"ingest": {"force": True}}`); every notebook gets
    target, username, run_id and sources.
    """
    from osaa_lib.ops import runs

    run_id = check_run_id(run_id or new_run_id())
    out_dir = settings.reports_dir / run_id
    result = PipelineResult(run_id, out_dir, datetime.now(UTC).isoformat(timespec="seconds"))
    common = {
        "target": settings.target,
        "username": settings.username,
        "run_id": run_id,
        "sources": list(sources or []),
    }
    _prefetch_exports(settings, notebooks)
    for i, name in enumerate(notebooks):
        if on_start:
            on_start(name)
        params = {**common, **dict((extra or {}).get(name, {}))}
        done = run(name, params, settings, out_dir=out_dir)
        result.runs.append(done)
        runs.record_stage(f"notebook {name}", seconds=done.seconds, ok=done.ok)
        if on_done:
            on_done(done)
        if "gate_failed" in done.results:
            result.gate_failed = bool(done.results["gate_failed"])
            result.counts = dict(done.results.get("counts") or {})
        if not done.ok:
            result.skipped = list(notebooks[i + 1 :])
            break
    (out_dir / "run.json").write_text(
        json.dumps(
            {**result.summary(), "target": settings.target, "space": settings.space}, indent=1
        )
    )
    if write_index:
        from osaa_lib.reports import write_index as _write_index

        result.index = _write_index(settings)
    return result


def _prefetch_exports(settings: Settings, notebooks: Sequence[str]) -> None:
    """Export every notebook of the run at once (each export is a ~1 s `marimo` process, so
    a fresh checkout pays it once, in parallel, instead of before each notebook)."""
    from concurrent.futures import ThreadPoolExecutor

    from osaa_lib.notebooks import export_ipynb, notebook_path

    paths = [notebook_path(n, settings) for n in notebooks]
    cache = settings.state_dir / "notebooks"
    with ThreadPoolExecutor(max_workers=len(paths) or 1) as pool:
        list(pool.map(lambda p: export_ipynb(p, cache), paths))
