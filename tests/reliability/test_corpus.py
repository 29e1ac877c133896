"""Bad input corpus through the real `osaa ingest`: a clear error or a reported coercion, never a
crash trace, never silent loss, and the last good landing stays readable and unchanged.

Every file is generated here (nothing committed). Each case first lands a good version of the
same file, then replaces it with the bad one and runs the CLI on that source alone.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from osaa_lib.lake import keys
from tests.reliability.conftest import (
    Workspace,
    assert_clean,
    sha256,
    table_fingerprint,
)

pytestmark = pytest.mark.reliability

H = "indicator_id,country_id,year,value,magnitude,qualifier\r\n"
LH = "INDICATOR_ID,INDICATOR_LABEL_EN\r\n"
DATA, LABEL, OTHER, WDI = "EDU_DATA_NATIONAL", "EDU_LABEL", "OTHER", "WDICSV"
WDI_HEAD = "Country Name,Country Code,Indicator Name,Indicator Code,2000,2001\r\n"
BIG_LINE = 100 * 1024 * 1024


def r(i: int, value: str = "", year: str = "") -> str:
    return f'"A{i}","KEN",{year or 2000 + i},{value or f"{i}.5"},"",""\r\n'


def good(stem: str) -> bytes:
    if stem == LABEL:
        return (LH + '"A1","Pupils, primary"\r\n"A2","Teachers"\r\n').encode()
    if stem == OTHER:
        return b"code,name,score\r\nK1,alpha,1.5\r\nK2,beta,2.5\r\n"
    if stem == WDI:
        return (WDI_HEAD + '"Kenya","KEN","GDP","NY.GDP",1.5,2.5\r\n').encode()
    return (H + r(1) + r(2) + r(3)).encode()


@dataclass
class Case:
    stem: str
    content: bytes | Callable[[Path], None]
    kind: str  # error | coerce | ok
    needles: tuple[str, ...] = ()
    rejects: tuple[tuple[int, str], ...] = ()  # (line, column) of every reported cell
    name: str | None = None  # file name when it is not <stem>.csv
    xfail: str | None = None


def _nul_far() -> bytes:
    rows = [r(i) for i in range(1, 3001)]
    rows[2998] = rows[2998].replace("KEN", "K\x00N")
    return (H + "".join(rows)).encode()


def _long_line(path: Path) -> None:
    """A label of 100 MB on line 3, written in chunks (never held in memory)."""
    with open(path, "wb") as fh:
        fh.write((LH + '"A1","ok"\r\n"A2","').encode())
        chunk = b"x" * (1 << 20)
        for _ in range(BIG_LINE // len(chunk)):
            fh.write(chunk)
        fh.write(b'"\r\n')


CASES: dict[str, Case] = {
    "ragged_short_row": Case(
        DATA, (H + r(1) + '"A","UGA",2002\r\n').encode(), "error", ("line 3", "ragged row")
    ),
    "ragged_long_row": Case(
        DATA,
        (H + r(1) + '"A","UGA",2002,1,"","",9\r\n').encode(),
        "error",
        ("line 3", "ragged row"),
    ),
    "semicolon_delimiter": Case(
        DATA, (H + r(1)).replace(",", ";").encode(), "error", ("line 1", "header lacks column")
    ),
    "tab_delimiter_unknown_file": Case(
        OTHER, b"code\tname\tscore\r\nK1\ta\t1\r\n", "error", ("delimiter",)
    ),
    "latin1_byte_in_row": Case(
        DATA,
        (H + r(1)).encode() + b'"A","C\xf4te",2002,1,"",""\r\n',
        "error",
        ("line 3", "not UTF-8"),
    ),
    "latin1_byte_in_header": Case(
        DATA, b"indicator_id,pa\xefs,year\r\nA,B,1\r\n", "error", ("line 1", "not UTF-8")
    ),
    "utf16_le_with_bom": Case(
        DATA, b"\xff\xfe" + (H + r(1)).encode("utf-16-le"), "error", ("line 1", "UTF-16")
    ),
    "utf16_be_with_bom": Case(
        DATA, b"\xfe\xff" + (H + r(1)).encode("utf-16-be"), "error", ("line 1", "UTF-16")
    ),
    "utf16_without_bom": Case(
        DATA, (H + r(1)).encode("utf-16-le"), "error", ("line 1", "NUL byte")
    ),
    "nul_byte_in_row": Case(
        DATA,
        (H + r(1)).encode() + b'"A","U\x00GA",2002,1,"",""\r\n',
        "error",
        ("line 3", "NUL byte"),
    ),
    "nul_byte_after_64k": Case(DATA, _nul_far(), "error", ("line 3000", "NUL byte")),
    "unterminated_quote_mid_file": Case(
        DATA, (H + r(1) + '"A,"UGA",2002,1,"",""\r\n' + r(3)).encode(), "error", ("line 3", "quote")
    ),
    "unterminated_quote_at_eof": Case(
        DATA, (H + r(1) + '"A2","KEN,2002,1,"",""\r\n').encode(), "error", ("line 3", "quote")
    ),
    "header_only": Case(DATA, H.encode(), "error", ("header only",)),
    "empty_file": Case(DATA, b"", "error", ("empty file",)),
    "blank_lines_only": Case(DATA, b"\r\n\r\n\r\n", "error", ("line 1", "no header row")),
    "duplicate_header_exact": Case(
        DATA,
        (H.replace("year,", "year,year,") + r(1)).encode(),
        "error",
        ("line 1", "duplicate column"),
    ),
    "duplicate_header_after_normalising": Case(
        DATA,
        ("indicator_id,Indicator ID," + H[len("indicator_id,") :] + r(1)).encode(),
        "error",
        ("line 1", "duplicate column"),
    ),
    "html_error_page": Case(
        DATA,
        b"<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n",
        "error",
        ("line 1", "HTML"),
    ),
    "html_with_bom_and_blank_lines": Case(
        DATA,
        b"\xef\xbb\xbf\r\n  <html><head><title>Login</title></head></html>",
        "error",
        ("line 1", "HTML"),
    ),
    "xml_document": Case(
        DATA, b'<?xml version="1.0"?>\n<data><row>1</row></data>\n', "error", ("line 1", "XML")
    ),
    "xlsx_renamed_to_csv": Case(
        DATA, b"PK\x03\x04\x14\x00\x06\x00" + bytes(64), "error", ("line 1", "NUL byte")
    ),
    "gzip_renamed_to_csv": Case(
        DATA, gzip.compress((H + r(1)).encode(), mtime=0), "error", ("NUL byte",)
    ),
    "missing_required_column": Case(
        DATA,
        b"indicator_id,country_id,year,magnitude,qualifier\r\nA,KEN,2001,,\r\n",
        "error",
        ("line 1", "header lacks column(s) value"),
    ),
    "wdi_without_year_columns": Case(
        WDI,
        b"Country Name,Country Code,Indicator Name,Indicator Code\r\nKenya,KEN,G,N\r\n",
        "error",
        ("line 1", "no year columns"),
    ),
    "line_of_100_mb": Case(
        LABEL,
        _long_line,
        "error",
        ("line 3", "longer than"),
    ),
    "file_name_with_quote_and_sql": Case(
        DATA,
        (H + r(1)).encode(),
        "error",
        ("cannot become a lake key",),
        name="EDU_DATA'; DROP TABLE x; --.csv",
    ),
    # coercions: the row is landed, the cell becomes NULL and is listed with line and column
    "year_20x1": Case(
        DATA, (H + r(1) + r(2, year="20x1") + r(3)).encode(), "coerce", rejects=((3, "year"),)
    ),
    "value_dash": Case(
        DATA, (H + r(1) + r(2, value="-") + r(3)).encode(), "coerce", rejects=((3, "value"),)
    ),
    "value_1e400_overflow": Case(
        DATA, (H + r(1) + r(2, value="1e400") + r(3)).encode(), "coerce", rejects=((3, "value"),)
    ),
    "value_inf_and_nan_text": Case(
        DATA,
        (H + r(1, value="inf") + r(2, value="NaN") + r(3, value="-Infinity")).encode(),
        "coerce",
        rejects=((2, "value"), (3, "value"), (4, "value")),
    ),
    "wdi_year_cell_1e400": Case(
        WDI,
        (WDI_HEAD + '"Kenya","KEN","GDP","NY.GDP",1.5,1e400\r\n').encode(),
        "coerce",
        rejects=((2, "2001"),),
    ),
    "value_with_thousands_separator": Case(
        DATA,
        (H + r(1) + r(2, value='"1,234.5"') + r(3)).encode(),
        "coerce",
        rejects=((3, "value"),),
    ),
    "several_bad_cells": Case(
        DATA,
        (H + r(1, value="n/a") + r(2, year="2oo2", value="-") + r(3)).encode(),
        "coerce",
        rejects=((2, "value"), (3, "year"), (3, "value")),
    ),
    # accepted as they are (documented): markers, BOM, CRLF/LF, quoted commas and newlines
    "dotdot_missing_marker": Case(DATA, (H + r(1) + r(2, value="..") + r(3)).encode(), "ok"),
    "utf8_bom": Case(DATA, b"\xef\xbb\xbf" + (H + r(1) + r(2)).encode(), "ok"),
    "quoted_commas_and_newlines": Case(
        LABEL,
        (LH + '"A1","Pupils, primary\nand lower secondary"\r\n"A2","T"\r\n"A3","Q"').encode(),
        "ok",
    ),
    "quote_inside_unquoted_field": Case(DATA, (H + r(1) + 'A2,KEN,2002,1,a"b,\r\n').encode(), "ok"),
    "mixed_crlf_and_lf_line_endings": Case(
        LABEL,
        (LH + '"A1","P"\n"A2","T"\r\n"A3","Q"\r\n').encode(),
        "error",
        ("line 2", "mixed CRLF and LF line endings"),
    ),
    "label_ids_match_nothing": Case(
        LABEL, (LH + '"ZZ1","Nothing"\r\n"ZZ2","Nada"\r\n').encode(), "ok"
    ),
    "trailing_blank_lines": Case(DATA, (H + r(1) + r(2) + "\r\n\r\n").encode(), "ok"),
}


def data_rows(raw: bytes) -> int:
    """Records after the header, counted by Python's csv module (independent of DuckDB)."""
    text = raw.decode("utf-8-sig")
    records = [rec for rec in csv.reader(io.StringIO(text, newline="")) if rec]
    return len(records) - 1


