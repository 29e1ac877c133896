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


def settings_at(root: Path, **env: str) -> Settings:
    """Settings whose lake, raw, state, reports and logs all live under `root`.

    A plain function, so session- and module-scoped fixtures share it with per-test ones;
    `env` overrides any variable (`USERNAME="alice"`, `TARGET="qa"`, `OSAA_LAKE="s3://..."`).
    """
    return load_settings(environ=environment_at(root, **env), dotenv=root / "no.env")


def environment_at(root: Path, **env: str) -> dict[str, str]:
    """The environment of `settings_at`, for tests that start the CLI as a child process."""
    return {
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": str(root / "lake"),
        "OSAA_RAW_DIR": str(root / "raw"),
        "OSAA_STATE_DIR": str(root / "state"),
        "OSAA_REPORTS_DIR": str(root / "reports"),
        "OSAA_LOG_DIR": str(root / "logs"),
        "USERNAME": "tester",
        "TARGET": "dev",
        **env,
    }


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """`settings_at` on this test's temp folder; keyword overrides go to `load_settings`."""

    def _make(env: dict[str, str] | None = None, **overrides: object) -> Settings:
        environ = environment_at(tmp_path, **(env or {}))
        return load_settings(environ=environ, dotenv=tmp_path / "no.env", **overrides)

    return _make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def sample_raw(settings: Settings) -> Path:
    """A copy of the committed sample data under this test's raw folder."""
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir, dirs_exist_ok=True)
    return settings.raw_dir
