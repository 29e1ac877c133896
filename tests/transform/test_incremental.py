"""Incremental runs, dry runs, model selection, new sources and per-user isolation."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from osaa_lib.lake import open_lake
from osaa_lib.transform import plan_apply
from osaa_lib.transform.project import database_path
from osaa_lib.transform.publish import publish
from osaa_lib.transform.query import run_sql
from tests.transform.conftest import copy_project, make
from tests.transform.landing import UPSTREAM, land_csv

SDG_CHAIN = {
    "sdg.data_national",
    "sdg.label",
    "sources.sdg",
    "master.indicators",
    "master.indicators_enriched",
}


def add_sdg_row(settings, tmp_path: Path, row: str = '"NEW.IND","KEN",2020,42.5,"",""') -> None:
    csv = tmp_path / "SDG_DATA_NATIONAL.csv"
    csv.write_text((UPSTREAM / "edu/SDG_DATA_NATIONAL.csv").read_text() + row + "\n")
    land_csv(settings, "sdg", csv)


def count(settings, sql: str) -> int:
    return run_sql(settings, sql)[-1].rows[0][0]


@pytest.mark.slow
def test_noop_one_source_change_and_model_selection(fresh, tmp_path) -> None:
    settings = fresh()
    first = plan_apply(settings)
    assert {"sources.sdg", "sources.wdi", "master.indicators"} <= set(first.computed)
    publish(settings)

    again = plan_apply(settings)
    assert again.no_op and again.skipped and again.seconds < 5
    assert not publish(settings).written

    add_sdg_row(settings, tmp_path)
    changed = plan_apply(settings)
    assert set(changed.computed) == SDG_CHAIN
    assert "sources.wdi" not in changed.computed
    assert changed.rows["sources.sdg"] == first.rows["sources.sdg"] + 1
    written = {t.model for t in publish(settings).written}
    assert written == {"sources.sdg", "master.indicators"}
    assert count(settings, "SELECT count(*) FROM master.indicators WHERE value = 42.5") == 1

    # --model: only that model now; the other changed source waits for the next full run
    add_sdg_row(settings, tmp_path, '"NEW.IND","NAM",2021,43.5,"",""')
    wdi = tmp_path / "WDICSV.csv"
    wdi.write_text((UPSTREAM / "wdi/WDICSV.csv").read_text().replace("11.52590439795372", "99.5"))
    land_csv(settings, "wdi", wdi)
    only = plan_apply(settings, models=["sources.sdg"])
    assert "sources.sdg" in only.computed and "sources.wdi" not in only.computed
    assert count(settings, "SELECT count(*) FROM sources.wdi WHERE value = 99.5") == 0
    rest = plan_apply(settings)
    assert "sources.wdi" in rest.computed and "sources.sdg" not in rest.computed
    assert count(settings, "SELECT count(*) FROM sources.wdi WHERE value = 99.5") == 1

    from osaa_lib.errors import TransformError

    with pytest.raises(TransformError, match="unknown model"):
        plan_apply(settings, models=["sources.nope"])


@pytest.mark.slow
def test_dry_run_writes_nothing(fresh) -> None:
    settings = fresh(username="dora")
    before = sorted(o.key for o in open_lake(settings).list(""))
    result = plan_apply(settings, dry_run=True)
    assert result.dry_run and "sources.sdg" in result.computed
    assert not database_path(settings).exists()
    assert sorted(o.key for o in open_lake(settings).list("")) == before
    assert not [p for p in settings.state_dir.rglob("*") if p.suffix in (".duckdb", ".json")]


@pytest.mark.slow
def test_new_source_folder_and_new_year_columns_need_no_code_change(fresh, tmp_path) -> None:
    settings = fresh()
    plan_apply(settings)
    land_csv(settings, "ghi", UPSTREAM / "edu/OPRI_DATA_NATIONAL.csv", "GHI_DATA_NATIONAL")
    land_csv(settings, "ghi", UPSTREAM / "edu/OPRI_LABEL.csv", "GHI_LABEL")
    text = (UPSTREAM / "wdi/WDICSV.csv").read_text().splitlines()
    text = [text[0] + ",2024,2025"] + [line + ",,7.25" for line in text[1:]]
    (tmp_path / "WDICSV.csv").write_text("\n".join(text) + "\n")
    land_csv(settings, "wdi", tmp_path / "WDICSV.csv")

    result = plan_apply(settings)
    assert "sources.ghi" in result.computed and "master.indicators" in result.computed
    assert "sources.sdg" not in result.computed
    ghi = count(settings, "SELECT count(*) FROM master.indicators WHERE source = 'ghi'")
    assert ghi == count(settings, "SELECT count(*) FROM sources.opri")
    assert count(settings, "SELECT count(*) FROM sources.wdi WHERE year = 2025") == len(text) - 1
    assert count(settings, "SELECT count(*) FROM sources.wdi WHERE year = 2024") == 0
    published = {t.key for t in publish(settings).tables}
    assert "dev/staging/dev_alice/sources/ghi.parquet" in published


@pytest.mark.slow
def test_two_analysts_never_see_each_others_changes(tmp_path) -> None:
    from tests.transform.landing import land_samples

    alice = make(tmp_path, "alice")
    land_samples(alice)
    bob_project = copy_project(tmp_path / "bob_checkout")
    master = bob_project / "sqlMesh" / "models" / "master" / "indicators.py"
    master.write_text(
        master.read_text().replace(
            '    return query.sql(dialect="duckdb")',
            '    return exp.select("*").from_(query.subquery("u"))'
            '.where("year >= 2000").sql(dialect="duckdb")',
        )
    )
    bob = make(tmp_path, "bob", OSAA_PROJECT_DIR=str(bob_project))
    for who in (alice, bob):
        plan_apply(who)
        publish(who)
    assert database_path(alice) != database_path(bob)
    lake = open_lake(alice)
    con = duckdb.connect()

    def rows(space: str) -> int:
        uri = lake.uri(f"dev/staging/{space}/master/indicators.parquet")
        return con.execute(f"SELECT count(*) FROM '{uri}'").fetchone()[0]

    assert rows("dev_bob") < rows("dev_alice")
    assert count(alice, "SELECT count(*) FROM master.indicators WHERE year < 2000") > 0
    assert count(bob, "SELECT count(*) FROM master.indicators WHERE year < 2000") == 0
    assert not run_sql(alice, "SELECT * FROM duckdb_databases() WHERE database_name LIKE '%bob%'")[
        0
    ].rows


@pytest.mark.slow
def test_two_machines_on_one_lake_keep_their_own_state(tmp_path) -> None:
    from tests.transform.landing import land_samples

    one = make(tmp_path, "alice", OSAA_STATE_DIR=str(tmp_path / "machine1"))
    two = make(tmp_path, "alice", OSAA_STATE_DIR=str(tmp_path / "machine2"))
    land_samples(one)
    plan_apply(one)
    first = database_path(one)
    stamp = (first.stat().st_mtime_ns, first.read_bytes())
    plan_apply(two)
    assert database_path(two) != first and database_path(two).exists()
    assert (first.stat().st_mtime_ns, first.read_bytes()) == stamp
    assert not [o.key for o in open_lake(one).list("") if ".duckdb" in o.key]
    # a lost cache is rebuilt from the lake with the same result
    expected = count(one, "SELECT count(*) FROM master.indicators")
    for path in (tmp_path / "machine1").iterdir():
        if path.is_file():
            path.unlink()
    assert plan_apply(one).computed
    assert count(one, "SELECT count(*) FROM master.indicators") == expected


@pytest.mark.slow
def test_prod_has_its_own_cache_and_publishes_under_prod_staging(tmp_path) -> None:
    from tests.transform.landing import land_samples

    prod = make(tmp_path, "alice", target="prod")
    land_samples(prod)
    plan_apply(prod)
    keys = {t.key for t in publish(prod).written}
    assert keys == {
        "prod/staging/master/indicators.parquet",
        "prod/staging/reference/countries.parquet",
        "prod/staging/sources/opri.parquet",
        "prod/staging/sources/sdg.parquet",
        "prod/staging/sources/wdi.parquet",
    }
    assert database_path(prod).name == "prod__prod.duckdb"
    assert not open_lake(prod).list("dev")
