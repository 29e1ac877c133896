"""Publish the transformed tables to the lake's staging zone of this target and space.

Done by the library after the plan is applied (never by model post-statements, which SQLMesh
runs at stages that surprise). A table is rewritten only when it was recomputed or moved to a
new physical table since it was last published, or when its object is missing from the lake.
Each file appears atomically (`Lake.writing`): readers never see a partial table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError, TransformError
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import staging_prefix, table_key
from osaa_lib.transform.project import database_path


@dataclass
class PublishedTable:
    model: str
    key: str
    uri: str
    rows: int | None
    written: bool


@dataclass
class PublishResult:
    staging_prefix: str
    tables: list[PublishedTable] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def written(self) -> list[PublishedTable]:
        return [t for t in self.tables if t.written]


def publish(settings: Settings, force: bool = False, wait: bool = False) -> PublishResult:
    """Write each sources.* table, master.indicators and reference.countries to the staging zone."""
    from osaa_lib.transform.state import locked

    with locked(settings, "publish", wait=wait):
        return _publish(settings, force=force)


def _publish(settings: Settings, force: bool = False) -> PublishResult:
    from osaa_lib.db import connect
    from osaa_lib.transform.state import read_state, write_state

    started = time.perf_counter()
    database = database_path(settings)
    state = read_state(settings)
    physical = state.get("physical") or {}
    if not database.exists() or not physical:
        raise TransformError(f"nothing to publish: {database} has not been built (osaa transform)")
    tokens = state.get("tokens", {})
    done = dict(state.get("published", {}))
    lake = open_lake(settings)
    result = PublishResult(staging_prefix(settings))
    con = None
    try:
        for model in sorted(physical):
            key = table_key(settings, model)
            stamp = f"{tokens.get(model, '')}|{physical[model]}"
            if not force and done.get(model) == stamp and lake.exists(key):
                result.tables.append(PublishedTable(model, key, lake.uri(key), None, False))
                continue
            if con is None:
                con = connect(settings, database, read_only=True)
            rows = con.execute(f"SELECT count(*) FROM {model}").fetchone()[0]
            try:
                with lake.writing(key) as tmp:
                    con.execute(f"COPY (SELECT * FROM {model}) TO '{tmp}' (FORMAT parquet)")
            except LakeError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise TransformError(f"cannot publish {model} to {lake.uri(key)}: {exc}") from exc
            done[model] = stamp
            write_state(settings, {**read_state(settings), "published": done})
            result.tables.append(PublishedTable(model, key, lake.uri(key), rows, True))
    finally:
        if con is not None:
            con.close()
    result.seconds = time.perf_counter() - started
    from osaa_lib.ops import runs

    runs.record_stage(
        "publish",
        seconds=round(result.seconds, 3),
        rows_out=sum(t.rows or 0 for t in result.written) or None,
        uploads=len(result.written),
    )
    return result
