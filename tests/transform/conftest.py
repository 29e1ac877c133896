"""A project built once per session on the publishers' sample files, in a temp lake."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from tests.conftest import settings_at
from tests.transform.landing import land_samples

REPO = Path(__file__).resolve().parents[2]


def make(root: Path, username: str = "alice", target: str = "dev", **env: str) -> Settings:
    """`settings_at` for one analyst and target, on two DuckDB threads."""
    return settings_at(root, USERNAME=username, TARGET=target, DUCKDB_THREADS="2", **env)


def copy_project(dest: Path) -> Path:
    """A private copy of sqlMesh/ (for tests that edit models)."""
    shutil.copytree(
        REPO / "sqlMesh",
        dest / "sqlMesh",
        ignore=shutil.ignore_patterns("__pycache__", ".cache", "logs", "*.duckdb*"),
    )
    return dest


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Sample files landed, transformed and published for dev_alice (read-only for tests)."""
    from osaa_lib.transform import plan_apply
    from osaa_lib.transform.publish import publish

    root = tmp_path_factory.mktemp("built")
    settings = make(root)
    land_samples(settings)
    plan_apply(settings)
    publish(settings)
    return settings


@pytest.fixture
def fresh(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a new temp lake with the samples landed."""

    def _make(username: str = "alice", **env: str) -> Settings:
        settings = make(tmp_path, username, **env)
        land_samples(settings)
        return settings

    return _make
