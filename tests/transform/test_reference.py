"""The country reference: codes, flags and the committed seed SQLMesh reads."""

from __future__ import annotations

import csv

from osaa_lib.transform import reference


def _by_iso3() -> dict[str, dict]:
    return {row["iso3"]: row for row in reference.countries().to_pylist()}


def test_namibia_keeps_its_iso2_code() -> None:
    nam = _by_iso3()["NAM"]
    assert nam["iso2"] == "NA"
    assert nam["is_africa"] and not nam["is_aggregate"]
    assert nam["m49"] == 516


def test_flags_and_regions() -> None:
    rows = _by_iso3()
    assert rows["KEN"]["region"] == "Africa"
    assert rows["KEN"]["sub_region"] == "Sub-Saharan Africa"
    assert rows["KEN"]["intermediate_region"] == "Eastern Africa"
    assert rows["EGY"]["sub_region"] == "Northern Africa"
    assert rows["FRA"]["region"] == "Europe" and not rows["FRA"]["is_africa"]
    assert rows["MLI"]["is_ldc"] and rows["MLI"]["is_lldc"] and not rows["MLI"]["is_sids"]
    assert rows["MUS"]["is_sids"] and not rows["MUS"]["is_ldc"]
    assert not rows["BTN"]["is_ldc"]  # graduated in 2023
    assert sum(r["is_ldc"] for r in rows.values()) == 44
    assert sum(r["is_lldc"] for r in rows.values()) == 32
    assert sum(r["is_africa"] and not r["is_aggregate"] for r in rows.values()) >= 54


def test_aggregates_are_flagged_and_african_ones_filterable() -> None:
    rows = _by_iso3()
    for code in ("AFE", "AFW", "SSF", "SSA", "WLD", "ARB", "EAS", "ECS", "LCN", "MEA", "NAC"):
        assert rows[code]["is_aggregate"], code
        assert rows[code]["iso2"] is None
    for code in ("HIC", "LIC", "LMC", "UMC", "MIC", "IDA", "IBD", "EUU", "OED"):
        assert rows[code]["is_aggregate"], code
    assert rows["SSF"]["is_africa"] and rows["AFE"]["is_africa"]
    assert not rows["WLD"]["is_africa"] and not rows["MEA"]["is_africa"]
    assert not rows["ZAF"]["is_aggregate"]


def test_iso_codes_unique() -> None:
    table = reference.countries()
    iso3 = table["iso3"].to_pylist()
    assert len(iso3) == len(set(iso3))
    iso2 = [c for c in table["iso2"].to_pylist() if c]
    assert len(iso2) == len(set(iso2))


def test_committed_seed_matches_the_library(tmp_path) -> None:
    fresh = reference.write_seed(tmp_path / "countries.csv")
    assert fresh.read_text() == reference.SEED_PATH.read_text(), (
        "sqlMesh/seeds/countries.csv is stale: run "
        "python -c 'from osaa_lib import reference; reference.write_seed()'"
    )
    with open(reference.SEED_PATH, newline="") as fh:
        namibia = [r for r in csv.DictReader(fh) if r["iso3"] == "NAM"]
    assert namibia[0]["iso2"] == "NA"
