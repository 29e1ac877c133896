"""Each publisher quirk, as a real file on disk, lands the way docs/ingest.md says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from osaa_lib.config import Settings
from osaa_lib.errors import ConfigError, IngestError
from osaa_lib.ingest import ingest, read_manifests, read_rejects
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import landing_key
from tests.conftest import UPSTREAM_SAMPLES

UIS_HEADER = "indicator_id,country_id,year,value,magnitude,qualifier"


def _rows(settings: Settings, source: str, stem: str, order: str = "") -> list[tuple]:
    uri = open_lake(settings).uri(landing_key(settings, source, stem))
    return duckdb.sql(f"SELECT * FROM '{uri}' {order}").fetchall()


def _columns(settings: Settings, source: str, stem: str) -> dict[str, str]:
    uri = open_lake(settings).uri(landing_key(settings, source, stem))
    return {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{uri}'").fetchall()}


def test_bom_crlf_quotes_commas_newlines_and_dot_numbers(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    text = (
        "\ufeffINDICATOR_ID,Country_Id,YEAR,Value,MAGNITUDE,qualifier\r\n"
        '"GER.1","NAM",2001,.2025,"",""\r\n'
        '"A, with comma","ZMB",2002,-.5,"NA",""\r\n'
        '"He said ""hi""\r\nnext line","KEN",2003,1e3,"","UIS_EST"\r\n'
        '"GER.1","NA",2004,,"",""\r\n'
        '"GER.1","TCD",2005,..,"NIL",""\r\n'
    )
    write_csv("edu", "EDU_DATA_NATIONAL.csv", text.encode("utf-8"))
    result = ingest(settings)
    assert result.ok, result.failed
    rows = _rows(settings, "edu", "EDU_DATA_NATIONAL", "ORDER BY year")
    assert rows == [
        ("GER.1", "NAM", 2001, 0.2025, None, None),
        ("A, with comma", "ZMB", 2002, -0.5, "NA", None),
        ('He said "hi"\r\nnext line', "KEN", 2003, 1000.0, None, "UIS_EST"),
        ("GER.1", "NA", 2004, None, None, None),
        ("GER.1", "TCD", 2005, None, "NIL", None),
    ]
    assert list(_columns(settings, "edu", "EDU_DATA_NATIONAL")) == UIS_HEADER.split(",")
    assert read_manifests(settings, None, "edu")[0]["rejects"] == 0


def test_real_upstream_samples_land(settings: Settings, write_csv: Callable[..., Path]) -> None:
    for folder, source in (("edu", "uis"), ("wdi", "wdi")):
        for path in (UPSTREAM_SAMPLES / folder).glob("*.csv"):
            write_csv(source, path.name, path.read_bytes())
    result = ingest(settings)
    assert result.ok, [f.error for f in result.failed]
    labels = _rows(settings, "uis", "OPRI_LABEL", "ORDER BY 1")
    assert labels[0][0] == "10" and labels[1][0] == "10403"
    sdg = _rows(settings, "uis", "SDG_DATA_NATIONAL", "ORDER BY value")
    assert ("ROFST.2.GPIA.CP", "VAT", 1970, 0.0, "NA", None) in sdg
    assert any(abs(r[3] - 0.4593200087547302) < 1e-12 for r in sdg)
    wdi = _columns(settings, "wdi", "WDICSV")
    assert wdi["2023"] == "DOUBLE" and wdi["country_code"] == "VARCHAR"
    series = _rows(settings, "wdi", "WDISeries")
    assert len(series) == 5 and all(len(r) == 20 for r in series)
    assert any("\n\n" in (c or "") for r in series for c in r), "multi-line texts intact"


def test_wdi_year_columns_come_from_the_header(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    """2024 and 2025 columns, mostly-empty first rows: the header is still the header."""
    years = list(range(1960, 2026))
    header = "Country Name,Country Code,Indicator Name,Indicator Code," + ",".join(map(str, years))
    empty = ",".join("" for _ in years)
    lines = [header] + [f'"Country {i}","C{i:02d}","Ind","X.Y",{empty}' for i in range(30)]
    lines.append('"Kenya","KEN","Ind","X.Y",' + ",".join("" for _ in years[:-1]) + ',"12.5"')
    write_csv("wdi", "WDICSV.csv", "\r\n".join(lines) + "\r\n")
    assert ingest(settings).ok
    cols = _columns(settings, "wdi", "WDICSV")
    assert list(cols)[-2:] == ["2024", "2025"] and cols["2025"] == "DOUBLE"
    uri = open_lake(settings).uri(landing_key(settings, "wdi", "WDICSV"))
    assert duckdb.sql(f"SELECT \"2025\" FROM '{uri}' WHERE country_code = 'KEN'").fetchall() == [
        (12.5,)
    ]


def test_unknown_file_is_sniffed_with_ids_kept_as_text(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv(
        "extra",
        "codes.csv",
        "iso2,Region Code,Country,Year,Share,Note\n"
        "NA,010,Namibia,2001,.5,x\nZM,011,Zambia,2002,1.5,\n",
    )
    assert ingest(settings).ok
    cols = _columns(settings, "extra", "codes")
    assert cols["region_code"] == "VARCHAR" and cols["iso2"] == "VARCHAR"
    assert cols["share"] == "DOUBLE" and cols["year"] in ("BIGINT", "INTEGER")
    rows = _rows(settings, "extra", "codes", "ORDER BY year")
    assert rows[0][:2] == ("NA", "010"), "Namibia's NA and leading zeros survive"


def test_unparseable_cells_are_reported_not_silently_nulled(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv(
        "edu",
        "X_DATA_NATIONAL.csv",
        f'{UIS_HEADER}\r\n"A","KEN",2001,1.5,"",""\r\n"A","KEN",20x1,abc,"",""\r\n'
        '"A","UGA",2003,"1,5","",""\r\n',
    )
    result = ingest(settings)
    assert result.ok and result.files[0].rejects == 3
    listing = read_rejects(settings, None, "edu", "X_DATA_NATIONAL")
    assert [(r["line"], r["column"], r["value"]) for r in listing] == [
        (3, "year", "20x1"),
        (3, "value", "abc"),
        (4, "value", "1,5"),
    ]
    m = read_manifests(settings, None, "edu")[0]
    assert m["rejects"] == 3 and m["rejected_rows"] == 2 and m["reject_samples"][0]["line"] == 3
    rows = _rows(settings, "edu", "X_DATA_NATIONAL", "ORDER BY country_id, year NULLS LAST")
    assert rows == [
        ("A", "KEN", 2001, 1.5, None, None),
        ("A", "KEN", None, None, None, None),
        ("A", "UGA", 2003, None, None, None),
    ]


def test_a_column_of_the_wrong_type_fails_the_file(
    settings: Settings, write_csv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from osaa_lib.ingest import csvread

    monkeypatch.setattr(csvread, "MAX_REJECTS", 5)
    body = "".join(f'"A","KEN",{2000 + i},n{i},"",""\n' for i in range(10))
    write_csv("edu", "Y_DATA_NATIONAL.csv", f"{UIS_HEADER}\n{body}")
    result = ingest(settings)
    assert not result.ok and "cells do not convert" in (result.failed[0].error or "")


def test_missing_required_column_is_named(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv("edu", "Z_DATA_NATIONAL.csv", "indicator_id,country_id,value\nA,KEN,1\n")
    error = ingest(settings).failed[0].error or ""
    assert "Z_DATA_NATIONAL.csv: line 1" in error and "year" in error


def test_new_source_folder_needs_no_code(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv("unicef", "CHILD.csv", "country_id,year,value\nKEN,2020,3\n")
    result = ingest(settings, sources=["unicef"])
    assert result.ok and result.files[0].landing_key == "dev/landing/unicef/CHILD.parquet"


def test_bad_source_names_are_refused(settings: Settings, write_csv: Callable[..., Path]) -> None:
    write_csv("sdg", "A.csv", "a\n1\n")
    with pytest.raises(ConfigError, match="plain identifier"):
        ingest(settings, sources=["../prod"])
    with pytest.raises(IngestError, match="no folder"):
        ingest(settings, sources=["nosuch"])
    write_csv("Bad Name", "A.csv", "a\n1\n")
    with pytest.raises(IngestError, match="plain identifier"):
        ingest(settings)


def test_file_names_are_matched_case_insensitively(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    """`sdg_data_national.csv` is the publisher's SDG_DATA_NATIONAL: same types, same key."""
    write_csv("ghi", "ghi_data_national.csv", f"{UIS_HEADER}\nA,KEN,2001,1.5,,\n")
    write_csv("ghi", "Ghi_Label.csv", "INDICATOR_ID,INDICATOR_LABEL_EN\nA,Alpha\n")
    write_csv("ghi", "wdiseries.csv", "Series Code,Topic\nA,x\n")
    result = ingest(settings)
    assert result.ok, [f.error for f in result.failed]
    assert sorted(f.landing_key for f in result.files) == [
        "dev/landing/ghi/GHI_DATA_NATIONAL.parquet",
        "dev/landing/ghi/GHI_LABEL.parquet",
        "dev/landing/ghi/WDISeries.parquet",
    ]
    kinds = {m["stem"]: m["kind"] for m in read_manifests(settings, None, "ghi")}
    assert kinds == {
        "GHI_DATA_NATIONAL": "uis_data",
        "GHI_LABEL": "uis_label",
        "WDISeries": "wdi_series",
    }
    assert _columns(settings, "ghi", "GHI_DATA_NATIONAL")["year"] == "INTEGER"


