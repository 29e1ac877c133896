"""Promotion dev -> qa -> prod, backups, restore and the DR drill, on both lake backends."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from osaa_lib.config import Settings
from osaa_lib.errors import LockError, PromotionError
from osaa_lib.lake import open_lake
from osaa_lib.lake.backup import backup, dr_test, list_backups, restore
from osaa_lib.lake.promote import current_release, promote
from osaa_lib.lake.sync import lake_lock
from tests.lake.seed import put_parquet, rows, seed_dev

SF = Callable[..., Settings]


def keys(lake, prefix: str) -> list[str]:  # noqa: ANN001
    return [o.key for o in lake.list(prefix)]


def test_promote_dev_qa_prod_with_backup_and_verification(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    put_parquet(s, lake, "dev/staging/dev_other/master/indicators.parquet", 7, "other")
    put_parquet(s, lake, "qa/staging/master/stale.parquet", 3, "old")
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 5, "old")

    res = promote(s, "dev", "qa")
    assert res.user == "tester"
    assert {c.key for c in res.added} == {
        "qa/landing/sdg/SDG_DATA_NATIONAL.parquet",
        "qa/landing/sdg/_manifests/m1.json",
        "qa/landing/wdi/WDICSV.parquet",
        "qa/staging/sources/sdg.parquet",
    }
    assert [c.key for c in res.replaced] == ["qa/staging/master/indicators.parquet"]
    assert [c.key for c in res.removed] == ["qa/staging/master/stale.parquet"]
    assert res.verified == 5 and res.rows == 120 + 80 + 200 + 120
    assert rows(s, lake, "qa/staging/master/indicators.parquet") == 200
    assert not lake.exists("qa/staging/master/stale.parquet")
    assert lake.checksum("qa/landing/wdi/WDICSV.parquet") == lake.checksum(
        "dev/landing/wdi/WDICSV.parquet"
    )
    assert keys(lake, "ops/incoming") == [] and keys(lake, "ops/_locks") == []
    release = current_release(s, "qa")
    assert release is not None and release["id"] == res.promotion_id
    assert release["state"] == "complete" and release["backup_id"] == res.backup_id
    assert {r["key"] for r in release["changed"]} == {
        c.key for c in res.changes if c.action != "remove"
    }
    assert current_release(s, "prod") is None

    # the backup holds what qa held before: the old table and the stale one
    (info,) = list_backups(s, env="qa")
    assert info.backup_id == res.backup_id and info.objects == 2

    # nothing changed: a second promotion copies nothing
    again = promote(s, "dev", "qa")
    assert again.changes == [] and again.unchanged == 5

    allowed = backend_settings({"OSAA_ALLOW_PROD_PROMOTION": "true"})
    prod = promote(allowed, "qa", "prod", confirm=True)
    assert prod.verified == 5 and prod.user is None
    assert rows(s, lake, "prod/staging/master/indicators.parquet") == 200
    assert keys(lake, "prod/landing") == [
        k.replace("qa/", "prod/", 1) for k in keys(lake, "qa/landing")
    ]


def test_prod_guard_needs_setting_and_confirmation(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    put_parquet(s, lake, "qa/landing/sdg/SDG_LABEL.parquet", 4)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 4)
    with pytest.raises(PromotionError, match="OSAA_ALLOW_PROD_PROMOTION"):
        promote(s, "qa", "prod", confirm=True)
    allowed = backend_settings({"OSAA_ALLOW_PROD_PROMOTION": "true"})
    with pytest.raises(PromotionError, match="--yes"):
        promote(allowed, "qa", "prod")
    assert keys(lake, "prod") == []
    with pytest.raises(PromotionError, match="dev -> qa -> prod"):
        promote(allowed, "dev", "prod", confirm=True)
    # a dry run writes nothing, so it needs no permission
    plan = promote(s, "qa", "prod", dry_run=True)
    assert len(plan.added) == 2 and keys(lake, "prod") == [] and list_backups(s) == []


def test_dry_run_lists_changes_and_writes_nothing(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 5, "old")
    put_parquet(s, lake, "qa/staging/master/gone.parquet", 5, "old")
    before = {o.key: lake.checksum(o.key) for o in lake.list()}
    res = promote(s, "dev", "qa", dry_run=True)
    assert res.dry_run and res.backup_id is None
    assert (len(res.added), len(res.replaced), len(res.removed)) == (4, 1, 1)
    assert {o.key: lake.checksum(o.key) for o in lake.list()} == before


@pytest.mark.parametrize("user", ["../prod", "a/b", "x..y", "Robert'); DROP", ""])
def test_bad_user_refused(backend_settings: SF, user: str) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    with pytest.raises(PromotionError):
        promote(s, "dev", "qa", user=user or "..")
    assert keys(lake, "qa") == []


def test_empty_source_refused(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    put_parquet(s, lake, "dev/landing/sdg/SDG_LABEL.parquet", 3)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 3)
    with pytest.raises(PromotionError, match="dev_nobody is empty"):
        promote(s, "dev", "qa", user="nobody")
    assert lake.exists("qa/staging/master/indicators.parquet")


def test_second_promotion_is_locked_out(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    with lake_lock(lake, "promotion", "promote dev -> qa"):
        with pytest.raises(LockError, match="promote dev -> qa"):
            promote(s, "dev", "qa")
    assert keys(lake, "qa") == []
    assert promote(s, "dev", "qa").verified == 5


def test_corrupt_source_fails_verification_and_target_untouched(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 5, "old")
    before = lake.checksum("qa/staging/master/indicators.parquet")
    lake.write_bytes("dev/staging/dev_tester/sources/bad.parquet", b"PAR1 not parquet")
    with pytest.raises(PromotionError, match="bad.parquet"):
        promote(s, "dev", "qa")
    assert lake.checksum("qa/staging/master/indicators.parquet") == before
    assert keys(lake, "qa") == ["qa/staging/master/indicators.parquet"]
    assert keys(lake, "ops/incoming") == []


def test_backup_restore_and_dr_test(backend_settings: SF) -> None:
    s = backend_settings({"OSAA_ALLOW_PROD_PROMOTION": "true"})
    lake = open_lake(s)
    put_parquet(s, lake, "prod/landing/sdg/SDG_LABEL.parquet", 30, "good")
    put_parquet(s, lake, "prod/staging/master/indicators.parquet", 300, "good")
    put_parquet(s, lake, "prod/history/completeness/r1.parquet", 2, "good")
    good = backup(s, env="prod")
    assert good.info.objects == 3 and good.info.backup_id.startswith("prod-")

    # a bad release: one table replaced, one added
    put_parquet(s, lake, "prod/staging/master/indicators.parquet", 1, "bad")
    put_parquet(s, lake, "prod/staging/master/extra.parquet", 1, "bad")
    put_parquet(s, lake, "prod/history/completeness/r2.parquet", 2, "later")
    with pytest.raises(PromotionError, match="--yes"):
        restore(s, good.info.backup_id, "prod")
    res = restore(s, good.info.backup_id, "prod", confirm=True)
    assert rows(s, lake, "prod/staging/master/indicators.parquet") == 300
    assert not lake.exists("prod/staging/master/extra.parquet")
    assert lake.exists("prod/history/completeness/r2.parquet")  # append-only history is kept
    assert [c.key for c in res.changes if c.action == "remove"] == [
        "prod/staging/master/extra.parquet"
    ]
    ids = [b.backup_id for b in list_backups(s, env="prod")]
    assert ids == [res.pre_backup_id, good.info.backup_id]

    drill = dr_test(s)
    assert drill.ok, drill.problems
    assert drill.backup_id == res.pre_backup_id and drill.objects == 5
    assert drill.rows == 30 + 1 + 1 + 2 + 2
    assert keys(lake, "ops/dr-test") == []
    assert json.loads(lake.read_bytes(drill.record_key))["ok"] is True


def test_dr_test_detects_a_corrupt_backup(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    put_parquet(s, lake, "prod/staging/master/indicators.parquet", 50)
    b = backup(s, env="prod")
    blake = open_lake(s, s.backup_root)
    blake.write_bytes(f"{b.info.backup_id}/staging/master/indicators.parquet", b"garbage")
    drill = dr_test(s)
    assert not drill.ok
    assert "indicators.parquet" in drill.problems[0]
    assert keys(lake, "ops/dr-test") == []


def test_restore_refuses_an_incomplete_backup(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    put_parquet(s, lake, "qa/landing/sdg/SDG_LABEL.parquet", 4)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 40)
    b = backup(s, env="qa")
    open_lake(s, s.backup_root).delete(f"{b.info.backup_id}/landing/sdg/SDG_LABEL.parquet")
    lake.delete("qa/staging/master/indicators.parquet")
    with pytest.raises(PromotionError, match="incomplete: 1 object"):
        restore(s, b.info.backup_id, "qa")
    assert keys(lake, "qa") == ["qa/landing/sdg/SDG_LABEL.parquet"]


def test_restore_refuses_bad_ids_and_crossing_dev(backend_settings: SF) -> None:
    s = backend_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    b = backup(s, env="dev")
    for bad in ["../prod", "prod-2026/../../x", "nonsense"]:
        with pytest.raises(PromotionError, match="not a backup id"):
            restore(s, bad, "qa")
    with pytest.raises(PromotionError, match="cannot be restored into qa"):
        restore(s, b.info.backup_id, "qa")
    with pytest.raises(PromotionError, match="no complete backup"):
        restore(s, "prod-20200101T000000Z", "prod")
    with pytest.raises(PromotionError, match="no prod backup"):
        dr_test(s)


def test_backups_in_a_separate_bucket_or_folder(
    backend_settings: SF, request: pytest.FixtureRequest, tmp_path
) -> None:  # noqa: ANN001
    from osaa_lib.lake.storage import storage_report

    if "s3" in request.node.callspec.id:
        server = request.getfixturevalue("s3_running")
        root = f"s3://{server.bucket('osaa-test-backups')}/{tmp_path.name}"
    else:
        root = str(tmp_path / "elsewhere")
    s = backend_settings({"OSAA_BACKUP_ROOT": root})
    lake = open_lake(s)
    seed_dev(s, lake)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 5, "old")
    res = promote(s, "dev", "qa")
    blake = open_lake(s, root)
    assert blake.exists(f"{res.backup_id}/staging/master/indicators.parquet")
    assert not [o for o in lake.list() if o.key.startswith("backups/")]
    (info,) = list_backups(s)
    assert info.backup_id == res.backup_id
    restored = restore(s, res.backup_id, "qa")
    assert rows(s, lake, "qa/staging/master/indicators.parquet") == 5
    assert restored.pre_backup_id != res.backup_id
    by = {(r.env, r.zone) for r in storage_report(s, html_out=False).rows}
    assert ("backups", "qa") in by


def test_prune_keeps_newest_per_env(backend_settings: SF) -> None:
    from osaa_lib.lake.backup import prune_backups

    s = backend_settings()
    lake = open_lake(s)
    put_parquet(s, lake, "qa/staging/master/indicators.parquet", 3)
    put_parquet(s, lake, "prod/staging/master/indicators.parquet", 3)
    qa = [backup(s, env="qa").info.backup_id for _ in range(3)]
    prod = backup(s, env="prod").info.backup_id
    plan = prune_backups(s, keep=1, dry_run=True)
    assert sorted(b.backup_id for b in plan.removed) == sorted(qa[:2])
    assert len(list_backups(s)) == 4
    res = prune_backups(s, keep=1)
    assert {b.backup_id for b in list_backups(s)} == {qa[2], prod}
    assert res.objects_removed == 4 and res.bytes_freed > 0
    assert not open_lake(s, s.backup_root).list(qa[0])
    with pytest.raises(PromotionError, match="at least 1"):
        prune_backups(s, keep=0)
