"""The storage report: per env/zone/source totals, recorded snapshots, growth, offline HTML."""

from __future__ import annotations

import json
from collections.abc import Callable

from osaa_lib.config import Settings
from osaa_lib.lake import open_lake
from osaa_lib.lake.backup import backup
from osaa_lib.lake.storage import growth, storage_report


def test_report_records_snapshots_and_growth(backend_settings: Callable[..., Settings]) -> None:
    s = backend_settings()
    lake = open_lake(s)
    lake.write_bytes("dev/landing/sdg/SDG_LABEL.parquet", b"x" * 1000)
    lake.write_bytes("dev/landing/<img src=x onerror=alert(1)>/X.parquet", b"y" * 10)
    first = storage_report(s)
    assert first.total_objects == 2 and first.total_bytes == 1010
    assert lake.exists(first.snapshot_key)

    lake.write_bytes("prod/staging/master/indicators.parquet", b"z" * 5000)
    backup(s, env="prod")
    second = storage_report(s)
    by = {(r.env, r.zone, r.source): (r.objects, r.bytes) for r in second.rows}
    assert by[("dev", "landing", "sdg")] == (1, 1000)
    assert by[("prod", "staging", "master")] == (1, 5000)
    assert by[("backups", "prod", "")][1] > 5000  # the copy plus its manifest
    assert [p.change for p in second.growth][0] is None
    assert len(second.growth) == 2 and second.growth[1].change > 5000

    page = second.html_path.read_text()
    assert "<svg" in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "cdn" not in page.lower() and "http://" not in page.replace("http://www.w3.org", "")
    for secret in s.secrets():
        assert secret not in page
    stored = json.loads(lake.read_bytes(second.snapshot_key))
    assert stored["taken"] == second.growth[-1].taken.isoformat()


def test_monthly_keeps_last_snapshot_of_each_month() -> None:
    snaps = [
        {"taken": "2026-01-03T00:00:00+00:00", "rows": [{"env": "prod", "bytes": 10}]},
        {"taken": "2026-01-30T00:00:00+00:00", "rows": [{"env": "prod", "bytes": 40}]},
        {"taken": "2026-02-27T00:00:00+00:00", "rows": [{"env": "prod", "bytes": 100}]},
    ]
    points = growth(snaps, monthly=True)
    assert [(p.label, p.total, p.change) for p in points] == [
        ("2026-01", 40, None),
        ("2026-02", 100, 60),
    ]
