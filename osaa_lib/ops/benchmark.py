"""The quarterly performance baseline: the whole pipeline on full-scale generated data.

The pipeline runs in a scratch lake (never the user's landing or staging), stage by stage,
with wall time and peak memory of each stage; the timings are kept in the lake at
`ops/baselines/<YYYY-MM-DD>/<run_id>.json` so later runs on any machine can be compared.
Stages whose module is not installed yet are listed as missing rather than failing.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.lake import keys
from osaa_lib.ops import runs

if TYPE_CHECKING:
    from osaa_lib.lake import Lake

log = logging.getLogger(__name__)


@dataclass
class StageTiming:
    name: str
    seconds: float
    peak_rss_mib: float


@dataclass
class BenchmarkResult:
    run_id: str
    scale: str
    data_dir: str
    machine: str
    created: str
    stages: list[StageTiming] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    data_bytes: int = 0
    baseline_key: str | None = None

    @property
    def total_seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_seconds"] = round(self.total_seconds, 3)
        return data


def machine() -> str:
    import os
    import platform

    import psutil

    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


@contextmanager
def peak_rss() -> Iterator[list[float]]:
    """Peak resident memory (MiB, children included) of this process during the block."""
    import psutil

    proc, stop, peak = psutil.Process(), threading.Event(), [0.0]

    def sample() -> None:
        while not stop.is_set():
            try:
                rss = proc.memory_info().rss + sum(
                    c.memory_info().rss for c in proc.children(recursive=True)
                )
            except psutil.Error:
                rss = 0
            peak[0] = max(peak[0], rss / 2**20)
            stop.wait(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def generated_data(settings: Settings, scale: str) -> Path:
    """Publishers' files at this scale, generated once and reused (the generator is seeded).

    The repository's `data/<scale>` (where benchmarks/ keeps its copy) is used when complete.
    """
    shared = settings.project_dir / "data" / scale
    if (shared / "defects.json").is_file():
        return shared
    from osaa_lib.sample import generate

    out = settings.state_dir / "benchmark-data" / scale
    if not (out / "defects.json").exists():
        generate(out, scale=scale)
    return out


def pipeline_stages() -> tuple[list[tuple[str, Callable[[Settings], Any]]], list[str]]:
    """The pipeline's stages in order, imported lazily; a missing stage ends the chain (the
    stages after it have nothing to work on) and it and the rest are reported missing."""
    import importlib

    wanted = [
        ("ingest", [("osaa_lib.ingest", "ingest")]),
        ("transform", [("osaa_lib.transform", "plan_apply")]),
        ("publish", [("osaa_lib.transform.publish", "publish"), ("osaa_lib.transform", "publish")]),
        ("quality", [("osaa_lib.quality", "run_checks")]),
    ]
    found: list[tuple[str, Callable[[Settings], Any]]] = []
    for i, (name, candidates) in enumerate(wanted):
        fn = None
        for module_name, attr in candidates:
            try:
                fn = getattr(importlib.import_module(module_name), attr)
                break
            except (ImportError, AttributeError):
                continue
        if fn is None:
            return found, [n for n, _ in wanted[i:]]
        found.append((name, fn))
    return found, []


def run_benchmark(
    settings: Settings,
    scale: str = "full",
    data_dir: Path | None = None,
    workdir: Path | None = None,
    stages: list[tuple[str, Callable[[Settings], Any]]] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> BenchmarkResult:
    """Run every available stage on generated data in a scratch lake; the first error stops it."""
    data = Path(data_dir) if data_dir else generated_data(settings, scale)
    run = runs.current()
    result = BenchmarkResult(
        run_id=run.run_id if run else keys.new_run_id(),
        scale=scale,
        data_dir=str(data),
        machine=machine(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        data_bytes=sum(p.stat().st_size for p in data.rglob("*.csv")),
    )
    if stages is None:
        stages, result.missing = pipeline_stages()
    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="osaa-bench-"))
    bench = replace(
        settings,
        lake_root=str(scratch / "lake"),
        backup_root=str(scratch / "backups"),
        raw_dir=data,
        state_dir=scratch / "state",
        reports_dir=scratch / "reports",
    )
    try:
        for name, fn in stages:
            if on_stage:
                on_stage(name)
            log.info("benchmark stage %s on %s data", name, scale)
            with peak_rss() as peak:
                start = time.perf_counter()
                fn(bench)
                seconds = time.perf_counter() - start
            timing = StageTiming(name, round(seconds, 3), round(peak[0], 1))
            result.stages.append(timing)
            runs.record_stage(
                f"benchmark {name}", seconds=timing.seconds, peak_rss_mib=timing.peak_rss_mib
            )
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


def save_baseline(lake: Lake, result: BenchmarkResult) -> str:
    key = keys.baseline_key(result.created[:10], result.run_id)
    lake.write_bytes(key, json.dumps(result.to_dict(), indent=1).encode())
    result.baseline_key = key
    return key


def latest_baseline(lake: Lake, scale: str | None = "full") -> dict[str, Any] | None:
    """The newest baseline (of this scale when given, else of any scale)."""
    found = sorted(
        (o.key for o in lake.list(keys.BASELINES) if o.key.endswith(".json")),
        key=keys.baseline_run_id,
        reverse=True,
    )
    fallback = None
    for key in found:
        try:
            data = json.loads(lake.read_bytes(key))
        except (ValueError, OSError) as exc:
            log.warning("skipping unreadable baseline %s: %s", key, exc)
            continue
        data["key"] = key
        if scale is None or data.get("scale") == scale:
            return data
        fallback = fallback or data
    return fallback
