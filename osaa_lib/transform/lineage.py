"""Look at the project without changing it: list models, validate them, draw their lineage.

Listing, rendering and unit tests run on the `test` gateway (in-memory DuckDB), so they work
while another process holds the project database; audits need the built tables and read them
under the database lock.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from osaa_lib.config import Settings
from osaa_lib.errors import TransformError
from osaa_lib.transform.project import database_path, open_context


@dataclass
class ModelInfo:
    name: str
    kind: str
    dialect: str
    columns: dict[str, str]
    upstream: list[str]
    description: str | None


@dataclass
class AuditOutcome:
    model: str
    audit: str
    failures: int
    blocking: bool


@dataclass
class ValidationResult:
    rendered: dict[str, dict[str, str]] = field(default_factory=dict)
    render_errors: dict[str, str] = field(default_factory=dict)
    tests_run: int = 0
    test_failures: list[str] = field(default_factory=list)
    audits: list[AuditOutcome] = field(default_factory=list)
    audits_skipped: str | None = None

    @property
    def ok(self) -> bool:
        blocking = [a for a in self.audits if a.failures and a.blocking]
        return not (self.render_errors or self.test_failures or blocking)

    @property
    def clean_audits(self) -> list[AuditOutcome]:
        return [a for a in self.audits if not a.failures]

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise TransformError("validation failed")


@dataclass
class Lineage:
    model: str | None
    upstream: dict[str, list[str]]
    downstream: dict[str, list[str]]
    html_path: Path | None = None

    def tree(self) -> str:
        """Upstream then downstream of the model (or the whole graph) as an indented tree."""
        lines: list[str] = []

        def walk(name: str, edges: dict[str, list[str]], depth: int, seen: set[str]) -> None:
            for child in sorted(edges.get(name, [])):
                lines.append(f"{'  ' * depth}└─ {child}")
                if child not in seen:
                    walk(child, edges, depth + 1, seen | {child})

        roots = (
            [self.model] if self.model else sorted(n for n, up in self.upstream.items() if not up)
        )
        for root in roots:
            if self.model:
                lines.append(f"{root}\n upstream:")
                walk(root, self.upstream, 1, {root})
                lines.append(" downstream:")
                walk(root, self.downstream, 1, {root})
            else:
                lines.append(root)
                walk(root, self.downstream, 1, {root})
        return "\n".join(lines)


def _short(name: str) -> str:
    from osaa_lib.transform.state import short

    return short(name)


def _test_context(settings: Settings):
    return open_context(settings, gateway="test")


def list_models(settings: Settings) -> list[ModelInfo]:
    ctx = _test_context(settings)
    try:
        out = []
        for fqn, model in sorted(ctx.models.items()):
            columns = {
                c: t.sql(dialect="duckdb") for c, t in (model.columns_to_types or {}).items()
            }
            out.append(
                ModelInfo(
                    name=_short(fqn),
                    kind=model.kind.name.value
                    if hasattr(model.kind.name, "value")
                    else str(model.kind.name),
                    dialect=model.dialect,
                    columns=columns,
                    upstream=sorted(_short(d) for d in model.depends_on),
                    description=model.description,
                )
            )
        return out
    finally:
        ctx.close()


def render_all(
    settings: Settings, dialects: tuple[str, ...] = ("duckdb", "spark")
) -> ValidationResult:
    """Render every model's query for each dialect (SQLMesh transpiles from DuckDB)."""
    result = ValidationResult()
    ctx = _test_context(settings)
    try:
        _render(ctx, dialects, result)
    finally:
        ctx.close()
    return result


def _render(ctx, dialects: tuple[str, ...], result: ValidationResult) -> None:
    for fqn, model in sorted(ctx.models.items()):
        name = _short(fqn)
        if model.kind.is_seed:
            continue
        try:
            query = ctx.render(fqn)
            result.rendered[name] = {d: query.sql(dialect=d, pretty=True) for d in dialects}
        except Exception as exc:  # noqa: BLE001
            result.render_errors[name] = str(exc)


