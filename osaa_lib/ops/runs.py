"""Run history: one JSON object per command run, kept in the lake so it outlives any machine.

A record is written when the run starts (status `running`) and rewritten when it ends
(`success` or `failed`), at `ops/runs/<YYYY-MM-DD>/<run_id>.json`. A record left `running` by a
killed process is how a crash shows up in `osaa status`. The active record is reachable through a
context variable, so library code deep inside ingest or transform can add stage metrics with
`runs.record_stage(...)` without a new parameter on every function.
"""

from __future__ import annotations

import contextvars
import getpass
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings

if TYPE_CHECKING:
    from osaa_lib.lake import Lake

log = logging.getLogger(__name__)

RUNNING, SUCCESS, FAILED = "running", "success", "failed"
CRASHED = "crashed"  # never stored: what `status()` calls a `running` record whose process is gone
INTERRUPTED = 130  # the exit code of a run stopped with Ctrl-C
_current: contextvars.ContextVar[RunRecord | None] = contextvars.ContextVar(
    "osaa_run", default=None
)
_open_runs: list[RunRecord] = []


@dataclass
class Stage:
    """Metrics of one step of a run (a command stage, a source, a SQLMesh model...)."""

    name: str
    seconds: float | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    bytes_written: int | None = None
    bytes_uploaded: int | None = None
    uploads: int | None = None
    upload_failures: int | None = None
    started: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    run_id: str
    command: str
    arguments: dict[str, Any]
    user: str
    os_user: str
    target: str
    space: str
    host: str
    pid: int
    start: str
    end: str | None = None
    duration_s: float | None = None
    status: str = RUNNING
    exit_code: int | None = None
    error: str | None = None
    log_file: str | None = None
    stages: list[Stage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def key(self) -> str:
        return run_key(self.run_id, self.start)

    @property
    def started_at(self) -> datetime:
        return parse_time(self.start)

    @property
    def bytes_written(self) -> int:
        return sum(s.bytes_written or 0 for s in self.stages)

    @property
    def bytes_uploaded(self) -> int:
        return sum(s.bytes_uploaded or 0 for s in self.stages)

    @property
    def interrupted(self) -> bool:
        """Stopped by the operator: failed, but nothing to alert anyone about."""
        return self.exit_code == INTERRUPTED

    def stage(
        self,
        name: str,
        *,
        rows_in: int | None = None,
        rows_out: int | None = None,
        bytes_written: int | None = None,
        bytes_uploaded: int | None = None,
        seconds: float | None = None,
        uploads: int | None = None,
        upload_failures: int | None = None,
        **extra: Any,
    ) -> Stage:
        """Add the metrics of one finished step; thread-safe, callable any number of times."""
        item = Stage(
            name=name,
            seconds=None if seconds is None else round(float(seconds), 4),
            rows_in=rows_in,
            rows_out=rows_out,
            bytes_written=bytes_written,
            bytes_uploaded=bytes_uploaded,
            uploads=uploads,
            upload_failures=upload_failures,
            started=_iso(datetime.now(UTC)),
            extra=dict(extra),
        )
        with self._lock:
            self.stages.append(item)
        return item

    def add(self, name: str, **metrics: int | float) -> Stage:
        """Add to the counters of a stage (created on first use): for many small events such
        as uploads, `add("s3 uploads", uploads=1, bytes_uploaded=n)` keeps one stage."""
        with self._lock:
            item = next((s for s in self.stages if s.name == name), None)
            if item is None:
                item = Stage(name=name, started=_iso(datetime.now(UTC)))
                self.stages.append(item)
            for key, value in metrics.items():
                if key in _METRICS or key == "seconds":
                    setattr(item, key, (getattr(item, key) or 0) + value)
                else:
                    item.extra[key] = item.extra.get(key, 0) + value
        return item

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        data["stages"] = [asdict(s) for s in self.stages]
        data["bytes_written"] = self.bytes_written
        data["bytes_uploaded"] = self.bytes_uploaded
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, default=str, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        names = {f.name for f in fields(cls) if not f.name.startswith("_")}
        kwargs = {k: v for k, v in data.items() if k in names}
        stage_names = {f.name for f in fields(Stage)}
        kwargs["stages"] = [
            Stage(**{k: v for k, v in s.items() if k in stage_names})
            for s in data.get("stages") or []
        ]
        for name in names - kwargs.keys():
            if name in ("arguments",):
                kwargs[name] = {}
            elif name in ("user", "os_user", "target", "space", "host", "command", "start"):
                kwargs[name] = ""
            elif name == "pid":
                kwargs[name] = 0
        return cls(**kwargs)


def parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_key(run_id: str, start: str) -> str:
    from osaa_lib.lake import keys

    return keys.run_key(run_id, parse_time(start).date())


def current() -> RunRecord | None:
    """The run this code executes in, or None (library called outside the CLI).

    Worker threads start with an empty context; they see the process's innermost open run.
    """
    found = _current.get()
    if found is None and _open_runs:
        return _open_runs[-1]
    return found


def record_stage(name: str, **metrics: Any) -> Stage | None:
    """Add stage metrics to the current run when there is one; a no-op otherwise."""
    run = current()
    return run.stage(name, **metrics) if run is not None else None


def add_to_stage(name: str, **metrics: int | float) -> Stage | None:
    """Add to the counters of a stage of the current run (see `RunRecord.add`); else a no-op."""
    run = current()
    return run.add(name, **metrics) if run is not None else None


@contextmanager
def timed(name: str, **metrics: Any) -> Iterator[Stage]:
    """Time a block as a stage of the current run; set rows/bytes on the yielded Stage."""
    start = time.perf_counter()
    item = Stage(name=name, started=_iso(datetime.now(UTC)))
    try:
        yield item
    finally:
        item.seconds = round(time.perf_counter() - start, 4)
        run = current()
        if run is not None:
            values = {k: getattr(item, k) for k in _METRICS if getattr(item, k) is not None}
            values.update(metrics)
            values["seconds"] = item.seconds
            run.stage(name, **values, **item.extra)


_METRICS = ("rows_in", "rows_out", "bytes_written", "bytes_uploaded", "uploads", "upload_failures")


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in text by `***`, longest first so overlaps cannot leak."""
    for value in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def _jsonable(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v, secrets) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, secrets) for k, v in value.items()}
    return scrub(str(value), secrets)


def start_record(settings: Settings, command: str, arguments: Mapping[str, Any]) -> RunRecord:
    """A new record for a run starting now (not yet saved, not yet current)."""
    from osaa_lib.lake import keys

    now = datetime.now(UTC)
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = ""
    return RunRecord(
        run_id=keys.new_run_id(now),
        command=command,
        arguments=_jsonable(dict(arguments), settings.secrets()),
        user=settings.username,
        os_user=os_user,
        target=settings.target,
        space=settings.space,
        host=socket.gethostname(),
        pid=os.getpid(),
        start=_iso(now),
    )


def save(lake: Lake, record: RunRecord) -> bool:
    """Write the record; history must never break a command, so failure is a warning."""
    from osaa_lib.errors import OsaaError

    try:
        lake.write_bytes(record.key, record.to_json().encode())
        return True
    except (OsaaError, OSError, ValueError) as exc:
        log.warning("run history could not be written to %s: %s", record.key, exc)
    except Exception as exc:  # noqa: BLE001 - botocore and friends raise their own types
        log.warning(
            "run history could not be written to %s: %s: %s", record.key, type(exc).__name__, exc
        )
    return False


def finish(
    record: RunRecord, status: str, exit_code: int, error: str | None, secrets: Iterable[str] = ()
) -> RunRecord:
    end = datetime.now(UTC)
    record.end = _iso(end)
    record.duration_s = round((end - record.started_at).total_seconds(), 3)
    record.status = status
    record.exit_code = exit_code
    record.error = scrub(error, list(secrets)) if error else None
    return record


@contextmanager
def track(
    settings: Settings,
    command: str,
    arguments: Mapping[str, Any] | None = None,
    lake: Lake | None = None,
    log_file: str | None = None,
) -> Iterator[RunRecord]:
    """Record a run around a block: saved as running, then success or failed with the error.

    Exceptions propagate unchanged; a `SystemExit`/`typer.Exit` with a non-zero code counts as
    a failure. The record is the current run (see `current()`) inside the block.
    """
    if lake is None:
        from osaa_lib.lake import open_lake

        try:
            lake = open_lake(settings)
        except Exception as exc:  # noqa: BLE001 - history must not stop the command
            log.warning("run history disabled: cannot open the lake: %s", exc)
    record = start_record(settings, command, arguments or {})
    record.log_file = log_file
    if lake is not None:
        save(lake, record)
    token = _current.set(record)
    _open_runs.append(record)
    secrets = settings.secrets()
    try:
        yield record
    except BaseException as exc:
        code = exit_code_of(exc)
        status = SUCCESS if code == 0 else FAILED
        finish(record, status, code, None if code == 0 else describe(exc), secrets)
        raise
    else:
        finish(record, SUCCESS, 0, None, secrets)
    finally:
        _current.reset(token)
        if record in _open_runs:
            _open_runs.remove(record)
        if lake is not None:
            save(lake, record)


def exit_code_of(exc: BaseException) -> int:
    code = getattr(exc, "exit_code", None)
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return code if isinstance(code, int) else 1


def describe(exc: BaseException) -> str:
    from osaa_lib.errors import OsaaError

    if isinstance(exc, OsaaError):
        return str(exc)
    if isinstance(exc, SystemExit) or type(exc).__name__ == "Exit":
        return f"exited with code {exit_code_of(exc)}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"


def load_runs(
    lake: Lake,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[RunRecord]:
    """Runs that started in [since, until), oldest first; unreadable objects are skipped."""
    from osaa_lib.lake import keys

    until = until or datetime.now(UTC) + timedelta(days=1)
    if since is not None:
        found: list[str] = []
        day: date = since.astimezone(UTC).date()
        while day <= until.astimezone(UTC).date():
            found += [o.key for o in lake.list(keys.runs_prefix(day))]
            day += timedelta(days=1)
    else:
        found = [o.key for o in lake.list(keys.runs_prefix())]
    out = []
    for key in sorted(k for k in found if k.endswith(".json")):
        try:
            record = RunRecord.from_dict(json.loads(lake.read_bytes(key)))
            moment = record.started_at
        except Exception as exc:  # noqa: BLE001 - one bad object must not hide the others
            log.warning("skipping unreadable run record %s: %s", key, exc)
            continue
        if (since is None or moment >= since) and moment < until:
            out.append(record)
    return sorted(out, key=lambda r: (r.start, r.run_id))


def latest_per_command(records: Iterable[RunRecord]) -> list[RunRecord]:
    """The newest run of each (command, target, space), newest first."""
    latest: dict[tuple[str, str, str], RunRecord] = {}
    for record in records:
        slot = (record.command, record.target, record.space)
        if slot not in latest or record.start >= latest[slot].start:
            latest[slot] = record
    return sorted(latest.values(), key=lambda r: r.start, reverse=True)


def is_stale(record: RunRecord, host: str | None = None) -> bool:
    """A `running` record whose process is gone (same host) cannot finish: it crashed."""
    if record.status != RUNNING:
        return False
    if record.host == (host or socket.gethostname()) and record.pid:
        try:
            os.kill(record.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return datetime.now(UTC) - record.started_at > timedelta(hours=24)


def status(record: RunRecord, host: str | None = None) -> str:
    """What a record means now: its stored status, or `crashed` when it can no longer finish."""
    return CRASHED if is_stale(record, host) else record.status


FAILURES = (FAILED, CRASHED)


def failed(record: RunRecord, host: str | None = None) -> bool:
    """The run ended badly: it failed, or it crashed."""
    return status(record, host) in FAILURES


def latest_runs(lake: Lake, since: datetime, skip: Iterable[str] = ()) -> list[RunRecord]:
    """The newest run of each command, target and space since `since`, newest first.

    The run asking (`current()`) is left out, as are the commands named in `skip`: a status
    check must not report on itself.
    """
    me, skip = current(), set(skip)
    return latest_per_command(
        r
        for r in load_runs(lake, since=since)
        if (me is None or r.run_id != me.run_id) and r.command not in skip
    )
