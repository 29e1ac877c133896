"""The registry of source layouts: file names, header aliases, complete file sets."""

from __future__ import annotations

import pytest

from osaa_lib import layouts


@pytest.mark.parametrize(
    ("stem", "landed", "table"),
    [
        ("SDG_DATA_NATIONAL", "SDG_DATA_NATIONAL", "data_national"),
        ("sdg_data_national", "SDG_DATA_NATIONAL", "data_national"),
        ("Opri_Label", "OPRI_LABEL", "label"),
        ("WDICSV", "WDICSV", "csv"),
        ("wdicsv", "WDICSV", "csv"),
        ("WDISERIES", "WDISeries", "series"),
        ("wdiseries", "WDISeries", "series"),
        ("child_mortality", "child_mortality", None),
        ("_DATA_NATIONAL", "_DATA_NATIONAL", None),  # no prefix: not a publisher's set
        ("my_export_csv", "my_export_csv", None),  # a prefix is letters and digits
    ],
)
def test_file_names_match_case_insensitively(stem: str, landed: str, table: str | None) -> None:
    found = layouts.match(stem)
    assert (found.file.table if found else None) == table
    assert layouts.canonical_stem(stem) == landed
    assert layouts.same_file(stem, landed)


def test_a_common_ending_names_a_kind_only_with_its_columns() -> None:
    long = ["country", "year", "indicator", "value"]
    wide = ["country_name", "country_code", "indicator_name", "indicator_code", "2020"]
    assert layouts.canonical_stem("timeseries", long) == "timeseries"
    assert layouts.match("timeseries", long) is None and layouts.needs_header("timeseries")
    assert layouts.canonical_stem("idscsv", wide) == "IDSCSV"
    # a publisher's own name stays its kind, so a broken file is reported as one
    assert layouts.match("wdicsv", long).file.kind == "wdi_data"
    assert not layouts.needs_header("WDISeries") and not layouts.needs_header("x_label")


def test_complete_sets_need_every_file_of_the_layout() -> None:
    sets = layouts.complete_sets(["ghi_data_national", "GHI_LABEL", "XYZ_DATA_NATIONAL", "notes"])
    assert [(lay.name, prefix, tables) for lay, prefix, tables in sets] == [
        ("uis", "GHI", {"data_national": "ghi_data_national", "label": "GHI_LABEL"})
    ]
    (wdi,) = layouts.complete_sets(["WDICSV", "WDISeries"])
    assert wdi[0] is layouts.WORLD_BANK


def test_long_header_aliases_and_their_preference() -> None:
    found = layouts.long_mapping(
        [
            "country",
            "country_code",
            "time_period",
            "indicator",
            "obs_value",
            "unit",
            "indicator_name",
        ]
    )
    assert found.columns == {
        "indicator_id": "indicator",
        "country_id": "country_code",
        "year": "time_period",
        "value": "obs_value",
        "indicator_description": "indicator_name",
    }
    assert found.extras == ["country", "unit"]
    types = layouts.long_types(["country_code", "time_period", "obs_value", "unit"], found)
    assert types == {
        "country_code": "VARCHAR",
        "time_period": "INTEGER",
        "obs_value": "DOUBLE",
        "unit": "VARCHAR",
    }


@pytest.mark.parametrize(
    "names",
    [
        ["country_id", "year", "value"],  # no indicator
        ["iso2", "region_code", "country", "year", "share", "note"],  # no value
        ["country_name", "country_code", "indicator_name", "indicator_code", "1960"],  # wide
    ],
)
def test_headers_that_are_not_long(names: list[str]) -> None:
    assert layouts.long_mapping(names) is None


def test_every_layout_maps_to_the_indicator_columns() -> None:
    for layout in layouts.LAYOUTS.values():
        assert list(layout.maps) == list(layouts.INDICATOR_COLUMNS)
        tables = {f.table for f in layout.files}
        for ref in filter(None, layout.maps.values()):
            table, column = ref.split(".")
            assert table in tables
            kind = next(f for f in layout.files if f.table == table)
            assert column in kind.columns or column in (kind.exposed or ())
    assert list(layouts.MASTER_COLUMNS)[-2:] == ["extra", "source"]
    assert layouts.UIS.extras(["indicator_id", "year", "value", "unit"]) == ["unit"]
    wide = ["country_name", "country_code", "indicator_name", "indicator_code", "1960", "note"]
    assert layouts.WORLD_BANK.extras(wide) == ["note"]
