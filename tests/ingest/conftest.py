"""Ingest fixtures: the committed sample landed once per module, and files written on the fly."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from osaa_lib.ingest import IngestResult, ingest
from tests.conftest import settings_at

REPO = Path(__file__).resolve().parents[2]


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
