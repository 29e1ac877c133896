"""DuckDB settings from configuration reach every connection: ours and SQLMesh's."""

from __future__ import annotations

from pathlib import Path

import pytest

from osaa_lib.db import connect

QUERY = (
    "SELECT current_setting('memory_limit'), current_setting('threads'), "
    "current_setting('preserve_insertion_order'), current_setting('temp_directory')"
)


@pytest.fixture
def tuned(make_settings, tmp_path: Path):
    return make_settings(
        {
            "DUCKDB_MEMORY_LIMIT": "1GB",
            "DUCKDB_THREADS": "1",
            "DUCKDB_PRESERVE_INSERTION_ORDER": "false",
            "DUCKDB_TEMP_DIRECTORY": str(tmp_path / "duck-spill"),
        }
    )


def _expected(settings) -> tuple:
    import duckdb

    with duckdb.connect(config={"memory_limit": "1GB"}) as plain:
        memory = plain.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    return (memory, 1, False, str(settings.duckdb_temp_directory))


def test_connect_applies_settings(tuned, tmp_path: Path) -> None:
    with connect(tuned, tmp_path / "x.duckdb") as con:
        assert con.execute(QUERY).fetchone() == _expected(tuned)
    with connect(tuned) as con:
        default = con.execute("SELECT current_setting('threads')").fetchone()[0]
        assert default == 1


def test_sqlmesh_context_connection_applies_settings(tuned) -> None:
    project = pytest.importorskip("osaa_lib.transform.project")
    context = project.open_context(tuned)
    try:
        adapter = context.engine_adapter
        assert adapter.fetchone(QUERY) == _expected(tuned)
    finally:
        context.close()


def test_no_module_opens_duckdb_around_the_settings() -> None:
    """Every connection goes through osaa_lib.db (or SQLMesh's config built from it).

    The sample generator is the one exception: it makes test data, not pipeline data.
    """
    import re

    from tests.conftest import REPO

    allowed = {"osaa_lib/db.py", "osaa_lib/sample/generator.py"}
    offenders = []
    for path in [*REPO.glob("osaa_lib/**/*.py"), *REPO.glob("notebooks/*.py")]:
        rel = path.relative_to(REPO).as_posix()
        if rel not in allowed and re.search(r"\bduckdb\.connect\(", path.read_text()):
            offenders.append(rel)
    assert offenders == [], f"use osaa_lib.db.connect(settings, ...) in {offenders}"


def test_values_with_quotes_reach_duckdb_as_values(make_settings, tmp_path: Path) -> None:
    spill = tmp_path / "it's here"
    s = make_settings(
        {
            "DUCKDB_TEMP_DIRECTORY": str(spill),
            "OSAA_LAKE": "s3://osaa-test/lake",
            "S3_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: no request is made
            "AWS_ACCESS_KEY_ID": "AKIA'EXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "s3cr'et/value",
        }
    )
    from osaa_lib.db import s3_secret

    sql, params = s3_secret(s)
    assert "AKIA" not in sql and "s3cr" not in sql  # keys travel as parameters only
    assert "AKIA'EXAMPLE" in params and "s3cr'et/value" in params
    with connect(s) as con:
        assert con.execute("SELECT current_setting('temp_directory')").fetchone() == (str(spill),)
        (secret,) = con.execute(
            "SELECT name, persistent, secret_string FROM duckdb_secrets()"
        ).fetchall()
    name, persistent, shown = secret
    assert (name, persistent) == ("osaa_s3", False)
    assert "key_id=AKIA'EXAMPLE" in shown and "endpoint=127.0.0.1:9" in shown
    assert "use_ssl=false" in shown and "url_style=path" in shown
    assert "s3cr'et" not in shown  # DuckDB redacts the secret itself
