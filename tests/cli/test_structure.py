"""The CLI stays a thin layer: short module-level commands, each with help.

A command reads its options, calls the library (inside a progress display), prints the result
and lets the result's own verdict (`raise_if_failed`, `failed`, `alarmed`...) decide the exit.
That fits in well under 25 lines of body; 25 leaves room for a command that prints a result in a
few parts (etl, status) but not for a loop that builds a table or a rule deciding what failed:
those belong in a renderer beside the command or in the library object the rule is about.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from osaa_lib.cli import app

CLI = Path(__file__).resolve().parents[2] / "osaa_lib" / "cli"
MAX_BODY_LINES = 25
REGISTERING = {"command", "callback", "add_typer"}


def _trees() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(CLI.glob("*.py")):
        yield path.name, ast.parse(path.read_text())


def _names(decorator: ast.expr) -> set[str]:
    """`app.command("x")` -> {"command"}; `guarded` -> {"guarded"}."""
    node = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(node, ast.Attribute):
        return {node.attr}
    return {node.id} if isinstance(node, ast.Name) else set()


def _is_command(fn: ast.FunctionDef) -> bool:
    marks = set().union(*(_names(d) for d in fn.decorator_list)) if fn.decorator_list else set()
    return bool(marks & {"command", "callback", "guarded"})


def _body_lines(fn: ast.FunctionDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring is help text, not code
    return 0 if not body else body[-1].end_lineno - body[0].lineno + 1


def _commands() -> Iterator[tuple[str, ast.FunctionDef]]:
    for name, tree in _trees():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and _is_command(node):
                yield f"{name}:{node.name}", node


def test_no_command_is_defined_or_registered_inside_a_function() -> None:
    offenders = []
    for name, tree in _trees():
        for outer in ast.walk(tree):
            if not isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in (node for stmt in outer.body for node in ast.walk(stmt)):
                if isinstance(inner, ast.FunctionDef) and _is_command(inner):
                    offenders.append(f"{name}: {inner.name} defined inside {outer.name}")
                if isinstance(inner, ast.Call) and _names(inner) & REGISTERING:
                    offenders.append(f"{name}: line {inner.lineno} registers inside {outer.name}")
    assert offenders == []


def test_the_structure_checks_see_what_they_look_for() -> None:
    nested = ast.parse(
        "def register(app):\n"
        "    @app.command('x')\n"
        "    def x():\n"
        "        pass\n"
        "    app.command('y')(print)\n"
    )
    outer = nested.body[0]
    inner = outer.body[0]
    assert _is_command(inner) and not _is_command(outer)
    body = [node for stmt in outer.body for node in ast.walk(stmt)]
    calls = [n for n in body if isinstance(n, ast.Call) and _names(n) & REGISTERING]
    assert len(calls) == 2
    assert _body_lines(ast.parse('def f():\n    """doc"""\n    a = 1\n    b = 2\n').body[0]) == 2


def test_command_functions_are_short() -> None:
    lengths = {name: _body_lines(fn) for name, fn in _commands()}
    assert len(lengths) >= 28, sorted(lengths)  # every command of the app, and nothing missed
    too_long = {name: n for name, n in lengths.items() if n > MAX_BODY_LINES}
    assert too_long == {}, f"move rendering or rules out of these commands: {too_long}"


def _registered(typer_app: typer.Typer, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    for info in typer_app.registered_commands:
        yield (*path, info.name), info.callback
    if typer_app.registered_callback and path:
        yield path, typer_app.registered_callback.callback
    for group in typer_app.registered_groups:
        yield from _registered(group.typer_instance, (*path, group.name) if group.name else path)


COMMANDS = sorted(_registered(app), key=lambda item: item[0])


def test_every_command_is_a_documented_module_level_function() -> None:
    assert len(COMMANDS) >= 28
    for path, callback in COMMANDS:
        fn = inspect.unwrap(callback)
        assert "<locals>" not in fn.__qualname__, path
        assert fn.__module__.startswith("osaa_lib.cli."), path
        assert inspect.getdoc(fn), f"{' '.join(path)} has no help text"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "--help" in result.output
