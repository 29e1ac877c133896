"""Reading one publisher CSV into Parquet with DuckDB: layouts, header checks, rejected cells.

Why DuckDB's own reader with explicit types: it is the fastest reader we have and it reports
each cell that does not convert with its line number (`store_rejects`), so the data is read once.
A row whose cell does not convert is landed with NULL in that cell and listed as a reject; a
structural problem (ragged row, broken quoting, bad encoding) fails the whole file instead.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osaa_lib.errors import IngestError

NULL_MARKERS = ("", "..")
MAX_REJECTS = 10_000
MAX_LINE = 2_097_152  # DuckDB's default max_line_size
SAMPLE_REJECTS = 20
ID_NAMES = re.compile(r"^(id|code|iso|iso2|iso3|m49|country|indicator)$|_(id|code|iso[23]?)$")

STRUCTURAL = {
    "MISSING COLUMNS": "ragged row",
    "TOO MANY COLUMNS": "ragged row",
    "UNQUOTED VALUE": "unterminated or stray quote",
    "INVALID ENCODING": "not UTF-8 text (re-save the file as UTF-8)",
    "INVALID UNICODE": "not UTF-8 text (re-save the file as UTF-8)",
    "LINE SIZE OVER MAXIMUM": "line longer than the reader's maximum (broken quoting?)",
}


@dataclass
class Layout:
    """How one file is read: its kind, normalised column names and their types."""

    kind: str
    header: list[str]
    columns: dict[str, str]
    year_columns: list[str] = field(default_factory=list)


@dataclass
class Reject:
    line: int
    column: str
    value: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "value": self.value, "error": self.error}


@dataclass
class ReadOutcome:
    rows: int
    rejects: list[Reject]
    rejected_rows: int


def normalise(name: str) -> str:
    """`Country Name` -> `country_name`, `INDICATOR_ID` -> `indicator_id`, `1960` -> `1960`."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def check_bytes(path: Path, head: bytes) -> None:
    """Refuse what is not a UTF-8 CSV before DuckDB guesses at it (cheap: first 64 KiB)."""
    if not head:
        raise IngestError(f"{path}: empty file (0 bytes)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"{path}: line 1: UTF-16 text (re-save the file as UTF-8)")
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise IngestError(f"{path}: line {line}: NUL byte (binary or UTF-16 content)")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml", b"<head", b"<body")):
        raise IngestError(f"{path}: line 1: HTML/XML, not CSV (a download error page?)")


def read_header(path: Path, head: bytes) -> list[str]:
    """The first CSV record, BOM removed; duplicate names after normalisation are refused."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            line = head.count(b"\n", 0, exc.start) + 1
            raise IngestError(
                f"{path}: line {line}: not UTF-8 text (re-save the file as UTF-8)"
            ) from None
        text = head[: exc.start].decode("utf-8-sig")
    record = next(csv.reader(io.StringIO(text, newline="")), None)
    if not record or all(not c.strip() for c in record):
        raise IngestError(f"{path}: line 1: no header row")
    names = [normalise(c) or f"column_{i + 1}" for i, c in enumerate(record)]
    seen: dict[str, str] = {}
    for raw, name in zip(record, names, strict=True):
        if name in seen:
            raise IngestError(
                f"{path}: line 1: duplicate column {raw!r} (same as {seen[name]!r} once "
                f"normalised to {name!r})"
            )
        seen[name] = raw
    return names


def layout_for(stem: str, names: list[str], path: Path, con: Any) -> Layout:
    """Explicit types for the known layouts (`osaa_lib.layouts`); sniffed types otherwise.

    A stem of a known file kind (`*_DATA_NATIONAL`, `*_LABEL`, in any case) must have that
    kind's columns (`*CSV`, `*Series` are that kind only when they do); a header that names the
    long layout's columns (country,
    year, indicator, value) is read with their types and the other columns as text.
    """
    from osaa_lib import layouts

    found = layouts.match(stem, names)
    if found:
        kind = found.file
        _require(tuple(kind.columns), names, path)
        years = [n for n in names if layouts.YEAR_COLUMN.match(n)] if kind.years else []
        if kind.years and not years:
            raise IngestError(f"{path}: line 1: no year columns (1960, 1961, ...) in the header")
        return Layout(kind.kind, names, kind.types(names), years)
    mapping = layouts.long_mapping(names)
    if mapping:
        return Layout(layouts.LONG, names, layouts.long_types(names, mapping))
    return _sniffed(names, path, con)


def _require(required: tuple[str, ...], names: list[str], path: Path) -> None:
    missing = [c for c in required if c not in names]
    if missing:
        raise IngestError(
            f"{path}: line 1: header lacks column(s) {', '.join(missing)} "
            f"(found: {', '.join(names)})"
        )


def _sniffed(names: list[str], path: Path, con: Any) -> Layout:
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_csv(?, header = true, nullstr = ['', '..'], "
            "sample_size = 20480)",
            [str(path)],
        ).fetchall()
    except Exception as exc:  # noqa: BLE001 - any DuckDB error becomes a message about the file
        raise IngestError(translate(exc, path)) from None
    if len(described) != len(names):
        raise IngestError(
            f"{path}: the CSV reader found {len(described)} columns but the header has "
            f"{len(names)} (is the delimiter a comma?)"
        )
    cols = {}
    for name, (_col, sniffed, *_rest) in zip(names, described, strict=True):
        cols[name] = "VARCHAR" if ID_NAMES.search(name) else sniffed
    return Layout("sniffed", names, cols)


def translate(exc: Exception, path: Path) -> str:
    """DuckDB's multi-line CSV errors -> `file: line N: problem` in one line."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    lines = [s.strip() for s in text.splitlines() if s.strip()]
    problem = next(
        (
            s
            for s in lines[1:]
            if not s.startswith(("Original Line", "Possible", "*", "file =")) and "=" not in s
        ),
        lines[0] if lines else type(exc).__name__,
    )
    problem = re.sub(r"^[A-Za-z ]+ Error: ", "", problem)
    where = f"line {line.group(1)}: " if line else ""
    return f"{path}: {where}{problem}"


