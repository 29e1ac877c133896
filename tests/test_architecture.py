"""The library's layout holds: no import cycles between its modules, lazy imports included,
and no lake key formatted outside `osaa_lib.lake.keys`.

A cycle hidden behind a function-level import still ties two modules into one unit that can
only be understood, tested and changed together; the layout by stage exists to prevent that.
A key built by hand in a second place is how the layout drifted before (three path schemes in
three files): every key is built and parsed by the keys module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "osaa_lib"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                skip.add(id(inner))
    return skip


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every osaa_lib module this one imports, at any depth, except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    out.add(sub)
                elif base in known:
                    out.add(base)
    out.discard(name)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) for name, path in known.items()}


def test_the_walker_sees_lazy_and_package_imports() -> None:
    graph = import_graph()
    # function-level imports count: the CLI imports its library lazily, for a fast --help
    assert "osaa_lib.transform" in graph["osaa_lib.cli.transform_cmd"] or any(
        m.startswith("osaa_lib.transform.") for m in graph["osaa_lib.cli.transform_cmd"]
    )
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


# --- lake keys are built in one module -------------------------------------------------------

KEYS_MODULE = PACKAGE / "lake" / "keys.py"
# parts of the lake layout: a string joined with `/` that holds one is a key built by hand
LAYOUT_PARTS = {
    "landing", "staging", "history", "vintages", "runs", "_manifests", "_vintage.json",
    "incoming", "_locks", "baselines", "drills", "dr-test", "_release.json", "_backup.json",
    "_probe",
}  # fmt: skip
LAYOUT_ROOTS = {"ops", "backups"}  # first part of the layout's non-environment keys
# names of layout prefixes (`settings.staging_prefix`, `RUNS_PREFIX`, `vintage_prefix(...)`)
LAYOUT_NAMES = re.compile(r"landing|staging|history|vintage|runs_prefix|baselines", re.I)


def _text(node: ast.AST) -> str | None:
    """A string constant or f-string as text, each interpolation shown as `{}`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        )
    return None


def _is_layout_path(text: str) -> bool:
    parts = text.split("/")
    return len(parts) > 1 and (parts[0] in LAYOUT_ROOTS or any(p in LAYOUT_PARTS for p in parts))


def _layout_names(node: ast.AST) -> list[str]:
    names = []
    for inner in ast.walk(node):
        name = inner.id if isinstance(inner, ast.Name) else getattr(inner, "attr", None)
        if isinstance(name, str) and LAYOUT_NAMES.search(name):
            names.append(name)
    return names


def _layout_arg(node: ast.AST, first: bool = False) -> bool:
    """A piece of a path that places it in the layout (a root only as the first piece of a key:
    a local folder may be called `backups`)."""
    text = _text(node)
    if text is not None and isinstance(node, ast.Constant):
        roots = LAYOUT_ROOTS if first else set()
        return text in LAYOUT_PARTS or text in roots or _is_layout_path(text)
    return bool(_layout_names(node)) or (text is not None and _is_layout_path(text))


def hand_built_keys(source: str) -> list[str]:
    """Every place this code formats a lake key itself: `line: code`."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # docstrings describe the layout; they build nothing
        if isinstance(node, ast.JoinedStr):
            skip |= {id(v) for v in node.values}  # judged as part of their f-string
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        text = _text(node)
        hit = text is not None and "/" in text and (
            _is_layout_path(text) or (isinstance(node, ast.JoinedStr) and _layout_names(node))
        )
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            on_string = isinstance(func, ast.Attribute) and _text(func.value) is not None
            if name in ("join", "joinpath") and not on_string:
                hit = any(_layout_arg(a, first=i == 0) for i, a in enumerate(node.args))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
            sides = (node.left, node.right)
            if isinstance(node.op, ast.Div):
                hit = any(_layout_arg(s) for s in sides)
            else:  # `prefix + "/x"`: a layout name joined with a slash
                hit = any(_layout_names(s) for s in sides) and any(
                    "/" in (_text(s) or "") for s in sides
                )
        if hit:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


# Keys formatted by hand in the library before they all moved to `osaa_lib.lake.keys`.
BEFORE = [
    'staging = f"dev/staging/dev_{user}" if source_env == "dev" else f"{source_env}/staging"',
    'pairs = [(f"{source_env}/landing", f"{target_env}/landing")]',
    'RUNS_PREFIX = "ops/runs"',
    'keys += [o.key for o in lake.list(f"{RUNS_PREFIX}/{day:%Y-%m-%d}")]',
    'BASELINES_PREFIX = "ops/baselines"',
    'key = f"{BASELINES_PREFIX}/{result.created[:10]}/{result.run_id}.json"',
    'key = f"{settings.staging_prefix}/master/indicators.parquet"',
    'key = join(settings.staging_prefix, "master", "indicators.parquet")',
    'prefix = join(settings.staging_prefix, "sources")',
    'objs = [o for o in lake.list(join(settings.landing_prefix, source)) if "/_" not in o.key]',
    'key = join(settings.landing_prefix, source, "_manifests", f"{stem}.json")',
    'prefix = join(settings.target, "vintages", source, vintage_id or "")',
    'lake.delete_prefix(vintage_prefix(settings, source, holder[0]) + "/")',
    'key = join(vintage_prefix(settings, source, vintage_id), "_vintage.json")',
    'prefix = join(settings.history_prefix, table)',
    'prefix = f"{self.target}/history/{self.space}"',
    'key = join("ops", "incoming", op_id, dst_prefix)',
    'key = join("ops", "_locks", f"{name}.lock")',
    'key = join(target_env, "_release.json")',
    'scratch = join("ops", "dr-test", drill_id)',
    'SNAPSHOTS = "ops/storage"',
    'key = join("ops", "storage", name)',
    'objects = [ObjectInfo(f"backups/{o.key}", o.size, o.modified) for o in blake.list()]',
    'INTERNAL = ("_probe", "_locks")\nkey = join(target, "_probe", name)',
    'path = Path(root) / settings.staging_prefix / "sources"',
]

# Code that names layout words without building a key: it must pass.
INNOCENT = [
    '"""Lands `<target>/landing/<source>/` files."""',
    'def f():\n    """Reads `dev/staging/dev_<user>/master/indicators.parquet`."""',
    'landing = dict(state.get("landing") or {})',
    'label = ", ".join(sorted(staging_tables))',
    'key = join(dst_prefix, rel)',
    'tmp = join(staged.incoming, rel)',
    'out = Path(settings.reports_dir) / "ops"',
    'bench = replace(settings, backup_root=str(scratch / "backups"))',
    'name = f"{event.source}/{event.stem}"',
    'backup_root = f"{lake_root}/backups"',
    'log.info("publish: %d tables written under %s", n, result.staging_prefix)',
]


@pytest.mark.parametrize("snippet", BEFORE)
def test_the_key_finder_catches_the_hand_built_keys_of_before(snippet: str) -> None:
    assert hand_built_keys(snippet), f"not caught: {snippet}"


@pytest.mark.parametrize("snippet", INNOCENT)
def test_the_key_finder_lets_layout_words_alone(snippet: str) -> None:
    assert not hand_built_keys(snippet)


def test_only_the_keys_module_formats_lake_keys() -> None:
    found = {
        str(path.relative_to(PACKAGE.parent)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != KEYS_MODULE and (hits := hand_built_keys(path.read_text()))
    }
    assert not found, "lake keys built outside osaa_lib/lake/keys.py: " + "; ".join(
        f"{path} line {hit}" for path, hits in found.items() for hit in hits
    )
