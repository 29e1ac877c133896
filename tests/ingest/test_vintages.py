"""Unchanged files are skipped; each change is a vintage; old vintages are pruned."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from osaa_lib.config import Settings
from osaa_lib.ingest import ingest, list_vintages, read_manifests
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import landing_key

HEADER = "indicator_id,country_id,year,value,magnitude,qualifier\n"


def _data(n: int) -> str:
    return HEADER + "".join(f'"A","KEN",{2000 + i},{i}.5,"",""\n' for i in range(n))


def test_unchanged_files_are_skipped_and_force_redoes_them(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(3))
    write_csv("edu", "EDU_LABEL.csv", "INDICATOR_ID,INDICATOR_LABEL_EN\nA,x\n")
    first = ingest(settings)
    assert [f.status for f in first.files] == ["ingested", "ingested"]
    manifest = read_manifests(settings, None, "edu")

    os.utime(path, (1, 1))  # a touched file with the same bytes is still unchanged
    again = ingest(settings)
    assert [f.status for f in again.files] == ["skipped", "skipped"]
    assert again.files[0].rows == 3 and again.vintages == {}
    assert read_manifests(settings, None, "edu") == manifest
    assert len(list_vintages(settings, None, "edu")) == 1

    forced = ingest(settings, force=True)
    assert [f.status for f in forced.files] == ["ingested", "ingested"]
    assert len(list_vintages(settings, None, "edu")) == 2


def test_same_size_but_different_bytes_is_a_change(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(3))
    ingest(settings)
    path.write_text(_data(3).replace("1.5", "7.5"))
    result = ingest(settings)
    assert result.files[0].status == "ingested"
    uri = open_lake(settings).uri(landing_key(settings, "edu", "EDU_DATA_NATIONAL"))
    assert (7.5,) in duckdb.sql(f"SELECT value FROM '{uri}'").fetchall()


def test_vintages_keep_whole_source_snapshots_newest_last(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(2))
    write_csv("edu", "EDU_LABEL.csv", "INDICATOR_ID,INDICATOR_LABEL_EN\nA,x\n")
    ingest(settings)
    path.write_text(_data(4))
    ingest(settings)
    lake = open_lake(settings)
    vintages = list_vintages(settings, lake, "edu")
    assert len(vintages) == 2 and vintages[0].vintage_id < vintages[1].vintage_id
    old, new = vintages
    assert set(new.files) == {"EDU_DATA_NATIONAL", "EDU_LABEL"}
    assert new.changed == ["EDU_DATA_NATIONAL"]
    count = "SELECT count(*) FROM '{}'"
    assert duckdb.sql(count.format(lake.uri(old.files["EDU_DATA_NATIONAL"]))).fetchone() == (2,)
    assert duckdb.sql(count.format(lake.uri(new.files["EDU_DATA_NATIONAL"]))).fetchone() == (4,)
    assert lake.exists(new.files["EDU_LABEL"]) and lake.exists(new.manifests["EDU_LABEL"])


def test_only_the_newest_vintages_are_kept(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    path = write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(1))
    ids = []
    for n in range(1, 5):
        path.write_text(_data(n))
        ids.append(ingest(settings, keep_vintages=2).vintages["edu"])
    kept = [v.vintage_id for v in list_vintages(settings, None, "edu")]
    assert kept == ids[-2:]
    lake = open_lake(settings)
    assert not lake.list(f"dev/vintages/edu/{ids[0]}/")


def test_failed_file_still_appears_in_the_vintage_with_its_last_good_copy(
    settings: Settings, write_csv: Callable[..., Path]
) -> None:
    data = write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(2))
    label = write_csv("edu", "EDU_LABEL.csv", "INDICATOR_ID,INDICATOR_LABEL_EN\nA,x\n")
    ingest(settings)
    data.write_text(HEADER + '"A","KEN"\n')
    label.write_text("INDICATOR_ID,INDICATOR_LABEL_EN\nA,y\n")
    result = ingest(settings)
    assert [f.status for f in result.files] == ["failed", "ingested"]
    newest = list_vintages(settings, None, "edu")[-1]
    assert newest.changed == ["EDU_LABEL"]
    uri = open_lake(settings).uri(newest.files["EDU_DATA_NATIONAL"])
    assert duckdb.sql(f"SELECT count(*) FROM '{uri}'").fetchone() == (2,)


def test_progress_events_per_file(settings: Settings, write_csv: Callable[..., Path]) -> None:
    from osaa_lib.ingest import Progress

    write_csv("edu", "EDU_DATA_NATIONAL.csv", _data(3))
    write_csv("edu", "BROKEN.csv", "")
    events: list[Progress] = []
    ingest(settings, progress=events.append)
    phases = [(e.stem, e.phase) for e in events if e.phase != "reading"]
    assert phases == [
        ("BROKEN", "start"),
        ("BROKEN", "failed"),
        ("EDU_DATA_NATIONAL", "start"),
        ("EDU_DATA_NATIONAL", "done"),
    ]
    events.clear()
    ingest(settings, progress=events.append)
    assert ("EDU_DATA_NATIONAL", "skipped") in [(e.stem, e.phase) for e in events]
