"""SQL on this space's project database, read-only unless asked; and exports of one model.

The database is attached to an in-memory session, so helper views (the quality history's
`data_quality.*`) live in the session and never in the project database, and a read-only
session cannot change anything. A writer holding the database is reported by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osaa_lib.config import Settings
from osaa_lib.errors import LockError, OsaaError, TransformError
from osaa_lib.locks import describe, hold, holder
from osaa_lib.transform.project import database_path

if TYPE_CHECKING:
    import duckdb

FORMATS = ("csv", "parquet")
MODEL_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    statement: str


@dataclass
class ExportResult:
    model: str
    output: Path
    format: str
    rows: int


def _quality_views(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    try:
        from osaa_lib.quality.history import attach_views
    except ImportError:
        return False
    try:
        attach_views(con, settings)
    except OsaaError:
        return False
    return True


@contextmanager
def session(settings: Settings, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB session on the project database (models as `schema.table`)."""
    from osaa_lib.db import connect

    database = database_path(settings)
    if not database.exists():
        raise TransformError(f"{database} does not exist yet: run `osaa transform` first")
    lock = database.with_suffix(".lock")
    catalog = database.stem  # SQLMesh's views name their tables with this catalog
    with hold(lock, "sql --write" if write else "sql", shared=not write):
        con = connect(settings)
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS memory.data_quality")
            con.execute("USE memory")
            _quality_views(con, settings)
            mode = "" if write else " (READ_ONLY)"
            try:
                con.execute(f"ATTACH '{_q(str(database))}' AS {catalog}{mode}")
            except Exception as exc:  # noqa: BLE001
                if "lock" in str(exc).lower():
                    raise LockError(
                        f"{database} is in use: {describe(holder(lock))}; try again later"
                    ) from None
                raise TransformError(f"cannot open {database}: {exc}") from exc
            con.execute(f"USE {catalog}")
            con.execute(f"SET search_path = '{catalog}.main,memory.data_quality,memory.main'")
            yield con
        finally:
            con.close()


def _split(sql: str) -> list[str]:
    import duckdb

    try:
        return [s.query for s in duckdb.extract_statements(sql)]
    except Exception as exc:  # noqa: BLE001
        raise TransformError(f"cannot parse the SQL: {exc}") from exc


def run_sql(settings: Settings, sql: str, write: bool = False) -> list[QueryResult]:
    """Run one or more statements; read-only sessions refuse any change."""
    statements = _split(sql)
    if not statements:
        raise TransformError("no SQL statement given")
    out = []
    with session(settings, write=write) as con:
        for statement in statements:
            try:
                cur = con.execute(statement)
                columns = [d[0] for d in cur.description] if cur.description else []
                rows = cur.fetchall() if cur.description else []
            except Exception as exc:  # noqa: BLE001
                msg = str(exc)
                if not write and ("read-only" in msg.lower() or "read only" in msg.lower()):
                    msg += " (the session is read-only: rerun with --write to change data)"
                raise TransformError(f"SQL failed: {msg}") from exc
            out.append(QueryResult(columns, rows, statement))
    return out


def known_models(con: Any) -> set[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = "
        "current_database() UNION SELECT schema_name || '.' || view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    return {r[0] for r in rows if not r[0].startswith("sqlmesh")}


def export(
    settings: Settings,
    model: str,
    output: Path,
    fmt: str = "csv",
    where: str | None = None,
    overwrite: bool = False,
) -> ExportResult:
    """Write one model (optionally filtered) to a CSV or Parquet file."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise TransformError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if not MODEL_NAME.match(model):
        raise TransformError(f"{model!r} is not a model name such as master.indicators")
    output = Path(output).expanduser().resolve()
    if output.is_dir():
        raise TransformError(f"--output {output} is a folder: give a file name")
    if not output.parent.is_dir():
        raise TransformError(f"--output folder {output.parent} does not exist")
    if output.exists() and not overwrite:
        raise TransformError(f"{output} exists: remove it or pass --overwrite")
    query = f"SELECT * FROM {model}"
    if where:
        check_filter(where)
        query += f" WHERE ({where})"
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    tmp = output.with_name(f".{output.name}.partial")
    with session(settings) as con:
        models = known_models(con)
        if model not in models:
            raise TransformError(f"unknown model {model!r}; known: {', '.join(sorted(models))}")
        try:
            rows = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            con.execute(f"COPY ({query}) TO '{_q(str(tmp))}' ({options})")
        except Exception as exc:  # noqa: BLE001
            tmp.unlink(missing_ok=True)
            raise TransformError(f"export failed: {exc}") from exc
    tmp.replace(output)
    return ExportResult(model, output, fmt, rows)


def check_filter(where: str) -> None:
    """A filter must stay one expression: no ';', no comments, parentheses balanced."""
    from sqlglot.dialects.duckdb import DuckDB
    from sqlglot.tokens import TokenType

    problem = None
    try:
        tokens = DuckDB().tokenize(where)
    except Exception as exc:  # noqa: BLE001
        raise TransformError(f"--where cannot be parsed: {exc}") from exc
    depth = 0
    for token in tokens:
        if token.comments:
            problem = "comments are not allowed"
        elif token.token_type == TokenType.SEMICOLON:
            problem = "';' is not allowed"
        elif token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth < 0:
                problem = "unbalanced ')'"
        if problem:
            break
    if not problem and depth:
        problem = "unbalanced '('"
    if not problem and len(_split(f"SELECT 1 WHERE ({where})")) != 1:
        problem = "it is not a single expression"
    if problem:
        raise TransformError(f"--where must be a single filter expression: {problem}")


def _q(text: str) -> str:
    """Inside a string literal, only where DuckDB takes no parameter (ATTACH, COPY ... TO)."""
    return text.replace("'", "''")