def _sql_str(text: str) -> str:
    """A string literal, only where DuckDB takes no parameter: read_csv's option list and COPY."""
    return "'" + text.replace("'", "''") + "'"


def read_options(layout: Layout, rejects: bool = True) -> str:
    """read_csv's options after the path (which is passed as a parameter)."""
    cols = "{" + ", ".join(f"{_sql_str(n)}: {_sql_str(t)}" for n, t in layout.columns.items()) + "}"
    markers = ", ".join(_sql_str(m) for m in NULL_MARKERS)
    opts = (
        f"header = true, columns = {cols}, delim = ',', quote = '\"', "
        f"escape = '\"', nullstr = [{markers}], auto_detect = false, encoding = 'utf-8'"
    )
    if rejects:
        opts += f", store_rejects = true, rejects_limit = {MAX_REJECTS}"
    return opts


def csv_to_parquet(con: Any, path: Path, layout: Layout, out: Path) -> ReadOutcome:
    """CSV -> Parquet with one parse; cells that do not convert become NULL and are reported.

    DuckDB's reader skips a row with a cast error (and records it with its line), so the rows
    are first collected in a temporary table, the few rejected rows are re-added from their
    raw text, and the table is written once. Measured: about as fast as COPY straight from
    the CSV, and unlike a COPY-then-repair it never encodes the Parquet twice.
    """
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE osaa_rows AS SELECT * FROM read_csv(?, "
            f"{read_options(layout)})",
            [str(path)],
        )
    except Exception as exc:  # noqa: BLE001 - translated into a message naming the file
        raise IngestError(translate(exc, path)) from None
    errors = con.execute(
        "SELECT line, column_name, error_type, csv_line, error_message, column_idx "
        "FROM reject_errors ORDER BY line, column_idx"
    ).fetchall()
    structural = [e for e in errors if e[2] != "CAST"]
    if structural:
        line, _col, kind, _raw, message, _idx = structural[0]
        problem = STRUCTURAL.get(kind, kind.lower())
        if kind == "UNQUOTED VALUE" and _overlong(con, path, line):
            problem = STRUCTURAL["LINE SIZE OVER MAXIMUM"]
        elif kind == "UNQUOTED VALUE" and _mixed_endings(path):
            problem += ", or mixed CRLF and LF line endings (this file has both: re-save it)"
        counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
        if counts:
            problem += f": expected {counts.group(1)} fields, found {counts.group(2)}"
        lines = len({e[0] for e in structural})
        more = f" (and {lines - 1} more such line(s))" if lines > 1 else ""
        raise IngestError(f"{path}: line {line}: {problem}{more}")
    if len(errors) >= MAX_REJECTS:
        raise IngestError(
            f"{path}: {len(errors)}+ cells do not convert (first at line {errors[0][0]}, column "
            f"{errors[0][1]}): the column types do not fit this file"
        )
    rejects, fixed = _repair(layout, errors)
    if fixed:
        _insert_fixed(con, layout, fixed)
    rejects += _non_finite(con, path, layout)
    rows = con.execute(f"COPY osaa_rows TO {_sql_str(str(out))} (FORMAT parquet)").fetchone()[0]
    con.execute("DROP TABLE osaa_rows")
    if rows == 0:
        raise IngestError(f"{path}: header only, no data rows")
    return ReadOutcome(rows, rejects, len({r.line for r in rejects}))


