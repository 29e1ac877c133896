"""The Lake interface behaves the same on a local folder and on S3."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from osaa_lib.errors import LakeError
from osaa_lib.lake import Lake, LocalLake, open_lake, probe
from osaa_lib.lake.s3 import S3Lake


def test_write_read_list_delete(any_lake: Lake) -> None:
    any_lake.write_bytes("dev/landing/sdg/A.parquet", b"alpha")
    any_lake.write_bytes("dev/landing/sdg/B.parquet", b"beta!")
    any_lake.write_bytes("dev/landing/sdgx/C.parquet", b"other")
    assert any_lake.read_bytes("dev/landing/sdg/A.parquet") == b"alpha"
    listed = any_lake.list("dev/landing/sdg")
    assert [(o.key, o.size) for o in listed] == [
        ("dev/landing/sdg/A.parquet", 5),
        ("dev/landing/sdg/B.parquet", 5),
    ]
    assert [o.key for o in any_lake.list("dev/landing/sdg/A.parquet")] == [
        "dev/landing/sdg/A.parquet"
    ]
    assert any_lake.exists("dev/landing/sdg/A.parquet")
    assert not any_lake.exists("dev/landing/sdg/Z.parquet")
    any_lake.delete("dev/landing/sdg/A.parquet")
    assert not any_lake.exists("dev/landing/sdg/A.parquet")
    assert any_lake.delete_prefix("dev") == 2
    assert any_lake.list() == []


def test_checksum_is_content_sha256(any_lake: Lake, tmp_path: Path) -> None:
    data = b"x" * 1000 + b"osaa"
    src = tmp_path / "f.bin"
    src.write_bytes(data)
    any_lake.put_file(src, "qa/staging/master/indicators.parquet")
    assert any_lake.checksum("qa/staging/master/indicators.parquet") == (
        hashlib.sha256(data).hexdigest()
    )
    any_lake.copy("qa/staging/master/indicators.parquet", "prod/staging/master/indicators.parquet")
    assert any_lake.checksum("prod/staging/master/indicators.parquet") == (
        hashlib.sha256(data).hexdigest()
    )
    out = tmp_path / "back" / "f.bin"
    any_lake.get_file("prod/staging/master/indicators.parquet", out)
    assert out.read_bytes() == data


def test_failed_writing_keeps_previous_object(any_lake: Lake) -> None:
    any_lake.write_bytes("dev/landing/s/a.parquet", b"old")
    with pytest.raises(RuntimeError), any_lake.writing("dev/landing/s/a.parquet") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-write")
    assert any_lake.read_bytes("dev/landing/s/a.parquet") == b"old"
    assert [o.key for o in any_lake.list("dev")] == ["dev/landing/s/a.parquet"]


def test_missing_object_is_a_lake_error(any_lake: Lake, tmp_path: Path) -> None:
    missing = "dev/landing/none/X.parquet"
    for attempt in (
        lambda: any_lake.read_bytes(missing),
        lambda: any_lake.checksum(missing),
        lambda: any_lake.content_sha256(missing),
        lambda: any_lake.get_file(missing, tmp_path / "x"),
        lambda: any_lake.copy(missing, "dev/landing/none/Y.parquet"),
    ):
        with pytest.raises(LakeError, match="does not exist"):
            attempt()


def test_create_if_absent_creates_once(any_lake: Lake) -> None:
    key = "ops/_locks/promotion.lock"
    assert any_lake.create_if_absent(key, b'{"pid": 1}')
    assert not any_lake.create_if_absent(key, b'{"pid": 2}')
    assert any_lake.read_bytes(key) == b'{"pid": 1}'
    assert any_lake.checksum(key) == hashlib.sha256(b'{"pid": 1}').hexdigest()
    assert [o.key for o in any_lake.list("ops")] == [key]  # no temp file left behind
    any_lake.delete(key)
    assert any_lake.create_if_absent(key, b'{"pid": 3}')


def test_copy_to_between_lakes(
    backend_settings, make_settings, tmp_path: Path  # noqa: ANN001
) -> None:
    """Every pair of backends: local -> this, this -> local, this -> this (another prefix)."""
    here = open_lake(backend_settings())
    local = open_lake(make_settings(), str(tmp_path / "other"))
    data = b"published" * 100
    here.write_bytes("qa/staging/sources/sdg.parquet", data)
    here.copy_to("qa/staging/sources/sdg.parquet", local, "b/sdg.parquet")
    local.copy_to("b/sdg.parquet", here, "prod/staging/sources/sdg.parquet")
    backups = open_lake(backend_settings(), here.root + "/backups")
    here.copy_to("prod/staging/sources/sdg.parquet", backups, "prod-x/sdg.parquet")
    want = hashlib.sha256(data).hexdigest()
    assert local.content_sha256("b/sdg.parquet") == want
    assert here.content_sha256("prod/staging/sources/sdg.parquet") == want
    assert backups.checksum("prod-x/sdg.parquet") == want


def test_abort_interrupted_writes_leaves_objects_alone(any_lake: Lake, tmp_path: Path) -> None:
    any_lake.write_bytes("dev/landing/s/a.parquet", b"kept")
    assert any_lake.abort_interrupted_writes() == 0
    if isinstance(any_lake, LocalLake):  # what a writer killed mid-copy leaves on a folder
        left = Path(any_lake.root, "dev/landing/s/.b.parquet.tmp-0badc0de")
        left.write_bytes(b"half")
        os.utime(left, (0, 0))
        assert any_lake.abort_interrupted_writes() == 1 and not left.exists()
    assert any_lake.read_bytes("dev/landing/s/a.parquet") == b"kept"


@pytest.mark.parametrize("key", ["../x", "dev/../../etc", "/abs", "a//b", "dev/./x"])
def test_bad_keys_refused_on_both(any_lake: Lake, key: str) -> None:
    with pytest.raises(LakeError, match="invalid lake key"):
        any_lake.write_bytes(key, b"no")


def test_probe_round_trip(any_lake: Lake) -> None:
    assert probe(any_lake, "dev")
    assert any_lake.list("dev/_probe") == []


@pytest.mark.s3
def test_open_lake_picks_s3_and_repr_hides_keys(s3_settings) -> None:  # noqa: ANN001
    s = s3_settings()
    lake = open_lake(s)
    assert isinstance(lake, S3Lake)
    assert lake.uri("dev/landing/a.parquet").startswith("s3://osaa-test/t")
    for secret in s.secrets():
        assert secret not in repr(lake)
        assert secret not in repr(s)


@pytest.mark.s3
def test_checksum_recomputed_when_metadata_absent(s3_settings, s3_running) -> None:  # noqa: ANN001
    lake = open_lake(s3_settings())
    assert isinstance(lake, S3Lake)
    lake.client.put_object(Bucket=lake.bucket, Key=lake._key("ext/plain.txt"), Body=b"plain")
    assert lake.checksum("ext/plain.txt") == hashlib.sha256(b"plain").hexdigest()


@pytest.mark.s3
def test_multipart_upload_round_trip(s3_settings, tmp_path: Path) -> None:  # noqa: ANN001
    lake = open_lake(s3_settings())
    assert isinstance(lake, S3Lake)
    lake.multipart_threshold = lake.multipart_chunksize = 5 * 1024 * 1024
    data = bytes(range(256)) * (12 * 4096)  # 12 MiB: three parts
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    lake.put_file(src, "dev/landing/big/BIG.parquet")
    assert lake.checksum("dev/landing/big/BIG.parquet") == hashlib.sha256(data).hexdigest()
    assert lake.content_sha256("dev/landing/big/BIG.parquet") == hashlib.sha256(data).hexdigest()


def test_local_and_s3_share_one_key_layout(make_settings) -> None:  # noqa: ANN001
    lake = open_lake(make_settings())
    assert isinstance(lake, LocalLake)
    assert lake.uri("dev/landing/sdg/A.parquet").endswith("/lake/dev/landing/sdg/A.parquet")
