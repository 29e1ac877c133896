"""DuckDB reads and writes Parquet on SeaweedFS through httpfs with a temporary secret."""

from __future__ import annotations

import pytest

from osaa_lib.db import connect
from osaa_lib.lake import open_lake

pytestmark = pytest.mark.s3


def test_parquet_written_through_lake_is_read_by_duckdb(s3_settings) -> None:  # noqa: ANN001
    s = s3_settings()
    lake = open_lake(s)
    con = connect(s)
    key = "dev/staging/dev_tester/master/indicators.parquet"
    with lake.writing(key) as tmp:
        con.execute(
            f"COPY (SELECT range AS id, 'c' || range AS country_id FROM range(1000)) "
            f"TO '{tmp}' (FORMAT parquet)"
        )
    assert con.execute(f"SELECT count(*), max(id) FROM '{lake.uri(key)}'").fetchone() == (1000, 999)
    secrets = con.execute("SELECT name, persistent FROM duckdb_secrets()").fetchall()
    assert secrets == [("osaa_s3", False)]


def test_duckdb_copy_to_s3_directly(s3_settings) -> None:  # noqa: ANN001
    s = s3_settings()
    lake = open_lake(s)
    con = connect(s)
    uri = lake.uri("dev/landing/direct/D.parquet")
    con.execute(f"COPY (SELECT 42 AS answer) TO '{uri}' (FORMAT parquet)")
    assert lake.exists("dev/landing/direct/D.parquet")
    assert con.execute(f"SELECT answer FROM read_parquet('{uri}')").fetchone() == (42,)
    glob = lake.uri("dev/landing/*/*.parquet")
    assert con.execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone() == (1,)
