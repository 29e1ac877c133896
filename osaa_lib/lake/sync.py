"""Copy a set of objects between lakes so that readers never see half of it: stage, verify, commit.

Promotion, restore and the DR drill all move a prefix from one place to another. Doing it in
place would leave the target half old, half new for as long as the slow part (transfers) takes,
and a failure would leave it that way. Instead every changed object is first transferred into a
hidden incoming prefix (`ops/incoming/<op_id>/`, where no reader looks) and verified there
(size, SHA-256 recomputed from the stored bytes, Parquet row count through DuckDB). Only when
all of it is verified does the commit run: a burst of server-side copies into place, then the
removals, then a release record written last. A failure before the commit leaves the target
exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError, LockError, PromotionError
from osaa_lib.lake import keys
from osaa_lib.lake.base import Lake, ObjectInfo, join

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ObjectRecord:
    """One object as verified: the unit of every manifest (backups, releases, drills)."""

    key: str
    size: int
    sha256: str
    rows: int | None = None


@dataclass(frozen=True)
class Change:
    action: str  # add | replace | remove
    key: str
    size: int


@dataclass
class SyncOutcome:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    records: list[ObjectRecord] = field(default_factory=list)
    bytes_copied: int = 0

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def relative(objects: list[ObjectInfo], prefix: str) -> dict[str, ObjectInfo]:
    """Objects below prefix keyed by their path relative to it, internal folders skipped."""
    cut = len(prefix.rstrip("/")) + 1 if prefix else 0
    out = {}
    for obj in objects:
        rel = obj.key[cut:]
        if keys.is_internal(rel):
            continue
        out[rel] = obj
    return out


_CONNECTIONS: dict[Settings, Any] = {}
_CONNECTIONS_LOCK = threading.Lock()


def shared_connection(settings: Settings) -> Any:
    """A DuckDB connection per settings, kept: loading httpfs costs ~0.4 s per connection."""
    with _CONNECTIONS_LOCK:
        con = _CONNECTIONS.get(settings)
        if con is None:
            from osaa_lib.db import connect

            while len(_CONNECTIONS) >= 4:
                _CONNECTIONS.pop(next(iter(_CONNECTIONS))).close()
            con = _CONNECTIONS[settings] = connect(settings)
            con.execute("SET enable_external_file_cache = false")  # objects get replaced
        return con.cursor()


class RowCounter:
    """Parquet row counts through DuckDB (reads only the footer)."""

    def __init__(self, settings: Settings, strict: bool = True):
        self._settings = settings
        self._strict = strict
        self._con: Any = None

    def __call__(self, lake: Lake, key: str) -> int | None:
        if not key.endswith(".parquet"):
            return None
        if self._con is None:
            self._con = shared_connection(self._settings)
        uri = lake.uri(key).replace("'", "''")
        try:
            row = self._con.execute(f"SELECT count(*) FROM read_parquet('{uri}')").fetchone()
        except Exception as exc:  # duckdb.Error and IO errors: report which object
            if not self._strict:
                return None
            raise PromotionError(
                f"cannot count rows of {lake.uri(key)}: {type(exc).__name__}"
            ) from None
        return int(row[0])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def plan(
    src: Lake, src_prefix: str, dst: Lake, dst_prefix: str, mirror_zones: tuple[str, ...] | None
) -> tuple[dict[str, ObjectInfo], list[Change], int]:
    """What a sync would do. Removal applies only below `mirror_zones` (None: everywhere)."""
    source = relative(src.list(src_prefix), src_prefix)
    target = relative(dst.list(dst_prefix), dst_prefix) if dst_prefix else {}
    changes: list[Change] = []
    unchanged = 0
    for rel, obj in source.items():
        old = target.get(rel)
        if old is None:
            changes.append(Change("add", join(dst_prefix, rel), obj.size))
        elif old.size != obj.size or dst.checksum(join(dst_prefix, rel)) != src.checksum(
            join(src_prefix, rel) if src_prefix else rel
        ):
            changes.append(Change("replace", join(dst_prefix, rel), obj.size))
        else:
            unchanged += 1
    for rel, obj in target.items():
        if rel in source:
            continue
        if mirror_zones is None or keys.zone(rel) in mirror_zones:
            changes.append(Change("remove", join(dst_prefix, rel), obj.size))
    return source, changes, unchanged


@dataclass
class Staged:
    """Verified copies waiting in the incoming prefix for `commit`."""

    dst: Lake
    dst_prefix: str
    incoming: str
    outcome: SyncOutcome

    def rel(self, key: str) -> str:
        return key[len(self.dst_prefix.rstrip("/")) + 1 :] if self.dst_prefix else key


def stage(
    settings: Settings,
    src: Lake,
    src_prefix: str,
    dst: Lake,
    dst_prefix: str,
    op_id: str,
    mirror_zones: tuple[str, ...] | None = None,
    expected: dict[str, ObjectRecord] | None = None,
    progress: Progress | None = None,
) -> Staged:
    """Transfer every changed object next to the target, where no reader looks, and verify it."""
    source, changes, unchanged = plan(src, src_prefix, dst, dst_prefix, mirror_zones)
    staged = Staged(
        dst, dst_prefix, keys.incoming_key(op_id, dst_prefix), SyncOutcome(changes, unchanged)
    )
    counter = RowCounter(settings)
    copies = [c for c in changes if c.action != "remove"]
    try:
        for i, change in enumerate(copies, 1):
            rel = staged.rel(change.key)
            src_key = join(src_prefix, rel) if src_prefix else rel
            tmp = join(staged.incoming, rel)
            src.copy_to(src_key, dst, tmp)
            want = expected.get(rel) if expected else None
            want_sha = want.sha256 if want else src.checksum(src_key)
            want_rows = want.rows if want else counter(src, src_key)
            rec = verify(dst, tmp, source[rel].size, want_sha, want_rows, counter, src.uri(src_key))
            staged.outcome.records.append(ObjectRecord(change.key, rec.size, rec.sha256, rec.rows))
            staged.outcome.bytes_copied += rec.size
            if progress:
                progress(f"verify {dst_prefix}", i, len(copies))
    except BaseException:
        discard(staged)
        raise
    finally:
        counter.close()
    return staged


def commit(staged: Staged, progress: Progress | None = None) -> None:
    """Move verified copies into place (server-side copies), then remove, then re-check."""
    dst = staged.dst
    for i, rec in enumerate(staged.outcome.records, 1):
        dst.copy(join(staged.incoming, staged.rel(rec.key)), rec.key)
        if progress:
            progress(f"commit {staged.dst_prefix}", i, len(staged.outcome.records))
    for change in staged.outcome.changes:
        if change.action == "remove":
            dst.delete(change.key)
    for rec in staged.outcome.records:
        info = dst.list(rec.key)
        if not info or info[0].size != rec.size or dst.checksum(rec.key) != rec.sha256:
            raise PromotionError(f"{dst.uri(rec.key)} does not match its verified copy")


def clear_incoming(lake: Lake) -> int:
    """Remove what interrupted runs left: staged copies, and multipart uploads of killed
    processes (invisible, but billed) older than an hour."""
    lake.abort_interrupted_writes()
    return lake.delete_prefix(keys.incoming_prefix())


def discard(staged: Staged) -> None:
    with contextlib.suppress(LakeError):
        staged.dst.delete_prefix(staged.incoming)


def sync(
    settings: Settings,
    src: Lake,
    src_prefix: str,
    dst: Lake,
    dst_prefix: str,
    op_id: str,
    mirror_zones: tuple[str, ...] | None = None,
    expected: dict[str, ObjectRecord] | None = None,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Make dst_prefix hold what src_prefix holds: stage and verify everything, then commit."""
    staged = stage(
        settings, src, src_prefix, dst, dst_prefix, op_id, mirror_zones, expected, progress
    )
    try:
        commit(staged, progress)
    finally:
        discard(staged)
    return staged.outcome


