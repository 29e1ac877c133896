"""The SQLMesh project bound to one settings object: config, landed sources, the Context.

Design: the lake's Parquet is the source of truth. The SQLMesh database (state and tables) is a
per-user, per-environment cache at `state_dir/<target>__<space>.duckdb`, rebuilt from the lake
whenever it is missing. It never leaves the machine, so two machines (or two analysts) can never
overwrite each other's state. The config is built here in memory: no path or secret is written
to a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError, TransformError
from osaa_lib.lake import Lake, keys, open_lake

if TYPE_CHECKING:
    from sqlmesh import Context
    from sqlmesh.core.config import Config

# Sources the project always knows, so models, unit tests and lineage exist before any ingest.
KNOWN = {
    "sdg": ("uis", {"data_stem": "SDG_DATA_NATIONAL", "label_stem": "SDG_LABEL"}),
    "opri": ("uis", {"data_stem": "OPRI_DATA_NATIONAL", "label_stem": "OPRI_LABEL"}),
    "wdi": ("wdi", {"csv_stem": "WDICSV", "series_stem": "WDISeries"}),
}
DEFAULT_YEARS = [str(y) for y in range(1960, 2024)]
YEAR = re.compile(r"^\d{4}$")
SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class LandedFile:
    source: str
    stem: str
    key: str
    size: int
    signature: str


@dataclass
class Project:
    """What the lake holds for this target, and the source models derived from it."""

    landing_root: str
    files: dict[str, dict[str, LandedFile]]
    blueprints: dict[str, list[dict[str, str]]]
    handwritten: list[str]
    ignored: list[str] = field(default_factory=list)
    years: dict[str, list] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        names = {bp["source"] for bps in self.blueprints.values() for bp in bps}
        return sorted(names | set(self.handwritten))

    def raw_models(self, source: str) -> list[str]:
        for layout, bps in self.blueprints.items():
            if any(bp["source"] == source for bp in bps):
                suffixes = ("data_national", "label") if layout == "uis" else ("csv", "series")
                return [f"{source}.{s}" for s in suffixes]
        return []

    def missing(self) -> list[str]:
        """Landing files a blueprinted source needs but the lake does not hold."""
        out = []
        for bps in self.blueprints.values():
            for bp in bps:
                for key, stem in bp.items():
                    if key.endswith("_stem") and stem not in self.files.get(bp["source"], {}):
                        out.append(f"{bp['source']}/{stem}.parquet")
        return out

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


def _years(settings: Settings, lake: Lake, key: str) -> list[str]:
    """Year columns of a landed wide file, from its Parquet schema (no data is read)."""
    from osaa_lib.db import connect

    con = connect(settings)
    try:
        names = [
            r[0]
            for r in con.execute("SELECT name FROM parquet_schema(?)", [lake.uri(key)]).fetchall()
        ]
    except Exception as exc:  # noqa: BLE001
        raise TransformError(f"cannot read the header of {lake.uri(key)}: {exc}") from exc
    finally:
        con.close()
    years = sorted(n for n in names if YEAR.match(n))
    if not years:
        raise TransformError(f"{lake.uri(key)} has no year columns (expected 1960, 1961, ...)")
    return years


def _handwritten(settings: Settings) -> list[str]:
    folder = settings.sqlmesh_dir / "models" / "sources"
    return sorted(
        p.stem
        for p in folder.glob("*")
        if p.suffix in (".py", ".sql") and not p.name.startswith("_")
    )


def discover(
    settings: Settings, lake: Lake | None = None, known_years: dict[str, list] | None = None
) -> Project:
    """Landed files and the source models they imply (known sources plus any new folder).

    `known_years` ({key: [signature, years]}) saves re-reading an unchanged wide header.
    """
    lake = lake or open_lake(settings)
    known_years = known_years or {}
    seen_years: dict[str, list] = {}
    files = _landed(settings, lake)
    handwritten = _handwritten(settings)
    blueprints: dict[str, list[dict[str, str]]] = {"uis": [], "wdi": []}
    ignored: list[str] = []
    for source in sorted(set(files) | set(KNOWN)):
        if source in handwritten:
            continue
        stems = files.get(source, {})
        if source in KNOWN:
            layout, entry = KNOWN[source]
            entry = {"source": source, **entry}
        else:
            uis = sorted(
                s[: -len("_DATA_NATIONAL")]
                for s in stems
                if s.endswith("_DATA_NATIONAL") and f"{s[: -len('_DATA_NATIONAL')]}_LABEL" in stems
            )
            wdi = sorted(s[:-3] for s in stems if s.endswith("CSV") and f"{s[:-3]}Series" in stems)
            if len(uis) + len(wdi) != 1:
                ignored.append(source)
                continue
            if uis:
                layout = "uis"
                entry = {
                    "source": source,
                    "data_stem": f"{uis[0]}_DATA_NATIONAL",
                    "label_stem": f"{uis[0]}_LABEL",
                }
            else:
                layout = "wdi"
                entry = {
                    "source": source,
                    "csv_stem": f"{wdi[0]}CSV",
                    "series_stem": f"{wdi[0]}Series",
                }
        if layout == "wdi":
            landed = stems.get(entry["csv_stem"])
            years = DEFAULT_YEARS
            if landed:
                cached = known_years.get(landed.key)
                if cached and cached[0] == landed.signature:
                    years = list(cached[1])
                else:
                    years = _years(settings, lake, landed.key)
                seen_years[landed.key] = [landed.signature, years]
            entry["years"] = ",".join(years)
        blueprints[layout].append(entry)
    root = lake.uri(keys.landing_prefix(settings))
    return Project(root, files, blueprints, handwritten, ignored, seen_years)


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
    """A SQLMesh Context on the project folder with the config built from settings."""
    from sqlmesh import Context
    from sqlmesh.core.console import NoopConsole, set_console

    project = project or discover(settings)
    database = database or database_path(settings)
    database.parent.mkdir(parents=True, exist_ok=True)
    set_console(console or NoopConsole())
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
