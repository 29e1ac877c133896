"""What every command shares: settings from the global options, errors turned into exits, and
the operational envelope of a run (logging, run history, failure alerts)."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from osaa_lib.config import Settings, load_settings
from osaa_lib.errors import OsaaError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("osaa_lib.cli")
FILE_ONLY = {"osaa_console": False}


def settings(ctx: typer.Context) -> Settings:
    """Settings built once per invocation from env/.env plus the global CLI options."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        overrides = {k: v for k, v in root.obj.get("overrides", {}).items() if v}
        root.obj["settings"] = load_settings(**overrides)
    return root.obj["settings"]


def echo_json(payload: object) -> None:
    """JSON on plain stdout (not rich), so scripts can parse it; log lines go to stderr."""
    typer.echo(json.dumps(payload, indent=1, default=str))


def command_name(ctx: Any) -> str:
    """`ingest`, `models list`: the words after the program name."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names)) or (ctx.info_name if ctx is not None else "") or "osaa"


def _fail(exc: OsaaError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
    return typer.Exit(exc.exit_code)


def guarded(fn: F) -> F:
    """Run a command inside its operational envelope and turn library errors into exit codes.

    Logging is configured for the invocation, the run is recorded in the lake's run history
    (`osaa_lib.ops.runs`: success, or failed with its error, also for unexpected exceptions,
    which still propagate), and a failed run sends the configured alerts. An `OsaaError` becomes
    one red line and its `exit_code`: never exit 0 on failure.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from osaa_lib.ops import runs

        ctx = _find_context(args, kwargs)
        if ctx is None or runs.current() is not None:
            try:
                return fn(*args, **kwargs)
            except OsaaError as exc:
                raise _fail(exc) from None
        try:
            s = settings(ctx)
        except OsaaError as exc:
            raise _fail(exc) from None
        return _run_recorded(fn, args, kwargs, s, command_name(ctx), dict(ctx.params))

    return wrapper  # type: ignore[return-value]


def _run_recorded(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    s: Settings,
    command: str,
    params: dict[str, Any],
) -> Any:
    from osaa_lib.ops import logs, runs

    with logs.configured(s) as log_file:
        record = None
        try:
            with runs.track(s, command, params, log_file=str(log_file)) as record:
                log.info(
                    "started %s %s",
                    command,
                    record.arguments,
                    extra=FILE_ONLY,
                )
                result = fn(*args, **kwargs)
            log.info(
                "SUCCESS in %.1f s",
                record.duration_s or 0,
                extra=_extra(record),
            )
            return result
        except OsaaError as exc:
            _after_failure(s, record, exc)
            raise _fail(exc) from None
        except BaseException as exc:
            _after_failure(s, record, exc)
            raise


def _extra(record: Any) -> dict[str, Any]:
    return {**FILE_ONLY, "run_id": record.run_id, "command": record.command}


def _after_failure(s: Settings, record: Any, exc: BaseException) -> None:
    """Log the failure and alert; nothing here may replace the original exception."""
    from osaa_lib.ops import alerts, runs

    if record is None:
        return
    try:
        if record.status != runs.FAILED:
            log.info("run %s ended with exit code 0", record.run_id, extra=_extra(record))
            return
        log.error(
            "FAILED (exit %s): %s",
            record.exit_code,
            record.error,
            exc_info=None if isinstance(exc, OsaaError | SystemExit) or _is_exit(exc) else exc,
            extra=_extra(record),
        )
        if not record.interrupted:
            alerts.notify_failure(s, record)
    except Exception:  # noqa: BLE001 - reporting a failure must not mask it
        logging.getLogger(__name__).exception("failure handling itself failed")


def _find_context(args: tuple[Any, ...], kwargs: dict[str, Any]) -> typer.Context | None:
    """The command's context argument (Typer passes its own click Context class)."""
    for value in (*args, *kwargs.values()):
        if hasattr(value, "find_root") and hasattr(value, "params"):
            return value
    return None


def _is_exit(exc: BaseException) -> bool:
    return isinstance(exc, typer.Exit | typer.Abort) or hasattr(exc, "exit_code")
