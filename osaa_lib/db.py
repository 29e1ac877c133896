"""DuckDB connections configured from settings, the same way for every caller.

Extensions come from the pinned `duckdb-extension-*` wheels because DuckDB cannot download
them here. S3 credentials go into a temporary secret: never a persistent one, which DuckDB
writes to disk in plain text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from osaa_lib.config import Settings
from osaa_lib.errors import ConfigError

if TYPE_CHECKING:
    import duckdb


def extension_path(name: str) -> Path:
    """The extension file shipped in the `duckdb-extension-<name>` wheel for this DuckDB."""
    import importlib

    import duckdb

    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError:
        raise ConfigError(
            f"DuckDB extension package duckdb-extension-{name} is not installed"
        ) from None
    base = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    found = sorted(base.glob(f"{name}.duckdb_extension*"))
    if not found:
        raise ConfigError(f"no {name} extension for DuckDB {duckdb.__version__} in {base}")
    return found[0]


def duckdb_settings(settings: Settings) -> dict[str, object]:
    """The connection options from configuration (also handed to SQLMesh's connection)."""
    options: dict[str, object] = {
        "preserve_insertion_order": settings.duckdb_preserve_insertion_order,
    }
    if settings.duckdb_memory_limit:
        options["memory_limit"] = settings.duckdb_memory_limit
    if settings.duckdb_threads:
        options["threads"] = settings.duckdb_threads
    if settings.duckdb_temp_directory:
        options["temp_directory"] = settings.duckdb_temp_directory
    return options


def load_httpfs(con: duckdb.DuckDBPyConnection) -> None:
    loaded = con.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'httpfs'"
    ).fetchone()
    if loaded and loaded[0]:
        return
    con.execute(f"INSTALL {_literal(str(extension_path('httpfs')))}")
    con.execute("LOAD httpfs")


def _literal(text: str) -> str:
    """A SQL string literal, for INSTALL alone: DuckDB's parser takes no parameter there."""
    return "'" + text.replace("'", "''") + "'"


def s3_secret(settings: Settings) -> tuple[str, list[object]]:
    """A CREATE TEMPORARY SECRET statement and its parameters: the keys travel as values,
    never inside the SQL text, so no log of the statement can show them."""
    from urllib.parse import urlparse

    options: dict[str, object] = {"REGION": settings.aws_region}
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        options["KEY_ID"] = settings.aws_access_key_id.value
        options["SECRET"] = settings.aws_secret_access_key.value
        if settings.aws_session_token:
            options["SESSION_TOKEN"] = settings.aws_session_token.value
    if settings.s3_endpoint_url:
        url = urlparse(settings.s3_endpoint_url)
        options.update(ENDPOINT=url.netloc, URL_STYLE="path", USE_SSL=url.scheme == "https")
    parts = ["TYPE s3", *(f"{name} ?" for name in options)]
    if "KEY_ID" not in options:
        parts.append("PROVIDER credential_chain")
    sql = f"CREATE OR REPLACE TEMPORARY SECRET osaa_s3 ({', '.join(parts)})"
    return sql, list(options.values())


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> duckdb.DuckDBPyConnection:
    """Apply settings, and S3 access when the lake is on S3, to an open connection."""
    for name, value in duckdb_settings(settings).items():
        con.execute(f"SET {name} = ?", [value])
    if settings.is_s3 or settings.backup_root.startswith("s3://"):
        load_httpfs(con)
        con.execute(*s3_secret(settings))
    return con


def connect(
    settings: Settings, database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(str(database), read_only=read_only)
    return configure(con, settings)
