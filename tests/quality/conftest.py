"""A published lake of master-schema Parquet with planted defects, built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from osaa_lib.config import Settings
from osaa_lib.lake import keys
from tests.conftest import REPO
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
    base = Path(settings.lake_root) / keys.staging_prefix(settings)
    (base / "master").mkdir(parents=True, exist_ok=True)
    (base / "sources").mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "master.parquet", base / "master" / "indicators.parquet")
    shutil.copy(folder / "sdg.parquet", base / "sources" / "sdg.parquet")


STRICT_MASTER = '\n[source.master.duplicates]\nseverity = "error"\n'


@pytest.fixture(scope="session")
def strict_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's thresholds plus one per-source override: duplicates in master block."""
    path = tmp_path_factory.mktemp("qconfig") / "quality.toml"
    path.write_text((REPO / "quality.toml").read_text() + STRICT_MASTER)
    return path


@pytest.fixture
def settings(make_settings, strict_config: Path) -> Settings:
    return make_settings({"OSAA_QUALITY_CONFIG": str(strict_config)})


@pytest.fixture
def published(settings: Settings, synth: tuple[Path, Planted]) -> Planted:
    publish(settings, synth[0])
    return synth[1]
