"""Every key of the lake layout, built and parsed here and nowhere else.

The layout is the contract between ingest, transform, quality, promotion and every reader, on
the local lake and on S3 alike; one module keeps the two backends and all stages agreeing, and
`tests/lake/test_keys.py` fails when another module formats a key by hand.

    <env>/landing/<source>/<STEM>.parquet                 landed file of a source
    <env>/landing/<source>/_manifests/<STEM>.json          its ingest manifest (+ .rejects.json)
    <env>/vintages/<source>/<vintage_id>/                   every changed ingest, kept for diffs
        <STEM>.parquet, _manifests/<STEM>.json, _vintage.json (the index, written last)
    dev/staging/dev_<user>/<schema>/<table>.parquet         an analyst's published tables
    <qa|prod>/staging/<schema>/<table>.parquet              the shared published tables
    <env>/history[/dev_<user>]/<table>/<run_id>.parquet     quality results and reviewers' marks
    <env>/_release.json                                     last promotion/restore into env
    <env>/_probe/probe-<token>.txt                          config-test round trip (deleted)
    ops/runs/<YYYY-MM-DD>/<run_id>.json                     run history of every command
    ops/incoming/<op_id>/<env key>                          copies staged by promote/restore
    ops/_locks/<name>.lock                                  promotion lock
    ops/storage/<stamp>.json                                storage snapshots
    ops/baselines/<YYYY-MM-DD>/<run_id>.json                benchmark baselines
    ops/dr-test/<drill_id>/, ops/drills/<drill_id>.json     DR drill scratch and record
    <backup root>/<backup_id>/<env-relative key>            backups, `_backup.json` written last

Ids that become parts of keys are made here too, from one time stamp (`stamp`): UTC to the
microsecond, fixed width, so every id sorts by time as plain text on every backend.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from osaa_lib.config import TARGETS, space_of
from osaa_lib.errors import LakeError
from osaa_lib.lake.base import join

if TYPE_CHECKING:
    from osaa_lib.config import Settings

LANDING, VINTAGES, STAGING, HISTORY = "landing", "vintages", "staging", "history"
MANIFESTS = "_manifests"
VINTAGE_INDEX = "_vintage.json"
RELEASE = "_release.json"
PROBE = "_probe"
BACKUP_MANIFEST = "_backup.json"
OPS = "ops"
RUNS = join(OPS, "runs")
INCOMING = join(OPS, "incoming")
LOCKS = join(OPS, "_locks")
STORAGE = join(OPS, "storage")
BASELINES = join(OPS, "baselines")
DRILLS = join(OPS, "drills")
DRILL_SCRATCH = join(OPS, "dr-test")
NESTED_BACKUPS = "backups"  # where backups sit in the lake when OSAA_BACKUP_ROOT is the default
MASTER = "master.indicators"
MIRRORED_ZONES = (LANDING, STAGING)

_INTERNAL = {PROBE, "_locks", BACKUP_MANIFEST, RELEASE}
_STAMP = "%Y%m%dT%H%M%S%fZ"
_STAMP_RE = r"\d{8}T\d{12}Z"
RUN_ID = re.compile(rf"^{_STAMP_RE}-[0-9a-f]{{8}}$")
# older backups were stamped to the second; they stay valid ids
BACKUP_ID = re.compile(r"^(dev|qa|prod)-(\d{8}T\d{6,12}Z)$")


# --- ids ------------------------------------------------------------------------------------


def stamp(moment: datetime | None = None) -> str:
    """`20261129T123000123456Z`: the time part of every id (vintages, backups, operations)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)


def new_run_id(moment: datetime | None = None) -> str:
    """The id of a run, `<stamp>-<8 hex>`: sortable by time, unique across machines, safe as a
    file and folder name. One id follows a run everywhere: its run record, the quality history
    it writes, its benchmark baseline and its `reports/<run_id>/` folder."""
    return f"{stamp(moment)}-{uuid.uuid4().hex[:8]}"


def new_op_id(kind: str, moment: datetime | None = None) -> str:
    """A promotion (`dev-qa-<stamp>`) or restore (`restore-<stamp>`): one at a time, by lock."""
    return f"{kind}-{stamp(moment)}"


def new_backup_id(env: str, moment: datetime | None = None) -> str:
    return f"{check_env(env)}-{stamp(moment)}"


def parse_backup_id(backup_id: str) -> tuple[str, str] | None:
    """(env, stamp) of a backup id, or None when it is not one (e.g. `../../etc`)."""
    found = BACKUP_ID.match(backup_id or "")
    return (found.group(1), found.group(2)) if found else None


def check_env(env: str) -> str:
    if env not in TARGETS:
        raise LakeError(f"environment {env!r} is not one of {', '.join(TARGETS)}")
    return env


