"""S3 faults for real: the SeaweedFS server stopped mid-run, a process SIGKILLed mid-upload."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake import open_lake
from osaa_lib.lake.promote import current_release, promote
from osaa_lib.lake.s3 import S3Lake
from tests.conftest import REPO
from tests.lake.seed import put_parquet, rows, seed_dev
from tests.s3_server import FAKE_KEY_ID, FAKE_SECRET, SeaweedServer

pytestmark = [pytest.mark.s3, pytest.mark.slow]
MiB = 1024 * 1024


def child_env(s: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OSAA_", "S3_"))},
        "OSAA_PROJECT_DIR": str(REPO),
        "OSAA_LAKE": s.lake_root,
        "S3_ENDPOINT_URL": s.s3_endpoint_url or "",
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "OSAA_STATE_DIR": str(tmp_path / "state"),
        "OSAA_LOG_DIR": str(tmp_path / "logs"),
        "USERNAME": "tester",
        "TARGET": "dev",
    }


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early: {proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def test_server_stopped_mid_multipart_upload(
    s3_settings: Callable[..., Settings], s3_server: SeaweedServer, tmp_path: Path
) -> None:
    lake = open_lake(s3_settings())
    assert isinstance(lake, S3Lake)
    lake.multipart_threshold = lake.multipart_chunksize = 5 * MiB
    key = "dev/landing/wdi/WDICSV.parquet"
    lake.write_bytes(key, b"the old landing file")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4 * MiB) * 5)
    parts: list[int] = []
    sends: list[int] = []

    def outage(**_: object) -> None:
        parts.append(1)
        if len(parts) == 2:
            s3_server.stop()

    def sent(**_: object) -> None:
        sends.append(1)

    events = lake.client.meta.events
    events.register("before-call.s3.UploadPart", outage)  # once per part
    events.register("before-send.s3.UploadPart", sent)  # once per attempt of a part
    try:
        with pytest.raises(LakeError) as err:
            lake.put_file(big, key)
    finally:
        events.unregister("before-call.s3.UploadPart", outage)
        events.unregister("before-send.s3.UploadPart", sent)
    assert s3_server.endpoint in str(err.value) and "unreachable" in str(err.value)
    assert f"{lake.attempts} attempts" in str(err.value)
    # botocore retried the parts that met the outage (its own backoff: tens of milliseconds)
    assert len(sends) >= len(parts) + lake.attempts - 1
    assert FAKE_SECRET not in str(err.value) and FAKE_KEY_ID not in str(err.value)

    s3_server.start()
    assert lake.read_bytes(key) == b"the old landing file"
    assert [o.key for o in lake.list("dev")] == [key]
    lake.put_file(big, key)  # the next run completes
    assert lake.content_sha256(key) == hashlib.sha256(big.read_bytes()).hexdigest()


CHILD_UPLOAD = """
import sys, time
from pathlib import Path
from osaa_lib.config import load_settings
from osaa_lib.lake import open_lake
lake = open_lake(load_settings())
lake.multipart_threshold = lake.multipart_chunksize = 5 * 1024 * 1024
marker = Path(sys.argv[2])
lake.client.meta.events.register("after-call.s3.UploadPart", lambda **_: marker.touch())
lake.client.meta.events.register("before-call.s3.UploadPart", lambda **_: time.sleep(0.4))
lake.put_file(Path(sys.argv[1]), "dev/landing/wdi/WDICSV.parquet")
"""


def test_sigkilled_upload_leaves_nothing_half_written(
    s3_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    s = s3_settings()
    lake = open_lake(s)
    assert isinstance(lake, S3Lake)
    key = "dev/landing/wdi/WDICSV.parquet"
    lake.write_bytes(key, b"the old landing file")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * MiB) * 15)
    marker = tmp_path / "part-done"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_UPLOAD, str(big), str(marker)],
        env=child_env(s, tmp_path),
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    assert lake.read_bytes(key) == b"the old landing file"
    assert [o.key for o in lake.list()] == [key]
    assert lake.abort_interrupted_writes(older_than=timedelta(0)) >= 1
    lake.put_file(big, key)
    assert lake.checksum(key) == hashlib.sha256(big.read_bytes()).hexdigest()


CHILD_PROMOTE = """
import sys, time
from pathlib import Path
from osaa_lib.config import load_settings
from osaa_lib.errors import OsaaError
from osaa_lib.lake.promote import current_release, promote
marker, phase = Path(sys.argv[1]), sys.argv[2]
def progress(stage, done, total):
    if stage.startswith(phase) and not marker.exists():
        marker.touch()
        time.sleep(3)
try:
    promote(load_settings(), "dev", "qa", progress=progress)
except OsaaError as exc:
    print(exc, file=sys.stderr)
    sys.exit(exc.exit_code)
"""


@pytest.mark.parametrize("phase", ["verify qa/staging", "commit qa/landing"])
def test_promotion_interrupted_by_outage_then_completes(
    s3_settings: Callable[..., Settings], s3_server: SeaweedServer, tmp_path: Path, phase: str
) -> None:
    """The store dies while staging (target untouched) or mid-switch (release says so)."""
    s = s3_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 9, "old")
    put_parquet(s, lake, "qa/landing/sdg/SDG_DATA_NATIONAL.parquet", 9, "old")
    before = {o.key: lake.checksum(o.key) for o in lake.list("qa")}
    marker = tmp_path / "reached"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_PROMOTE, str(marker), phase],
        env=child_env(s, tmp_path),
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(marker, proc)
    s3_server.stop()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert s3_server.endpoint in err and "unreachable" in err and FAKE_SECRET not in err

    s3_server.start()
    release = current_release(s, "qa")
    if phase.startswith("verify"):
        assert {o.key: lake.checksum(o.key) for o in lake.list("qa")} == before
        assert release is None
    else:
        assert release is not None and release["state"] == "switching"
    holder = json.loads(lake.read_bytes("ops/_locks/promotion.lock"))
    assert holder["pid"] == proc.pid  # the dead run could not release its lock
    res = promote(s, "dev", "qa")  # ...which the next run takes over, and completes
    assert res.verified >= 1
    assert rows(s, lake, "qa/staging/master/indicators.parquet") == 200
    for o in lake.list("dev/landing"):
        assert lake.checksum(o.key.replace("dev/", "qa/", 1)) == lake.checksum(o.key)
    assert current_release(s, "qa")["state"] == "complete"
    assert lake.list("ops/incoming") == [] and lake.list("ops/_locks") == []
