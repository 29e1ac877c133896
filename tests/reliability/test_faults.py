"""Faults for real: processes SIGKILLed at a point they reached, S3 down mid-upload, a full disk,
a corrupted state database. After each, the next run succeeds and every published table equals
the clean run's (rows and content hash); the number of differing tables is the loss (goal 0).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    Reference,
    Workspace,
    assert_clean,
    losses,
    sha256,
    table_fingerprint,
    tables_under,
    wait_until,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group (the command and anything it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def no_temp_objects(ws: Workspace) -> list[str]:
    return [str(p) for p in ws.lake.rglob("*") if ".tmp-" in p.name]


def recover_and_compare(ws: Workspace, reference: Reference, note, *args: str) -> None:
    """The next run succeeds and reproduces the clean publication exactly."""
    run = ws.run("etl", *args)
    assert_clean(run, 0)
    lost = losses(reference.published, tables_under(ws.staging()))
    note("recovery", f"next `osaa etl` exit 0 in {run.seconds:.0f} s; {len(lost)} table(s) lost")
    note("losses", len(lost))
    assert lost == [], f"published tables differ from the clean run: {lost}"
    assert no_temp_objects(ws) == []


def test_sigkill_during_ingest(clean_ws: Workspace, reference: Reference, note) -> None:
    """SIGKILL while `osaa etl --force` reads WDICSV: every landing stays whole and readable."""
    ws = clean_ws
    tmp = ws.root / "tmp"
    tmp.mkdir()
    proc = ws.spawn("etl", "--force", TMPDIR=str(tmp))
    wait_until(lambda: any(tmp.glob("osaa-*/WDICSV*")), proc, what="WDICSV being landed")
    kill(proc)
    assert proc.returncode == -signal.SIGKILL
    landing = ws.lake / "dev" / "landing"
    assert tables_under(landing) == reference.landing, "a landing file changed or is unreadable"
    wdi = "wdi/WDICSV.parquet"
    assert sha256(landing / wdi) == reference.landing_bytes[wdi], "the file being read changed"
    assert no_temp_objects(ws) == []
    recover_and_compare(ws, reference, note)


def test_sigkill_during_transform(raw_ws: Workspace, reference: Reference, note) -> None:
    """SIGKILL while SQLMesh evaluates the models of a first `osaa etl`."""
    ws = raw_ws
    proc = ws.spawn("etl")
    state = ws.state / "dev__dev_tester.osaa.json"

    def evaluating() -> bool:
        try:
            return "tokens" in json.loads(state.read_text())
        except (OSError, ValueError):
            return False

    wait_until(evaluating, proc, what="model evaluation")
    time.sleep(1.0)
    assert proc.poll() is None
    kill(proc)
    assert not ws.staging().exists(), "the kill came after publishing started"
    recover_and_compare(ws, reference, note)


PUBLISH = """
from osaa_lib.config import load_settings
from osaa_lib.transform.publish import publish
publish(load_settings(), force=True)
"""


def test_sigkill_during_publish(clean_ws: Workspace, reference: Reference, note) -> None:
    """SIGKILL while a table is being copied to staging: the old complete table stays."""
    ws = clean_ws
    tmp = ws.root / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISH],
        env={**ws.child_env(), "TMPDIR": str(tmp)},
        cwd=ws.root,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_until(lambda: any(tmp.glob("osaa-*/*.parquet")), proc, what="a table being published")
    kill(proc)
    assert proc.returncode == -signal.SIGKILL
    lost = losses(reference.published, tables_under(ws.staging()))
    note("after kill", f"{len(lost)} published table(s) differ from the clean run")
    assert lost == [], "a reader would have seen a changed or partial table"
    recover_and_compare(ws, reference, note)


@pytest.mark.parametrize("point", ["staging", "switch"])
def test_sigkill_during_promotion(
    point: str, clean_ws: Workspace, reference: Reference, note
) -> None:
    """SIGKILL of `osaa promote --from dev --to qa` while staging, or while switching."""
    ws = clean_ws
    qa = ws.lake / "qa"
    incoming = ws.lake / "ops" / "incoming"
    release = qa / "_release.json"
    proc = ws.spawn("promote", "--from", "dev", "--to", "qa")
    if point == "staging":
        reached = lambda: incoming.is_dir() and any(p.is_file() for p in incoming.rglob("*"))  # noqa: E731
    else:
        reached = release.exists
    wait_until(reached, proc, step=0.002, what=f"the promotion's {point} phase")
    kill(proc)
    assert proc.returncode == -signal.SIGKILL, "the promotion ended before the kill"
    if release.exists():
        state = json.loads(release.read_text())["state"]
        note("after kill", f"qa/_release.json says {state!r}")
        assert state != "complete", "an interrupted switch must not look complete"
    else:
        note("after kill", "qa untouched (no release record)")
        assert tables_under(qa / "staging") == {}

    run = ws.run("promote", "--from", "dev", "--to", "qa")
    assert_clean(run, 0)
    lost = losses(reference.published, tables_under(qa / "staging"))
    note("recovery", f"next promotion exit 0; {len(lost)} qa table(s) differ from dev")
    note("losses", len(lost))
    assert lost == []
    assert tables_under(qa / "landing") == reference.landing
    assert json.loads(release.read_text())["state"] == "complete"
    assert not list((ws.lake / "ops").glob("_locks/*.lock"))
    assert not (incoming.exists() and any(incoming.rglob("*.parquet")))


def test_s3_stopped_mid_upload(raw_ws: Workspace, reference: Reference, note, request) -> None:
    """The S3 server dies while `osaa etl` uploads the published tables; the rerun completes."""
    from tests.s3_server import BUCKET, FAKE_KEY_ID, FAKE_SECRET

    server = request.getfixturevalue("s3_running")
    prefix = f"rel{uuid.uuid4().hex[:8]}"
    ws = raw_ws
    ws.extra = {
        "OSAA_LAKE": f"s3://{BUCKET}/{prefix}",
        "S3_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
    }
    client = server.client()
    staging = f"{prefix}/dev/staging/dev_tester/"

    def uploaded() -> bool:
        try:
            return client.list_objects_v2(Bucket=BUCKET, Prefix=staging).get("KeyCount", 0) > 0
        except Exception:  # noqa: BLE001 - the server may be busy; poll again
            return False

    proc = ws.spawn("etl")
    wait_until(uploaded, proc, step=0.05, what="the first published table on S3")
    server.stop()
    run = ws.finish(proc, ["etl"], timeout=300)
    assert_clean(run, (3, 5), server.endpoint)
    assert FAKE_SECRET not in run.out and FAKE_KEY_ID not in run.out
    note("failure", f"exit {run.code}: " + run.flat.split("error:")[-1][:200].strip())
    server.start()

    run = ws.run("etl")
    assert_clean(run, 0)
    local = ws.root / "downloaded"
    for obj in client.list_objects_v2(Bucket=BUCKET, Prefix=staging).get("Contents", []):
        dest = local / obj["Key"][len(staging) :]
        dest.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, obj["Key"], str(dest))
    lost = losses(reference.published, tables_under(local))
    note("losses", len(lost))
    assert lost == []


@contextlib.contextmanager
def small_disk(folder: Path, free: int) -> Iterator[str]:
    """`folder` on a tmpfs with `free` bytes left (root only); else skip with the reason."""
    keep = folder.with_name(folder.name + ".orig")
    folder.rename(keep)
    folder.mkdir()
    used = sum(p.stat().st_size for p in keep.rglob("*") if p.is_file())
    size = used + used // 4 + (4 << 20)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        folder.rmdir()
        keep.rename(folder)
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        shutil.copytree(keep, folder, dirs_exist_ok=True)
        filler = folder / "filler.bin"
        with open(filler, "wb") as fh:
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
        with open(filler, "r+b") as fh:
            fh.truncate(max(0, filler.stat().st_size - free))
        yield f"tmpfs of {size} bytes, {free} bytes free"
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()
        keep.rename(folder)


def test_disk_full_in_local_lake(clean_ws: Workspace, reference: Reference, note) -> None:
    """`osaa etl --force` on a full lake disk: a clear error, nothing half-written, recovery."""
    ws = clean_ws
    with small_disk(ws.lake, free=64 * 1024) as how:
        note("disk", how)
        run = ws.run("etl", "--force")
        assert_clean(run, (3, 4, 5), "No space left on device")
        note("failure", f"exit {run.code}")
        landing = ws.lake / "dev" / "landing"
        assert tables_under(landing) == reference.landing
        assert losses(reference.published, tables_under(ws.staging())) == []
        (ws.lake / "filler.bin").unlink()  # space is freed; the next run must just work
        recover_and_compare(ws, reference, note)


def _corrupt(ws: Workspace, what: str) -> None:
    db = ws.state / "dev__dev_tester.duckdb"
    if what == "database_header":
        with open(db, "r+b") as fh:
            fh.write(os.urandom(8192))
    elif what == "database_block":
        with open(db, "r+b") as fh:
            fh.seek(db.stat().st_size // 2)
            fh.write(os.urandom(256 * 1024))
    elif what == "database_truncated":
        with open(db, "r+b") as fh:
            fh.truncate(db.stat().st_size // 3)
    elif what == "state_json":
        db.with_suffix(".osaa.json").write_bytes(b"{\x00garbage")
    elif what == "sqlmesh_cache":
        cache = db.with_suffix(".cache")
        files = [p for p in cache.rglob("*") if p.is_file()]
        assert files, "no SQLMesh cache to corrupt"
        for p in files:
            p.write_bytes(os.urandom(512))
    else:
        raise AssertionError(what)


@pytest.mark.parametrize(
    "what",
    ["database_header", "database_block", "database_truncated", "state_json", "sqlmesh_cache"],
)
def test_corrupted_state_is_rebuilt(
    what: str, clean_ws: Workspace, reference: Reference, note
) -> None:
    """A corrupted SQLMesh DuckDB cache (or its side files): the next `osaa etl` recovers."""
    ws = clean_ws
    _corrupt(ws, what)
    recover_and_compare(ws, reference, note)
    rows = reference.published["master/indicators.parquet"][0]
    check = ws.cli("sql", "SELECT count(*) AS n FROM master.indicators")
    assert_clean(check, 0, str(rows))  # the cache itself is usable again, not just skipped
    aside = sorted(p.name for p in ws.state.glob("*.unreadable-*"))
    note("cache", f"set aside as {aside[0]} and rebuilt" if aside else "still opens: kept")
    assert table_fingerprint(ws.staging() / "master/indicators.parquet")[0] == rows
