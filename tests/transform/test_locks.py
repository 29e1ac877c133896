"""One writer per database: a clear message naming the holder, --wait, and kill -9 recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from osaa_lib.errors import LockError
from osaa_lib.locks import hold
from osaa_lib.transform import plan_apply
from osaa_lib.transform.project import database_path
from osaa_lib.transform.query import run_sql
from osaa_lib.transform.state import lock_path
from tests.transform.conftest import REPO

HOLD = """
import sys, time
from osaa_lib.locks import hold
with hold(sys.argv[1], "etl --source sdg"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_busy_database_names_its_holder_and_wait_waits(fresh) -> None:
    settings = fresh()
    proc = _holder(lock_path(settings), 3)
    try:
        with pytest.raises(LockError) as err:
            plan_apply(settings)
        assert f"PID {proc.pid}" in str(err.value) and "etl --source sdg" in str(err.value)
        assert err.value.exit_code == 6
        started = time.monotonic()
        with hold(lock_path(settings), "test", wait=True):
            assert time.monotonic() - started > 0.5
            assert proc.wait(timeout=30) == 0  # the holder finished its block first
    finally:
        proc.kill()
        proc.wait()


def test_lock_of_a_killed_process_is_taken_over(tmp_path) -> None:
    path = tmp_path / "x.lock"
    proc = _holder(path, 60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert path.exists()  # the file stays; the kernel released the lock with the process
    with hold(path, "next run"):
        assert '"next run"' in path.read_text()


RUN = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.transform.conftest import make
from pathlib import Path
from osaa_lib.transform import plan_apply
plan_apply(make(Path(sys.argv[2])))
"""


@pytest.mark.slow
def test_kill_9_mid_transform_recovers_with_correct_results(fresh, tmp_path) -> None:
    settings = fresh()
    proc = subprocess.Popen([sys.executable, "-c", RUN, str(REPO), str(tmp_path)], cwd=REPO)
    database = database_path(settings)
    deadline = time.monotonic() + 120
    while not database.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.5)  # inside SQLMesh's plan/apply
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    result = plan_apply(settings)  # no manual cleanup of lock or WAL files
    assert killed or result.skipped
    counts = dict(
        run_sql(settings, "SELECT source, count(*) FROM master.indicators GROUP BY 1")[0].rows
    )
    assert counts == {"sdg": 6, "opri": 5, "wdi": 113}
    assert run_sql(settings, "SELECT count(*) FROM sources.wdi")[0].rows == [(113,)]
    assert plan_apply(settings).no_op
