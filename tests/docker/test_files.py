"""The Docker files without an engine: hadolint and shellcheck, the compose file's structure, and
the real entrypoint script run with a recording `osaa` (test_runbook.py runs them for real)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: install the dev extras (make install)")
    return found


def test_dockerfile_is_hadolint_clean() -> None:
    proc = subprocess.run(
        [_tool("hadolint"), "--no-color", str(REPO / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_scripts_are_shellcheck_clean() -> None:
    proc = subprocess.run(
        [_tool("shellcheck"), "--shell=sh", *map(str, sorted((REPO / "docker").glob("*.sh")))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_builds_on_any_python_base() -> None:
    text = (REPO / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert instructions[0] == "ARG BASE_IMAGE=python:3.11-slim"
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?$", text, re.M)
    assert stages == [
        ("${BASE_IMAGE}", "deps"),
        ("deps", "runtime-venv"),
        ("deps", "project"),
        ("${BASE_IMAGE}", ""),
    ]
    # The CA bundle for pip is a build secret, never an ARG/ENV that lands in the history.
    assert "--mount=type=secret,id=pip_cert" in text
    assert not re.search(r"^(ARG|ENV)\b.*(PIP_CERT|CERT|CA_BUNDLE)", text, re.M)
    final = text.split("\nFROM ${BASE_IMAGE}\n", 1)[1]
    assert "COPY --from=runtime-venv /opt/venv /opt/venv" in final
    assert "pip install" not in final and "--chmod" not in text
    assert "PYTHONUNBUFFERED=1" in final and "OSAA_LOG_DIR=/var/log/osaa-pipeline" in final
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0", "0:0")
    assert re.search(r'HEALTHCHECK .*\n\s+CMD \["osaa-healthcheck"\]', text)
    assert 'ENTRYPOINT ["osaa-entrypoint"]' in text


def test_dockerignore_sends_only_what_the_image_is_built_from() -> None:
    lines = [
        line for line in (REPO / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"  # an allowlist: a new secret or scratch file never reaches a build
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed >= {"pyproject.toml", "constraints.txt", "osaa_lib", "sqlMesh", "data/raw"}
    assert not allowed & {".env", ".git", ".venv", "logs", "tests", "data", "reports"}


def test_compose_services_match_the_runbook() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    pipeline, ui = compose["services"]["pipeline"], compose["services"]["ui"]
    assert pipeline["image"] == "osaa-mvp" and pipeline["build"]["context"] == "."
    assert pipeline["build"]["args"]["BASE_IMAGE"] == "${OSAA_BASE_IMAGE:-python:3.11-slim}"
    assert "profiles" not in pipeline and ui["profiles"] == ["ui"]
    assert {"path": ".env", "required": False} in pipeline["env_file"]
    assert "USERNAME" not in pipeline["environment"]  # `-e USERNAME=...` or .env decide
    assert pipeline["environment"]["PYTHONUNBUFFERED"] == "1"
    assert pipeline["environment"]["DUCKDB_MEMORY_LIMIT"] == "${DUCKDB_MEMORY_LIMIT:-6GB}"
    # Limits from the environment; the defaults fit a 2-core host.
    assert pipeline["cpus"] == "${OSAA_CPUS:-2}"
    assert pipeline["mem_limit"] == "${OSAA_MEM_LIMIT:-8g}"
    assert pipeline["environment"]["DUCKDB_THREADS"] == "${DUCKDB_THREADS:-2}"
    assert pipeline["user"] == "${OSAA_UID:-1000}:${OSAA_GID:-1000}"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in pipeline["volumes"]}
    assert mounts == {
        "/app/data": "./data",
        "/app/reports": "./reports",
        "/var/log/osaa-pipeline": "./logs",
    }
    assert ui["command"] == ["ui"] and "${OSAA_UI_PORT:-2718}:2718" in ui["ports"]
    assert "./notebooks:/app/notebooks" in ui["volumes"]
    assert "/health" in " ".join(ui["healthcheck"]["test"])


def test_mounted_folders_exist_in_a_clone() -> None:
    """A bind mount whose folder is missing is created by the daemon as root: the pipeline,
    running as the host user, could then not write it."""
    tracked = subprocess.run(
        ["git", "ls-files", "data/raw", "reports", "logs", "notebooks"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()
    for folder in ("data", "reports", "logs", "notebooks"):
        assert any(name.startswith(f"{folder}/") for name in tracked), folder


@pytest.fixture
def run_entrypoint(tmp_path: Path):
    """Run the real script with recording `osaa` and `marimo` first on PATH."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("osaa", "marimo"):
        script = fake / name
        script.write_text(f'#!/bin/sh\nprintf "%s\\n" {name} "$@" > "$ARGV_FILE"\nexit 3\n')
        script.chmod(0o755)

    def _run(*args: str) -> tuple[int, list[str], str]:
        argv = tmp_path / "argv"
        argv.unlink(missing_ok=True)
        env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "ARGV_FILE": str(argv)}
        proc = subprocess.run(
            ["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, env=env, timeout=30
        )
        called = argv.read_text().splitlines() if argv.exists() else []
        return proc.returncode, called, proc.stdout + proc.stderr

    return _run


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["ingest"], ["osaa", "ingest"]),
        (["etl"], ["osaa", "etl"]),
        (["etl", "--model", "sources.sdg"], ["osaa", "etl", "--model", "sources.sdg"]),
        (["etl", "--dry-run"], ["osaa", "etl", "--dry-run"]),
        (["transform"], ["osaa", "transform"]),
        (["config_test"], ["osaa", "config-test"]),
        (
            ["promote", "--from", "dev", "--to", "qa"],
            ["osaa", "promote", "--from", "dev", "--to", "qa"],
        ),
        (["performance_report", "--week"], ["osaa", "performance-report", "--week"]),
        (["storage_report", "--monthly"], ["osaa", "storage-report", "--monthly"]),
        (["benchmark", "--full"], ["osaa", "benchmark", "--full"]),
        (["duckdb_cli"], ["osaa", "sql"]),
        (["sqlmesh_list"], ["osaa", "models", "list"]),
        (["sqlmesh_validate"], ["osaa", "models", "validate"]),
        (["sqlmesh_lineage"], ["osaa", "models", "lineage"]),
        (
            ["export", "--format", "csv", "--output", "/tmp/export.csv"],
            ["osaa", "export", "--format", "csv", "--output", "/tmp/export.csv"],
        ),
        (["status"], ["osaa", "status"]),
        (
            ["logs", "--since", "24h", "--level", "ERROR"],
            ["osaa", "logs", "--since", "24h", "--level", "ERROR"],
        ),
        (["run_pipeline"], ["osaa", "run-pipeline"]),
        (["dr_test"], ["osaa", "dr-test"]),
        (["disaster_recovery_test"], ["osaa", "dr-test"]),
        (["backups", "list"], ["osaa", "backups", "list"]),
        (
            ["osaa", "quality", "--source", "a b"],
            ["osaa", "quality", "--source", "a b"],
        ),
        (
            ["ui"],
            ["marimo", "edit", "--headless", "--host", "0.0.0.0", "--port", "2718", "notebooks/"],
        ),
    ],
)
def test_entrypoint_maps_runbook_names(run_entrypoint, args, expected) -> None:
    code, called, _ = run_entrypoint(*args)
    assert called == expected
    assert code == 3  # the command's own exit code comes through (exec)


@pytest.mark.parametrize("args", [["frobnicate"], ["rm", "-rf", "/"], ["INGEST"]])
def test_entrypoint_refuses_unknown_commands(run_entrypoint, args) -> None:
    code, called, output = run_entrypoint(*args)
    assert code == 2 and called == []
    assert f"unknown command: {args[0]}" in output and "usage:" in output


@pytest.mark.parametrize("args", [[], ["help"], ["--help"]])
def test_entrypoint_help(run_entrypoint, args) -> None:
    code, called, output = run_entrypoint(*args)
    assert code == 0 and called == []
    for name in ("config_test", "performance_report", "sqlmesh_lineage", "duckdb_cli"):
        assert name in output
