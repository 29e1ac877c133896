"""The benchmark baseline: stage timings in a scratch lake, kept in the lake for comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from osaa_lib.db import connect
from osaa_lib.lake import Lake, keys, open_lake
from osaa_lib.ops import benchmark, runs
from tests.conftest import REPO

SAMPLE = REPO / "data" / "raw"


def land(settings: Settings) -> None:
    """A real, small ingest: every SDG CSV of the raw folder to Parquet in the (scratch) lake."""
    lake = open_lake(settings)
    for csv in sorted(Path(settings.raw_dir).glob("sdg/*.csv")):
        key = f"{keys.landing_prefix(settings)}/sdg/{csv.stem}.parquet"
        with lake.writing(key) as tmp, connect(settings) as con:
            con.execute(
                f"COPY (SELECT * FROM read_csv('{csv}', header=true, all_varchar=true)) "
                f"TO '{tmp}' (FORMAT parquet)"
            )


def count(settings: Settings) -> None:
    lake = open_lake(settings)
    key = f"{keys.landing_prefix(settings)}/sdg/SDG_DATA_NATIONAL.parquet"
    with connect(settings) as con:
        (rows,) = con.execute(f"SELECT count(*) FROM '{lake.uri(key)}'").fetchone()
    runs.record_stage("count sdg", rows_in=rows)
    assert rows > 1000


def test_benchmark_runs_stages_in_a_scratch_lake(
    settings: Settings, lake: Lake, tmp_path: Path
) -> None:
    work = tmp_path / "bench-work"
    with runs.track(settings, "benchmark") as record:
        result = benchmark.run_benchmark(
            settings,
            "custom",
            data_dir=SAMPLE,
            workdir=work,
            stages=[("ingest", land), ("quality", count)],
        )
    assert [s.name for s in result.stages] == ["ingest", "quality"]
    assert all(s.seconds > 0 and s.peak_rss_mib > 10 for s in result.stages)
    assert result.run_id == record.run_id and result.data_bytes > 100_000
    assert (work / "lake" / "dev" / "landing" / "sdg" / "SDG_DATA_NATIONAL.parquet").is_file()
    assert not lake.list("dev/landing"), "the user's own lake must stay untouched"
    saved = runs.load_runs(lake)[0]
    names = [s.name for s in saved.stages]
    assert names == ["benchmark ingest", "count sdg", "benchmark quality"]
    assert saved.stages[1].rows_in > 1000 and saved.stages[0].extra["peak_rss_mib"] > 10


def test_baseline_is_saved_and_the_newest_of_a_scale_wins(lake: Lake) -> None:
    assert benchmark.latest_baseline(lake) is None
    keys = []
    for run_id, scale in (
        ("20260101T000000000Z-aaaaaaaa", "full"),
        ("20260401T000000000Z-bbbbbbbb", "full"),
        ("20260501T000000000Z-cccccccc", "small"),
    ):
        result = benchmark.BenchmarkResult(run_id, scale, "/d", "m", run_id[:4] + "-01-01")
        result.stages = [benchmark.StageTiming("ingest", 1.0, 100.0)]
        keys.append(benchmark.save_baseline(lake, result))
    assert keys[0] == "ops/baselines/2026-01-01/20260101T000000000Z-aaaaaaaa.json"
    assert benchmark.latest_baseline(lake)["run_id"] == "20260401T000000000Z-bbbbbbbb"
    assert benchmark.latest_baseline(lake, None)["run_id"] == "20260501T000000000Z-cccccccc"
    data = json.loads(lake.read_bytes(keys[0]))
    assert data["total_seconds"] == 1.0 and data["stages"][0]["name"] == "ingest"


def test_failing_stage_stops_and_cleans_up(settings: Settings) -> None:
    def broken(s: Settings) -> None:
        raise RuntimeError("transform exploded")

    before = set(Path("/tmp").glob("osaa-bench-*"))
    with pytest.raises(RuntimeError, match="exploded"):
        benchmark.run_benchmark(
            settings,
            "custom",
            data_dir=SAMPLE,
            stages=[("ingest", land), ("transform", broken), ("quality", count)],
        )
    assert set(Path("/tmp").glob("osaa-bench-*")) == before


@pytest.mark.slow
def test_cli_benchmark_on_the_shipped_sample(osaa, lake: Lake) -> None:
    """Whatever pipeline stages are installed run; the run and its baseline are recorded."""
    result = osaa("benchmark", "--data", str(SAMPLE))
    assert result.exit_code == 0, result.output
    found, missing = benchmark.pipeline_stages()
    (record,) = runs.load_runs(lake)
    assert record.command == "benchmark" and record.status == "success"
    assert [s.name for s in record.stages if s.name.startswith("benchmark ")] == [
        f"benchmark {name}" for name, _ in found
    ]
    if found:
        assert "baseline recorded" in result.output
        assert benchmark.latest_baseline(lake, "custom")["run_id"] == record.run_id
    else:
        assert "not installed, skipped" in result.output and "ingest" in missing


def test_generated_data_reuses_the_project_copy_or_generates(make_settings, tmp_path) -> None:
    project = tmp_path / "project"
    (project / "data" / "full").mkdir(parents=True)
    (project / "data" / "full" / "defects.json").write_text("[]")
    s = make_settings({"OSAA_PROJECT_DIR": str(project)})
    assert benchmark.generated_data(s, "full") == project / "data" / "full"
    small = benchmark.generated_data(s, "small")
    assert small == s.state_dir / "benchmark-data" / "small"
    assert (small / "sdg" / "SDG_DATA_NATIONAL.csv").stat().st_size > 100_000
    assert benchmark.generated_data(s, "small") == small  # cached, not generated again