def _overlong(con: Any, path: Path, line: int) -> bool:
    """A line longer than DuckDB's read buffer comes back as an unterminated quote: tell them."""
    row = con.execute(
        "SELECT coalesce(byte_position, line_byte_position) FROM reject_errors WHERE line = ? "
        "LIMIT 1",
        [line],
    ).fetchone()
    if not row or row[0] is None:
        return False
    with open(path, "rb") as fh:
        fh.seek(row[0])
        window = fh.read(MAX_LINE + 1)
    return len(window) > MAX_LINE and b"\n" not in window


def _mixed_endings(path: Path) -> bool:
    """DuckDB reads a bare LF in a CRLF file as a stray quote or ragged row: say what it may be."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 24)
    crlf = head.count(b"\r\n")
    return crlf > 0 and head.count(b"\n") > crlf


def _non_finite(con: Any, path: Path, layout: Layout) -> list[Reject]:
    """`1e400` or `inf` read as a DOUBLE is +-inf/NaN with no cast error: NULL it and report it.

    Publishers never mean an infinite value, and the quality checks skip non-finite values, so
    without this the cell would change silently. Only files that hold one are scanned again.
    """
    doubles = [n for n, t in layout.columns.items() if t == "DOUBLE"]
    if not doubles:
        return []
    counts = con.execute(
        "SELECT " + ", ".join(f'count_if(NOT isfinite("{n}"))' for n in doubles) + " FROM osaa_rows"
    ).fetchone()
    bad = [n for n, c in zip(doubles, counts, strict=True) if c]
    if not bad:
        return []
    found: list[Reject] = []
    where = {n: layout.header.index(n) for n in bad}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        line = reader.line_num + 1
        for record in reader:
            for name, i in where.items():
                try:
                    value = float(record[i]) if i < len(record) else 0.0
                except ValueError:
                    continue
                if value != value or value in (float("inf"), float("-inf")):
                    found.append(Reject(line, name, record[i], "out of DOUBLE range (inf/NaN)"))
            line = reader.line_num + 1
    nulled = ", ".join(f'"{n}" = CASE WHEN isfinite("{n}") THEN "{n}" END' for n in bad)
    con.execute(f"UPDATE osaa_rows SET {nulled}")
    return found


def _repair(layout: Layout, errors: list[tuple[Any, ...]]) -> tuple[list[Reject], list[list[str]]]:
    """Rejected rows come back from their raw text; their bad cells become NULL."""
    rejects: list[Reject] = []
    rows: dict[int, list[str]] = {}
    for line, column, _kind, raw, message, idx in errors:
        if line not in rows:
            text = (raw or "").strip("\r\n")
            record = next(csv.reader(io.StringIO(text, newline="")), [])
            if len(record) != len(layout.columns):
                record = (record + [""] * len(layout.columns))[: len(layout.columns)]
            rows[line] = record
        value = rows[line][idx - 1] if idx and idx <= len(rows[line]) else None
        rejects.append(Reject(int(line), column, value, _short(message)))
    return rejects, list(rows.values())


def _short(message: str) -> str:
    found = re.search(r"Could not convert string .* to '?([A-Z]+)'?", message or "")
    return f"not a valid {found.group(1)}" if found else (message or "").splitlines()[0]


def _insert_fixed(con: Any, layout: Layout, fixed: list[list[str]]) -> None:
    """One INSERT of a VALUES list with every cell a parameter (the rows are few)."""
    width = len(layout.columns)
    row = "(" + ", ".join(["?::VARCHAR"] * width) + ")"
    values = ", ".join([row] * len(fixed))
    names = ", ".join(f'"c{i}"' for i in range(width))
    casts = ", ".join(f'TRY_CAST("c{i}" AS {t})' for i, t in enumerate(layout.columns.values()))
    params = [None if v in NULL_MARKERS else v for record in fixed for v in record]
    con.execute(
        f"INSERT INTO osaa_rows SELECT {casts} FROM (VALUES {values}) AS v({names})", params
    )


def schema_of(con: Any, parquet: Path) -> dict[str, str]:
    rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall()
    return {r[0]: r[1] for r in rows}
