"""Names that become lake keys cannot climb out of their place, on S3 as on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osaa_lib.config import Settings
from osaa_lib.errors import ConfigError, LakeError, OsaaError
from osaa_lib.lake import open_lake

pytestmark = pytest.mark.s3

BAD_NAMES = ["../prod", "..", "dev/../../x", "a b", "x;rm", "Ünï", "/etc"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_username_traversal_refused(s3_settings: Callable[..., Settings], name: str) -> None:
    with pytest.raises(ConfigError, match="USERNAME"):
        s3_settings({"USERNAME": name})


@pytest.mark.parametrize("name", ["../prod", "..", "sdg/../../x", "/etc"])
def test_source_traversal_refused(
    s3_settings: Callable[..., Settings], sample_raw: Path, name: str
) -> None:
    from osaa_lib.ingest import ingest

    s = s3_settings()
    with pytest.raises(OsaaError):
        ingest(s, sources=[name])
    assert open_lake(s).list() == []


def test_keys_outside_the_prefix_refused(s3_settings: Callable[..., Settings]) -> None:
    s = s3_settings()
    lake = open_lake(s)
    for key in ["../other/x.parquet", "dev/../../x", "/abs/key"]:
        with pytest.raises(LakeError, match="invalid lake key"):
            lake.write_bytes(key, b"x")
    assert lake.list() == []


def test_cli_username_traversal_exit_code(
    s3_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from osaa_lib.cli import app
    from tests.lake.test_cli import env_of

    s = s3_settings()
    res = CliRunner().invoke(
        app,
        ["--username", "../prod", "promote", "--from", "dev", "--to", "qa"],
        env=env_of(s, tmp_path),
    )
    assert res.exit_code == 2, res.output
    assert "plain identifier" in " ".join(res.output.split())
    assert open_lake(s).list("qa") == []
