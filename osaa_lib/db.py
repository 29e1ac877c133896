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
    con.execute(f"INSTALL '{extension_path('httpfs')}'")
    con.execute("LOAD httpfs")


def s3_secret_sql(settings: Settings) -> str:
    """A CREATE TEMPORARY SECRET statement; it holds keys, so it is never logged."""
    from urllib.parse import urlparse

    parts = ["TYPE s3", f"REGION '{_q(settings.aws_region)}'"]
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        parts += [
            f"KEY_ID '{_q(settings.aws_access_key_id.value)}'",
            f"SECRET '{_q(settings.aws_secret_access_key.value)}'",
        ]
        if settings.aws_session_token:
            parts.append(f"SESSION_TOKEN '{_q(settings.aws_session_token.value)}'")
    else:
        parts.append("PROVIDER credential_chain")
    if settings.s3_endpoint_url:
        url = urlparse(settings.s3_endpoint_url)
        parts += [
            f"ENDPOINT '{_q(url.netloc)}'",
            "URL_STYLE 'path'",
            f"USE_SSL {'true' if url.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE TEMPORARY SECRET osaa_s3 ({', '.join(parts)})"


def _q(text: str) -> str:
    return text.replace("'", "''")


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> duckdb.DuckDBPyConnection:
    """Apply settings, and S3 access when the lake is on S3, to an open connection."""
    for name, value in duckdb_settings(settings).items():
        if isinstance(value, bool):
            con.execute(f"SET {name} = {'true' if value else 'false'}")
        elif isinstance(value, int):
            con.execute(f"SET {name} = {value}")
        else:
            con.execute(f"SET {name} = '{_q(str(value))}'")
    if settings.is_s3 or settings.backup_root.startswith("s3://"):
        load_httpfs(con)
        con.execute(s3_secret_sql(settings))
    return con


def connect(
    settings: Settings, database: str | Path = ":memory:", read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    import duckdb

    con = duckdb.connect(str(database), read_only=read_only)
    return configure(con, settings)
