"""A published lake of master-schema Parquet with planted defects, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from osaa_lib.config import Settings
from tests.quality.synth import Planted, make_master


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Planted]:
    """master.parquet (source 'sdg', planted defects) and sources/sdg.parquet, same rows."""
    folder = tmp_path_factory.mktemp("synth")
    planted = make_master(folder / "master.parquet", indicators=40)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * EXCLUDE (source) FROM read_parquet('{folder / 'master.parquet'}')) "
        f"TO '{folder / 'sdg.parquet'}' (FORMAT parquet)"
    )
    con.close()
    return folder, planted


def publish(settings: Settings, folder: Path) -> None:
    """Place the synthetic tables where transform publishes them for these settings."""
    base = Path(settings.lake_root) / settings.staging_prefix
    (base / "master").mkdir(parents=True, exist_ok=True)
    (base / "sources").mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "master.parquet", base / "master" / "indicators.parquet")
    shutil.copy(folder / "sdg.parquet", base / "sources" / "sdg.parquet")


@pytest.fixture
def published(settings: Settings, synth: tuple[Path, Planted]) -> Planted:
    publish(settings, synth[0])
    return synth[1]
