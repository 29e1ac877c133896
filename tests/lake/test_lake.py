from pathlib import Path

import pytest

from osaa_lib.errors import LakeError
from osaa_lib.lake import LocalLake, check_key, probe


@pytest.mark.parametrize("key", ["../x", "a/../../b", "/etc/passwd", "a/./b", "", "a\\b", "a/\x00"])
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(LakeError):
        check_key(key)


def test_failed_write_leaves_previous_object(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    lake.write_bytes("dev/landing/s/a.parquet", b"old")
    with pytest.raises(RuntimeError), lake.writing("dev/landing/s/a.parquet") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert lake.read_bytes("dev/landing/s/a.parquet") == b"old"
    assert [o.key for o in lake.list("dev")] == ["dev/landing/s/a.parquet"]


def test_probe_round_trip_and_unwritable_root(tmp_path: Path) -> None:
    assert probe(LocalLake(tmp_path / "lake"), "dev").endswith(".txt")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LakeError, match="cannot write"):
        probe(LocalLake(blocker), "dev")
