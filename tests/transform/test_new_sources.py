"""New sources the way the runbook and docs/transform.md tell analysts to add them.

Each test works on a fresh copy of the project (`copy_project`) with the committed sample in its
raw folder, runs the `osaa` commands the runbook's `docker compose` lines stand for, and reads
the published `master.indicators` Parquet, which is what downstream users get.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from osaa_lib.cli import app
from osaa_lib.config import Settings
from osaa_lib.lake import open_lake
from osaa_lib.lake.keys import master_key, staging_prefix
from tests.conftest import environment_at
from tests.transform.conftest import REPO, copy_project, make

runner = CliRunner()

# "Adding New Datasets", step 2, as the runbook prints it; only the placeholders are filled
# in, and `pass` becomes a query in the runbook's Ibis style.
RUNBOOK_MODEL = """import ibis
from sqlmesh.core.macros import MacroEvaluator
from sqlmesh.core.model import model

COLUMN_SCHEMA = {
    "indicator_id": "String",
    "country_id": "String",
    "year": "Int",
    "value": "Decimal",
}

@model(
    "sources.unesco_cult",
    is_sql=True,
    kind="FULL",
    columns=COLUMN_SCHEMA,
    description="Cultural employment, UNESCO"
)
def entrypoint(evaluator: MacroEvaluator) -> str:
    raw = ibis.table(
        {"series": "string", "area": "string", "time": "int64", "observation": "float64",
         "unit": "string"},
        name="cult_employment",
        database="unesco_cult",
    )
    expr = raw.select(
        indicator_id=raw.series,
        country_id=raw.area,
        year=raw.time.cast("int32"),
        value=raw.observation,
    )
    return ibis.to_sql(expr, dialect="duckdb")
