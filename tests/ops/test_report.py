"""The performance report: KPIs, timings, baseline comparison, offline HTML with inline SVG."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from osaa_lib.lake import Lake
from osaa_lib.lake.keys import new_run_id
from osaa_lib.ops import benchmark, report
from osaa_lib.ops.runs import RunRecord, Stage, save

EVIL = "<img src=x onerror=alert(1)>"


def _history(lake: Lake, now: datetime) -> None:
    for i, (command, seconds, status) in enumerate(
        [
            ("ingest", 20, "success"),
            ("etl", 100, "success"),
            ("ingest", 22, "success"),
            ("etl", 400, "success"),
            (f"etl {EVIL}", 5, "failed"),
        ]
    ):
        start = now - timedelta(hours=30 - i * 5)
        stages = [
            Stage("model:master.indicators", seconds=seconds * 0.6, started=start.isoformat()),
            Stage(f"model:{EVIL}", seconds=1.0, started=start.isoformat()),
        ]
        save(
            lake,
            RunRecord(
                new_run_id(start),
                command,
                {"note": EVIL},
                "tester",
                "",
                "dev",
                "dev_tester",
                "h",
                1,
                start.isoformat(),
                (start + timedelta(seconds=seconds)).isoformat(),
                seconds,
                status,
                0 if status == "success" else 1,
                None if status == "success" else EVIL,
                None,
                stages,
            ),
        )


def _baseline(lake: Lake) -> None:
    result = benchmark.BenchmarkResult(
        "20261101T000000000Z-base0001", "full", "/data/full", "2 cores", "2026-11-01T00:00:00+00:00"
    )
    result.stages = [
        benchmark.StageTiming("ingest", 20.0, 500.0),
        benchmark.StageTiming("etl", 100.0, 900.0),
        benchmark.StageTiming("quality", 30.0, 400.0),
    ]
    benchmark.save_baseline(lake, result)


def test_compare_flags_regressions() -> None:
    base = {
        "stages": [
            {"name": "ingest", "seconds": 10},
            {"name": "etl", "seconds": 100},
            {"name": "quality", "seconds": 5},
        ]
    }
    now = datetime.now(UTC)
    recs = [
        RunRecord(
            "a",
            "ingest",
            {},
            "u",
            "",
            "dev",
            "d",
            "h",
            1,
            now.isoformat(),
            duration_s=30,
            status="success",
        ),
        RunRecord(
            "b",
            "etl",
            {},
            "u",
            "",
            "dev",
            "d",
            "h",
            1,
            now.isoformat(),
            duration_s=110,
            status="success",
            stages=[Stage("benchmark quality", seconds=4)],
        ),
        RunRecord(
            "c",
            "etl",
            {},
            "u",
            "",
            "dev",
            "d",
            "h",
            1,
            now.isoformat(),
            duration_s=9999,
            status="failed",
        ),
    ]
    rows = {r["stage"]: r for r in report.compare(base, recs)}
    assert rows["ingest"]["ratio"] == pytest.approx(3.0) and rows["ingest"]["verdict"] == "slower"
    assert rows["etl"]["recent_s"] == 110 and rows["etl"]["verdict"] == "ok"
    assert rows["quality"]["recent_s"] == 4
    assert report.compare(None, recs) == []


def test_report_html_is_offline_escaped_and_complete(settings, lake: Lake) -> None:
    now = datetime.now(UTC)
    _history(lake, now)
    _baseline(lake)
    result = report.build(settings, "week", now)
    html = result.html_path.read_text()
    assert result.html_path.parent == settings.reports_dir / "ops"
    assert html.count("<svg") == 3
    assert "<script" not in html and not re.search(r"(src|href)=['\"]?https?:", html)
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    for text in (
        "Pipeline runtime",
        "Data freshness",
        "Error rate",
        "Data completeness",
        "Upload success",
        "model:master.indicators",
        "20261101T000000000Z-base0001",
    ):
        assert text in html
    assert result.slowest[0]["stage"] == "etl" and result.slowest[0]["max_s"] == 400
    etl = next(c for c in result.comparison if c["stage"] == "etl")
    assert etl["recent_s"] == pytest.approx(250) and etl["verdict"] == "slower"
    assert [r["stage"] for r in result.regressions] == ["etl"]
    assert next(c for c in result.comparison if c["stage"] == "quality")["runs"] == 0
    kpis = {k.name: k for k in result.kpis.kpis}
    assert kpis["Error rate"].value == pytest.approx(20.0)


def test_cli_performance_report(osaa, lake: Lake, settings) -> None:
    _history(lake, datetime.now(UTC))
    result = osaa("performance-report", "--month")
    assert result.exit_code == 0, result.output
    assert "Error rate" in result.output and "MISSED" in result.output
    (html,) = (settings.reports_dir / "ops").glob("performance-month-*.html")
    assert "last month" in html.read_text()
    assert osaa("performance-report", "--week", "--month").exit_code == 2


@pytest.mark.browser
def test_report_renders_charts_in_chromium_without_network(
    settings, lake: Lake, tmp_path: Path
) -> None:
    from PIL import Image

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is missing: `make system-deps` (apt-get install chromium)")
    _history(lake, datetime.now(UTC))
    _baseline(lake)
    page = report.build(settings, "week").html_path
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2600",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("RGB")
    colours = {image.getpixel((x, y)) for x in range(0, 1200, 7) for y in range(0, 2600, 7)}
    assert len(colours) > 20  # coloured chart lines and bars, not a blank or text-only page