def validate(settings: Settings, audits: bool = True, wait: bool = False) -> ValidationResult:
    """Render every model (DuckDB and Spark), run the YAML unit tests, audit the built tables."""
    result = ValidationResult()
    ctx = _test_context(settings)
    try:
        _render(ctx, ("duckdb", "spark"), result)
        stream = io.StringIO()
        outcome = ctx.test(stream=stream)
        result.tests_run = outcome.testsRun
        result.test_failures = [
            f"{test}: {text.strip().splitlines()[-1] if text.strip() else ''}"
            for test, text in [*outcome.failures, *outcome.errors]
        ]
    finally:
        ctx.close()
    if audits:
        if database_path(settings).exists():
            result.audits = audit(settings, wait=wait)
        else:
            result.audits_skipped = "no database yet (run `osaa transform` to audit the tables)"
    return result


def audit(settings: Settings, wait: bool = False) -> list[AuditOutcome]:
    """Run every model's audits on the built tables; keep each result, not just a bool."""
    from osaa_lib.transform.state import locked

    with locked(settings, "models validate", wait=wait):
        ctx = open_context(settings)
        try:
            env = ctx.state_reader.get_environment("prod")
            if not env:
                return []
            built = {s.name for s in env.snapshots}
            out = []
            for fqn, snapshot in sorted(ctx.snapshots.items()):
                if fqn not in built or not snapshot.node.audits_with_args:
                    continue
                for res in ctx.snapshot_evaluator.audit(
                    snapshot=snapshot, start="1970-01-01", end="now", snapshots=ctx.snapshots
                ):
                    if res.skipped:
                        continue
                    out.append(
                        AuditOutcome(_short(fqn), res.audit.name, int(res.count or 0), res.blocking)
                    )
            return out
        except Exception as exc:  # noqa: BLE001
            raise TransformError(f"auditing failed: {exc}") from exc
        finally:
            ctx.close()


def lineage(settings: Settings, model: str | None = None, html_dir: Path | None = None) -> Lineage:
    """Upstream and downstream edges of the project (or of one model), and an HTML diagram."""
    infos = list_models(settings)
    names = {i.name for i in infos}
    if model and model not in names:
        raise TransformError(f"unknown model {model!r}; known: {', '.join(sorted(names))}")
    upstream = {i.name: [u for u in i.upstream if u in names] for i in infos}
    downstream: dict[str, list[str]] = {n: [] for n in names}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].append(name)
    if model:
        keep = _closure(model, upstream) | _closure(model, downstream) | {model}
        upstream = {n: [u for u in ups if u in keep] for n, ups in upstream.items() if n in keep}
        downstream = {n: [d for d in ds if d in keep] for n, ds in downstream.items() if n in keep}
    result = Lineage(model, upstream, downstream)
    folder = html_dir or settings.reports_dir
    from osaa_lib.reports.html import write_page

    name = f"lineage{'_' + model.replace('.', '_') if model else ''}.html"
    result.html_path = write_page(folder / name, render_html(result))
    return result


def _closure(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


BOX_W, BOX_H, GAP_X, GAP_Y = 200, 34, 80, 18


def render_html(lin: Lineage) -> str:
    """The diagram as inline SVG in the reports' page (no CDN: reports must open offline)."""
    from osaa_lib.reports.html import render_page

    depth: dict[str, int] = {}

    def level(name: str, seen: frozenset = frozenset()) -> int:
        if name not in depth:
            ups = [u for u in lin.upstream.get(name, []) if u not in seen]
            depth[name] = 1 + max((level(u, seen | {name}) for u in ups), default=-1)
        return depth[name]

    for name in lin.upstream:
        level(name)
    columns: dict[int, list[str]] = {}
    for name, d in sorted(depth.items()):
        columns.setdefault(d, []).append(name)
    pos = {
        n: (20 + d * (BOX_W + GAP_X), 20 + i * (BOX_H + GAP_Y))
        for d, ns in columns.items()
        for i, n in enumerate(ns)
    }
    edges = [
        (pos[up][0] + BOX_W, pos[up][1] + BOX_H / 2, pos[name][0], pos[name][1] + BOX_H / 2)
        for name, ups in lin.upstream.items()
        for up in ups
    ]
    return render_page(
        "lineage.html",
        f"Lineage of {lin.model}" if lin.model else "Model lineage",
        model=lin.model,
        boxes=[(name, x, y) for name, (x, y) in pos.items()],
        edges=edges,
        box=(BOX_W, BOX_H),
        width=40 + (max(columns, default=0) + 1) * (BOX_W + GAP_X),
        height=40 + max((len(ns) for ns in columns.values()), default=1) * (BOX_H + GAP_Y),
        tree=lin.tree(),
        data={"upstream": lin.upstream},
    )