"""
# A publisher's file in no layout the workbench knows (the model above maps it).
YOUR_DATA = (
    "Series,Area,Time,Observation,Unit\n"
    "CULT.EMP,KEN,2019,1.25,%\n"
    "CULT.EMP,KEN,2020,1.5,%\n"
    "CULT.EMP,NAM,2020,0.8125,%\n"
)


def osaa(settings: Settings, project: Path, *args: str):
    env = environment_at(settings_root(settings), USERNAME=settings.username)
    env.update(OSAA_PROJECT_DIR=str(project), DUCKDB_THREADS="2", COLUMNS="300")
    return runner.invoke(app, list(args), env=env)


def settings_root(settings: Settings) -> Path:
    return Path(settings.raw_dir).parent


def published(settings: Settings, where: str = "") -> list[tuple]:
    uri = open_lake(settings).uri(master_key(settings))
    return duckdb.sql(f"SELECT * FROM '{uri}' {where} ORDER BY ALL").fetchall()


def master_types(settings: Settings) -> dict[str, str]:
    uri = open_lake(settings).uri(master_key(settings))
    return dict(duckdb.sql(f"SELECT column_name, column_type FROM (DESCRIBE '{uri}')").fetchall())


def project_files(project: Path) -> set[Path]:
    return {
        p for p in (project / "sqlMesh").rglob("*.*") if not {"__pycache__", "logs"} & set(p.parts)
    }


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Settings, Path]:
    """A fresh project copy and the committed sample in the raw folder, for user `test`."""
    project = copy_project(tmp_path / "checkout")
    settings = make(tmp_path, "test", OSAA_PROJECT_DIR=str(project))
    shutil.copytree(REPO / "data" / "raw", settings.raw_dir)
    return settings, project


@pytest.mark.slow
def test_runbook_adding_a_dataset_then_a_column(workspace) -> None:
    settings, project = workspace
    # Step 1: Prepare Source Data
    folder = settings.raw_dir / "unesco_cult"
    folder.mkdir()
    (folder / "cult_employment.csv").write_text(YOUR_DATA)
    # Step 2: Create Source Model at sqlMesh/models/sources/<source_name>/<model_name>.py
    model_file = project / "sqlMesh" / "models" / "sources" / "unesco_cult" / "employment.py"
    model_file.parent.mkdir(parents=True)
    model_file.write_text(RUNBOOK_MODEL)
    # Step 3: Test in development (`docker compose run --rm -e USERNAME=test pipeline etl`)
    result = osaa(settings, project, "etl")
    assert result.exit_code == 0, result.output
    assert "dev/staging/dev_test" in result.output
    rows = published(settings, "WHERE source = 'unesco_cult'")
    assert rows == [
        ("CULT.EMP", "KEN", 2019, 1.25, None, None, None, None, "unesco_cult"),
        ("CULT.EMP", "KEN", 2020, 1.5, None, None, None, None, "unesco_cult"),
        ("CULT.EMP", "NAM", 2020, 0.813, None, None, None, None, "unesco_cult"),
    ]
    # the runbook's bare "Decimal" is DECIMAL(18,3): master keeps DOUBLE and the run says why
    # 0.8125 came out as 0.813
    assert master_types(settings)["value"] == "DOUBLE"
    assert "sources.unesco_cult declares value as DECIMAL(18, 3)" in result.output
    assert len(published(settings, "WHERE source = 'sdg'")) > 0

    # Schema Updates, Adding a Column: 1. COLUMN_SCHEMA, 2. column_descriptions, 3. etl --model
    text = model_file.read_text()
    text = text.replace('"value": "Decimal",', '"value": "Decimal",\n    "unit": "String",')
    text = text.replace(
        "    columns=COLUMN_SCHEMA,",
        '    columns=COLUMN_SCHEMA,\n    column_descriptions={"unit": "Unit of measure"},',
    )
    text = text.replace("        value=raw.observation,", "        value=raw.observation,\n"
                        "        unit=raw.unit,")  # fmt: skip
    model_file.write_text(text)
    result = osaa(settings, project, "etl", "--model", "employment")
    assert result.exit_code == 0, result.output
    rows = published(settings, "WHERE source = 'unesco_cult'")
    assert [r[7] for r in rows] == [{"unit": "%"}] * 3
    assert {r[8] for r in rows} == {"unesco_cult"}

    # Partial Reprocessing: `etl --model sources.<source_name>` after the publisher's update
    (folder / "cult_employment.csv").write_text(YOUR_DATA + "CULT.EMP,ZMB,2021,2,%\n")
    result = osaa(settings, project, "etl", "--model", "sources.unesco_cult")
    assert result.exit_code == 0, result.output
    rows = published(settings, "WHERE source = 'unesco_cult' AND country_id = 'ZMB'")
    assert rows == [("CULT.EMP", "ZMB", 2021, 2.0, None, None, None, {"unit": "%"}, "unesco_cult")]


@pytest.mark.slow
def test_runbook_model_one_folder_up_reaches_master_too(workspace) -> None:
    """`models/sources/<source_name>.py` (the older place) works the same way."""
    settings, project = workspace
    (settings.raw_dir / "unesco_cult").mkdir()
    (settings.raw_dir / "unesco_cult" / "cult_employment.csv").write_text(YOUR_DATA)
    model = RUNBOOK_MODEL.replace('"value": "Decimal"', '"value": "Double"')
    (project / "sqlMesh" / "models" / "sources" / "unesco_cult.py").write_text(model)
    result = osaa(settings, project, "etl")
    assert result.exit_code == 0, result.output
    assert "DECIMAL" not in result.output
    values = [r[3] for r in published(settings, "WHERE source = 'unesco_cult'")]
    assert values == [1.25, 1.5, 0.8125]


LONG_CSV = (
    "Country Code,Year,Indicator,Value,Unit,Note\n"
    'KEN,2020,U5MR,41.2,"deaths per 1,000",\n'
    'NAM,2020,U5MR,39.5,"deaths per 1,000",provisional\n'
    "NA,2021,U5MR,38.25,,\n"
)


@pytest.mark.slow
def test_long_layout_csv_reaches_master_with_no_code(workspace) -> None:
    settings, project = workspace
    folder = settings.raw_dir / "unicef"
    folder.mkdir()
    (folder / "child_mortality.csv").write_text(LONG_CSV)
    (folder / "stunting.csv").write_text("country,year,indicator,value\nKEN,2022,STUNT,17.5\n")
    before = project_files(project)
    result = osaa(settings, project, "etl")
    assert result.exit_code == 0, result.output
    assert project_files(project) == before, "no code: nothing was added to the project"
    rows = published(settings, "WHERE source = 'unicef'")
    unit = "deaths per 1,000"
    assert rows == [
        ("STUNT", "KEN", 2022, 17.5, None, None, None, None, "unicef"),
        ("U5MR", "KEN", 2020, 41.2, None, None, None, {"unit": unit, "note": None}, "unicef"),
        ("U5MR", "NA", 2021, 38.25, None, None, None, {"unit": None, "note": None}, "unicef"),
        ("U5MR", "NAM", 2020, 39.5, None, None, None, {"unit": unit, "note": "provisional"},
         "unicef"),
    ]  # fmt: skip
    found = {o.key for o in open_lake(settings).list(staging_prefix(settings))}
    assert "dev/staging/dev_test/sources/unicef.parquet" in found

    from osaa_lib.transform.lineage import render_all

    rendered = render_all(settings)
    assert not rendered.render_errors
    assert "MAP_FROM_ARRAYS" in rendered.rendered["sources.unicef"]["spark"]
    assert "MAP_FROM_ARRAYS" not in rendered.rendered["master.indicators"]["spark"]