def test_two_names_of_one_file_both_fail_and_the_landing_stays(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv("edu", "EDU_DATA_NATIONAL.csv", f"{UIS_HEADER}\nA,KEN,2001,1.5,,\n")
    assert ingest(settings).ok
    write_csv("edu", "edu_data_national.csv", f"{UIS_HEADER}\nB,KEN,2001,9.5,,\n")
    result = ingest(settings)
    assert len(result.failed) == 2
    assert all("case-insensitively" in (f.error or "") for f in result.failed)
    assert "edu_data_national.csv" in (result.failed[0].error or "") + (
        result.failed[1].error or ""
    )
    assert _rows(settings, "edu", "EDU_DATA_NATIONAL") == [("A", "KEN", 2001, 1.5, None, None)]


def test_long_layout_file_gets_its_types_and_keeps_other_columns_as_text(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv(
        "unicef",
        "child_mortality.csv",
        "Country Code,Year,Indicator,Value,Unit,Lower Bound\nNA,2020,U5MR,39.5,per 1000,31\n",
    )
    result = ingest(settings)
    assert result.ok, [f.error for f in result.failed]
    assert _columns(settings, "unicef", "child_mortality") == {
        "country_code": "VARCHAR",
        "year": "INTEGER",
        "indicator": "VARCHAR",
        "value": "DOUBLE",
        "unit": "VARCHAR",
        "lower_bound": "VARCHAR",
    }
    assert _rows(settings, "unicef", "child_mortality") == [
        ("NA", 2020, "U5MR", 39.5, "per 1000", "31")
    ]
    assert read_manifests(settings, None, "unicef")[0]["kind"] == "long"


def test_a_long_file_named_like_a_world_bank_file_is_still_long(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    write_csv("unicef", "TimeSeries.csv", "country,year,indicator,value\nKEN,2020,U5MR,41\n")
    write_csv("wdi", "WDICSV.csv", "country,year,indicator,value\nKEN,2020,U5MR,41\n")
    result = ingest(settings)
    by_stem = {f.stem: f for f in result.files}
    assert by_stem["TimeSeries"].status == "ingested"
    assert read_manifests(settings, None, "unicef")[0]["kind"] == "long"
    assert "WDICSV.csv: line 1: header lacks column(s) country_name" in (
        by_stem["WDICSV"].error or ""
    )
