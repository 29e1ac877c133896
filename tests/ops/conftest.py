"""Fixtures of the operations tests: the CLI in-process with an environment in tmp_path."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, open_lake
from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The same folders as `make_settings`, as environment variables for the real CLI."""
    return {
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": str(tmp_path / "lake"),
        "OSAA_RAW_DIR": str(tmp_path / "raw"),
        "OSAA_STATE_DIR": str(tmp_path / "state"),
        "OSAA_REPORTS_DIR": str(tmp_path / "reports"),
        "OSAA_LOG_DIR": str(tmp_path / "logs"),
        "USERNAME": "tester",
        "TARGET": "dev",
    }


@pytest.fixture
def osaa(cli_env: dict[str, str]) -> Callable[..., Result]:
    """Run `osaa <args>` in-process; extra keyword arguments are environment variables."""
    from osaa_lib.cli import app

    def _run(*args: str, app_=None, **env: str) -> Result:
        return CliRunner().invoke(app_ or app, list(args), env={**cli_env, **env})

    return _run


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return open_lake(settings)
