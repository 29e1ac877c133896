"""Ingest fixtures: the committed sample landed once per module, and files written on the fly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from osaa_lib.config import Settings, load_settings
from osaa_lib.ingest import IngestResult, ingest

REPO = Path(__file__).resolve().parents[2]


def settings_at(root: Path) -> Settings:
    env = {
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": str(root / "lake"),
        "OSAA_RAW_DIR": str(root / "raw"),
        "OSAA_STATE_DIR": str(root / "state"),
        "OSAA_REPORTS_DIR": str(root / "reports"),
        "OSAA_LOG_DIR": str(root / "logs"),
        "USERNAME": "tester",
        "TARGET": "dev",
    }
    return load_settings(environ=env, dotenv=root / "no.env")


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, IngestResult]:
    """The committed sample ingested once; tests in a module read (never change) this lake."""
    root = tmp_path_factory.mktemp("landed")
    s = settings_at(root)
    shutil.copytree(REPO / "data" / "raw", s.raw_dir)
    return s, ingest(s)


@pytest.fixture
def write_csv(settings: Settings) -> Callable[..., Path]:
    """Write raw bytes (or text) as raw_dir/<source>/<name>; returns the path."""

    def _write(source: str, name: str, content: bytes | str) -> Path:
        path = Path(settings.raw_dir) / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return _write