def stem(key: str) -> str:
    """`dev/landing/sdg/SDG_LABEL.parquet` -> `SDG_LABEL` (the file name without extension)."""
    return PurePosixPath(key).name.split(".", 1)[0]


# --- environments (promotion, backup, restore work on whole environments) --------------------


def env_landing(env: str) -> str:
    return join(check_env(env), LANDING)


def env_staging(env: str, user: str | None = None) -> str:
    """Dev users publish into a space of their own; qa and prod have one shared staging."""
    if env == "dev":
        if not user:
            raise LakeError("dev staging is per user: name the user")
        return join(env, STAGING, space_of(env, user))
    return join(check_env(env), STAGING)


def release_key(env: str) -> str:
    return join(check_env(env), RELEASE)


def probe_key(env: str, token: str) -> str:
    return join(check_env(env), PROBE, f"probe-{token}.txt")


def zone(rel: str) -> str:
    """The zone of an environment-relative key: `staging/sources/sdg.parquet` -> `staging`."""
    return rel.split("/", 1)[0]


def is_internal(rel: str) -> bool:
    """Bookkeeping of an environment (probes, locks, release and backup records), which a
    promotion, backup or restore never copies as data."""
    return any(part in _INTERNAL for part in rel.split("/"))


# --- landing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LandedKey:
    env: str
    source: str
    stem: str


def landing_prefix(settings: Settings, source: str | None = None) -> str:
    return join(env_landing(settings.target), source or "")


def landing_key(settings: Settings, source: str, stem: str) -> str:
    return join(landing_prefix(settings, source), f"{stem}.parquet")


def manifest_key(settings: Settings, source: str, stem: str) -> str:
    return join(landing_prefix(settings, source), MANIFESTS, f"{stem}.json")


def rejects_key(settings: Settings, source: str, stem: str) -> str:
    return join(landing_prefix(settings, source), MANIFESTS, f"{stem}.rejects.json")


def parse_landing_key(key: str) -> LandedKey | None:
    """A landed file's env, source and stem; None for manifests, vintages and anything else."""
    parts = key.split("/")
    if (
        len(parts) == 4
        and parts[0] in TARGETS
        and parts[1] == LANDING
        and not parts[2].startswith("_")
        and parts[3].endswith(".parquet")
    ):
        return LandedKey(parts[0], parts[2], parts[3][: -len(".parquet")])
    return None


def landed_source(key: str) -> str | None:
    found = parse_landing_key(key)
    return found.source if found else None


def is_manifest_key(key: str) -> bool:
    """An ingest manifest (not a rejects listing) of the landing zone or of a vintage."""
    parts = key.split("/")
    return (
        len(parts) >= 3
        and parts[-2] == MANIFESTS
        and parts[-1].endswith(".json")
        and not parts[-1].endswith(".rejects.json")
    )


# --- vintages --------------------------------------------------------------------------------


def vintages_prefix(settings: Settings, source: str) -> str:
    return join(check_env(settings.target), VINTAGES, source)


def vintage_prefix(settings: Settings, source: str, vintage_id: str) -> str:
    if not re.fullmatch(_STAMP_RE, vintage_id or ""):
        raise LakeError(f"{vintage_id!r} is not a vintage id such as {stamp()}")
    return join(vintages_prefix(settings, source), vintage_id)


def vintage_file_key(settings: Settings, source: str, vintage_id: str, stem: str) -> str:
    return join(vintage_prefix(settings, source, vintage_id), f"{stem}.parquet")


def vintage_manifest_key(settings: Settings, source: str, vintage_id: str, stem: str) -> str:
    return join(vintage_prefix(settings, source, vintage_id), MANIFESTS, f"{stem}.json")


def vintage_rejects_key(settings: Settings, source: str, vintage_id: str, stem: str) -> str:
    return join(vintage_prefix(settings, source, vintage_id), MANIFESTS, f"{stem}.rejects.json")


def vintage_index_key(settings: Settings, source: str, vintage_id: str) -> str:
    return join(vintage_prefix(settings, source, vintage_id), VINTAGE_INDEX)


def parse_vintage_index_key(key: str) -> tuple[str, str] | None:
    """(source, vintage_id) of a vintage's index; None for any other key."""
    parts = key.split("/")
    if (
        len(parts) == 5
        and parts[1] == VINTAGES
        and parts[4] == VINTAGE_INDEX
        and re.fullmatch(_STAMP_RE, parts[3])
    ):
        return parts[2], parts[3]
    return None


# --- published tables ------------------------------------------------------------------------


def staging_prefix(settings: Settings) -> str:
    return env_staging(settings.target, settings.username)


def schema_prefix(settings: Settings, schema: str) -> str:
    return join(staging_prefix(settings), schema)


