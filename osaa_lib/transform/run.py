"""Plan and apply the SQLMesh project for one target and space, then publish; `etl` chains all.

Incremental by two signals. Model code, macros, seeds and the landed headers go into a project
fingerprint: when it and every landed file's signature (size, modification time) match what the
last successful run recorded, nothing is loaded and nothing runs. When only landed data changed,
the raw models of the changed sources are restated, so SQLMesh recomputes exactly those sources
and what depends on them (master). Everything else is SQLMesh's own change detection.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import IngestError, TransformError
from osaa_lib.lake.keys import landed_source
from osaa_lib.transform.project import (
    Project,
    database_path,
    find_landed_sources,
    open_context,
)
from osaa_lib.transform.state import (
    fingerprint,
    is_published,
    locked,
    read_state,
    short,
    write_state,
)

Progress = Callable[[str, int, int], None]


@dataclass
class TransformResult:
    target: str
    space: str
    database: Path
    dry_run: bool = False
    computed: list[str] = field(default_factory=list)
    restated: list[str] = field(default_factory=list)
    changed_models: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    audit_warnings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    ignored_sources: list[str] = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    @property
    def no_op(self) -> bool:
        return not self.computed


@dataclass
class EtlResult:
    ingest: Any
    transform: TransformResult
    publish: Any
    seconds: float = 0.0

    def raise_if_failed(self) -> None:
        """A file that failed to ingest fails the run, even though the rest was published."""
        if self.ingest.failed:
            raise IngestError(
                f"{len(self.ingest.failed)} file(s) failed to ingest; transform and publish "
                "used the last good landing of those sources"
            )


def plan_apply(
    settings: Settings,
    models: list[str] | None = None,
    dry_run: bool = False,
    wait: bool = False,
    progress: Progress | None = None,
) -> TransformResult:
    """Bring this space's SQLMesh cache up to date with the project and the landed data.

    `models` limits the run to those models (and what they need); `dry_run` reports what would
    be recomputed and writes nothing (it plans against a throwaway copy of the database).
    """
    command = "transform --dry-run" if dry_run else "transform"
    with locked(settings, command, wait=wait):
        return _plan_apply(settings, models, dry_run, progress)


def _plan_apply(
    settings: Settings, models: list[str] | None, dry_run: bool, progress: Progress | None
) -> TransformResult:
    started = time.perf_counter()
    database = database_path(settings)
    result = TransformResult(settings.target, settings.space, database, dry_run=dry_run)
    _set_aside_if_unreadable(settings, database)
    state = read_state(settings)
    project = find_landed_sources(settings, known_columns=state.get("columns"))
    result.sources, result.ignored_sources = project.sources, project.ignored
    _warn(result, project.warnings)
    missing = project.missing()
    if missing:
        raise TransformError(
            f"not landed yet under {project.landing_root}: {', '.join(missing)}; "
            "run `osaa ingest` first"
        )
    print_ = fingerprint(settings, project)
    signatures = project.signatures()
    if not models and state.get("fingerprint") == print_ and state.get("landing") == signatures:
        result.skipped = True
        result.seconds = time.perf_counter() - started
        return result

    if dry_run:
        with _scratch_copy(database) as copy:
            return _run(settings, project, copy, state, signatures, models, True, None, result)
    result = _run(settings, project, database, state, signatures, models, False, progress, result)
    result.seconds = time.perf_counter() - started
    _record(result)
    if models:
        handled = {name.split(".")[0] for name in result.restated}
        landing = dict(state.get("landing") or {})
        if landing:
            for key, sig in signatures.items():
                if landed_source(key) in handled:
                    landing[key] = sig
            write_state(settings, {**read_state(settings), "landing": landing})
        return result
    write_state(
        settings,
        {
            **read_state(settings),
            "fingerprint": print_,
            "landing": signatures,
            "columns": project.columns,
        },
    )
    return result


DAMAGED = ("not a valid duckdb database", "could not read enough bytes", "corrupt", "checksum")


def _set_aside_if_unreadable(settings: Settings, database: Path) -> None:
    """The database is a rebuildable cache: one DuckDB cannot open is moved aside and rebuilt.

    Without this a damaged file is never noticed while nothing changed ("up to date"), and the
    first real run fails inside SQLMesh. Called under the exclusive lock, so no one else has it.
    """
    if not database.exists():
        return
    import logging

    import duckdb

    from osaa_lib.db import connect

    try:
        connect(settings, database, read_only=True).close()
        return
    except duckdb.Error as exc:
        problem = " ".join(str(exc).split())
        if not any(m in problem.lower() for m in DAMAGED):
            return  # e.g. a lock: not damage, SQLMesh reports it
    aside = database.with_name(f"{database.name}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        database.rename(aside)
        wal = Path(f"{database}.wal")
        if wal.exists():
            wal.rename(Path(f"{aside}.wal"))
    except OSError as exc:
        raise TransformError(f"{database} cannot be opened ({problem}) nor moved: {exc}") from exc
    logging.getLogger(__name__).warning(
        "%s cannot be opened (%s): moved to %s; rebuilding it from the lake",
        database,
        problem,
        aside,
    )


def _record(result: TransformResult) -> None:
    """Stage metrics on the current run record (`osaa status`, KPIs); nothing outside the CLI."""
    from osaa_lib.ops import runs

    runs.record_stage(
        "transform",
        seconds=round(result.seconds, 3),
        rows_out=sum(v for k, v in result.rows.items() if k.startswith("sources.")) or None,
        models_computed=len(result.computed),
        audit_warnings=len(result.audit_warnings),
    )


@contextmanager
def _scratch_copy(database: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="osaa-dry-run-"))
    try:
        copy = folder / database.name
        for suffix in ("", ".wal"):
            src = Path(f"{database}{suffix}")
            if src.exists():
                shutil.copyfile(src, Path(f"{copy}{suffix}"))
        cache = database.with_suffix(".cache")
        if cache.is_dir():  # a warm SQLMesh cache makes the dry run as fast as a real plan
            shutil.copytree(cache, copy.with_suffix(".cache"))
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(
    settings: Settings,
    project: Project,
    database: Path,
    state: dict[str, Any],
    signatures: dict[str, str],
    models: list[str] | None,
    dry_run: bool,
    progress: Progress | None,
    result: TransformResult,
) -> TransformResult:
    console = _Recorder(progress)
    ctx = open_context(settings, project, database=database, console=console)
    try:
        result.sources = project.sources
        _warn(result, _model_warnings(ctx))
        by_short = {short(fqn): fqn for fqn in ctx.models}
        selected = chosen = None
        if models:
            chosen = [_resolve(ctx, by_short, m) for m in models]
            # What depends on a chosen model follows its changes (a source's new column reaches
            # master); a plan that leaves it out promotes a master it never built.
            selected = sorted({*chosen, *(d for m in chosen for d in ctx.dag.downstream(m))})
        restate = _restatements(ctx, project, state, signatures, by_short, chosen)
        # A restatement plan ignores model changes, so changes are applied first, then the
        # raw models of sources whose landed data changed (and were not just rebuilt).
        plan = _plan(ctx, selected, None)
        result.changed_models = sorted(
            short(s.name) for s in plan.context_diff.new_snapshots.values()
        )
        would = {short(si.snapshot_id.name) for si in plan.missing_intervals}
        if dry_run:
            restate = [r for r in restate if short(r) not in would]
            for fqn in restate:
                would |= {short(fqn)} | {short(d) for d in ctx.dag.downstream(fqn)}
            result.restated = sorted(short(m) for m in restate)
            result.computed = sorted(would)
            return result
        _mark_dirty(settings, would)
        if would or plan.has_changes:
            _apply(ctx, plan)
        restate = [r for r in restate if r not in console.evaluated]
        result.restated = sorted(short(m) for m in restate)
        if restate:
            again = _plan(ctx, selected, restate)
            _mark_dirty(settings, {short(si.snapshot_id.name) for si in again.missing_intervals})
            _apply(ctx, again)
        result.computed = sorted(short(n) for n in console.evaluated)
        result.timings = {short(n): s for n, s in console.evaluated.items()}
        result.audit_warnings = console.warnings
        adapter = ctx.engine_adapter
        kinds = {short(fqn): model.kind for fqn, model in ctx.models.items()}
        for name in result.computed:
            if name in kinds and not kinds[name].is_view:  # counting a view re-runs its query
                result.rows[name] = adapter.fetchone(f"SELECT count(*) FROM {name}")[0]
        env = ctx.state_reader.get_environment("prod")
        physical = {
            short(info.name): info.table_name()
            for info in (env.snapshots if env else [])
            if is_published(short(info.name))
        }
        write_state(settings, {**read_state(settings), "physical": physical})
        return result
    finally:
        ctx.close()


def _resolve(ctx: Any, by_short: dict[str, str], name: str) -> str:
    """A model by its name (`sources.unicef`) or by its file's name (`child_mortality`)."""
    if name in by_short:
        return by_short[name]
    by_file = [fqn for fqn, m in ctx.models.items() if m._path and Path(m._path).stem == name]
    if len(by_file) == 1:
        return by_file[0]
    raise TransformError(
        f"unknown model(s) {name}; known: {', '.join(sorted(by_short))}"
        + (" (or the file name of a model)" if not by_file else f" ({name} names several files)")
    )


