"""Promotion dev -> qa -> prod: back up the target, stage and verify, then switch at once.

What moves: the source's landing (`<env>/landing/`, shared by dev users) and its published
tables. In dev every analyst publishes into a space of their own (`dev/staging/dev_<user>/`), so
a dev -> qa promotion promotes one named space (`user`, default the current USERNAME) into
`qa/staging/`; qa -> prod promotes `qa/staging/` into `prod/staging/`. The target's landing and
staging become exact copies of the source's (objects the source no longer has are removed),
after a verified backup of the whole target environment.

Why readers never see a mix: nothing in the target is touched until every new object is staged
in `ops/incoming/` and verified. The switch is then a burst of server-side copies (each object
is replaced atomically), the removals, and `<target>/_release.json` written last with
`state: complete`; during the switch it says `state: switching`. See docs/lake.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from osaa_lib.config import Settings, validate_identifier
from osaa_lib.errors import ConfigError, PromotionError
from osaa_lib.lake import keys, open_lake
from osaa_lib.lake.backup import backup_unlocked, prod_guard
from osaa_lib.lake.sync import (
    Change,
    Progress,
    Staged,
    clear_incoming,
    commit,
    discard,
    lake_lock,
    plan,
    records_json,
    stage,
    write_json,
)

ALLOWED = {("dev", "qa"), ("qa", "prod")}


@dataclass
class PromotionResult:
    promotion_id: str
    source_env: str
    target_env: str
    user: str | None
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    backup_id: str | None = None
    verified: int = 0
    rows: int = 0
    bytes_copied: int = 0
    seconds: float = 0.0
    release_key: str | None = None

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def added(self) -> list[Change]:
        return self.of("add")

    @property
    def replaced(self) -> list[Change]:
        return self.of("replace")

    @property
    def removed(self) -> list[Change]:
        return self.of("remove")


def current_release(settings: Settings, env: str) -> dict | None:
    """The last promotion/restore into env (`state` is `complete` unless a switch is under way
    or was interrupted): readers that must not straddle a switch compare it before and after."""
    import json

    from osaa_lib.errors import LakeError

    lake = open_lake(settings)
    try:
        return json.loads(lake.read_bytes(keys.release_key(env)))
    except LakeError:
        return None


def scopes(source_env: str, target_env: str, user: str | None) -> list[tuple[str, str]]:
    """(source prefix, target prefix) pairs a promotion mirrors."""
    if (source_env, target_env) not in ALLOWED:
        raise PromotionError(
            f"cannot promote {source_env} -> {target_env}: promotion goes dev -> qa -> prod, "
            "one step at a time"
        )
    return [
        (keys.env_landing(source_env), keys.env_landing(target_env)),
        (keys.env_staging(source_env, user), keys.env_staging(target_env)),
    ]


def promote(
    settings: Settings,
    source_env: str,
    target_env: str,
    dry_run: bool = False,
    confirm: bool = False,
    user: str | None = None,
    progress: Progress | None = None,
) -> PromotionResult:
    """Copy source landing+staging over the target's, verified, after a backup of the target."""
    started = time.monotonic()
    source_env, target_env = source_env.strip().lower(), target_env.strip().lower()
    if source_env == "dev":
        try:
            user = validate_identifier("user", user or settings.username)
        except ConfigError as exc:
            raise PromotionError(str(exc)) from None
    else:
        user = None
    pairs = scopes(source_env, target_env, user)
    if not dry_run:
        prod_guard(settings, target_env, confirm, "promotion")
    lake = open_lake(settings)
    for src_prefix, _ in pairs:
        if not lake.list(src_prefix):
            raise PromotionError(
                f"{lake.uri(src_prefix)} is empty: nothing to promote (and promoting it would "
                f"empty {target_env})"
            )
    promotion_id = keys.new_op_id(f"{source_env}-{target_env}")
    result = PromotionResult(promotion_id, source_env, target_env, user, dry_run)
    if dry_run:
        for src_prefix, dst_prefix in pairs:
            _, changes, unchanged = plan(lake, src_prefix, lake, dst_prefix, None)
            result.changes += changes
            result.unchanged += unchanged
        result.seconds = time.monotonic() - started
        return result

    release_key = keys.release_key(target_env)
    with lake_lock(lake, "promotion", f"promote {source_env} -> {target_env}"):
        clear_incoming(lake)  # leftovers of an interrupted run: only the lock holder stages
        pre = backup_unlocked(
            settings, lake, target_env, f"before promotion {promotion_id}", progress
        )
        result.backup_id = pre.info.backup_id
        staged: list[Staged] = []
        try:
            for src_prefix, dst_prefix in pairs:
                staged.append(
                    stage(
                        settings,
                        lake,
                        src_prefix,
                        lake,
                        dst_prefix,
                        promotion_id,
                        None,
                        None,
                        progress,
                    )
                )
            record = {
                "kind": "promotion",
                "id": promotion_id,
                "source": source_env,
                "user": user,
                "backup_id": result.backup_id,
                "started": datetime.now().astimezone().isoformat(timespec="seconds"),
            }
            write_json(lake, release_key, {**record, "state": "switching"})
            for s in staged:
                commit(s, progress)
            records = [r for s in staged for r in s.outcome.records]
            write_json(
                lake,
                release_key,
                {
                    **record,
                    "state": "complete",
                    "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
                    "changed": records_json(records),
                },
            )
        finally:
            for s in staged:
                discard(s)
    for s in staged:
        result.changes += s.outcome.changes
        result.unchanged += s.outcome.unchanged
        result.verified += len(s.outcome.records)
        result.rows += sum(r.rows or 0 for r in s.outcome.records)
        result.bytes_copied += s.outcome.bytes_copied
    result.release_key = release_key
    result.seconds = time.monotonic() - started
    return result
