"""The SQLMesh project bound to one settings object: config, landed sources, the Context.

Design: the lake's Parquet is the source of truth. The SQLMesh database (state and tables) is a
per-user, per-environment cache at `state_dir/<target>__<space>.duckdb`, rebuilt from the lake
whenever it is missing. It never leaves the machine, so two machines (or two analysts) can never
overwrite each other's state. The config is built here in memory: no path or secret is written
to a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osaa_lib import layouts
from osaa_lib.config import Settings
from osaa_lib.errors import LakeError, TransformError
from osaa_lib.lake import Lake, keys, open_lake

if TYPE_CHECKING:
    from sqlmesh import Context
    from sqlmesh.core.config import Config

# Sources the project always knows, so models, unit tests and lineage exist before any ingest.
KNOWN = layouts.KNOWN_SOURCES
DEFAULT_YEARS = [str(y) for y in range(1960, 2024)]
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESERVED = frozenset({"sources", "master", "reference"})  # the project's own schemas
MODEL_NAME = re.compile(  # `@model("sources.x"` (Python) or `name sources.x` (SQL)
    r"""@model\(\s*(?:name\s*=\s*)?["']sources\.([a-z_][a-z0-9_]*)["']"""
    r"""|\bname\s+sources\.([a-z_][a-z0-9_]*)\b""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LandedFile:
    source: str
    stem: str
    key: str
    size: int
    signature: str


@dataclass
class Project:
    """What the lake holds for this target, and the models derived from it.

    `blueprints` has one list per SQLMesh blueprint kind: `raw` (a view per landed file read),
    `uis`, `wdi` and `long` (a generated `sources.<name>` each). `columns` caches each landed
    header read ({key: [signature, {column: type}]}) so an unchanged file is not read again.
    """

    landing_root: str
    files: dict[str, dict[str, LandedFile]]
    blueprints: dict[str, list[dict[str, str]]]
    handwritten: list[str]
    ignored: list[str] = field(default_factory=list)
    columns: dict[str, list] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    needed: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        names = {
            bp["source"] for kind, bps in self.blueprints.items() if kind != "raw" for bp in bps
        }
        return sorted(names | set(self.handwritten))

    def raw_models(self, source: str) -> list[str]:
        """The raw views of a source's landed files (restated when those files change)."""
        return [
            f"{bp['source']}.{bp['table']}"
            for bp in self.blueprints["raw"]
            if bp["source"] == source
        ]

    def missing(self) -> list[str]:
        """Landing files a known source needs but the lake does not hold."""
        return list(self.needed)

    def signatures(self) -> dict[str, str]:
        return {f.key: f.signature for by_stem in self.files.values() for f in by_stem.values()}


def database_path(settings: Settings) -> Path:
    """This user's and target's SQLMesh cache (state and tables), e.g. dev__dev_alice.duckdb."""
    return settings.state_dir / f"{settings.target}__{settings.space}.duckdb"


def _landed(settings: Settings, lake: Lake) -> dict[str, dict[str, LandedFile]]:
    prefix = keys.landing_prefix(settings)
    out: dict[str, dict[str, LandedFile]] = {}
    try:
        objects = lake.list(prefix)
    except LakeError:
        raise
    except Exception as exc:  # noqa: BLE001 - a backend error becomes one actionable message
        raise LakeError(f"cannot list {lake.uri(prefix)}: {exc}") from exc
    for obj in objects:
        landed = keys.parse_landing_key(obj.key)
        if landed is None:
            continue
        source, stem = landed.source, landed.stem
        if not SOURCE_NAME.match(source):
            continue
        sig = f"{obj.size}:{obj.modified.timestamp():.6f}"
        out.setdefault(source, {})[stem] = LandedFile(source, stem, obj.key, obj.size, sig)
    return out


class _Headers:
    """Column names and types of landed files, from their Parquet footers (no data is read)."""

    def __init__(self, settings: Settings, lake: Lake, cache: dict[str, list]) -> None:
        self.settings, self.lake, self.cache = settings, lake, cache
        self.seen: dict[str, list] = {}
        self.con: Any = None

    def __call__(self, landed: LandedFile) -> dict[str, str]:
        cached = self.cache.get(landed.key)
        if cached and cached[0] == landed.signature and isinstance(cached[1], dict):
            columns = dict(cached[1])
        else:
            columns = self._read(landed)
        self.seen[landed.key] = [landed.signature, columns]
        return columns

    def _read(self, landed: LandedFile) -> dict[str, str]:
        if self.con is None:
            from osaa_lib.db import connect

            self.con = connect(self.settings)
        uri = self.lake.uri(landed.key)
        try:
            rows = self.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [uri]).fetchall()
        except Exception as exc:  # noqa: BLE001
            raise TransformError(f"cannot read the header of {uri}: {exc}") from exc
        return {r[0]: r[1] for r in rows}

    def close(self) -> None:
        if self.con is not None:
            self.con.close()


def handwritten_sources(settings: Settings) -> list[str]:
    """Names of the `sources.*` models written by hand under models/sources/ (any subfolder).

    Read from the files' text (`@model("sources.x"` or `name sources.x`) so the project loads
    once; `open_context` checks the result against the models SQLMesh loaded. Files and folders
    whose name starts with `_` hold the generated models and shared code.
    """
    folder = settings.sqlmesh_dir / "models" / "sources"
    names: set[str] = set()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if path.suffix not in (".py", ".sql") or any(p.startswith(("_", ".")) for p in rel):
            continue
        for found in MODEL_NAME.finditer(path.read_text(encoding="utf-8", errors="replace")):
            names.add((found.group(1) or found.group(2)).lower())
    return sorted(names)


def table_name(stem: str) -> str:
    """The raw model of a landed file that no layout names: `<source>.<this>`."""
    name = re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") or "file"
    return name if name[0].isalpha() else f"file_{name}"


def find_landed_sources(
    settings: Settings,
    lake: Lake | None = None,
    known_columns: dict[str, list] | None = None,
    handwritten: list[str] | None = None,
) -> Project:
    """The landed sources and the models they imply (known sources plus any new folder).

    A folder with one complete set of a known layout (`osaa_lib.layouts`) gets that layout's
    raw and source models; a folder of long-layout files gets a long source model; a folder a
    handwritten `sources.<name>` model covers gets a raw view per landed file for that model
    to read. Any other folder is reported in `ignored` (its files still get raw views).
    """
    lake = lake or open_lake(settings)
    files = _landed(settings, lake)
    handwritten = handwritten_sources(settings) if handwritten is None else handwritten
    headers = _Headers(settings, lake, known_columns or {})
    blueprints: dict[str, list[dict[str, str]]] = {"raw": [], "uis": [], "wdi": [], "long": []}
    project = Project(lake.uri(keys.landing_prefix(settings)), files, blueprints, handwritten)
    try:
        for source in sorted(set(files) | set(KNOWN)):
            if source in RESERVED:
                project.ignored.append(source)
                project.warnings.append(
                    f"landed folder {source!r} has the name of a project schema: rename it"
                )
                continue
            stems = files.get(source, {})
            if source not in handwritten and _layout_source(project, source, stems, headers):
                continue
            long = _raw_views(project, source, stems, headers)
            if source in handwritten:
                continue
            if long:
                blueprints["long"].append(
                    {"source": source, "long_source": source, "files": json.dumps(long)}
                )
            else:
                project.ignored.append(source)
    finally:
        headers.close()
    project.columns = headers.seen
    return project


def _layout_source(project: Project, source: str, stems: dict[str, LandedFile], headers) -> bool:
    """Blueprints for a source of a known layout; False when the folder holds no complete set."""
    sets = layouts.complete_sets(list(stems))
    if source in KNOWN:
        name, prefix = KNOWN[source]
        layout = layouts.LAYOUTS[name]
        tables = next((t for lay, p, t in sets if lay is layout and p == prefix), None)
        tables = tables or {f.table: f.stem(prefix) for f in layout.files}
    elif len(sets) == 1:
        layout, prefix, tables = sets[0]
    else:
        if len(sets) > 1:
            names = ", ".join(f"{p} ({lay.name})" for lay, p, _t in sets)
            project.warnings.append(f"landed folder {source!r} holds several file sets: {names}")
        return False
    entry = {"source": source, "layout": layout.name}
    for kind in layout.files:
        stem = tables[kind.table]
        landed = stems.get(stem)
        if landed is None:
            project.needed.append(f"{source}/{stem}.parquet")
        have = headers(landed) if landed and kind is layout.data else {}
        if kind.years:
            years = sorted(c for c in have if layouts.YEAR_COLUMN.match(c))
            if landed and not years:
                raise TransformError(
                    f"{headers.lake.uri(landed.key)} has no year columns (expected 1960, 1961, ...)"
                )
            entry["years"] = ",".join(years or DEFAULT_YEARS)
            fields = {**kind.columns, **dict.fromkeys(years or DEFAULT_YEARS, "DOUBLE")}
        elif kind.exposed:
            fields = {c: kind.columns.get(c, kind.other) for c in kind.exposed}
        else:
            fields = dict(kind.columns)
        extras = layout.extras(list(have)) if have else []
        if extras:
            project.warnings.append(
                f"{source}/{stem}: column(s) {', '.join(extras)} are not carried into "
                f"sources.{source} (the {layout.name} layout reads "
                f"{', '.join(c for c in fields if not layouts.YEAR_COLUMN.match(c))}); "
                f"write models/sources/{source}/<model>.py to keep them"
            )
        project.blueprints["raw"].append(_raw(source, kind.table, stem, fields))
    project.blueprints[layout.name].append(entry)
    return True


def _raw(source: str, table: str, stem: str, fields: dict[str, str]) -> dict[str, str]:
    return {"source": source, "table": table, "stem": stem, "fields": json.dumps(fields)}


def _raw_views(
    project: Project, source: str, stems: dict[str, LandedFile], headers
) -> list[dict[str, Any]]:
    """A raw view per landed file of the source; returns the long-layout files among them."""
    long: list[dict[str, Any]] = []
    taken: dict[str, str] = {}
    for stem, landed in sorted(stems.items()):
        table = table_name(stem)
        if table in taken:
            project.warnings.append(
                f"{source}/{stem} and {source}/{taken[table]} would both be {source}.{table}: "
                f"{source}/{stem} is not read"
            )
            continue
        taken[table] = stem
        types = headers(landed)
        project.blueprints["raw"].append(_raw(source, table, stem, types))
        mapping = layouts.long_mapping(list(types))
        if mapping:
            long.append(
                {
                    "table": table,
                    "types": types,
                    "columns": mapping.columns,
                    "extras": mapping.extras,
                }
            )
    return long


def discovered_models(ctx: Any) -> set[str]:
    """The `sources.*` models SQLMesh loaded, as source names."""
    from sqlglot import exp

    out = set()
    for fqn in ctx.models:
        table = exp.to_table(fqn, dialect="duckdb")
        if table.db == "sources":
            out.add(table.name)
    return out


def _connection(settings: Settings, database: str) -> Any:
    from sqlmesh.core.config import DuckDBConnectionConfig

    from osaa_lib.db import duckdb_settings, extension_path

    options = {
        name: (str(value).lower() if isinstance(value, bool) else str(value))
        for name, value in duckdb_settings(settings).items()
    }
    extensions: list[Any] = []
    secrets: list[dict[str, Any]] = []
    if settings.is_s3:
        extensions.append({"name": f"'{extension_path('httpfs')}'"})
        secrets.append(_s3_secret(settings))
    return DuckDBConnectionConfig(
        database=database, connector_config=options, extensions=extensions, secrets=secrets
    )


def _s3_secret(settings: Settings) -> dict[str, str]:
    """A temporary secret (SQLMesh runs CREATE SECRET without PERSISTENT): keys stay in memory."""
    from urllib.parse import urlparse

    secret = {"type": "s3", "region": settings.aws_region}
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        secret["key_id"] = settings.aws_access_key_id.value
        secret["secret"] = settings.aws_secret_access_key.value
        if settings.aws_session_token:
            secret["session_token"] = settings.aws_session_token.value
    else:
        secret["provider"] = "credential_chain"
    if settings.s3_endpoint_url:
        url = urlparse(settings.s3_endpoint_url)
        secret.update(
            endpoint=url.netloc,
            url_style="path",
            use_ssl="true" if url.scheme == "https" else "false",
        )
    return secret


def build_config(settings: Settings, project: Project, database: Path | None = None) -> Config:
    """SQLMesh config for these settings: `local` file gateway (default) and `test` in memory."""
    from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig
    from sqlmesh.core.config.model import ModelDefaultsConfig

    database = database or database_path(settings)
    memory = DuckDBConnectionConfig(database=":memory:")
    return Config(
        gateways={
            "local": GatewayConfig(
                connection=_connection(settings, str(database)), test_connection=memory
            ),
            "test": GatewayConfig(connection=memory, test_connection=memory),
        },
        default_gateway="local",
        model_defaults=ModelDefaultsConfig(dialect="duckdb", cron="@yearly"),
        variables={
            "osaa_landing_root": project.landing_root,
            "osaa_blueprints": project.blueprints,
            "osaa_sources": project.sources,
        },
        cache_dir=str(database.with_suffix(".cache")),
        disable_anonymized_analytics=True,
    )


def open_context(
    settings: Settings,
    project: Project | None = None,
    database: Path | None = None,
    gateway: str = "local",
    console: Any = None,
) -> Context:
    """A SQLMesh Context on the project folder with the config built from settings.

    If the `sources.*` models SQLMesh loaded are not the ones `handwritten_sources` read from
    the files (a model named in an unusual way), the project is corrected and loaded again, so
    master.indicators never leaves a source out.
    """
    from sqlmesh.core.console import NoopConsole, set_console

    project = project or find_landed_sources(settings)
    database = database or database_path(settings)
    database.parent.mkdir(parents=True, exist_ok=True)
    set_console(console or NoopConsole())
    ctx = _context(settings, project, database, gateway)
    loaded = discovered_models(ctx)
    if loaded != set(project.sources):
        generated = set(project.sources) - set(project.handwritten)
        project.handwritten = sorted(loaded - generated)
        ctx.close()
        ctx = _context(settings, project, database, gateway)
    return ctx


def _context(settings: Settings, project: Project, database: Path, gateway: str) -> Context:
    from sqlmesh import Context

    try:
        return Context(
            paths=settings.sqlmesh_dir,
            config=build_config(settings, project, database),
            gateway=gateway,
        )
    except Exception as exc:  # noqa: BLE001 - SQLMesh errors become one TransformError
        raise TransformError(
            f"cannot load the SQLMesh project {settings.sqlmesh_dir}: {exc}"
        ) from exc
