"""Security: names and paths from users are refused or quoted, prod needs permission, no secret
leaks anywhere (outputs, logs, run history, reports, DuckDB files), and data never becomes script.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    SECRETS,
    SQL_LABEL,
    XSS_CELL,
    XSS_LABEL,
    Reference,
    Snapshots,
    Workspace,
    assert_clean,
    lake_checksums,
    tables_under,
)

pytestmark = pytest.mark.reliability

HOSTILE = [
    "../evil",
    "/etc",
    "a'b",
    "x; DROP TABLE t",
    "Robert'); DROP TABLE students;--",
    "dev_x/../../prod",
    "name with space",
    '"quoted"',
]


@pytest.fixture
def empty_ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(Path(__file__).parents[2] / "data" / "raw", ws.raw)
    return ws


def nothing_written(ws: Workspace) -> bool:
    return not ws.lake.exists() and not any(ws.state.glob("*.duckdb"))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_username_is_refused(value: str, empty_ws: Workspace, note) -> None:
    """USERNAME from the environment or --username: refused before anything is written."""
    ws = empty_ws
    by_env = ws.cli("etl", USERNAME=value)
    assert_clean(by_env, 2, "USERNAME", "not a plain identifier")
    by_flag = ws.cli("--username", value, "ingest")
    assert_clean(by_flag, 2, "not a plain identifier")
    note("message", by_env.flat.split("error:")[-1].strip()[:140])
    assert nothing_written(ws)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_source_name_is_refused(value: str, empty_ws: Workspace) -> None:
    """`osaa ingest --source <name>`: refused as a name, no path is followed."""
    run = empty_ws.cli("ingest", "--source", value)
    assert_clean(run, 2, "source", "not a plain identifier")
    assert not empty_ws.lake.exists() or not list(empty_ws.lake.rglob("*.parquet"))


@pytest.mark.parametrize("folder", ["x'; DROP TABLE t; --", "Upper", "a b", "-dash"])
def test_hostile_source_folder_on_disk_is_refused(folder: str, empty_ws: Workspace) -> None:
    """A raw folder whose name cannot be a lake key or schema: a clear refusal naming it."""
    ws = empty_ws
    (ws.raw / folder).mkdir()
    (ws.raw / folder / "X_LABEL.csv").write_text("INDICATOR_ID,INDICATOR_LABEL_EN\nA,B\n")
    run = ws.cli("ingest")
    assert_clean(run, (2, 4), folder)
    assert run.has("not a plain identifier") or run.has("use a lower-case name")
    assert not [p for p in ws.lake.rglob("*") if folder in str(p)]


@pytest.mark.slow
@pytest.mark.parametrize("value", ["../x", "/etc/passwd", "x'; DROP TABLE t; --"])
def test_hostile_names_in_quality_and_lineage(value: str, clean_ws: Workspace, note) -> None:
    """Table, source and model names of quality, profile, diff and lineage: refused by name."""
    ws = clean_ws
    codes = {}
    for args in (
        ("quality", "--no-record", "-s", value),
        ("quality", "diff", "--source", value),
        ("profile", "-s", value),
        ("models", "lineage", value),
    ):
        run = ws.cli(*args)
        assert_clean(run, (2, 3, 5), value)
        codes[" ".join(args[:2])] = run.code
    note("exits", codes)
    assert not [p for p in ws.root.rglob("*") if "passwd" in p.name or "DROP" in p.name]


@pytest.mark.slow
def test_hostile_model_names_and_filters(clean_ws: Workspace, reference: Reference, note) -> None:
    """Model names, export filters and formats carrying SQL are refused; the database is intact."""
    ws = clean_ws
    run = ws.cli("transform", "-m", "master.indicators; DROP TABLE master.indicators")
    assert_clean(run, 5, "unknown model")
    for model in ("../../etc/passwd", "master.indicators; DROP TABLE x", "x' OR '1'='1"):
        run = ws.cli("export", "-m", model, "-o", str(ws.root / "x.csv"))
        assert_clean(run, 5, "is not a model name")
    for where in (
        "1=1; DROP TABLE master.indicators",
        "1=1) UNION ALL (SELECT * FROM master.indicators",
        "source = 'sdg' -- and the rest",
        "1=1 /* comment */",
        "1=1)) TO '/tmp/osaa-pwned.csv' (FORMAT csv) --",
    ):
        run = ws.cli(
            "export", "-m", "master.indicators", "-o", str(ws.root / "x.csv"), "--where", where
        )
        assert_clean(run, 5, "--where")
    run = ws.cli(
        "export",
        "-m",
        "master.indicators",
        "-o",
        str(ws.root / "x.csv"),
        "--format",
        "csv) TO '/tmp/osaa-pwned.csv' (FORMAT csv",
    )
    assert_clean(run, 5, "--format")
    run = ws.cli("sql", "DROP TABLE master.indicators")
    assert_clean(run, 5, "read-only")
    assert not Path("/tmp/osaa-pwned.csv").exists()
    assert not (ws.root / "x.csv").exists()
    rows = reference.published["master/indicators.parquet"][0]
    assert_clean(ws.cli("sql", "SELECT count(*) FROM master.indicators"), 0, str(rows))
    note("refused", "1 transform model, 3 export models, 5 filters, 1 format, 1 write in sql")


@pytest.mark.slow
def test_export_paths_are_quoted_or_refused(clean_ws: Workspace, reference: Reference) -> None:
    """Export paths with quotes, SQL, `..`: written exactly where resolved, or refused clearly."""
    ws = clean_ws
    rows = reference.published["master/indicators.parquet"][0]
    odd = ws.root / "out" / "o'; COPY (SELECT 42) TO 'pwned.csv' (FORMAT csv); --.csv"
    odd.parent.mkdir()
    run = ws.cli("export", "-m", "master.indicators", "-o", str(odd))
    assert_clean(run, 0, f"{rows:,} row(s)")
    assert odd.is_file() and sum(1 for _ in odd.open()) == rows + 1
    assert [p.name for p in odd.parent.iterdir()] == [odd.name]
    assert not list(ws.root.rglob("pwned.csv"))
    dotted = ws.root / "out" / ".." / "up.parquet"
    assert_clean(ws.cli("export", "-m", "sources.sdg", "-f", "parquet", "-o", str(dotted)), 0)
    assert (ws.root / "up.parquet").is_file(), "`..` is resolved, as the shell would"
    missing = ws.root / "no" / "such" / "folder.csv"
    assert_clean(ws.cli("export", "-m", "sources.sdg", "-o", str(missing)), 5, "does not exist")
    again = ws.cli("export", "-m", "sources.sdg", "-o", str(odd))
    assert_clean(again, 5, "--overwrite")
    folder = ws.cli("export", "-m", "sources.sdg", "-o", str(ws.root))
    assert_clean(folder, 5, "is a folder")


@pytest.mark.slow
def test_prod_needs_permission_and_confirmation(clean_ws: Workspace, note) -> None:
    """Promotion and restore into prod: refused without the setting, then without --yes."""
    ws = clean_ws
    assert_clean(ws.cli("promote", "--from", "dev", "--to", "qa"), 0)
    denied = ws.cli("promote", "--from", "qa", "--to", "prod")
    assert_clean(denied, 8, "OSAA_ALLOW_PROD_PROMOTION")
    unconfirmed = ws.cli(
        "promote", "--from", "qa", "--to", "prod", OSAA_ALLOW_PROD_PROMOTION="true"
    )
    assert_clean(unconfirmed, 8, "--yes")
    assert_clean(
        ws.cli(
            "promote", "--from", "dev", "--to", "prod", "--yes", OSAA_ALLOW_PROD_PROMOTION="true"
        ),
        8,
        "one step at a time",
    )
    for user in ("../tester", "a'b"):
        assert_clean(ws.cli("promote", "--from", "dev", "--to", "qa", "--user", user), 8)
    restore = ws.cli("restore", "--backup", "../../etc", "--to", "prod", "--yes")
    assert_clean(restore, 8)
    assert not (ws.lake / "prod").exists() or not list((ws.lake / "prod").rglob("*.parquet"))
    allowed = ws.cli(
        "promote", "--from", "qa", "--to", "prod", "--yes", OSAA_ALLOW_PROD_PROMOTION="true"
    )
    assert_clean(allowed, 0)
    assert tables_under(ws.lake / "prod" / "staging") == tables_under(ws.lake / "qa" / "staging")
    note("refused", "prod without setting, without --yes, dev->prod, 2 bad users, bad backup id")


# -- one full session of commands with planted secrets, inspected by the two tests below -----


@pytest.fixture(scope="module")
def pipeline_result(snapshots: Snapshots) -> tuple[Path, list]:
    """Every command an analyst runs, with fake secrets planted; the folder is kept for grepping.

    Failures are included on purpose (they write logs and send alerts to the configured,
    unreachable SMTP server and webhook, which is where secrets usually leak).
    """
    ws = snapshots.restore("clean")
    assert_clean(ws.cli("config-test"), 0)
    assert_clean(ws.cli("etl"), 0)
    assert_clean(ws.cli("quality"), (0, 7))
    assert_clean(ws.run("run-pipeline", timeout=900), (0, 7))
    assert_clean(ws.run("run-notebooks", "explore", timeout=900), 0)
    assert_clean(ws.cli("ingest", "--source", "nosuch"), 4)
    assert_clean(ws.cli("sql", "SELECT * FROM nosuch_table"), 5)
    assert_clean(ws.cli("promote", "--from", "dev", "--to", "qa"), 0)
    assert_clean(ws.cli("backup", "--env", "qa"), 0)
    assert_clean(ws.cli("status"), (0, 1))
    assert_clean(ws.cli("logs", "--since", "1d"), 0)
    assert_clean(ws.cli("storage-report"), 0)
    kept = snapshots.base / "pipeline-result"
    if kept.exists():
        shutil.rmtree(kept)
    shutil.copytree(ws.root, kept, symlinks=True)
    return kept, ws.runs


@pytest.mark.slow
def test_no_secret_in_any_output_or_file(pipeline_result: tuple[Path, list], note) -> None:
    """The planted AWS keys, SMTP password and webhook URL appear in no output and no file."""
    root, runs = pipeline_result
    needles = [v.encode() for v in SECRETS.values()]
    needles.append(b"reliability-webhook-5f4e3d2c")
    files = [p for p in root.rglob("*") if p.is_file() and "raw" not in p.relative_to(root).parts]
    leaks = []
    for path in files:
        data = path.read_bytes()
        leaks += [f"{path.relative_to(root)}: {n.decode()}" for n in needles if n in data]
    for run in runs:
        leaks += [f"output of {run.args}: {n.decode()}" for n in needles if n.decode() in run.out]
    kinds = {
        "duckdb": sum(p.suffix == ".duckdb" for p in files),
        "logs": sum(p.suffix == ".log" for p in files),
        "run records": sum("ops/runs" in p.as_posix() for p in files),
        "reports": sum(p.suffix in (".html", ".ipynb") for p in files),
    }
    note("scanned", f"{len(files)} files ({kinds}), {len(runs)} command outputs")
    assert kinds["duckdb"] and kinds["logs"] and kinds["run records"] and kinds["reports"]
    assert leaks == []


@pytest.mark.slow
def test_reports_show_script_from_data_as_text(pipeline_result: tuple[Path, list], note) -> None:
    """A label and a cell holding <script> are escaped text in every HTML report, never markup."""
    root, _ = pipeline_result
    pages = sorted((root / "reports").rglob("*.html"))
    assert pages
    shown = {XSS_LABEL: [], XSS_CELL: []}
    for page in pages:
        text = page.read_text(errors="replace")
        for payload, where in shown.items():
            assert payload not in text, f"{page.name} carries live script from the data"
            if html.escape(payload, quote=False) in text or html.escape(payload) in text:
                where.append(page.name)
    note("escaped in", {k[8:28]: sorted(set(v)) for k, v in shown.items()})
    assert shown[XSS_CELL], "the rejected cell is listed (escaped) in the ingest report"
    assert shown[XSS_LABEL], "the labels are shown (escaped) in the explorer's snapshot"


def test_sql_in_labels_is_data(clean_ws: Workspace) -> None:
    """A label holding SQL lands and publishes as plain text; no table was dropped."""
    import duckdb

    master = clean_ws.staging() / "master" / "indicators.parquet"
    found = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{master}') WHERE starts_with(indicator_description,"
        " $$Robert'); DROP TABLE master.indicators; --$$)"
    ).fetchone()[0]
    assert SQL_LABEL.startswith("Robert'); DROP")
    assert found > 0
    assert lake_checksums(clean_ws.staging())
