"""The generator writes the publishers' exact formats, deterministically, with listed defects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from osaa_lib.sample import generate

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "data" / "raw"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(out, scale="small")
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.*"))}


def test_committed_sample_is_what_the_generator_writes(small: Path) -> None:
    """Regenerating gives byte-identical files, so the committed sample is reproducible."""
    assert _files(small) == _files(COMMITTED)


def test_other_seed_gives_other_data(tmp_path: Path, small: Path) -> None:
    generate(tmp_path, scale="small", seed=7)
    a = (tmp_path / "sdg" / "SDG_DATA_NATIONAL.csv").read_bytes()
    assert a != (small / "sdg" / "SDG_DATA_NATIONAL.csv").read_bytes()


def test_small_sample_stays_small(small: Path) -> None:
    assert sum(len(b) for b in _files(small).values()) < 4 * 2**20


def test_uis_data_format_matches_publisher(small: Path) -> None:
    raw = (small / "sdg" / "SDG_DATA_NATIONAL.csv").read_bytes()
    assert raw.startswith(b"indicator_id,country_id,year,value,magnitude,qualifier\r\n")
    body = raw.split(b"\r\n")[1:]
    assert all(b"\n" not in line for line in body)
    assert body[0].startswith(b'"') and body[0].endswith(b'"",""') or b'"' in body[0]
    assert any(b",." in line for line in body), "values below 1 are written like .2025"
    labels = (small / "opri" / "OPRI_LABEL.csv").read_text()
    assert labels.startswith("INDICATOR_ID,INDICATOR_LABEL_EN\n10,")
    sdg_labels = (small / "sdg" / "SDG_LABEL.csv").read_text().splitlines()
    assert sdg_labels[1].split(",", 1)[1].startswith('" ')


def test_wdi_format_matches_publisher(small: Path) -> None:
    with open(small / "wdi" / "WDICSV.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert header[:4] == ["Country Name", "Country Code", "Indicator Name", "Indicator Code"]
    assert header[4:] == [str(y) for y in range(1960, 2024)]
    assert {len(r) for r in rows} == {68}
    assert (small / "wdi" / "WDICSV.csv").read_bytes().count(b"\r\n") == len(rows)
    with open(small / "wdi" / "WDISeries.csv", newline="") as fh:
        series = list(csv.reader(fh))
    assert len(series[0]) == 20 and {len(r) for r in series} == {20}
    assert any("\n" in cell for row in series for cell in row)


def test_defects_are_listed_with_lines_that_point_at_them(small: Path) -> None:
    doc = json.loads((small / "defects.json").read_text())
    assert doc["summary"]["sdg"]["duplicate_exact"] == 5
    assert doc["summary"]["opri"]["stale_source"] == 1
    files = {
        "sdg": small / "sdg" / "SDG_DATA_NATIONAL.csv",
        "opri": small / "opri" / "OPRI_DATA_NATIONAL.csv",
        "wdi": small / "wdi" / "WDICSV.csv",
    }
    rows = {k: list(csv.reader(open(p, newline=""))) for k, p in files.items()}
    checked = 0
    for d in doc["defects"]:
        for line in d.get("lines", []):
            row = rows[d["source"]][line - 1]
            if d["source"] == "wdi":
                assert (row[1], row[3]) == (d["country_id"], d["indicator_id"])
            else:
                assert row[1] == d["country_id"]
            if d["kind"] == "unparseable_value":
                cell = row[3] if d["source"] != "wdi" else row[4 + d["year"] - 1960]
                assert cell == d["raw"]
            if d["kind"] == "outlier" and d["source"] != "wdi":
                assert float(row[3]) >= 9 * d["expected"]
            checked += 1
    assert checked > 100
    sdg = rows["sdg"][1:]
    for d in doc["defects"]:
        if d["kind"] == "hole" and d["source"] == "sdg":
            years = {int(r[2]) for r in sdg if (r[0], r[1]) == (d["indicator_id"], d["country_id"])}
            assert d["year"] not in years and d["year"] - 1 in years and d["year"] + 1 in years
    assert {r[1] for r in rows["sdg"][1:]} >= {"NAM", "ZZZ"}
