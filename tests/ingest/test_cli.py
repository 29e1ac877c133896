"""`osaa ingest` and `osaa sample-data` in-process: exit codes, tables, messages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from osaa_lib.cli import app
from osaa_lib.config import Settings
from tests.ingest.conftest import REPO


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": settings.lake_root,
        "OSAA_RAW_DIR": str(settings.raw_dir),
        "OSAA_STATE_DIR": str(settings.state_dir),
        "OSAA_LOG_DIR": str(settings.log_dir),
        "OSAA_REPORTS_DIR": str(settings.reports_dir),
        "USERNAME": "tester",
        "TARGET": "dev",
    }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_ingest_prints_a_summary_and_skips_on_rerun(env: dict[str, str], sample_raw: Path) -> None:
    first = run(env, "ingest")
    assert first.exit_code == 0, first.output
    assert "SDG_DATA_NATIONAL" in first.output and "ingested" in first.output
    assert "did not convert" in first.output
    second = run(env, "ingest", "--source", "wdi")
    assert second.exit_code == 0 and "skipped" in second.output and "SDG" not in second.output
    forced = run(env, "ingest", "-s", "wdi", "--force")
    assert forced.exit_code == 0 and "ingested" in forced.output


def test_a_failed_file_gives_a_non_zero_exit(env: dict[str, str], settings: Settings) -> None:
    folder = Path(settings.raw_dir) / "edu"
    folder.mkdir(parents=True)
    (folder / "EDU_DATA_NATIONAL.csv").write_text(
        'indicator_id,country_id,year,value,magnitude,qualifier\n"A","KEN",2001\n'
    )
    (folder / "EDU_LABEL.csv").write_text("INDICATOR_ID,INDICATOR_LABEL_EN\nA,x\n")
    result = run(env, "ingest")
    assert result.exit_code == 4
    assert "line 2: ragged row" in result.output
    assert "1 of 2 file(s) failed" in result.output


def test_unknown_source_is_an_error(env: dict[str, str], sample_raw: Path) -> None:
    result = run(env, "ingest", "--source", "nosuch")
    assert result.exit_code == 4 and "no folder" in result.output
    bad = run(env, "ingest", "--source", "../prod")
    assert bad.exit_code == 2 and "plain identifier" in bad.output


def test_sample_data_command(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "gen"
    result = run(env, "sample-data", "--scale", "small", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "defects.json" in result.output
    committed = REPO / "data" / "raw" / "sdg" / "SDG_DATA_NATIONAL.csv"
    assert (out / "sdg" / "SDG_DATA_NATIONAL.csv").read_bytes() == committed.read_bytes()
    assert json.loads((out / "defects.json").read_text())["seed"] == 20261129
    bad = run(env, "sample-data", "--scale", "huge", "--out", str(tmp_path / "x"))
    assert bad.exit_code != 0 and "unknown scale" in bad.output
    shutil.rmtree(out)


def test_help_texts(env: dict[str, str]) -> None:
    for cmd in ("ingest", "sample-data"):
        result = run(env, cmd, "--help")
        assert result.exit_code == 0 and "--" in result.output
