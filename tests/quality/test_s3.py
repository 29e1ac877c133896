"""The quality engine on an S3 lake (SeaweedFS): reads the published Parquet through DuckDB's
httpfs, writes its history there, and the data_quality views read it back."""

from __future__ import annotations

import pytest

from osaa_lib.db import connect
from osaa_lib.lake import join, keys, open_lake
from osaa_lib.lake.keys import master_key
from osaa_lib.quality import run_checks
from osaa_lib.quality.history import attach_views

pytestmark = pytest.mark.s3


def test_checks_and_history_on_s3(s3_settings, synth, strict_config):
    folder, planted = synth
    s = s3_settings({"OSAA_QUALITY_CONFIG": str(strict_config)})
    lake = open_lake(s)
    lake.put_file(folder / "master.parquet", master_key(s))
    lake.put_file(folder / "sdg.parquet", join(keys.staging_prefix(s), "sources", "sdg.parquet"))
    r = run_checks(s)
    assert r.tables["master"].startswith("s3://")
    assert r.check("duplicates", "master").failing_count == planted.duplicates
    assert r.check("null_values", "sdg").failing_count == planted.nulls
    assert r.gate_failed and r.saved
    found = [o.key for o in lake.list(keys.history_prefix(s))]
    assert any(k.endswith(f"dq_runs/{r.run_id}.parquet") for k in found)
    con = connect(s)
    attach_views(con, s, lake)
    got = con.execute(
        "SELECT count(*) FROM data_quality.daily_checks WHERE check_date = CURRENT_DATE"
    ).fetchone()[0]
    assert got == len(r.checks)
    for secret in s.secrets():
        assert secret not in repr(r.to_dict())