def _model_warnings(ctx: Any) -> list[str]:
    """Declarations that would change a source's values silently: say so, once per run."""
    from sqlglot import exp

    out = []
    for fqn, model in sorted(ctx.models.items()):
        name = short(fqn)
        value = (model.columns_to_types or {}).get("value")
        if (
            not name.startswith("sources.")
            or value is None
            or not value.is_type(exp.DataType.Type.DECIMAL)
        ):
            continue
        params = [p.name for p in value.expressions]
        scale = int(params[1]) if len(params) > 1 and params[1].isdigit() else (0 if params else 3)
        if scale < 6:
            out.append(
                f"{name} declares value as {value.sql(dialect='duckdb')}: DuckDB keeps "
                f"{scale} decimal(s) (a bare DECIMAL is DECIMAL(18,3)), so values are rounded "
                f'in {name}; declare "value": "Double" to keep them exact'
            )
    return out


def _warn(result: TransformResult, messages: list[str]) -> None:
    import logging

    log = logging.getLogger(__name__)
    for message in messages:
        if message not in result.warnings:
            result.warnings.append(message)
            log.warning(message)


def _plan(ctx: Any, selected: list[str] | None, restate: list[str] | None) -> Any:
    try:
        return ctx.plan(
            select_models=selected,
            restate_models=restate or None,
            no_prompts=True,
            auto_apply=False,
            skip_tests=True,
        )
    except Exception as exc:  # noqa: BLE001
        raise TransformError(f"SQLMesh could not plan: {exc}") from exc