def table_key(settings: Settings, model: str) -> str:
    """A published table: `sources.sdg` -> `<staging>/sources/sdg.parquet`."""
    schema, dot, table = model.partition(".")
    if not dot or not table or "." in table:
        raise LakeError(f"{model!r} is not a <schema>.<table> model name")
    return join(schema_prefix(settings, schema), f"{table}.parquet")


def master_key(settings: Settings) -> str:
    return table_key(settings, MASTER)


def parse_table_key(settings: Settings, key: str) -> str | None:
    """The model (`sources.sdg`) a key of this space's staging holds, or None."""
    prefix = staging_prefix(settings) + "/"
    if not key.startswith(prefix):
        return None
    parts = key[len(prefix) :].split("/")
    if len(parts) == 2 and parts[1].endswith(".parquet"):
        return f"{parts[0]}.{parts[1][: -len('.parquet')]}"
    return None


# --- quality history -------------------------------------------------------------------------


def history_prefix(settings: Settings) -> str:
    """Where quality results of a space accumulate, run after run."""
    if settings.target == "dev":
        return join("dev", HISTORY, settings.space)
    return join(check_env(settings.target), HISTORY)


def history_table_prefix(settings: Settings, table: str) -> str:
    return join(history_prefix(settings), table)


def history_key(settings: Settings, table: str, run_id: str) -> str:
    return join(history_table_prefix(settings, table), f"{run_id}.parquet")


def history_run_id(key: str) -> str:
    """The run a history file belongs to: `.../dq_runs/<run_id>.parquet` -> `<run_id>`."""
    return PurePosixPath(key).name.removesuffix(".parquet")


# --- operations ------------------------------------------------------------------------------


def runs_prefix(day: date | None = None) -> str:
    return join(RUNS, f"{day:%Y-%m-%d}") if day else RUNS


def run_key(run_id: str, day: date) -> str:
    """A run record: `day` is the run's start date (UTC)."""
    return join(runs_prefix(day), f"{run_id}.json")


def incoming_prefix(op_id: str | None = None) -> str:
    return join(INCOMING, op_id or "")


def incoming_key(op_id: str, key: str) -> str:
    """Where a promotion or restore stages `key` before the switch (no reader looks there)."""
    return join(INCOMING, op_id, key)


def lock_key(name: str) -> str:
    return join(LOCKS, f"{name}.lock")


def storage_snapshot_key(moment: datetime) -> str:
    return join(STORAGE, f"{stamp(moment)}.json")


def baseline_key(day: str, run_id: str) -> str:
    """A benchmark baseline: `day` is `YYYY-MM-DD` of its creation."""
    return join(BASELINES, day, f"{run_id}.json")


def baseline_run_id(key: str) -> str:
    return PurePosixPath(key).name.removesuffix(".json")


def drill_scratch_prefix(drill_id: str) -> str:
    return join(DRILL_SCRATCH, drill_id)


def drill_record_key(drill_id: str) -> str:
    return join(DRILLS, f"{drill_id}.json")


# --- backups (keys in the backup root) -------------------------------------------------------


def backup_prefix(backup_id: str) -> str:
    if parse_backup_id(backup_id) is None:
        raise LakeError(f"{backup_id!r} is not a backup id such as prod-{stamp()}")
    return backup_id


def backup_object_key(backup_id: str, rel: str) -> str:
    return join(backup_prefix(backup_id), rel)


def backup_manifest_key(backup_id: str) -> str:
    return join(backup_prefix(backup_id), BACKUP_MANIFEST)


def parse_backup_manifest_key(key: str) -> str | None:
    """The backup id whose manifest this is; None for objects and interrupted backups."""
    parts = key.split("/")
    if len(parts) == 2 and parts[1] == BACKUP_MANIFEST and parse_backup_id(parts[0]):
        return parts[0]
    return None


def backups_in_lake(settings: Settings) -> bool:
    """Whether the backup root is the lake's own `backups/` folder (the default)."""
    lake_backups = f"{settings.lake_root.rstrip('/')}/{NESTED_BACKUPS}"
    return settings.backup_root.rstrip("/") == lake_backups


def nested_backup_key(key: str) -> str:
    """A key of a backup root outside the lake, as the storage report counts it."""
    return join(NESTED_BACKUPS, key)


# --- the whole layout, for the storage report ------------------------------------------------


def classify(key: str) -> tuple[str, str, str]:
    """(environment, zone, source or space) of any key of the lake."""
    parts = key.split("/")
    head = parts[0]
    if head in TARGETS:
        if len(parts) == 2:
            return head, "(root)", ""
        return head, parts[1], parts[2] if len(parts) > 3 else ""
    if head == NESTED_BACKUPS:
        env = parts[1].split("-", 1)[0] if len(parts) > 2 else ""
        return NESTED_BACKUPS, env or "(root)", ""
    if head == OPS:
        return OPS, parts[1] if len(parts) > 2 else "(root)", ""
    return "(other)", head if len(parts) > 1 else "(root)", ""
