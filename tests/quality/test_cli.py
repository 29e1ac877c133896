"""`osaa quality`, `osaa quality accept`, `osaa quality diff` and `osaa profile`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from osaa_lib.cli import app
from osaa_lib.lake import keys
from tests.conftest import REPO
from tests.quality.conftest import publish


@pytest.fixture
def cli_env(tmp_path, monkeypatch, synth, strict_config):
    env = {
        "OSAA_QUALITY_CONFIG": str(strict_config),
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": str(tmp_path / "lake"),
        "OSAA_STATE_DIR": str(tmp_path / "state"),
        "OSAA_LOG_DIR": str(tmp_path / "logs"),
        "OSAA_REPORTS_DIR": str(tmp_path / "reports"),
        "USERNAME": "cli",
        "TARGET": "dev",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    from osaa_lib.config import load_settings

    s = load_settings()
    publish(s, synth[0])
    return s


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_quality_gate_exit_code_and_table(cli_env):
    r = invoke("quality")
    assert r.exit_code == 7, r.output
    assert "duplicates" in r.output and "quality gate failed: master.duplicates" in r.output


def test_quality_json_lists_every_check_and_anomaly(cli_env):
    r = invoke("quality", "--json", "--source", "sdg")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    names = {c["name"] for c in doc["checks"]}
    assert {"duplicates", "completeness", "null_values", "anomalies"} <= names
    check = doc["checks"][0]
    for key in ("name", "source", "severity", "status", "metric", "threshold", "failing_count",
                "samples"):  # fmt: skip
        assert key in check
    assert doc["anomalies"] and {"indicator_id", "country_id", "year", "value", "method",
                                 "score"} <= set(doc["anomalies"][0])  # fmt: skip
    assert doc["gate_failed"] is False
    assert len(doc["anomalies"]) == doc["anomaly_count"]  # --json lists every flag


def test_accept_check_holds_until_metric_changes(cli_env, synth):
    assert invoke("quality", "--source", "master").exit_code == 7
    r = invoke("quality", "accept", "--source", "master", "--check", "duplicates",
               "--reason", "known double upload, fixed upstream next release")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = invoke("quality", "--source", "master", "--json")
    assert r.exit_code == 0, r.output
    dup = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "duplicates")
    assert dup["accepted"] and dup["accept_reason"].startswith("accepted: known double")
    # one more duplicated row: a new finding, the gate closes again
    key = Path(cli_env.lake_root) / keys.staging_prefix(cli_env) / "master" / "indicators.parquet"
    src = synth[0] / "master.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM read_parquet('{src}') UNION ALL "
        f"(SELECT * FROM read_parquet('{src}') WHERE year = 2000 LIMIT 1)) TO '{key}'"
    )
    assert invoke("quality", "--source", "master").exit_code == 7


def test_accept_anomaly(cli_env):
    doc = json.loads(invoke("quality", "--json", "--source", "sdg").stdout)
    a = next(a for a in doc["anomalies"] if a["annotation"] is None and a["method"] == "hb")
    where = [
        "--indicator",
        a["indicator_id"],
        "--country",
        a["country_id"],
        "--year",
        str(a["year"]),
    ]
    r = invoke("quality", "accept", "--source", "sdg", *where, "--reason", "census", "--explained")
    assert r.exit_code == 0, r.output
    doc = json.loads(invoke("quality", "--json", "--source", "sdg").stdout)
    same = [b for b in doc["anomalies"] if (b["indicator_id"], b["country_id"], b["year"]) == (
        a["indicator_id"], a["country_id"], a["year"])]  # fmt: skip
    assert same and all(b["accepted"] and b["accept_reason"] == "explained: census" for b in same)


def test_accept_unknown_finding_is_a_clear_error(cli_env):
    invoke("quality", "--source", "sdg")
    r = invoke("quality", "accept", "--source", "sdg", "--check", "nope", "--reason", "x")
    assert r.exit_code == 2
    assert "no check nope on sdg" in r.output


def test_profile_command(cli_env):
    r = invoke("profile", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    sdg = next(t for t in doc["tables"] if t["source"] == "sdg")
    assert sdg["indicators"] == 40 and sdg["min_year"] == 1990 and sdg["max_year"] == 2023
    assert 0 < sdg["null_share"] < 0.01
    assert len([i for i in doc["indicators"] if i["source"] == "sdg"]) == 40
    r = invoke("profile", "--source", "sdg")
    assert r.exit_code == 0 and "Profile" in r.output


def test_diff_without_vintages(cli_env):
    r = invoke("quality", "diff", "--source", "sdg")
    assert r.exit_code == 1 and "fewer than two vintages" in r.output


@pytest.mark.parametrize("args", [["quality"], ["quality", "diff"], ["quality", "accept"],
                                  ["profile"]])  # fmt: skip
def test_help(args):
    r = invoke(*args, "--help")
    assert r.exit_code == 0 and "Usage" in r.output