@pytest.fixture(scope="module")
def corpus_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One source folder per case, each with a good file landed first (one ingest for all)."""
    ws = Workspace(tmp_path_factory.mktemp("corpus"))
    for i, (_name, case) in enumerate(sorted(CASES.items())):
        folder = ws.raw / f"c{i:02d}"
        folder.mkdir(parents=True)
        (folder / f"{case.stem}.csv").write_bytes(good(case.stem))
        if case.stem == DATA:
            (folder / f"{LABEL}.csv").write_bytes(good(LABEL))
    assert_clean(ws.cli("ingest"), 0)
    return ws


def source_of(name: str) -> str:
    return f"c{sorted(CASES).index(name):02d}"


def _params() -> list:
    out = []
    for name, case in sorted(CASES.items()):
        marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.mark.parametrize("name", _params())
def test_bad_input(name: str, corpus_ws: Workspace, note) -> None:
    """A clear error (file, line, problem) or a reported coercion; the last good data stays."""
    case = CASES[name]
    ws, source = corpus_ws, source_of(name)
    settings = ws.settings()
    lake = ws.lake
    landing = lake / keys.landing_prefix(settings) / source / f"{case.stem}.parquet"
    manifest = lake / keys.landing_prefix(settings) / source / "_manifests" / f"{case.stem}.json"
    before_bytes, before_table = sha256(landing), table_fingerprint(landing)
    before_manifest = manifest.read_bytes()

    path = ws.raw / source / (case.name or f"{case.stem}.csv")
    if callable(case.content):
        case.content(path)
    else:
        path.write_bytes(case.content)
    if case.name:
        (ws.raw / source / f"{case.stem}.csv").unlink()
    run = ws.cli("ingest", "--source", source)
    note("exit", run.code)

    if case.kind == "error":
        assert_clean(run, 4, path.name, *case.needles)
        message = next((ln for ln in run.flat.split("failed: ")[1:]), "")
        message = re.split(r" \d\d:\d\d:\d\d | error: | WARNING ", message)[0]
        note("message", message[:300].replace(str(ws.root), "<ws>"))
        assert sha256(landing) == before_bytes, "the last good landing was changed"
        assert table_fingerprint(landing) == before_table, "the last good landing is unreadable"
        assert manifest.read_bytes() == before_manifest
        assert not [p for p in landing.parent.rglob("*") if ".tmp-" in p.name]
        return

    assert_clean(run, 0)
    doc = json.loads(manifest.read_bytes())
    raw = path.read_bytes()
    rows_in = data_rows(raw)
    rows_landed, _ = table_fingerprint(landing)
    reported = sorted((rj["line"], rj["column"]) for rj in _rejects(lake, doc))
    note("rows", f"{rows_in} in, {rows_landed} landed, {len(reported)} cell(s) reported")
    assert rows_landed == doc["rows"] == rows_in, "rows in must equal rows landed"
    assert reported == sorted(case.rejects)
    assert doc["rejects"] == len(case.rejects)
    if case.rejects:
        assert run.has(f"{len(case.rejects)} cell(s) in"), "the coercion is reported on screen"
    old = json.loads(before_manifest)
    assert sha256(lake / old["vintage_key"]) == before_bytes, "the previous vintage is kept"
    if name == "utf8_bom":
        assert doc["columns"][0] == "indicator_id"
    if name == "dotdot_missing_marker":
        assert ".." in doc["null_markers"]


def _rejects(lake: Path, doc: dict) -> list[dict]:
    key = doc.get("rejects_key")
    return json.loads((lake / key).read_bytes()) if key else []


def quality_json(ws: Workspace) -> dict:
    """`osaa quality --json` (stdout only: log lines go to stderr)."""
    import subprocess

    proc = subprocess.run(
        ws.command("quality", "--no-record", "--json"),
        env=ws.child_env(),
        cwd=ws.root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 7), proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_label_file_whose_ids_match_nothing(clean_ws: Workspace, note) -> None:
    """A label file that labels nothing lands, and the quality checks report every id unlabelled."""
    import duckdb

    ws = clean_ws
    (ws.raw / "opri" / "OPRI_LABEL.csv").write_bytes(
        (LH + '"ZZ1","One"\r\n"ZZ2","Two"\r\n').encode()
    )
    assert_clean(ws.run("etl"), 0)
    landing = ws.lake / "dev" / "landing" / "opri" / "OPRI_DATA_NATIONAL.parquet"
    ids = duckdb.sql(
        f"SELECT count(DISTINCT indicator_id) FROM read_parquet('{landing}')"
    ).fetchone()[0]
    found = {
        c["source"]: c["metric"]
        for c in quality_json(ws)["checks"]
        if c["name"] == "unlabelled_indicators"
    }
    note("reported", f"unlabelled_indicators for opri: {found.get('opri')} of {ids} ids")
    assert found["opri"] == ids


@pytest.mark.slow
def test_truncated_landing_parquet_is_named(
    clean_ws: Workspace,
    reference,
    note,  # noqa: ANN001
) -> None:
    """A landing Parquet cut in half: transform fails naming it, staging stays; --force heals."""
    from tests.reliability.conftest import losses, tables_under

    ws = clean_ws
    path = ws.lake / "dev" / "landing" / "sdg" / "SDG_DATA_NATIONAL.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    run = ws.run("transform")
    assert_clean(run, 5, "SDG_DATA_NATIONAL.parquet")
    note("transform", "exit 5: " + run.flat.split("error:")[-1].strip()[:200])
    assert losses(reference.published, tables_under(ws.staging())) == []
    etl = ws.run("etl")
    assert_clean(etl, 5, "SDG_DATA_NATIONAL.parquet")
    assert_clean(ws.run("ingest", "--force", "--source", "sdg"), 0)
    assert_clean(ws.run("etl"), 0)
    assert losses(reference.published, tables_under(ws.staging())) == []
    note("losses", 0)


@pytest.mark.slow
def test_truncated_published_parquet_is_named_by_quality(clean_ws: Workspace, note) -> None:
    """A published table cut in half: `osaa quality` names the file instead of crashing."""
    ws = clean_ws
    path = ws.staging() / "sources" / "sdg.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    run = ws.run("quality", "--no-record")
    assert_clean(run, 3, "sdg.parquet", "cannot read the published table")
    note("quality", f"exit {run.code}: " + run.flat.split("error:")[-1].strip()[:200])
