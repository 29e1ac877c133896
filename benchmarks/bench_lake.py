"""Promotion, backup and DR drill on a real SeaweedFS server, against plain boto3 copies.

The baseline is what the predecessor did (`aws s3 sync`-like): one server-side copy per object,
no backup, no verification. The workbench's promotion adds a verified backup of the target,
staging, SHA-256 recomputed from the stored bytes, Parquet row counts and the switch; the ratio
shows what that safety costs. Data: the landing and published Parquet of a full-scale sample
(generated once, `benchmarks/_common.full_data`), or synthetic Parquet when absent.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path

from benchmarks._common import WORK, machine, measure, table, write_section

MiB = 1024 * 1024


def _settings(endpoint: str, prefix: str, work: Path):  # noqa: ANN202
    from osaa_lib.config import load_settings
    from tests.s3_server import BUCKET, FAKE_KEY_ID, FAKE_SECRET

    return load_settings(
        environ={
            "OSAA_LAKE": f"s3://{BUCKET}/{prefix}",
            "S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
            "OSAA_STATE_DIR": str(work / "state"),
            "OSAA_REPORTS_DIR": str(work / "reports"),
            "OSAA_LOG_DIR": str(work / "logs"),
            "USERNAME": "bench",
            "OSAA_ALLOW_PROD_PROMOTION": "true",
        },
        dotenv=work / "none.env",
    )


def _seed(settings, lake) -> tuple[int, int]:  # noqa: ANN001
    """Six landing files and four published tables of realistic width, ~100 MiB in all."""
    from osaa_lib.lake.sync import shared_connection

    con = shared_connection(settings)
    plan = [(f"dev/landing/src{i}/DATA_NATIONAL.parquet", 1_500_000) for i in range(3)]
    plan += [(f"dev/landing/src{i}/LABEL.parquet", 5_000) for i in range(3)]
    plan += [(f"dev/staging/dev_bench/sources/src{i}.parquet", 1_000_000) for i in range(3)]
    plan += [("dev/staging/dev_bench/master/indicators.parquet", 3_000_000)]
    for key, rows in plan:
        with lake.writing(key) as tmp:
            con.execute(
                f"COPY (SELECT 'IND' || (range % 900) AS indicator_id, 'C' || (range % 250) "
                f"AS country_id, 1960 + range % 64 AS year, random() * 1000 AS value "
                f"FROM range({rows})) TO '{tmp}' (FORMAT parquet)"
            )
    objs = lake.list("dev")
    return len(objs), sum(o.size for o in objs)


def main() -> None:
    from osaa_lib.lake import open_lake
    from osaa_lib.lake.backup import backup, dr_test
    from osaa_lib.lake.promote import promote
    from tests.s3_server import SeaweedServer, find_weed

    work = WORK / "lake"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    server = SeaweedServer(find_weed(), work / "seaweedfs")
    server.start()
    try:
        s = _settings(server.endpoint, f"b{uuid.uuid4().hex[:8]}", work)
        lake = open_lake(s)
        n, size = _seed(s, lake)
        client, bucket = lake.client, lake.bucket

        rows = []
        with measure("baseline: boto3 copy dev -> qa (no backup, no checks)") as base:
            for o in lake.list("dev"):
                dst = o.key.replace("dev/", "base/", 1)
                client.copy_object(
                    Bucket=bucket,
                    Key=lake._key(dst),
                    CopySource={"Bucket": bucket, "Key": lake._key(o.key)},
                )
        rows.append([base.label, f"{base.seconds:.2f}", "1.0", f"{base.peak_rss_mib:.0f}"])

        # a first promotion so qa holds a release: the measured one then backs it up
        promote(s, "dev", "qa")
        with measure("promote dev -> qa, nothing changed (backup of qa + compare)") as m:
            promote(s, "dev", "qa")
        rows.append(
            [
                m.label,
                f"{m.seconds:.2f}",
                f"{m.seconds / base.seconds:.1f}",
                f"{m.peak_rss_mib:.0f}",
            ]
        )

        lake.delete_prefix("qa")
        with measure("promote dev -> qa, everything new") as m:
            res = promote(s, "dev", "qa")
        assert res.verified == n
        rows.append(
            [
                m.label,
                f"{m.seconds:.2f}",
                f"{m.seconds / base.seconds:.1f}",
                f"{m.peak_rss_mib:.0f}",
            ]
        )

        with measure("promote qa -> prod (prod empty)") as m:
            promote(replace(s), "qa", "prod", confirm=True)
        rows.append(
            [
                m.label,
                f"{m.seconds:.2f}",
                f"{m.seconds / base.seconds:.1f}",
                f"{m.peak_rss_mib:.0f}",
            ]
        )
        with measure("backup prod (verified)") as m:
            backup(s, env="prod")
        rows.append(
            [
                m.label,
                f"{m.seconds:.2f}",
                f"{m.seconds / base.seconds:.1f}",
                f"{m.peak_rss_mib:.0f}",
            ]
        )
        with measure("dr-test (restore latest prod backup to scratch, verify, clean)") as m:
            drill = dr_test(s)
        assert drill.ok, drill.problems
        rows.append(
            [
                m.label,
                f"{m.seconds:.2f}",
                f"{m.seconds / base.seconds:.1f}",
                f"{m.peak_rss_mib:.0f}",
            ]
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    write_section(
        "lake",
        f"""## Lake: promotion, backup, DR drill on SeaweedFS

Command: `.venv/bin/python -m benchmarks bench_lake`. Machine: {machine()} (shared with other
engineers' runs). Data: {n} Parquet objects, {size / MiB:.0f} MiB in dev (landing + one user's
published tables), on a local SeaweedFS (`weed server -s3`, loopback). Baseline: one boto3
server-side copy per object, no backup and no verification (what `aws s3 sync` did).
Ratio = seconds / baseline seconds; peak RSS of this process and its children (the SeaweedFS
server included).

{table(rows, ["operation", "seconds", "x baseline", "peak RSS MiB"])}

Where the time goes: a promotion backs up the target (copy + SHA-256 re-read of every object),
copies into the staging prefix, re-reads every staged byte for SHA-256, counts Parquet rows
(footer only), then switches with server-side copies. Every byte is therefore read back at
least twice; that is the price of "verified before success".
""",
    )


if __name__ == "__main__":
    main()
