"""What every command shares: settings from the global options, and errors turned into exits."""

from __future__ import annotations

import functools
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


def settings(ctx: typer.Context) -> Settings:
    """Settings built once per invocation from env/.env plus the global CLI options."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        overrides = {k: v for k, v in root.obj.get("overrides", {}).items() if v}
        root.obj["settings"] = load_settings(**overrides)
    return root.obj["settings"]


def guarded(fn: F) -> F:
    """Turn library errors into one red line and the error's exit code; never exit 0 on failure."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OsaaError as exc:
            err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]