def verify(
    lake: Lake,
    key: str,
    size: int,
    sha: str,
    rows: int | None,
    counter: RowCounter,
    origin: str,
) -> ObjectRecord:
    """Check a copy against what it should be; PromotionError naming the object otherwise."""
    info = lake.list(key)
    if not info or info[0].size != size:
        got = info[0].size if info else "nothing"
        raise PromotionError(f"copy of {origin} has size {got}, expected {size}")
    actual = lake.content_sha256(key)
    if actual != sha:
        raise PromotionError(f"copy of {origin} has sha256 {actual[:12]}…, expected {sha[:12]}…")
    got_rows = counter(lake, key)
    if rows is not None and got_rows != rows:
        raise PromotionError(f"copy of {origin} has {got_rows} rows, expected {rows}")
    return ObjectRecord(key, size, actual, got_rows)


def write_json(lake: Lake, key: str, payload: dict[str, Any]) -> None:
    lake.write_bytes(key, json.dumps(payload, indent=2, default=str).encode())


def records_json(records: list[ObjectRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]


@contextlib.contextmanager
def lake_lock(lake: Lake, name: str, command: str) -> Iterator[str]:
    """One holder at a time across processes and machines: an object created only if absent.

    A lock left by a process that died on this machine (e.g. while S3 was down, so it could not
    delete its lock) is taken over; a lock from another machine is reported, never broken.
    """
    key = keys.lock_key(name)
    body = json.dumps(
        {
            "command": command,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "token": uuid.uuid4().hex,  # tells this attempt's lock from any other
        }
    ).encode()
    if not lake.create_if_absent(key, body):
        try:
            raw = lake.read_bytes(key)
            holder = json.loads(raw)
        except (LakeError, ValueError):
            raw, holder = b"", {}
        mine = raw == body  # our create succeeded, but its answer was lost and retried
        if not (mine or (_is_stale(holder) and _replace_stale(lake, key, body))):
            who = (
                f"{holder.get('command')} (pid {holder.get('pid')} on {holder.get('host')}, "
                f"since {holder.get('since')})"
                if holder
                else "another process"
            )
            raise LockError(
                f"{name} is locked by {who}; wait for it to finish, or delete "
                f"{lake.uri(key)} if that process is gone"
            )
    try:
        yield key
    finally:
        with contextlib.suppress(LakeError):
            lake.delete(key)


def _is_stale(holder: dict[str, Any]) -> bool:
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _replace_stale(lake: Lake, key: str, body: bytes) -> bool:
    lake.delete(key)
    return lake.create_if_absent(key, body)
