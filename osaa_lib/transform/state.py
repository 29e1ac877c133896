"""What a space remembers between runs (next to its SQLMesh cache), and its lock."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.locks import hold
from osaa_lib.transform.project import Project, database_path

STATE_VERSION = 1


def short(name: str) -> str:
    """`"catalog"."schema"."table"` -> `schema.table`, the name analysts type."""
    from sqlglot import exp

    table = exp.to_table(name, dialect="duckdb")
    return f"{table.db}.{table.name}"


PUBLISHED = ("master.indicators", "reference.countries")


def is_published(model: str) -> bool:
    """Every source table, master, and the country reference (read by quality and explorer)."""
    return model.startswith("sources.") or model in PUBLISHED


def state_path(settings: Settings) -> Path:
    return database_path(settings).with_suffix(".osaa.json")


def read_state(settings: Settings) -> dict[str, Any]:
    """Bookkeeping of the last runs; empty when the database itself is gone (rebuild all)."""
    path = state_path(settings)
    if not database_path(settings).exists():
        return {}
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return state if state.get("version") == STATE_VERSION else {}


def write_state(settings: Settings, state: dict[str, Any]) -> None:
    path = state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps({**state, "version": STATE_VERSION}, indent=1, sort_keys=True))
    os.replace(tmp, path)


def fingerprint(settings: Settings, project: Project) -> str:
    """Everything that decides the models' results except the landed data itself."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(f"{version('sqlmesh')}|{settings.target}|{settings.space}".encode())
    root = settings.sqlmesh_dir
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or rel.split("/")[0] in ("tests", "logs", ".cache"):
            continue
        if "__pycache__" in rel or rel.endswith((".duckdb", ".wal", ".pyc")):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    from osaa_lib import layouts

    digest.update(Path(layouts.__file__).read_bytes())
    variables = {
        "root": project.landing_root,
        "blueprints": project.blueprints,
        "sources": project.sources,
    }
    digest.update(json.dumps(variables, sort_keys=True).encode())
    return digest.hexdigest()


def lock_path(settings: Settings) -> Path:
    return database_path(settings).with_suffix(".lock")


@contextmanager
def locked(settings: Settings, command: str, wait: bool = False) -> Iterator[None]:
    with hold(lock_path(settings), command, wait=wait):
        yield
