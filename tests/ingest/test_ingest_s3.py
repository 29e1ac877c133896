"""Ingest onto the S3 lake (SeaweedFS): same keys, manifests, skips and vintages as locally."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest

from osaa_lib.config import Settings
from osaa_lib.ingest import ingest, list_vintages, read_manifests
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import landing_key
from tests.ingest.conftest import REPO

pytestmark = [pytest.mark.s3]


def test_ingest_on_s3(s3_settings: Callable[..., Settings]) -> None:
    s = s3_settings()
    shutil.copytree(REPO / "data" / "raw" / "sdg", s.raw_dir / "sdg")
    first = ingest(s)
    assert first.ok, [f.error for f in first.failed]
    lake = open_lake(s)
    assert lake.exists(landing_key(s, "sdg", "SDG_DATA_NATIONAL"))
    manifests = read_manifests(s, lake, "sdg")
    assert [m["stem"] for m in manifests] == ["SDG_DATA_NATIONAL", "SDG_LABEL"]
    assert manifests[0]["rejects"] == 2
    again = ingest(s)
    assert {f.status for f in again.files} == {"skipped"}
    label = s.raw_dir / "sdg" / "SDG_LABEL.csv"
    label.write_text(label.read_text().replace("Gross", "Total"))
    third = ingest(s)
    assert [f.status for f in third.files] == ["skipped", "ingested"]
    vintages = list_vintages(s, lake, "sdg")
    assert len(vintages) == 2 and vintages[-1].changed == ["SDG_LABEL"]
    assert all(lake.exists(k) for k in vintages[-1].files.values())
