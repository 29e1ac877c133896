"""Backups of an environment, restore, and the quarterly disaster-recovery drill.

A backup is a folder `<backup_root>/<backup_id>/` holding the environment's objects under their
environment-relative keys (`landing/...`, `staging/...`) and a manifest `_backup.json` written
last: a folder without a manifest is an interrupted backup and is never listed or restored.
Every copied object is verified (size, SHA-256 of the stored bytes, Parquet row count) before
the manifest is written, so a listed backup is a backup that was checked.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime

from osaa_lib.config import TARGETS, Settings
from osaa_lib.errors import LakeError, PromotionError
from osaa_lib.lake import Lake, join, keys, open_lake
from osaa_lib.lake.sync import (
    Change,
    ObjectRecord,
    Progress,
    RowCounter,
    clear_incoming,
    commit,
    discard,
    lake_lock,
    records_json,
    relative,
    stage,
    verify,
    write_json,
)


@dataclass(frozen=True)
class BackupInfo:
    backup_id: str
    env: str
    created: datetime
    reason: str
    objects: int
    bytes: int


@dataclass
class BackupResult:
    info: BackupInfo
    records: list[ObjectRecord] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RestoreResult:
    backup_id: str
    target_env: str
    pre_backup_id: str
    changes: list[Change]
    unchanged: int
    verified: int
    seconds: float


@dataclass
class DrTestResult:
    drill_id: str
    backup_id: str
    backup_created: datetime
    objects: int
    bytes: int
    rows: int
    problems: list[str]
    cleaned: bool
    seconds: float
    record_key: str

    @property
    def ok(self) -> bool:
        return not self.problems and self.cleaned and self.objects > 0


def backup_lake(settings: Settings) -> Lake:
    return open_lake(settings, settings.backup_root)


def check_env(env: str) -> str:
    if env not in TARGETS:
        raise PromotionError(f"environment {env!r} is not one of {', '.join(TARGETS)}")
    return env


def check_backup_id(backup_id: str) -> str:
    if keys.parse_backup_id(backup_id) is None:
        raise PromotionError(
            f"{backup_id!r} is not a backup id such as prod-20260101T020000000000Z "
            "(see `osaa backups list`)"
        )
    return backup_id


def backup(
    settings: Settings,
    env: str | None = None,
    reason: str = "manual",
    lock: bool = True,
    progress: Progress | None = None,
) -> BackupResult:
    """Copy everything an environment holds into a new, verified, timestamped backup."""
    env = check_env(env or settings.target)
    lake = open_lake(settings)
    if not lock:
        return backup_unlocked(settings, lake, env, reason, progress)
    with lake_lock(lake, "promotion", f"backup {env}"):
        return backup_unlocked(settings, lake, env, reason, progress)


def backup_unlocked(
    settings: Settings, lake: Lake, env: str, reason: str, progress: Progress | None
) -> BackupResult:
    started = time.monotonic()
    blake = backup_lake(settings)
    backup_id = keys.new_backup_id(env)
    objects = relative(lake.list(env), env)
    counter = RowCounter(settings, strict=False)  # a backup keeps even unreadable files
    records = []
    try:
        for i, (rel, obj) in enumerate(sorted(objects.items()), 1):
            dest = keys.backup_object_key(backup_id, rel)
            lake.copy_to(obj.key, blake, dest)
            rec = verify(
                blake,
                dest,
                obj.size,
                lake.checksum(obj.key),
                counter(lake, obj.key),
                counter,
                lake.uri(obj.key),
            )
            records.append(ObjectRecord(rel, rec.size, rec.sha256, rec.rows))
            if progress:
                progress(f"backup {env}", i, len(objects))
    except BaseException:
        with contextlib.suppress(LakeError):
            blake.delete_prefix(keys.backup_prefix(backup_id))
        raise
    finally:
        counter.close()
    created = datetime.now().astimezone()
    info = BackupInfo(backup_id, env, created, reason, len(records), sum(r.size for r in records))
    write_json(
        blake,
        keys.backup_manifest_key(backup_id),
        {
            "backup_id": backup_id,
            "env": env,
            "created": created.isoformat(timespec="seconds"),
            "reason": reason,
            "source": lake.uri(env),
            "objects": info.objects,
            "bytes": info.bytes,
            "records": records_json(records),
        },
    )
    return BackupResult(info, records, time.monotonic() - started)


def _manifest(blake: Lake, backup_id: str) -> dict:
    try:
        return json.loads(blake.read_bytes(keys.backup_manifest_key(backup_id)))
    except LakeError:
        raise PromotionError(
            f"no complete backup {backup_id} in {blake.root} (see `osaa backups list`)"
        ) from None


def _info(doc: dict) -> BackupInfo:
    return BackupInfo(
        doc["backup_id"],
        doc["env"],
        datetime.fromisoformat(doc["created"]),
        doc.get("reason", ""),
        int(doc["objects"]),
        int(doc["bytes"]),
    )


def list_backups(settings: Settings, env: str | None = None) -> list[BackupInfo]:
    """Complete backups, newest first (interrupted ones have no manifest and are skipped)."""
    blake = backup_lake(settings)
    out = []
    for obj in blake.list():
        if keys.parse_backup_manifest_key(obj.key):
            info = _info(json.loads(blake.read_bytes(obj.key)))
            if env is None or info.env == env:
                out.append(info)
    return sorted(out, key=lambda b: _stamp_of(b.backup_id), reverse=True)


def _stamp_of(backup_id: str) -> str:
    parsed = keys.parse_backup_id(backup_id)
    return parsed[1] if parsed else ""


@dataclass
class PruneResult:
    kept: list[BackupInfo]
    removed: list[BackupInfo]
    objects_removed: int
    bytes_freed: int
    dry_run: bool


def prune_backups(
    settings: Settings, keep: int, env: str | None = None, dry_run: bool = False
) -> PruneResult:
    """Keep the newest `keep` backups of each environment; delete the older ones.

    Each promotion backs up the whole target, so backups grow fastest of all zones. The
    manifest goes first, so a half-deleted backup is never listed or restored.
    """
    if keep < 1:
        raise PromotionError("--keep must be at least 1: the latest backup is never pruned")
    blake = backup_lake(settings)
    kept: list[BackupInfo] = []
    removed: list[BackupInfo] = []
    by_env: dict[str, list[BackupInfo]] = {}
    for info in list_backups(settings, env=check_env(env) if env else None):
        by_env.setdefault(info.env, []).append(info)
    for infos in by_env.values():
        kept += infos[:keep]
        removed += infos[keep:]
    objects = 0
    if not dry_run:
        with lake_lock(open_lake(settings), "promotion", "backups prune"):
            for info in removed:
                blake.delete(keys.backup_manifest_key(info.backup_id))
                objects += blake.delete_prefix(keys.backup_prefix(info.backup_id)) + 1
    else:
        objects = sum(b.objects + 1 for b in removed)
    return PruneResult(kept, removed, objects, sum(b.bytes for b in removed), dry_run)


def prod_guard(settings: Settings, target_env: str, confirm: bool, what: str) -> None:
    """Writing prod needs both a standing permission and a per-run confirmation."""
    if target_env != "prod":
        return
    if not settings.allow_prod_promotion:
        raise PromotionError(
            f"{what} into prod is disabled: set OSAA_ALLOW_PROD_PROMOTION=true where prod "
            "releases are allowed, and confirm with --yes"
        )
    if not confirm:
        raise PromotionError(f"{what} into prod needs confirmation: add --yes")


def restore(
    settings: Settings,
    backup_id: str,
    target_env: str,
    confirm: bool = False,
    progress: Progress | None = None,
) -> RestoreResult:
    """Make an environment's landing and staging what the backup holds (backing it up first)."""
    started = time.monotonic()
    backup_id = check_backup_id(backup_id)
    target_env = check_env(target_env)
    blake = backup_lake(settings)
    doc = _manifest(blake, backup_id)
    if (doc["env"] == "dev") != (target_env == "dev"):
        raise PromotionError(
            f"backup {backup_id} is of {doc['env']}: dev's per-user layout differs from qa/prod, "
            f"so it cannot be restored into {target_env}"
        )
    if not doc["records"]:
        raise PromotionError(f"backup {backup_id} holds no objects; refusing to empty {target_env}")
    prod_guard(settings, target_env, confirm, "restore")
    lake = open_lake(settings)
    expected = {r["key"]: ObjectRecord(**r) for r in doc["records"]}
    held = relative(blake.list(keys.backup_prefix(backup_id)), backup_id)
    missing = sorted(set(expected) - set(held))
    if missing:
        raise PromotionError(
            f"backup {backup_id} is incomplete: {len(missing)} object(s) of its manifest are "
            f"missing, e.g. {missing[0]}; nothing was restored"
        )
    with lake_lock(lake, "promotion", f"restore {backup_id} -> {target_env}"):
        clear_incoming(lake)  # leftovers of an interrupted run: only the lock holder stages
        pre = backup_unlocked(
            settings, lake, target_env, f"before restore of {backup_id}", progress
        )
        op_id = keys.new_op_id("restore")
        staged = stage(
            settings,
            blake,
            keys.backup_prefix(backup_id),
            lake,
            target_env,
            op_id,
            keys.MIRRORED_ZONES,
            expected,
            progress,
        )
        try:
            commit(staged, progress)
        finally:
            discard(staged)
        write_json(
            lake,
            keys.release_key(target_env),
            {
                "kind": "restore",
                "id": op_id,
                "backup_id": backup_id,
                "state": "complete",
                "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
                "pre_backup_id": pre.info.backup_id,
            },
        )
    out = staged.outcome
    return RestoreResult(
        backup_id,
        target_env,
        pre.info.backup_id,
        out.changes,
        out.unchanged,
        len(out.records),
        time.monotonic() - started,
    )


