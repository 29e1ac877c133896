"""Concurrency: two writers in one environment, two analysts in dev, readers during a publish."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.reliability.conftest import (
    Reference,
    Workspace,
    assert_clean,
    losses,
    table_fingerprint,
    tables_under,
    wait_until,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


def holds_lock(path) -> bool:  # noqa: ANN001
    try:
        return '"pid"' in path.read_text()
    except OSError:
        return False


def test_two_etl_at_once_in_one_environment(raw_ws: Workspace, reference: Reference, note) -> None:
    """A second `osaa etl` is refused by name, a third with --wait waits; one clean result."""
    ws = raw_ws
    lock = ws.state / "dev__dev_tester.lock"
    first = ws.spawn("etl")
    wait_until(lambda: holds_lock(lock), first, what="the first etl holding the lock")
    second = ws.run("etl")
    assert_clean(second, 6, "busy", f"PID {first.pid}", "'etl'", "--wait")
    note("second", "exit 6: " + second.flat.split("error:")[-1].strip()[:160])
    third = ws.spawn("etl", "--wait")
    assert_clean(ws.finish(first, ["etl"]), 0)
    waited = ws.finish(third, ["etl", "--wait"])
    assert_clean(waited, 0, "up to date")
    note("third", "--wait: exit 0 after the first finished, nothing left to do")
    lost = losses(reference.published, tables_under(ws.staging()))
    note("losses", len(lost))
    assert lost == []
    rows = reference.published["master/indicators.parquet"][0]
    check = ws.cli("sql", "SELECT count(*) AS n FROM master.indicators")
    assert_clean(check, 0, str(rows))


def test_two_dev_users_at_once(raw_ws: Workspace, reference: Reference, note) -> None:
    """alice and bob run `osaa etl` at the same time: both succeed, each in their own space."""
    ws = raw_ws
    alice = ws.spawn("etl", USERNAME="alice")
    bob = ws.spawn("etl", USERNAME="bob")
    ra, rb = ws.finish(alice, ["etl"]), ws.finish(bob, ["etl"])
    assert_clean(ra, 0)
    assert_clean(rb, 0)
    for user in ("alice", "bob"):
        lost = losses(reference.published, tables_under(ws.staging(user)))
        assert lost == [], f"{user}: {lost}"
        assert (ws.state / f"dev__dev_{user}.duckdb").is_file()
    assert not ws.staging("tester").exists()
    landing = ws.lake / "dev" / "landing"
    assert tables_under(landing) == reference.landing, "the shared dev landing is consistent"
    note("losses", 0)


PUBLISH = """
from osaa_lib.config import load_settings
from osaa_lib.transform.publish import publish
publish(load_settings(), force=True, wait=True)  # a scheduled publish waits for readers
"""


def test_readers_during_a_publish_never_see_half_a_table(
    clean_ws: Workspace, reference: Reference, note
) -> None:
    """Parquet readers and `osaa sql` while every table is republished: whole tables or 'busy'."""
    ws = clean_ws
    proc = subprocess.Popen(
        [sys.executable, "-c", PUBLISH],
        env=ws.child_env(),
        cwd=ws.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    staging = ws.staging()
    rows = reference.published["master/indicators.parquet"][0]
    reads = sql_ok = sql_busy = 0
    while proc.poll() is None or reads == 0:
        for key, expected in reference.published.items():
            assert table_fingerprint(staging / key) == expected, f"{key} read half-written"
            reads += 1
        run = ws.cli("sql", "SELECT count(*) AS n FROM master.indicators")
        if run.code == 0:
            assert run.has(str(rows))
            sql_ok += 1
        else:
            assert_clean(run, 6, "busy")
            sql_busy += 1
    out, _ = proc.communicate()
    assert proc.returncode == 0, out
    note("reads", f"{reads} Parquet reads whole; osaa sql: {sql_ok} answered, {sql_busy} busy")
    assert tables_under(staging) == reference.published


def test_second_promotion_is_refused_while_one_runs(clean_ws: Workspace, note) -> None:
    """Two `osaa promote` at once: the second is refused naming the first; the first completes."""
    ws = clean_ws
    lock = ws.lake / "ops" / "_locks" / "promotion.lock"
    first = ws.spawn("promote", "--from", "dev", "--to", "qa")
    wait_until(lock.exists, first, step=0.002, what="the promotion lock")
    holder = json.loads(lock.read_text())
    second = ws.cli("promote", "--from", "dev", "--to", "qa")
    assert_clean(second, 6, "locked by", f"pid {holder['pid']}")
    note("second", "exit 6: " + second.flat.split("error:")[-1].strip()[:160])
    assert_clean(ws.finish(first, ["promote"]), 0)
    assert json.loads((ws.lake / "qa" / "_release.json").read_text())["state"] == "complete"
