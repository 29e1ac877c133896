"""The quality engine on the committed sample after the real ingest -> transform -> publish:
every injected defect listed in data/raw/defects.json is found with its exact count."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest

from osaa_lib.config import load_settings
from osaa_lib.quality import run_checks
from tests.conftest import REPO

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from osaa_lib import transform

    base = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "data" / "raw", base / "raw")
    s = load_settings(
        environ={
            "OSAA_PROJECT_DIR": str(REPO),
            "OSAA_LAKE": str(base / "lake"),
            "OSAA_RAW_DIR": str(base / "raw"),
            "OSAA_STATE_DIR": str(base / "state"),
            "OSAA_LOG_DIR": str(base / "logs"),
            "OSAA_REPORTS_DIR": str(base / "reports"),
            "USERNAME": "sample",
        },
        dotenv=base / "none.env",
    )
    transform.etl(s)
    defects = json.loads((REPO / "data" / "raw" / "defects.json").read_text())["defects"]
    return s, defects, run_checks(s, now=NOW)


def _count(defects, source, *kinds):
    return sum(1 for d in defects if d["source"] == source and d["kind"] in kinds)


def _wdi_duplicated_cells(defects) -> int:
    """Non-empty year cells of the WDI rows the generator duplicated."""
    pairs = {(d["country_id"], d["indicator_id"]) for d in defects if d["kind"] == "duplicate_row"}
    with open(REPO / "data" / "raw" / "wdi" / "WDICSV.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    years = [i for i, h in enumerate(rows[0]) if h.isdigit()]
    total = sum(
        sum(1 for i in years if r[i] not in ("", "..")) for r in rows[1:] if (r[1], r[3]) in pairs
    )
    return total // 2  # both copies are in the file


def test_exact_counts(pipeline):
    _, defects, r = pipeline
    for src in ("sdg", "opri"):
        assert r.check("duplicates", src).failing_count == _count(
            defects, src, "duplicate_exact", "duplicate_conflict"
        )
        assert r.check("null_values", src).failing_count == _count(
            defects, src, "missing_value", "unparseable_value"
        )
        assert r.check("series_holes", src).failing_count == _count(defects, src, "hole")
        assert r.check("non_measurements", src).details["rows"] == _count(
            defects, src, "magnitude_na_zero"
        )
        assert r.check("parse_failures", src).failing_count == _count(
            defects, src, "unparseable_value"
        )
        unknown = [d for d in defects if d["source"] == src and d["kind"] == "unknown_country"]
        assert r.check("unknown_countries", src).failing_count == unknown[0]["rows"]
        unl = [d["indicator_id"] for d in defects if d["source"] == src and d["kind"] ==
               "unlabelled_indicator"]  # fmt: skip
        assert [s["indicator_id"] for s in r.check("unlabelled_indicators", src).samples] == unl
    # WDI: '..' and unparseable cells are absent after the unpivot, so they are holes
    assert r.check("series_holes", "wdi").failing_count == _count(
        defects, "wdi", "hole", "missing_marker", "unparseable_value"
    )
    assert r.check("parse_failures", "wdi").failing_count == _count(
        defects, "wdi", "unparseable_value"
    )
    assert r.check("duplicates", "wdi").failing_count == _wdi_duplicated_cells(defects)
    wdi_unknown = next(d for d in defects if d["source"] == "wdi" and d["kind"] ==
                       "unknown_country")  # fmt: skip
    assert r.check("unknown_countries", "wdi").samples[0]["country_id"] == "ZZZ"
    assert [s["indicator_id"] for s in r.check("unlabelled_indicators", "wdi").samples] == [
        d["indicator_id"] for d in defects if d["kind"] == "indicator_without_metadata"
    ]
    aggs = next(d for d in defects if d["kind"] == "aggregate_codes")
    assert set(r.check("aggregates", "wdi").details["codes"]) == set(aggs["country_ids"])
    assert r.check("aggregates", "wdi").status == "pass"
    assert wdi_unknown["rows"] == len(wdi_unknown["indicator_ids"])
    stale = next(d for d in defects if d["kind"] == "stale_source")
    fresh = r.check("freshness_year", stale["source"])
    assert fresh.status == "warn" and fresh.metric == NOW.year - stale["latest_year"]
    total = sum(r.check("duplicates", s).failing_count for s in ("sdg", "opri", "wdi"))
    assert r.check("duplicates", "master").failing_count == total
    # the shipped thresholds: the sample's planted defects warn, nothing stops publication
    assert r.check("duplicates", "master").status == "warn" and not r.gate_failed


def test_anomaly_accuracy_on_injected_outliers(pipeline):
    _, defects, r = pipeline
    outliers = {(d["source"], d["indicator_id"], d["country_id"], d["year"]) for d in defects
                if d["kind"] == "outlier"}  # fmt: skip
    con = duckdb.connect()
    key = f"{r.tables['master']}"
    total = con.execute(
        f"SELECT count(*) FROM read_parquet('{key}') WHERE value IS NOT NULL"
    ).fetchone()[0]
    from osaa_lib.quality.history import attach_views

    attach_views(con, pipeline[0])
    alarmed = set(
        con.execute(
            "SELECT DISTINCT source, indicator_id, country_id, year FROM data_quality.dq_anomalies "
            "WHERE run_id = ? AND annotation IS NULL",
            [r.run_id],
        ).fetchall()
    )
    assert len(alarmed & outliers) / len(outliers) >= 0.95
    assert len(alarmed - outliers) / (total - len(outliers)) <= 0.01
    by_method = Counter(a.method for a in r.anomalies if a.annotation is None)
    assert by_method["hb"] >= len(outliers) * 0.95
    # flagged values of estimates carry the annotation, never the alarm
    flags = {(d["source"], d["indicator_id"], d["country_id"], d["year"]) for d in defects
             if d["kind"] == "qualifier_flag"}  # fmt: skip
    assert not flags & alarmed


def test_vintage_diff_and_vanished_keys(pipeline):
    from osaa_lib.ingest import ingest
    from osaa_lib.quality.vintages import latest_diff

    s, _, _ = pipeline
    path = s.raw_dir / "sdg" / "SDG_DATA_NATIONAL.csv"
    lines = path.read_text().splitlines()
    keys = Counter(tuple(line.split(",")[:3]) for line in lines[1:])
    plain = [i for i, line in enumerate(lines) if i and keys[tuple(line.split(",")[:3])] == 1
             and line.endswith(',"",""') and line.split(",")[3] not in ("", "0")]  # fmt: skip
    drop, revise = plain[:3], plain[10]
    head = lines[revise].split(",")
    head[3] = str(float(head[3]) * 2 + 1)
    lines[revise] = ",".join(head)
    new = [f'"{head[0][1:-1]}","{head[1][1:-1]}",{2030 + k},1.5,"",""' for k in range(2)]
    kept = [line for i, line in enumerate(lines) if i not in drop] + new
    path.write_text("\n".join(kept) + "\n")
    ingest(s, sources=["sdg"])
    d = latest_diff(s, "sdg")
    assert (d.added, d.removed, d.revised) == (2, 3, 1)
    assert d.largest[0]["indicator_id"] == head[0].strip('"')
    assert d.histogram and sum(h["revisions"] for h in d.histogram) == 1
    r = run_checks(s, sources=["sdg"], record=False, now=NOW)
    vanished = r.check("vanished_keys", "sdg")
    assert vanished.failing_count == 3 and vanished.status == "warn"
