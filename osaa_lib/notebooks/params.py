"""One parameter convention for the editor, a script run and papermill, and which values apply."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings, load_settings

RESULTS_ENV = "OSAA_NOTEBOOK_RESULTS"


def _in_ipython_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    return bool(ipython and getattr(ipython, "get_ipython", lambda: None)())



def parameters(defaults: Mapping[str, Any], argv: Sequence[str] | None = None) -> dict[str, Any]:
    """The effective parameters of a notebook, from its `parameters` cell and the command line.

    In marimo's editor and under papermill the cell's values are already final (papermill
    injects its values after the cell); as a script, `--name value` options override them.
    A list parameter takes comma-separated values; a bool one `--flag/--no-flag`.
    """
    import argparse

    values = dict(defaults)
    if argv is None:
        import marimo as mo

        if mo.running_in_notebook() or _in_ipython_kernel():
            return values
        argv = sys.argv[1:]
    argv = list(argv)
    if argv[:1] == ["--"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="notebook", add_help=True)
    for name, default in defaults.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction)
        elif isinstance(default, list | tuple):
            parser.add_argument(flag, dest=name, type=lambda s: [x for x in s.split(",") if x])
        elif isinstance(default, int):
            parser.add_argument(flag, dest=name, type=int)
        else:
            parser.add_argument(flag, dest=name)
    parsed = parser.parse_args(argv)
    values.update({k: v for k, v in vars(parsed).items() if v is not None})
    return values


def notebook_settings(params: Mapping[str, Any]) -> Settings:
    """Settings from the environment, with the notebook's target/username when given."""
    overrides = {k: params[k] for k in ("target", "username") if params.get(k)}
    return load_settings(**overrides)


def emit(**values: Any) -> None:
    """Hand values back to the process that ran this notebook (a no-op outside `run`)."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    target = Path(path)
    current = json.loads(target.read_text()) if target.exists() else {}
    current.update(values)
    target.write_text(json.dumps(current, default=str, indent=1))


def controls(params: Mapping[str, Any]) -> Any:
    """marimo UI controls over the parameters, for interactive use (`marimo edit`)."""
    import marimo as mo

    elements: dict[str, Any] = {}
    for name, value in params.items():
        if name == "run_id":
            continue
        if name == "target":
            elements[name] = mo.ui.dropdown(["", "dev", "qa", "prod"], value=value, label=name)
        elif isinstance(value, bool):
            elements[name] = mo.ui.checkbox(value=value, label=name)
        elif isinstance(value, list | tuple):
            elements[name] = mo.ui.text(value=",".join(map(str, value)), label=f"{name} (a,b)")
        elif isinstance(value, int):
            elements[name] = mo.ui.number(value=value, label=name)
        else:
            elements[name] = mo.ui.text(value=str(value), label=name)
    return mo.ui.dictionary(elements)


def apply_controls(params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with what the controls say (lists come back from comma-separated text)."""
    out = dict(params)
    for name, value in values.items():
        if isinstance(params.get(name), list | tuple):
            value = [x.strip() for x in str(value).split(",") if x.strip()]
        out[name] = value
    return out


def applied_settings(
    params: Mapping[str, Any], control_values: Mapping[str, Any]
) -> tuple[dict[str, Any], Settings]:
    """What a run uses: in the editor the controls win; as a script or under papermill the
    parameters (parsed or injected) do. Every notebook applies them the same way."""
    import marimo as mo

    applied = apply_controls(params, control_values) if mo.running_in_notebook() else dict(params)
    return applied, notebook_settings(applied)


def effective(params: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The parameters as applied: an empty target/username shows what the environment gave."""
    return {**params, "target": settings.target, "username": settings.username}
