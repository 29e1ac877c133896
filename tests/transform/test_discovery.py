"""What the project makes of the landing zone: layouts, file names, handwritten models, warnings.

`find_landed_sources` reads only the lake's listing and Parquet footers, so these run without
SQLMesh; the models they imply are built in test_new_sources and test_incremental.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osaa_lib.ingest import ingest
from osaa_lib.transform.project import find_landed_sources, handwritten_sources
from tests.transform.conftest import copy_project, make
from tests.transform.landing import UPSTREAM, land_csv, land_samples

UIS = "indicator_id,country_id,year,value,magnitude,qualifier"


def raw(project, source: str) -> dict[str, dict]:
    return {bp["table"]: bp for bp in project.blueprints["raw"] if bp["source"] == source}


def test_file_names_agree_between_ingest_and_transform(tmp_path: Path) -> None:
    settings = make(tmp_path)
    land_samples(settings)
    folder = settings.raw_dir / "ghi"
    folder.mkdir(parents=True)
    (folder / "ghi_data_national.csv").write_text(f"{UIS}\nA,KEN,2020,1.5,,\n")
    (folder / "ghi_label.csv").write_text("indicator_id,indicator_label_en\nA,Alpha\n")
    assert ingest(settings, sources=["ghi"]).ok
    project = find_landed_sources(settings)
    assert "ghi" in project.sources and not project.ignored
    assert {t: bp["stem"] for t, bp in raw(project, "ghi").items()} == {
        "data_national": "GHI_DATA_NATIONAL",
        "label": "GHI_LABEL",
    }


def test_a_landed_file_in_another_case_is_still_its_layout(tmp_path: Path) -> None:
    """A lake landed by hand (or by an older ingest) may spell stems differently."""
    settings = make(tmp_path)
    land_samples(settings)
    land_csv(settings, "ghi", UPSTREAM / "edu/OPRI_DATA_NATIONAL.csv", "ghi_data_national")
    land_csv(settings, "ghi", UPSTREAM / "edu/OPRI_LABEL.csv", "Ghi_Label")
    project = find_landed_sources(settings)
    assert sorted(bp["source"] for bp in project.blueprints["uis"]) == ["ghi", "opri", "sdg"]
    assert raw(project, "ghi")["data_national"]["stem"] == "ghi_data_national"
    assert raw(project, "ghi")["label"]["stem"] == "Ghi_Label"
    assert json.loads(raw(project, "ghi")["data_national"]["fields"])["year"] == "INTEGER"
    assert not project.missing()


def test_columns_a_layout_does_not_carry_are_named(tmp_path: Path) -> None:
    settings = make(tmp_path)
    land_samples(settings, ("opri", "wdi"))
    csv = tmp_path / "SDG_DATA_NATIONAL.csv"
    lines = (UPSTREAM / "edu/SDG_DATA_NATIONAL.csv").read_text().splitlines()
    csv.write_text("\n".join([lines[0] + ",unit"] + [f"{line},%" for line in lines[1:]]) + "\n")
    land_csv(settings, "sdg", csv)
    land_csv(settings, "sdg", UPSTREAM / "edu/SDG_LABEL.csv")
    (warning,) = find_landed_sources(settings).warnings
    assert warning.startswith("sdg/SDG_DATA_NATIONAL: column(s) unit are not carried")
    assert "models/sources/sdg/" in warning


def test_long_files_are_a_source_other_files_get_raw_views(tmp_path: Path) -> None:
    settings = make(tmp_path)
    land_samples(settings)
    long = tmp_path / "mortality.csv"
    long.write_text("country,year,indicator,value,unit\nKEN,2020,U5MR,41,per 1000\n")
    land_csv(settings, "unicef", long)
    odd = tmp_path / "Regions 2024.csv"
    odd.write_text("code,name\nKEN,Kenya\n")
    land_csv(settings, "unicef", odd)
    land_csv(settings, "misc", odd)
    project = find_landed_sources(settings)
    (entry,) = project.blueprints["long"]
    (spec,) = json.loads(entry["files"])
    assert entry["source"] == "unicef" and spec["table"] == "mortality"
    assert spec["columns"]["country_id"] == "country" and spec["extras"] == ["unit"]
    assert set(raw(project, "unicef")) == {"mortality", "regions_2024"}
    assert project.ignored == ["misc"] and set(raw(project, "misc")) == {"regions_2024"}
    assert sorted(project.raw_models("unicef")) == ["unicef.mortality", "unicef.regions_2024"]


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("unesco_cult/employment.py", '@model(\n    "sources.unesco_cult",\n    is_sql=True,\n)'),
        ("unesco_cult.py", '@model(name="sources.unesco_cult", kind="FULL")'),
        ("unesco/cult.sql", "MODEL (\n  name sources.unesco_cult,\n  kind FULL\n);\nSELECT 1"),
    ],
)
def test_handwritten_source_models_in_any_folder(tmp_path: Path, relative: str, text: str) -> None:
    project_dir = copy_project(tmp_path / "checkout")
    settings = make(tmp_path, OSAA_PROJECT_DIR=str(project_dir))
    path = project_dir / "sqlMesh" / "models" / "sources" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    assert handwritten_sources(settings) == ["unesco_cult"]
    land_samples(settings)
    land_csv(settings, "unesco_cult", UPSTREAM / "edu/SDG_DATA_NATIONAL.csv", "cult")
    project = find_landed_sources(settings)
    assert "unesco_cult" in project.sources and "unesco_cult" not in project.ignored
    assert project.raw_models("unesco_cult") == ["unesco_cult.cult"]


def test_a_folder_with_a_project_schema_name_is_refused(tmp_path: Path) -> None:
    settings = make(tmp_path)
    land_samples(settings)
    land_csv(settings, "master", UPSTREAM / "edu/SDG_LABEL.csv")
    project = find_landed_sources(settings)
    assert "master" in project.ignored and not raw(project, "master")
    assert any("'master'" in w and "project schema" in w for w in project.warnings)
