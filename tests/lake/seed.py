"""Small real Parquet files in the runbook layout, for promotion and backup tests."""

from __future__ import annotations

from osaa_lib.config import Settings
from osaa_lib.lake import Lake
from osaa_lib.lake.sync import shared_connection


def put_parquet(settings: Settings, lake: Lake, key: str, rows: int, tag: str = "v1") -> None:
    con = shared_connection(settings)
    try:
        with lake.writing(key) as tmp:
            con.execute(
                f"COPY (SELECT range AS id, '{tag}' AS tag FROM range({rows})) "
                f"TO '{tmp}' (FORMAT parquet)"
            )
    finally:
        con.close()


def seed_dev(settings: Settings, lake: Lake, user: str = "tester", tag: str = "v1") -> None:
    """Dev landing for two sources and one user's published tables."""
    put_parquet(settings, lake, "dev/landing/sdg/SDG_DATA_NATIONAL.parquet", 120, tag)
    put_parquet(settings, lake, "dev/landing/wdi/WDICSV.parquet", 80, tag)
    lake.write_bytes("dev/landing/sdg/_manifests/m1.json", b'{"source": "sdg"}')
    put_parquet(settings, lake, f"dev/staging/dev_{user}/master/indicators.parquet", 200, tag)
    put_parquet(settings, lake, f"dev/staging/dev_{user}/sources/sdg.parquet", 120, tag)


def rows(settings: Settings, lake: Lake, key: str) -> int:
    con = shared_connection(settings)
    try:
        return con.execute(f"SELECT count(*) FROM read_parquet('{lake.uri(key)}')").fetchone()[0]
    finally:
        con.close()
