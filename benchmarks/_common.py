"""What every benchmark shares: timing, peak memory, full-scale data, and RESULTS.md sections."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


@dataclass
class Measure:
    label: str
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


@contextmanager
def measure(label: str, pid: int | None = None) -> Iterator[Measure]:
    """Wall time and peak RSS (sampled every 20 ms, children included) of the block."""
    result = Measure(label)
    proc = psutil.Process(pid)
    stop = threading.Event()
    peak = [0]

    def sample() -> None:
        while not stop.is_set():
            try:
                rss = proc.memory_info().rss + sum(
                    c.memory_info().rss for c in proc.children(recursive=True)
                )
            except psutil.Error:
                rss = 0
            peak[0] = max(peak[0], rss)
            stop.wait(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        stop.set()
        thread.join()
        result.peak_rss_mib = peak[0] / 2**20


def run_isolated(label: str, code: str) -> Measure:
    """Run python code in a fresh process so its peak RSS is its own (ru_maxrss of the child)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{proc.stderr[-3000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Measure(label, seconds, usage.ru_maxrss / 1024, {"stdout": proc.stdout[-500:]})


def full_data(scale: str = "full") -> Path:
    """The full-scale generated files (made once, reused: the generator is deterministic)."""
    out = ROOT / "data" / scale
    if not (out / "defects.json").exists():
        from osaa_lib.sample import generate

        generate(out, scale=scale)
    return out


def write_section(area: str, markdown: str) -> None:
    """Replace this area's section of RESULTS.md, leaving the other areas' sections alone."""
    start, end = f"<!-- {area}:start -->", f"<!-- {area}:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text}\n{block}\n"
    RESULTS.write_text(text)


def table(rows: list[list[object]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    import platform

    memory = psutil.virtual_memory().total / 2**30
    return f"{psutil.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


Runner = Callable[[], None]
