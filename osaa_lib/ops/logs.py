"""Structured logs: a short line on the console, one JSON object per line in a daily file.

Daily files (`osaa-YYYY-MM-DD.log`) are appended to by every process, one write per line, so
several concurrent commands can share the folder; rotation is a new file per UTC day and pruning
of files older than `keep_days`, which replaces the runbook's weekly `find -mtime +7` clean-up.
Every handler scrubs secret values from messages, arguments and tracebacks before formatting.
Logging is configured by the CLI (`configured(...)`) and never at import.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from osaa_lib.config import Settings
from osaa_lib.errors import ConfigError

LOG_GLOB = "osaa-*.log"
KEEP_DAYS = 14
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_MARK = "_osaa_ops_handler"
_LEVEL_NO = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def log_file_for(log_dir: Path, moment: datetime | None = None) -> Path:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return Path(log_dir) / f"osaa-{moment:%Y-%m-%d}.log"


class ScrubSecrets(logging.Filter):
    """Replace secret values in the final message and traceback text of every record."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must still be logged
            message = str(record.msg)
        record.msg, record.args = self._clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


class RunContext(logging.Filter):
    """Stamp each record with the current run's id and command."""

    def filter(self, record: logging.LogRecord) -> bool:
        from osaa_lib.ops.runs import current

        run = current()
        record.run_id = getattr(record, "run_id", None) or (run.run_id if run else None)
        record.command = getattr(record, "command", None) or (run.command if run else None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "run_id": getattr(record, "run_id", None),
            "command": getattr(record, "command", None),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class DailyFileHandler(logging.Handler):
    """Append JSON lines to the file of the record's UTC day; safe for concurrent processes."""

    def __init__(self, log_dir: Path):
        super().__init__()
        self.log_dir = Path(log_dir)
        self._path: Path | None = None
        self._stream: IO[str] | None = None
        self._io_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            path = log_file_for(self.log_dir, datetime.fromtimestamp(record.created, UTC))
            with self._io_lock:
                if path != self._path or self._stream is None:
                    self._close_stream()
                    self.log_dir.mkdir(parents=True, exist_ok=True)
                    self._stream = open(path, "a", encoding="utf-8")  # noqa: SIM115
                    self._path = path
                self._stream.write(line + "\n")
                self._stream.flush()
        except Exception:  # noqa: BLE001 - logging must not raise into the caller
            self.handleError(record)

    def _close_stream(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def close(self) -> None:
        with self._io_lock:
            self._close_stream()
        super().close()


def prune(log_dir: Path, keep_days: int = KEEP_DAYS, now: datetime | None = None) -> list[Path]:
    """Delete daily files older than keep_days; returns what was removed."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).date()
    removed = []
    for path in sorted(Path(log_dir).glob(LOG_GLOB)):
        match = re.fullmatch(r"osaa-(\d{4}-\d{2}-\d{2})\.log", path.name)
        if match and datetime.strptime(match[1], "%Y-%m-%d").date() < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _console_handler(level: str) -> logging.Handler:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(
        console=Console(stderr=True),
        show_path=False,
        rich_tracebacks=False,
        markup=False,
        log_time_format="%H:%M:%S",
    )
    handler.setFormatter(logging.Formatter("[%(command)s %(run_id)s] %(message)s"))
    handler.setLevel(level)
    handler.addFilter(lambda record: getattr(record, "osaa_console", True))
    return handler


def setup(settings: Settings, keep_days: int = KEEP_DAYS, console: bool = True) -> Path:
    """Install the console and file handlers on the root logger; returns today's log file.

    Our own loggers (`osaa_lib.*`) log at settings.log_level, third-party ones at WARNING.
    Calling it again replaces the handlers it installed before.
    """
    teardown()
    root = logging.getLogger()
    secrets, context = ScrubSecrets(settings.secrets()), RunContext()
    handlers: list[logging.Handler] = []
    file_handler: logging.Handler | None = None
    problem = None
    try:
        Path(settings.log_dir).mkdir(parents=True, exist_ok=True)
        prune(settings.log_dir, keep_days)
        file_handler = DailyFileHandler(settings.log_dir)
        file_handler.setFormatter(JsonFormatter())
        file_handler.setLevel(logging.DEBUG)
        handlers.append(file_handler)
    except OSError as exc:
        problem = (
            f"log folder {settings.log_dir} is not writable, logging to the console only: {exc}"
        )
    if console:
        handlers.append(_console_handler(settings.log_level))
    for handler in handlers:
        handler.addFilter(context)
        handler.addFilter(secrets)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("osaa_lib").setLevel(settings.log_level)
    if problem:
        logging.getLogger(__name__).warning(problem)
    return log_file_for(settings.log_dir)


def teardown() -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()


@contextmanager
def configured(settings: Settings, **kwargs: Any) -> Iterator[Path]:
    """Logging set up for one CLI invocation and removed after it (tests run many in-process)."""
    previous = logging.getLogger("osaa_lib").level
    path = setup(settings, **kwargs)
    try:
        yield path
    finally:
        teardown()
        logging.getLogger("osaa_lib").setLevel(previous)


@dataclass(frozen=True)
class LogEntry:
    time: datetime
    level: str
    run_id: str | None
    command: str | None
    logger: str
    message: str
    exception: str | None = None


_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`24h`, `30m`, `7d`, `2w` before now, or an ISO date/time (UTC when no zone is given)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is neither a duration (30m, 24h, 7d, 2w) nor an ISO date/time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_level(text: str) -> int:
    name = text.strip().upper()
    if name not in LEVELS:
        raise ConfigError(f"--level {text!r} is not one of {', '.join(LEVELS)}")
    return _LEVEL_NO[name]


def read_logs(
    log_dir: Path,
    since: datetime | None = None,
    level: str | None = None,
    run_id: str | None = None,
    command: str | None = None,
) -> list[LogEntry]:
    """Entries of the JSON log files, oldest first, filtered by time, minimum level, run, command.

    Lines that are not JSON objects (a hand-edited or truncated file) are skipped.
    """
    minimum = parse_level(level) if level else 0
    out: list[LogEntry] = []
    for path in sorted(Path(log_dir).glob(LOG_GLOB)):
        match = re.fullmatch(r"osaa-(\d{4}-\d{2}-\d{2})\.log", path.name)
        if since and match and match[1] < f"{since.astimezone(UTC):%Y-%m-%d}":
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    raw = json.loads(line)
                    moment = datetime.fromisoformat(raw["time"].replace("Z", "+00:00"))
                except (ValueError, KeyError, TypeError, AttributeError):
                    continue
                if since and moment < since:
                    continue
                if minimum and _LEVEL_NO.get(str(raw.get("level")), 0) < minimum:
                    continue
                if run_id and not str(raw.get("run_id") or "").startswith(run_id):
                    continue
                if command and raw.get("command") != command:
                    continue
                out.append(
                    LogEntry(
                        time=moment,
                        level=str(raw.get("level")),
                        run_id=raw.get("run_id"),
                        command=raw.get("command"),
                        logger=str(raw.get("logger", "")),
                        message=str(raw.get("message", "")),
                        exception=raw.get("exception"),
                    )
                )
    return sorted(out, key=lambda e: e.time)
