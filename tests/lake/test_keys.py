"""The lake layout as the keys module builds and parses it (the runbook's layout, key by key)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError
from osaa_lib.lake import keys


@pytest.fixture
def alice(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings({"TARGET": "dev", "USERNAME": "alice"})


@pytest.fixture
def prod(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings({"TARGET": "prod", "USERNAME": "alice"})


def test_landing_keys_and_their_parse(alice: Settings, prod: Settings) -> None:
    assert keys.landing_prefix(alice) == "dev/landing"
    assert keys.landing_prefix(prod, "sdg") == "prod/landing/sdg"
    key = keys.landing_key(alice, "sdg", "SDG_LABEL")
    assert key == "dev/landing/sdg/SDG_LABEL.parquet"
    assert keys.manifest_key(alice, "sdg", "SDG_LABEL") == (
        "dev/landing/sdg/_manifests/SDG_LABEL.json"
    )
    assert keys.rejects_key(alice, "sdg", "SDG_LABEL") == (
        "dev/landing/sdg/_manifests/SDG_LABEL.rejects.json"
    )
    assert keys.parse_landing_key(key) == keys.LandedKey("dev", "sdg", "SDG_LABEL")
    assert keys.landed_source("prod/landing/wdi/WDICSV.parquet") == "wdi"
    for other in (
        keys.manifest_key(alice, "sdg", "SDG_LABEL"),
        "dev/landing/_x/A.parquet",
        "dev/vintages/sdg/20260101T000000000000Z/SDG_LABEL.parquet",
        "ops/landing/sdg/A.parquet",
    ):
        assert keys.parse_landing_key(other) is None, other
    assert keys.is_manifest_key(keys.manifest_key(alice, "sdg", "SDG_LABEL"))
    assert not keys.is_manifest_key(keys.rejects_key(alice, "sdg", "SDG_LABEL"))
    assert not keys.is_manifest_key(key)


def test_vintage_keys_build_and_parse(alice: Settings) -> None:
    vid = keys.stamp(datetime(2026, 11, 29, 12, 30, 0, 123456, tzinfo=UTC))
    assert vid == "20261129T123000123456Z"
    assert keys.vintage_prefix(alice, "sdg", vid) == f"dev/vintages/sdg/{vid}"
    assert keys.vintage_file_key(alice, "sdg", vid, "SDG_LABEL") == (
        f"dev/vintages/sdg/{vid}/SDG_LABEL.parquet"
    )
    assert keys.vintage_manifest_key(alice, "sdg", vid, "SDG_LABEL") == (
        f"dev/vintages/sdg/{vid}/_manifests/SDG_LABEL.json"
    )
    assert keys.vintage_rejects_key(alice, "sdg", vid, "X").endswith("_manifests/X.rejects.json")
    index = keys.vintage_index_key(alice, "sdg", vid)
    assert index == f"dev/vintages/sdg/{vid}/_vintage.json"
    assert keys.parse_vintage_index_key(index) == ("sdg", vid)
    assert keys.parse_vintage_index_key(keys.vintage_file_key(alice, "sdg", vid, "A")) is None
    with pytest.raises(LakeError, match="not a vintage id"):
        keys.vintage_prefix(alice, "sdg", "../../prod")


def test_staging_is_per_user_in_dev_and_shared_in_qa_and_prod(
    alice: Settings, prod: Settings
) -> None:
    assert keys.staging_prefix(alice) == "dev/staging/dev_alice"
    assert keys.staging_prefix(prod) == "prod/staging"
    assert keys.master_key(alice) == "dev/staging/dev_alice/master/indicators.parquet"
    assert keys.table_key(prod, "sources.sdg") == "prod/staging/sources/sdg.parquet"
    assert keys.parse_table_key(prod, "prod/staging/sources/sdg.parquet") == "sources.sdg"
    assert keys.parse_table_key(prod, "qa/staging/sources/sdg.parquet") is None
    assert keys.parse_table_key(alice, "dev/staging/dev_alice/a/b/c.parquet") is None
    assert keys.env_staging("dev", "bob") == "dev/staging/dev_bob"
    assert keys.env_staging("qa") == "qa/staging"
    with pytest.raises(LakeError, match="per user"):
        keys.env_staging("dev")
    for bad in ("indicators", "a.b.c", "master."):
        with pytest.raises(LakeError, match="schema"):
            keys.table_key(prod, bad)


def test_history_and_reviewers_marks(alice: Settings, prod: Settings) -> None:
    run_id = keys.new_run_id()
    assert keys.history_prefix(alice) == "dev/history/dev_alice"
    assert keys.history_prefix(prod) == "prod/history"
    key = keys.history_key(alice, "dq_accepted", run_id)
    assert key == f"dev/history/dev_alice/dq_accepted/{run_id}.parquet"
    assert keys.history_run_id(key) == run_id


def test_run_ids_are_one_format_sorted_by_time() -> None:
    start = datetime(2026, 11, 29, 23, 59, 59, 999999, tzinfo=UTC)
    ids = [keys.new_run_id(start + timedelta(microseconds=i)) for i in range(3)]
    assert all(keys.RUN_ID.match(i) for i in ids)
    assert ids[0].startswith("20261129T235959999999Z-")
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert keys.new_run_id(start) != keys.new_run_id(start)  # unique across machines
    assert len({len(i) for i in ids}) == 1  # fixed width: text order is time order


def test_operations_keys() -> None:
    day = date(2026, 11, 29)
    assert keys.runs_prefix() == "ops/runs"
    assert keys.run_key("r1", day) == "ops/runs/2026-11-29/r1.json"
    assert keys.incoming_key("dev-qa-1", "qa/staging") == "ops/incoming/dev-qa-1/qa/staging"
    assert keys.incoming_prefix() == "ops/incoming"
    assert keys.lock_key("promotion") == "ops/_locks/promotion.lock"
    assert keys.release_key("qa") == "qa/_release.json"
    assert keys.baseline_key("2026-11-29", "r1") == "ops/baselines/2026-11-29/r1.json"
    assert keys.baseline_run_id("ops/baselines/2026-11-29/r1.json") == "r1"
    assert keys.drill_record_key("d1") == "ops/drills/d1.json"
    assert keys.drill_scratch_prefix("d1") == "ops/dr-test/d1"
    snap = keys.storage_snapshot_key(datetime(2026, 11, 29, tzinfo=UTC))
    assert snap == "ops/storage/20261129T000000000000Z.json"
    assert re.fullmatch(r"dev-qa-\d{8}T\d{12}Z", keys.new_op_id("dev-qa"))
    assert keys.probe_key("qa", "abc") == "qa/_probe/probe-abc.txt"
    assert keys.is_internal("_release.json") and keys.is_internal("_probe/probe-x.txt")
    assert not keys.is_internal("staging/sources/sdg.parquet")
    assert keys.zone("staging/sources/sdg.parquet") == "staging"


def test_backup_ids_and_manifests() -> None:
    bid = keys.new_backup_id("prod", datetime(2026, 1, 1, 2, tzinfo=UTC))
    assert bid == "prod-20260101T020000000000Z"
    assert keys.parse_backup_id(bid) == ("prod", "20260101T020000000000Z")
    assert keys.parse_backup_id("prod-20260101T020000Z") == ("prod", "20260101T020000Z")
    for bad in ("../../etc", "prod-../x", "staging-20260101T020000Z", ""):
        assert keys.parse_backup_id(bad) is None
        with pytest.raises(LakeError):
            keys.backup_prefix(bad)
    assert keys.backup_manifest_key(bid) == f"{bid}/_backup.json"
    assert keys.backup_object_key(bid, "landing/sdg/A.parquet") == f"{bid}/landing/sdg/A.parquet"
    assert keys.parse_backup_manifest_key(f"{bid}/_backup.json") == bid
    assert keys.parse_backup_manifest_key(f"{bid}/landing/_backup.json") is None
    assert keys.parse_backup_manifest_key("junk/_backup.json") is None


def test_classify_layout() -> None:
    classify = keys.classify
    assert classify("dev/landing/sdg/SDG_LABEL.parquet") == ("dev", "landing", "sdg")
    assert classify("dev/staging/dev_ann/master/indicators.parquet") == (
        "dev",
        "staging",
        "dev_ann",
    )
    assert classify("prod/staging/master/indicators.parquet") == ("prod", "staging", "master")
    assert classify("prod/_release.json") == ("prod", "(root)", "")
    assert classify("backups/prod-20260101T000000Z/landing/a.parquet") == ("backups", "prod", "")
    assert classify("ops/runs/2026-01-01/r.json") == ("ops", "runs", "")


def test_backups_in_lake_is_the_default_backup_root(make_settings: Callable[..., Settings]) -> None:
    assert keys.backups_in_lake(make_settings())
    assert not keys.backups_in_lake(make_settings({"OSAA_BACKUP_ROOT": "/elsewhere"}))
