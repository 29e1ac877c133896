"""A broken file fails alone with file, line and problem; its last good landing stays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from osaa_lib.ingest import ingest, read_manifests
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import landing_key

GOOD = 'indicator_id,country_id,year,value,magnitude,qualifier\r\n"A","KEN",2001,1.5,"",""\r\n'
HEAD = b'indicator_id,country_id,year,value,magnitude,qualifier\r\n"A","KEN",2001,1.5,"",""\r\n'

CASES = {
    "ragged_short": (HEAD + b'"A","UGA",2002\r\n', "line 3", "ragged row"),
    "ragged_long": (HEAD + b'"A","UGA",2002,1,"","",9\r\n', "line 3", "ragged row"),
    "not_utf8": (HEAD + b'"A","C\xf4te",2002,1,"",""\r\n', "line 3", "not UTF-8"),
    "latin1_header": (b"indicator_id,pa\xefs,year\r\nA,B,1\r\n", "line 1", "not UTF-8"),
    "utf16": ("indicator_id,country_id\r\n".encode("utf-16"), "line 1", "UTF-16"),
    "empty": (b"", "", "empty file"),
    "header_only": (HEAD.split(b"\r\n")[0] + b"\r\n", "", "header only"),
    "unterminated_quote": (
        HEAD + b'"A,"UGA",2002,1,"",""\r\n"B","X",1,1,"",""\r\n',
        "line 3",
        "quote",
    ),
    "nul_bytes": (HEAD * 1 + b'"A","U\x00GA",2002,1,"",""\r\n', "line 3", "NUL byte"),
    "duplicate_header": (
        b"indicator_id,Indicator ID,year,value,magnitude,qualifier,country_id\n",
        "line 1",
        "duplicate column",
    ),
    "html": (b"<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n", "line 1", "HTML"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_file_keeps_last_good_landing(
    case: str, settings: Settings, write_csv: Callable[..., Path]
) -> None:
    content, where, problem = CASES[case]
    path = write_csv("edu", "EDU_DATA_NATIONAL.csv", GOOD)
    write_csv("edu", "EDU_LABEL.csv", 'INDICATOR_ID,INDICATOR_LABEL_EN\nA," A label"\n')
    assert ingest(settings).ok
    lake = open_lake(settings)
    key = landing_key(settings, "edu", "EDU_DATA_NATIONAL")
    before = lake.checksum(key)
    manifest_before = read_manifests(settings, lake, "edu")

    path.write_bytes(content)
    write_csv("edu", "EDU_LABEL.csv", 'INDICATOR_ID,INDICATOR_LABEL_EN\nA," New"\n')
    result = ingest(settings)

    assert not result.ok
    failed = {f.stem: f for f in result.failed}
    assert list(failed) == ["EDU_DATA_NATIONAL"]
    error = failed["EDU_DATA_NATIONAL"].error or ""
    assert "EDU_DATA_NATIONAL.csv" in error and where in error and problem in error, error
    assert "\n" not in error, "one clear line, not DuckDB's multi-line dump"
    assert lake.checksum(key) == before, "the last good Parquet is untouched"
    data_manifest = [
        m for m in read_manifests(settings, lake, "edu") if m["stem"] == "EDU_DATA_NATIONAL"
    ]
    assert data_manifest == [m for m in manifest_before if m["stem"] == "EDU_DATA_NATIONAL"]
    ok = {f.stem: f.status for f in result.files}
    assert ok["EDU_LABEL"] == "ingested", "other files still land"
    assert not any(".tmp-" in o.key for o in lake.list(""))


def test_first_ingest_of_a_broken_file_lands_nothing(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv("edu", "EDU_DATA_NATIONAL.csv", HEAD + b'"A","UGA"\r\n')
    result = ingest(settings)
    assert not result.ok
    assert not open_lake(settings).exists(landing_key(settings, "edu", "EDU_DATA_NATIONAL"))
    assert read_manifests(settings, None, "edu") == []


def test_nul_byte_far_into_the_file_is_found(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    """Past the 64 KiB header check, the checksum thread finds it and names its line."""
    rows = b"".join(b'"A","KEN",%d,1.5,"",""\r\n' % (1000 + i) for i in range(5000))
    content = HEAD + rows + b'"A","U\x00GA",2002,1,"",""\r\n'
    write_csv("edu", "EDU_DATA_NATIONAL.csv", content)
    result = ingest(settings)
    assert not result.ok
    assert "line 5003: NUL byte" in (result.failed[0].error or "")
    assert not open_lake(settings).exists(landing_key(settings, "edu", "EDU_DATA_NATIONAL"))
