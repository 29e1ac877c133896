"""Papermill's overhead: the scheduled run through notebooks vs the same library calls.

Both runs start from an empty lake and the same raw files (full scale by default), in the same
process and benchmark run:
- direct: `ingest` -> `transform.plan_apply` -> `publish` -> `quality.run_checks` -> the same
  report sections written as one HTML page;
- notebooks: `pipeline.run_pipeline` (the same calls inside the ingest, transform and
  quality_report notebooks, executed by papermill, plus report sections and HTML rendering).
The fixed cost per notebook (export from cache, kernel start, imports, nbconvert) is measured on
a notebook that does nothing but parse its parameters.

Run: `.venv/bin/python -m benchmarks bench_notebooks` (`OSAA_BENCH_SCALE=small` for a quick run).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from benchmarks._common import ROOT, full_data, machine, measure, table, write_section


def _settings(root: Path, raw: Path):
    from osaa_lib.config import load_settings

    env = {
        "OSAA_PROJECT_DIR": str(ROOT),
        "OSAA_LAKE": str(root / "lake"),
        "OSAA_RAW_DIR": str(raw),
        "OSAA_STATE_DIR": str(root / "state"),
        "OSAA_REPORTS_DIR": str(root / "reports"),
        "OSAA_LOG_DIR": str(root / "logs"),
        "USERNAME": "bench",
        "TARGET": "dev",
    }
    for name in ("DUCKDB_MEMORY_LIMIT", "DUCKDB_THREADS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return load_settings(environ=env, dotenv=root / "no.env")


def _direct(settings) -> dict[str, float]:
    """The notebooks' library calls, report included, without notebooks: seconds per stage."""
    import time

    from markupsafe import Markup

    from osaa_lib import reports
    from osaa_lib.ingest import ingest
    from osaa_lib.quality import run_checks
    from osaa_lib.reports import data as report_data
    from osaa_lib.reports import sections as report_sections
    from osaa_lib.transform import plan_apply
    from osaa_lib.transform.publish import publish

    out: dict[str, float] = {}
    start = time.perf_counter()
    ingest(settings)
    out["ingest"] = time.perf_counter() - start
    start = time.perf_counter()
    plan_apply(settings)
    publish(settings)
    report_data.lineage(settings)
    out["transform"] = time.perf_counter() - start
    start = time.perf_counter()
    result = run_checks(settings, run_id="bench-direct")
    data = report_data.gather(settings, result)
    body = Markup("").join([
        report_sections.header_section(result, {}, data["environment"], data["files"]),
        report_sections.kpi_section(result.kpis),
        report_sections.checks_section(result.checks),
        report_sections.history_section(data["history"]),
        report_sections.volume_section(data["volume"], data["freshness"]),
        report_sections.coverage_section(data["by_region"], data["by_year"], result.coverage),
        report_sections.integrity_section(result.checks),
        report_sections.vintage_section(result.vintage_diffs),
        report_sections.anomaly_section(result.anomalies, data["series"], result.anomaly_count),
        report_sections.profile_section(result.profile),
    ])  # fmt: skip
    reports.write_page(settings.reports_dir / "direct.html", reports.page("quality report", body))
    out["quality_report"] = time.perf_counter() - start
    return out


def _notebooks(settings) -> dict[str, float]:
    from osaa_lib.pipeline import PIPELINE, _prefetch_exports, run_pipeline

    _prefetch_exports(settings, PIPELINE)  # steady state: a scheduled host keeps this cache
    result = run_pipeline(settings, run_id="bench-notebooks")
    if result.failed is not None:
        raise RuntimeError(f"notebook {result.failed.notebook} failed: {result.failed.error}")
    return {r.notebook: r.seconds for r in result.runs}


def _fixed_cost(settings, repeats: int = 3) -> float:
    """Seconds to run a notebook that only parses its parameters (export cached after the 1st)."""
    from osaa_lib import notebooks

    tiny = ROOT / "tests" / "notebooks" / "fixtures" / "empty.py"
    notebooks.run(tiny, {"run_id": "warm"}, settings)
    times = []
    for i in range(repeats):
        with measure("fixed") as m:
            notebooks.run(tiny, {"run_id": f"fixed-{i}"}, settings)
        times.append(m.seconds)
    return min(times)


def main() -> None:
    scale = os.environ.get("OSAA_BENCH_SCALE", "full")
    raw = full_data(scale) if scale != "small" else ROOT / "data" / "raw"
    work = Path(tempfile.mkdtemp(prefix="bench-notebooks-"))
    try:
        loads = [os.getloadavg()[0]]
        direct_settings = _settings(work / "direct", raw)
        with measure("direct") as direct:
            per_step = _direct(direct_settings)
        loads.append(os.getloadavg()[0])
        nb_settings = _settings(work / "notebooks", raw)
        with measure("notebooks") as through_notebooks:
            per_notebook = _notebooks(nb_settings)
        loads.append(os.getloadavg()[0])
        fixed = _fixed_cost(_settings(work / "fixed", raw))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = through_notebooks.seconds / direct.seconds
    overhead = through_notebooks.seconds - direct.seconds
    rows = [
        ["direct library calls (baseline)", f"{direct.seconds:.1f}", "1.00",
         f"{direct.peak_rss_mib:.0f}"],
        ["through notebooks (papermill)", f"{through_notebooks.seconds:.1f}", f"{ratio:.2f}",
         f"{through_notebooks.peak_rss_mib:.0f}"],
    ]  # fmt: skip
    stages = ", ".join(
        f"{k} {v:.1f} s vs {per_step.get(k, 0):.1f} s ({v / max(per_step.get(k, 0), 1e-9):.2f}x)"
        for k, v in per_notebook.items()
    )
    verdict = "meets" if ratio <= 1.3 else "misses"
    if ratio < 1:
        verdict = (
            "the notebook run was faster: the machine's load changed between the runs, so the "
            "ratio is noise here; what papermill adds is the fixed cost below; formally meets"
        )
    write_section(
        "notebooks",
        f"""## Notebooks: papermill overhead (`bench_notebooks`)

Command: `.venv/bin/python -m benchmarks bench_notebooks` (scale `{scale}`: {raw}).
Machine: {machine()}; 1-min load average {loads[0]:.1f} at the start, {loads[1]:.1f} after the
direct run, {loads[2]:.1f} after the notebook run (the machine is shared with other work: the two
runs do not see the same load, which moves the ratio more than papermill does).

{table(rows, ["run", "seconds", "ratio", "peak RSS MiB (with children)"])}

- Per stage, notebook vs direct: {stages}.
- Overhead {overhead:.1f} s in total: {ratio:.2f}x the direct calls ({verdict} the 1.3x target).
  It includes the report itself (history, coverage and anomaly queries, SVG charts, nbconvert).
- Fixed cost per notebook (cached export, kernel start, imports, nbconvert to HTML) measured on
  a notebook that only parses its parameters: **{fixed:.2f} s**. Not included: the first export
  of the notebooks on a fresh checkout or after an edit (`marimo export ipynb`, ~1 s each on an
  idle machine, run in parallel at the start of the run, then cached by content in the state
  folder).
""",
    )
    print(f"direct {direct.seconds:.1f}s, notebooks {through_notebooks.seconds:.1f}s, "
          f"ratio {ratio:.2f}, fixed cost per notebook {fixed:.2f}s")  # fmt: skip


if __name__ == "__main__":
    main()
