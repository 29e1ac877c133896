"""The committed sample lands with the contract's types, counts and reported rejects."""

from __future__ import annotations

import json

import duckdb
import pytest

from osaa_lib.config import Settings
from osaa_lib.ingest import IngestResult, read_manifests, read_rejects
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import landing_key
from tests.ingest.conftest import REPO

DEFECTS = json.loads((REPO / "data" / "raw" / "defects.json").read_text())


def _schema(path: str) -> dict[str, str]:
    return {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}


def test_every_sample_file_lands(landed: tuple[Settings, IngestResult]) -> None:
    s, result = landed
    assert result.ok, [f.error for f in result.failed]
    got = {f"{f.source}/{f.stem}.csv": f.rows for f in result.files}
    assert got == DEFECTS["files"]
    assert {f.status for f in result.files} == {"ingested"}
    assert set(result.vintages) == {"sdg", "opri", "wdi"}


@pytest.mark.parametrize("source,stem", [("sdg", "SDG"), ("opri", "OPRI")])
def test_uis_types_follow_the_contract(
    landed: tuple[Settings, IngestResult], source: str, stem: str
) -> None:
    s, _ = landed
    lake = open_lake(s)
    data = lake.uri(landing_key(s, source, f"{stem}_DATA_NATIONAL"))
    assert _schema(data) == {
        "indicator_id": "VARCHAR",
        "country_id": "VARCHAR",
        "year": "INTEGER",
        "value": "DOUBLE",
        "magnitude": "VARCHAR",
        "qualifier": "VARCHAR",
    }
    labels = lake.uri(landing_key(s, source, f"{stem}_LABEL"))
    assert _schema(labels) == {"indicator_id": "VARCHAR", "indicator_label_en": "VARCHAR"}


def test_ids_values_and_markers_survive(landed: tuple[Settings, IngestResult]) -> None:
    s, _ = landed
    lake = open_lake(s)
    opri_labels = lake.uri(landing_key(s, "opri", "OPRI_LABEL"))
    ids = {r[0] for r in duckdb.sql(f"SELECT indicator_id FROM '{opri_labels}'").fetchall()}
    assert {"10", "10403"} <= ids, "numeric OPRI ids stay text and join the data ids"
    sdg = lake.uri(landing_key(s, "sdg", "SDG_DATA_NATIONAL"))
    nam, mags, small = duckdb.sql(
        f"SELECT count(*) FILTER (country_id = 'NAM'), "
        f"list(DISTINCT magnitude) FILTER (magnitude IS NOT NULL), "
        f"count(*) FILTER (value > 0 AND value < 1) FROM '{sdg}'"
    ).fetchone()
    assert nam > 0 and small > 0
    assert sorted(mags) == ["NA", "NIL"], "magnitude 'NA' is a code, not a missing value"
    label = duckdb.sql(
        f"SELECT indicator_label_en FROM '{lake.uri(landing_key(s, 'sdg', 'SDG_LABEL'))}' LIMIT 1"
    ).fetchone()[0]
    assert label.startswith(" "), "labels are landed as published (leading space kept)"


def test_wdi_wide_layout(landed: tuple[Settings, IngestResult]) -> None:
    s, _ = landed
    lake = open_lake(s)
    schema = _schema(lake.uri(landing_key(s, "wdi", "WDICSV")))
    assert list(schema)[:4] == ["country_name", "country_code", "indicator_name", "indicator_code"]
    assert [c for c in schema if c.isdigit()] == [str(y) for y in range(1960, 2024)]
    assert all(schema[str(y)] == "DOUBLE" for y in range(1960, 2024))
    series = _schema(lake.uri(landing_key(s, "wdi", "WDISeries")))
    assert len(series) == 20 and set(series.values()) == {"VARCHAR"}
    assert "long_definition" in series and "license_type" in series


def test_rejects_match_the_injected_unparseable_cells(
    landed: tuple[Settings, IngestResult],
) -> None:
    s, _ = landed
    manifests = {(m["source"], m["stem"]): m for m in read_manifests(s, None)}
    assert len(manifests) == 6
    for d in (d for d in DEFECTS["defects"] if d["kind"] == "unparseable_value"):
        stem = d["file"].removesuffix(".csv")
        listing = read_rejects(s, None, d["source"], stem)
        assert {"line": d["lines"][0], "value": d["raw"]} in [
            {"line": r["line"], "value": r["value"]} for r in listing
        ]
    expected = {
        src: sum(
            1 for d in DEFECTS["defects"] if d["kind"] == "unparseable_value" and d["source"] == src
        )
        for src in ("sdg", "opri", "wdi")
    }
    assert manifests[("sdg", "SDG_DATA_NATIONAL")]["rejects"] == expected["sdg"]
    assert manifests[("opri", "OPRI_DATA_NATIONAL")]["rejects"] == expected["opri"]
    assert manifests[("wdi", "WDICSV")]["rejects"] == expected["wdi"]
    assert manifests[("sdg", "SDG_LABEL")]["rejects"] == 0


def test_rejected_cells_keep_their_row_with_null(landed: tuple[Settings, IngestResult]) -> None:
    s, _ = landed
    sdg = open_lake(s).uri(landing_key(s, "sdg", "SDG_DATA_NATIONAL"))
    for d in (
        d for d in DEFECTS["defects"] if d["kind"] == "unparseable_value" and d["source"] == "sdg"
    ):
        row = duckdb.execute(
            f"SELECT value FROM '{sdg}' WHERE indicator_id = ? AND country_id = ? AND year = ?",
            [d["indicator_id"], d["country_id"], d["year"]],
        ).fetchall()
        assert row == [(None,)]


def test_manifest_fields(landed: tuple[Settings, IngestResult]) -> None:
    s, _ = landed
    m = next(m for m in read_manifests(s, None, "wdi") if m["stem"] == "WDICSV")
    src = s.raw_dir / "wdi" / "WDICSV.csv"
    import hashlib

    assert m["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert m["size"] == src.stat().st_size
    assert m["rows"] == DEFECTS["files"]["wdi/WDICSV.csv"] and len(m["columns"]) == 68
    assert m["year_columns"][0] == "1960" and m["kind"] == "wdi_data"
    for name in (
        "source_path",
        "duration_seconds",
        "vintage_id",
        "ingested_at",
        "source_mtime",
        "schema",
        "reject_samples",
        "landing_key",
        "vintage_key",
        "null_markers",
    ):
        assert name in m
