"""The whole pipeline against SeaweedFS, in the runbook's layout, then promoted to prod."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from osaa_lib.config import Settings
from osaa_lib.db import connect
from osaa_lib.lake import keys, open_lake
from tests.s3_server import FAKE_KEY_ID, FAKE_SECRET

pytestmark = [pytest.mark.s3, pytest.mark.slow]


def test_etl_quality_promotion_on_s3(
    s3_settings: Callable[..., Settings], sample_raw: Path, tmp_path: Path
) -> None:
    from osaa_lib.lake.promote import promote
    from osaa_lib.lake.storage import storage_report
    from osaa_lib.quality import run_checks
    from osaa_lib.reports import write_index
    from osaa_lib.transform import etl

    s = s3_settings({"DUCKDB_THREADS": "2"})
    lake = open_lake(s)
    result = etl(s)
    assert result is not None

    landing = {o.key.split("/")[2] for o in lake.list("dev/landing")}
    assert {"sdg", "opri", "wdi"} <= landing
    assert lake.exists("dev/landing/sdg/SDG_DATA_NATIONAL.parquet")
    published = [o.key for o in lake.list("dev/staging/dev_tester")]
    assert "dev/staging/dev_tester/master/indicators.parquet" in published
    con = connect(s)
    n = con.execute(
        f"SELECT count(*) FROM '{lake.uri('dev/staging/dev_tester/master/indicators.parquet')}'"
    ).fetchone()[0]
    assert n > 0
    staging = [o.key for o in lake.list("dev/staging")]
    assert all(k.startswith("dev/staging/dev_tester/") for k in staging)

    quality = run_checks(s)
    assert quality is not None and lake.list(keys.history_prefix(s))
    index = write_index(s)
    assert Path(index).is_file()

    promote(s, "dev", "qa")
    promote(replace(s, allow_prod_promotion=True), "qa", "prod", confirm=True)
    assert lake.exists("qa/staging/master/indicators.parquet")
    assert lake.exists("prod/staging/master/indicators.parquet")
    assert lake.checksum("prod/staging/master/indicators.parquet") == lake.checksum(
        "dev/staging/dev_tester/master/indicators.parquet"
    )
    report = storage_report(s)
    zones = {(r.env, r.zone) for r in report.rows}
    assert {("dev", "landing"), ("dev", "staging"), ("prod", "staging"), ("backups", "qa")} <= zones
    for path in [p for p in tmp_path.rglob("*") if p.is_file()]:
        text = path.read_bytes()
        assert FAKE_SECRET.encode() not in text and FAKE_KEY_ID.encode() not in text, path