def _apply(ctx: Any, plan: Any) -> None:
    try:
        ctx.apply(plan)
    except Exception as exc:  # noqa: BLE001
        failed = "; ".join(getattr(ctx.console, "failures", None) or [])
        raise TransformError(f"SQLMesh apply failed: {failed or exc}") from exc


def _mark_dirty(settings: Settings, names: set[str]) -> None:
    """New publish tokens before evaluating, so a crash mid-run still republishes later."""
    tokens = dict(read_state(settings).get("tokens", {}))
    for name in names:
        if is_published(name):
            tokens[name] = uuid.uuid4().hex
    write_state(settings, {**read_state(settings), "tokens": tokens})


def _restatements(
    ctx: Any,
    project: Project,
    state: dict[str, Any],
    signatures: dict[str, str],
    by_short: dict[str, str],
    selected: list[str] | None,
) -> list[str]:
    """Raw models whose landed file changed since the last run and that already exist."""
    previous = state.get("landing") or {}
    if not previous:
        return []
    env = ctx.state_reader.get_environment("prod")
    existing = {s.name for s in env.snapshots} if env else set()
    changed = {landed_source(key) for key, sig in signatures.items() if previous.get(key) != sig}
    changed |= {landed_source(key) for key in previous if key not in signatures}
    changed.discard(None)
    wanted: set[str] | None = None
    if selected:
        wanted = set(selected)
        for fqn in selected:
            wanted |= set(ctx.dag.upstream(fqn))
    out = []
    for source in sorted(changed):
        for raw in project.raw_models(source):
            fqn = by_short.get(raw)
            if fqn and fqn in existing and (wanted is None or fqn in wanted):
                out.append(fqn)
    return out


def _Recorder(progress: Progress | None) -> Any:  # noqa: N802 - builds a Console subclass lazily
    from sqlmesh.core.console import NoopConsole

    class Recorder(NoopConsole):
        """Keeps what SQLMesh evaluated, how long it took, and audit warnings."""

        def __init__(self) -> None:
            super().__init__()
            self.evaluated: dict[str, float] = {}
            self.warnings: list[str] = []
            self.failures: list[str] = []
            self.total = 0

        def start_evaluation_progress(self, batched_intervals, *args, **kwargs) -> None:
            self.total = len(batched_intervals)

        def update_snapshot_evaluation_progress(
            self, snapshot, interval, batch_idx, duration_ms, *args, **kwargs
        ) -> None:
            seconds = (duration_ms or 0) / 1000
            self.evaluated[snapshot.name] = self.evaluated.get(snapshot.name, 0.0) + seconds
            if progress:
                progress(short(snapshot.name), len(self.evaluated), self.total)

        def log_warning(self, short_message: str, long_message: str | None = None) -> None:
            self.warnings.append(short_message)

        def log_failed_models(self, errors) -> None:
            """Keep each failed model's own error: SQLMesh raises only "Plan application failed"."""
            for error in errors:
                node = getattr(error.node, "snapshot_name", None) or error.node
                cause = " ".join(str(error.__cause__ or error).split()).split(" LINE 1:")[0]
                self.failures.append(f"{short(str(node))}: {cause}")

    return Recorder()


def etl(
    settings: Settings,
    sources: list[str] | None = None,
    models: list[str] | None = None,
    force: bool = False,
    wait: bool = False,
    progress: Progress | None = None,
) -> EtlResult:
    """Ingest, transform and publish under one lock: the staging zone ends up current."""
    from osaa_lib.ingest import ingest
    from osaa_lib.transform.publish import _publish

    started = time.perf_counter()
    with locked(settings, "etl", wait=wait):
        landed = ingest(settings, sources=sources, force=force)
        transformed = _plan_apply(settings, models, False, progress)
        published = _publish(settings, force=force)
    return EtlResult(landed, transformed, published, time.perf_counter() - started)