def dr_test(settings: Settings, progress: Progress | None = None) -> DrTestResult:
    """Restore the latest prod backup into a scratch prefix, verify it all, report, clean up."""
    started = time.monotonic()
    backups = list_backups(settings, env="prod")
    if not backups:
        raise PromotionError("no prod backup to drill on: run `osaa backup --env prod` first")
    latest = backups[0]
    blake = backup_lake(settings)
    lake = open_lake(settings)
    doc = _manifest(blake, latest.backup_id)
    drill_id = keys.stamp()
    scratch = keys.drill_scratch_prefix(drill_id)
    problems: list[str] = []
    counter = RowCounter(settings)
    total_rows = 0
    try:
        for i, r in enumerate(doc["records"], 1):
            rec = ObjectRecord(**r)
            dest = join(scratch, rec.key)
            try:
                blake.copy_to(keys.backup_object_key(latest.backup_id, rec.key), lake, dest)
                got = verify(lake, dest, rec.size, rec.sha256, rec.rows, counter, rec.key)
                total_rows += got.rows or 0
            except (LakeError, PromotionError) as exc:
                problems.append(f"{rec.key}: {exc}")
            if progress:
                progress("dr-test", i, len(doc["records"]))
    finally:
        counter.close()
        lake.delete_prefix(scratch)
    cleaned = not lake.list(scratch)
    record_key = keys.drill_record_key(drill_id)
    result = DrTestResult(
        drill_id,
        latest.backup_id,
        latest.created,
        len(doc["records"]),
        latest.bytes,
        total_rows,
        problems,
        cleaned,
        time.monotonic() - started,
        record_key,
    )
    write_json(
        lake,
        record_key,
        {
            "drill_id": drill_id,
            "backup_id": latest.backup_id,
            "ok": result.ok,
            "objects": result.objects,
            "bytes": result.bytes,
            "rows": result.rows,
            "problems": problems,
            "cleaned": cleaned,
            "seconds": round(result.seconds, 3),
        },
    )
    return result
