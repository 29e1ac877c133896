"""The transform on an S3 lake (SeaweedFS): views read s3://, keys never reach the disk."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from osaa_lib.config import Settings
from osaa_lib.lake import open_lake
from osaa_lib.transform import plan_apply
from osaa_lib.transform.publish import publish
from osaa_lib.transform.query import run_sql
from tests.transform.landing import land_samples

pytestmark = [pytest.mark.s3, pytest.mark.slow]


def test_transform_and_publish_on_s3_without_writing_keys(
    s3_settings: Callable[..., Settings],
) -> None:
    settings = s3_settings({"DUCKDB_THREADS": "2"})
    land_samples(settings)
    result = plan_apply(settings)
    assert "sources.wdi" in result.computed
    published = publish(settings)
    assert {t.model for t in published.written} == {
        "master.indicators",
        "reference.countries",
        "sources.opri",
        "sources.sdg",
        "sources.wdi",
    }
    lake = open_lake(settings)
    assert lake.exists("dev/staging/dev_tester/master/indicators.parquet")
    counts = dict(
        run_sql(settings, "SELECT source, count(*) FROM master.indicators GROUP BY 1")[0].rows
    )
    assert counts == {"sdg": 6, "opri": 5, "wdi": 113}
    secrets = [s.encode() for s in settings.secrets()]
    assert secrets
    for path in settings.state_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(secret in data for secret in secrets), path
