"""One writer per database: an advisory file lock that names its holder.

DuckDB allows one writing process per file and SQLMesh state is not safe under concurrent use,
so every command that writes a database holds `<database>.lock` first. The lock is an `fcntl`
lock: the kernel drops it when the holder dies, even by SIGKILL, so a stale lock is simply taken
over and nobody deletes lock or WAL files by hand. The file's content (PID, command, start time,
host) is only there to tell the next process who is busy.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from osaa_lib.errors import LockError


def holder(path: Path) -> dict | None:
    """Who holds (or last held) the lock, as recorded in the lock file."""
    try:
        return json.loads(Path(path).read_text() or "null")
    except (OSError, ValueError):
        return None


def describe(info: dict | None) -> str:
    if not info:
        return "another process is reading it (e.g. an `osaa sql` session)"
    return (
        f"PID {info.get('pid')} on {info.get('host')} running {info.get('command')!r} "
        f"since {info.get('started')}"
    )


@contextmanager
def hold(
    path: str | Path,
    command: str,
    wait: bool = False,
    timeout: float | None = None,
    shared: bool = False,
) -> Iterator[Path]:
    """Hold the lock at `path` for the block; without `wait`, a busy lock raises LockError.

    `shared` is for readers: many may hold it together, and none while a writer does.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait or (timeout is not None and time.monotonic() - start > timeout):
                    raise LockError(
                        f"{path.with_suffix('')} is busy: {describe(holder(path))}. "
                        "Wait for it to finish, or rerun with --wait."
                    ) from None
                time.sleep(0.05)
        if shared:
            yield path
            return
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock
