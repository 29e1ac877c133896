"""The built project: every model, published keys, reference data, runbook SQL, rendering."""

from __future__ import annotations

import duckdb
import pytest

from osaa_lib.config import Settings
from osaa_lib.lake import open_lake
from osaa_lib.transform.project import database_path
from osaa_lib.transform.query import run_sql

PUBLISHED = [
    "master/indicators",
    "reference/countries",
    "sources/opri",
    "sources/sdg",
    "sources/wdi",
]


def one(settings: Settings, sql: str):
    return run_sql(settings, sql)[-1].rows


def test_published_tables_land_in_the_users_staging_zone(built: Settings) -> None:
    lake = open_lake(built)
    keys = [o.key for o in lake.list("dev/staging")]
    assert keys == [f"dev/staging/dev_alice/{k}.parquet" for k in PUBLISHED]
    con = duckdb.connect()
    uri = lake.uri("dev/staging/dev_alice/master/indicators.parquet")
    by_source = dict(con.execute(f"SELECT source, count(*) FROM '{uri}' GROUP BY 1").fetchall())
    for source in ("sdg", "opri", "wdi"):
        part = lake.uri(f"dev/staging/dev_alice/sources/{source}.parquet")
        assert by_source[source] == con.execute(f"SELECT count(*) FROM '{part}'").fetchone()[0]
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE '{uri}')").fetchall())
    assert types == {
        "indicator_id": "VARCHAR",
        "country_id": "VARCHAR",
        "year": "INTEGER",
        "value": "DOUBLE",
        "magnitude": "VARCHAR",
        "qualifier": "VARCHAR",
        "indicator_description": "VARCHAR",
        "extra": "MAP(VARCHAR, VARCHAR)",
        "source": "VARCHAR",
    }


def test_no_database_file_ever_goes_to_the_lake(built: Settings) -> None:
    names = [o.key for o in open_lake(built).list("")]
    assert not [n for n in names if ".duckdb" in n or n.endswith(".wal")]
    assert database_path(built).name == "dev__dev_alice.duckdb"


def test_sources_join_labels_and_keep_exact_doubles(built: Settings) -> None:
    rows = one(
        built,
        "SELECT value, indicator_description FROM sources.sdg "
        "WHERE indicator_id = 'EA.4T8.AG25T99.GPIA' AND country_id = 'THA'",
    )
    assert rows == [(0.4593200087547302, None)]
    for source in ("sdg", "opri"):  # a left join on labels never adds or drops data rows
        data = one(built, f"SELECT count(*) FROM {source}.data_national")[0][0]
        assert one(built, f"SELECT count(*) FROM sources.{source}")[0][0] == data


def test_wdi_is_long_with_no_empty_cells(built: Settings) -> None:
    wide_cells = one(
        built,
        "SELECT count(*) FROM (UNPIVOT wdi.csv ON COLUMNS('^[0-9]{4}$') INTO NAME y VALUE v)",
    )[0][0]
    assert one(built, "SELECT count(*) FROM sources.wdi")[0][0] == wide_cells
    assert one(built, "SELECT count(*) FROM sources.wdi WHERE value IS NULL")[0][0] == 0
    years = one(built, "SELECT min(year), max(year) FROM sources.wdi")[0]
    assert 1960 <= years[0] <= years[1] <= 2023


def test_reference_countries_keeps_namibia(built: Settings) -> None:
    assert one(built, "SELECT iso2, is_africa FROM reference.countries WHERE iso3 = 'NAM'") == [
        ("NA", True)
    ]
    enriched = one(
        built,
        "SELECT DISTINCT country_id, is_aggregate, is_africa FROM master.indicators_enriched "
        "WHERE country_id = 'AFE'",
    )
    assert enriched == [("AFE", True, True)]


RUNBOOK = {
    "duplicates": """
        SELECT indicator_id, country_id, year, COUNT(*)
        FROM master.indicators
        GROUP BY indicator_id, country_id, year
        HAVING COUNT(*) > 1;""",
    "freshness": """
        SELECT source, MAX(year) as latest_year, COUNT(*) as record_count
        FROM master.indicators
        GROUP BY source;""",
    "gaps": """
        SELECT year, COUNT(DISTINCT country_id) as countries
        FROM sources.sdg
        WHERE year >= 2020
        GROUP BY year
        ORDER BY year;""",
    "missing": """
        SELECT country_id, year, COUNT(*) as missing_indicators
        FROM (
            SELECT DISTINCT country_id, year FROM sources.sdg
        ) base
        LEFT JOIN sources.sdg USING (country_id, year)
        WHERE value IS NULL
        GROUP BY country_id, year
        HAVING COUNT(*) > 10;""",
    "profiling": """
        SELECT
            COUNT(*) as total_rows,
            COUNT(DISTINCT indicator_id) as unique_indicators,
            COUNT(DISTINCT country_id) as unique_countries,
            MIN(year) as earliest_year,
            MAX(year) as latest_year,
            AVG(value) as avg_value,
            STDDEV(value) as stddev_value
        FROM master.indicators
        WHERE source = 'sdg';""",
    "anomalies": """
        WITH stats AS (
            SELECT
                indicator_id,
                AVG(value) as mean_val,
                STDDEV(value) as std_val
            FROM sources.wdi
            GROUP BY indicator_id
        )
        SELECT
            w.*,
            ABS(w.value - s.mean_val) / NULLIF(s.std_val, 0) as z_score
        FROM sources.wdi w
        JOIN stats s ON w.indicator_id = s.indicator_id
        WHERE ABS(w.value - s.mean_val) / NULLIF(s.std_val, 0) > 3;""",
    "daily_checks": """
        SELECT * FROM data_quality.daily_checks
        WHERE check_date = CURRENT_DATE;""",
}


@pytest.mark.parametrize("name", sorted(RUNBOOK))
def test_runbook_sql_runs_as_written(built: Settings, name: str) -> None:
    (result,) = run_sql(built, RUNBOOK[name])
    assert result.columns
    if name == "freshness":
        assert sorted(r[0] for r in result.rows) == ["opri", "sdg", "wdi"]
    if name == "profiling":
        assert result.rows[0][0] == one(built, "SELECT count(*) FROM sources.sdg")[0][0]


def test_sql_is_read_only_unless_write(built: Settings) -> None:
    from osaa_lib.errors import TransformError

    with pytest.raises(TransformError, match="read-only"):
        run_sql(built, "CREATE TABLE master.scratch AS SELECT 1 AS x")
    assert one(built, "SELECT count(*) FROM master.indicators")[0][0] > 0


def test_every_model_renders_for_duckdb_and_spark(built: Settings) -> None:
    from osaa_lib.transform.lineage import render_all

    result = render_all(built)
    assert not result.render_errors
    assert {"sources.sdg", "sources.wdi", "master.indicators", "wdi.csv"} <= set(result.rendered)
    assert "parquet.`" in result.rendered["sdg.data_national"]["spark"]
    assert "EXPLODE" in result.rendered["sources.wdi"]["spark"].upper()
    assert "DECIMAL" not in result.rendered["sources.wdi"]["duckdb"].upper()


def test_yaml_unit_tests_and_audits_pass(built: Settings) -> None:
    from osaa_lib.transform.lineage import validate

    result = validate(built)
    assert result.tests_run >= 5 and not result.test_failures
    audited = {(a.model, a.audit) for a in result.audits}
    for model in ("sources.sdg", "sources.opri", "sources.wdi"):
        assert (model, "unique_combination_of_columns_non_blocking") in audited
        assert (model, "not_null") in audited
        assert (model, "accepted_range_non_blocking") in audited
    assert ("master.indicators", "unique_combination_of_columns_non_blocking") in audited
    assert result.ok


def test_lineage_tree_and_html(built: Settings) -> None:
    from osaa_lib.transform.lineage import lineage

    result = lineage(built, "sources.sdg")
    tree = result.tree()
    assert "sdg.data_national" in tree and "master.indicators" in tree and "wdi.csv" not in tree
    assert result.html_path.exists() and "<svg" in result.html_path.read_text()


def test_the_published_country_reference_is_what_readers_read(built: Settings) -> None:
    """One source of truth: SQLMesh's reference.countries, published next to master."""
    from osaa_lib.notebooks.explore import reference_rows
    from osaa_lib.quality.inputs import reference_uri
    from osaa_lib.transform.reference import load_countries

    uri = reference_uri(built, open_lake(built))
    assert uri and uri.endswith("dev/staging/dev_alice/reference/countries.parquet")
    con = duckdb.connect()
    seed = load_countries(con)
    for a, b in ((f"'{uri}'", seed), (seed, f"'{uri}'")):
        assert con.execute(f"SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})").fetchone() == (
            0,
        )
    published = con.execute(f"SELECT * FROM '{uri}' ORDER BY iso3").fetchall()
    assert [tuple(r.values()) for r in reference_rows(built)] == published
    assert ("NAM", "NA") in [(r[0], r[1]) for r in published]
