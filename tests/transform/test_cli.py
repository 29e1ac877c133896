"""The commands in-process: exit codes, messages, and the real ingest -> transform -> publish."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from osaa_lib.cli import app
from osaa_lib.config import Settings
from osaa_lib.lake import keys, open_lake
from tests.transform.conftest import REPO

runner = CliRunner()


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "OSAA_PROJECT_DIR": str(settings.project_dir),
        "OSAA_LAKE": settings.lake_root,
        "OSAA_RAW_DIR": str(settings.raw_dir),
        "OSAA_STATE_DIR": str(settings.state_dir),
        "OSAA_REPORTS_DIR": str(settings.reports_dir),
        "OSAA_LOG_DIR": str(settings.log_dir),
        "USERNAME": settings.username,
        "TARGET": settings.target,
        "COLUMNS": "300",
    }


def osaa(settings: Settings, *args: str):
    return runner.invoke(app, list(args), env=env_of(settings))


def test_every_command_has_help() -> None:
    for args in (
        ["transform"],
        ["etl"],
        ["models", "list"],
        ["models", "validate"],
        ["models", "lineage"],
        ["sql"],
        ["export"],
    ):
        result = runner.invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, args


def test_transform_is_up_to_date_and_dry_run_says_so(built: Settings) -> None:
    result = osaa(built, "transform")
    assert result.exit_code == 0 and "up to date" in result.output
    result = osaa(built, "transform", "--dry-run")
    assert result.exit_code == 0 and "Nothing would change" in result.output


def test_unknown_model_is_refused(built: Settings) -> None:
    result = osaa(built, "transform", "--model", "sources.nope")
    assert result.exit_code == 5 and "unknown model" in result.output


def test_sql_query_and_read_only(built: Settings) -> None:
    result = osaa(built, "sql", "SELECT count(*) AS n FROM master.indicators WHERE source = 'sdg'")
    assert result.exit_code == 0 and "1 row(s)" in result.output
    result = osaa(built, "sql", "CREATE TABLE x AS SELECT 1")
    assert result.exit_code == 5 and "--write" in result.output


def test_export_csv_with_filter(built: Settings, tmp_path) -> None:
    out = tmp_path / "sdg.csv"
    result = osaa(
        built,
        "export",
        "--model",
        "master.indicators",
        "--format",
        "csv",
        "--output",
        str(out),
        "--where",
        "source = 'sdg'",
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("indicator_id,country_id,year,value")
    assert all(line.endswith(",sdg") for line in lines[1:]) and len(lines) > 1


@pytest.mark.parametrize(
    "where",
    [
        "1=1; DROP TABLE master.indicators",
        "1=1) TO '/tmp/evil.csv' (FORMAT csv) --",
        "1=1 /* x */",
        "(1=1",
    ],
)
def test_export_where_cannot_smuggle_statements(built: Settings, tmp_path, where: str) -> None:
    out = tmp_path / "x.csv"
    result = osaa(
        built, "export", "--model", "master.indicators", "--output", str(out), "--where", where
    )
    assert result.exit_code == 5 and "--where" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "master.nope"], "unknown model"),
        (["--model", "x; drop"], "not a model name"),
        (["--model", "master.indicators", "--format", "xlsx"], "not one of"),
    ],
)
def test_export_checks_model_format_and_output(built, tmp_path, args, message) -> None:
    result = osaa(built, "export", *args, "--output", str(tmp_path / "o.csv"))
    assert result.exit_code == 5 and message in result.output
    result = osaa(
        built,
        "export",
        "--model",
        "master.indicators",
        "--output",
        str(tmp_path / "missing" / "o.csv"),
    )
    assert result.exit_code == 5 and "does not exist" in result.output


def test_models_list_and_lineage(built: Settings) -> None:
    result = osaa(built, "models", "list")
    assert result.exit_code == 0
    for name in ("sources.sdg", "sources.wdi", "master.indicators", "reference.countries"):
        assert name in result.output
    result = osaa(built, "models", "lineage", "master.indicators")
    assert result.exit_code == 0 and "sources.opri" in result.output
    assert (built.reports_dir / "lineage_master_indicators.html").exists()


@pytest.mark.slow
def test_etl_ingests_the_committed_sample_and_publishes(make_settings) -> None:
    settings = make_settings()
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir)
    result = osaa(settings, "etl")
    assert result.exit_code == 0, result.output
    found = {o.key for o in open_lake(settings).list(keys.staging_prefix(settings))}
    assert {
        f"dev/staging/dev_tester/{k}.parquet"
        for k in ("master/indicators", "sources/sdg", "sources/opri", "sources/wdi")
    } <= found
    again = osaa(settings, "etl")
    assert again.exit_code == 0 and "up to date" in again.output
    assert "0 table(s) written" in again.output

    sdg_key = "dev/staging/dev_tester/sources/sdg.parquet"
    before = open_lake(settings).checksum(sdg_key)
    (settings.raw_dir / "sdg" / "SDG_DATA_NATIONAL.csv").write_text("not,the,header\n1,2,3\n")
    broken = osaa(settings, "etl")
    assert broken.exit_code == 4, broken.output
    assert "last good landing" in broken.output
    assert open_lake(settings).checksum(sdg_key) == before
