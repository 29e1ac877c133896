"""Fixtures every test area shares: settings on a temp project, and the shipped sample files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from osaa_lib.config import Settings, load_settings

pytest_plugins = ["tests.s3_server"]

REPO = Path(__file__).resolve().parents[1]
UPSTREAM_SAMPLES = REPO.parent / "shared" / "data" / "upstream-samples"


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings whose lake, raw, state, reports and logs all live in this test's temp folder."""

    def _make(env: dict[str, str] | None = None, **overrides: object) -> Settings:
        base = {
            "OSAA_PROJECT_DIR": str(REPO),
            "OSAA_LAKE": str(tmp_path / "lake"),
            "OSAA_RAW_DIR": str(tmp_path / "raw"),
            "OSAA_STATE_DIR": str(tmp_path / "state"),
            "OSAA_REPORTS_DIR": str(tmp_path / "reports"),
            "OSAA_LOG_DIR": str(tmp_path / "logs"),
            "USERNAME": "tester",
            "TARGET": "dev",
        }
        base.update(env or {})
        return load_settings(environ=base, dotenv=tmp_path / "no.env", **overrides)

    return _make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def sample_raw(settings: Settings) -> Path:
    """A copy of the committed sample data under this test's raw folder."""
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir, dirs_exist_ok=True)
    return settings.raw_dir
