"""The lake commands end to end through the real CLI on S3, and no secret in any output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from osaa_lib.config import Settings
from osaa_lib.lake import open_lake
from osaa_lib.lake.backup import list_backups
from tests.lake.seed import seed_dev
from tests.s3_server import FAKE_KEY_ID, FAKE_SECRET

pytestmark = pytest.mark.s3


def env_of(s: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "OSAA_PROJECT_DIR": str(s.project_dir),
        "OSAA_LAKE": s.lake_root,
        "S3_ENDPOINT_URL": s.s3_endpoint_url or "",
        "AWS_ACCESS_KEY_ID": FAKE_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "OSAA_RAW_DIR": str(tmp_path / "raw"),
        "OSAA_STATE_DIR": str(tmp_path / "state"),
        "OSAA_REPORTS_DIR": str(tmp_path / "reports"),
        "OSAA_LOG_DIR": str(tmp_path / "logs"),
        "USERNAME": "tester",
        "TARGET": "dev",
        "COLUMNS": "250",
    }


def test_cli_promote_backup_restore_drill_report(
    s3_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from osaa_lib.cli import app

    s = s3_settings()
    lake = open_lake(s)
    seed_dev(s, lake)
    env = env_of(s, tmp_path)
    outputs: list[str] = []

    def osaa(*args: str, **extra: str) -> Result:
        res = CliRunner().invoke(app, list(args), env={**env, **extra})
        outputs.append(res.output)
        res.flat = " ".join(res.output.split())  # type: ignore[attr-defined]
        return res

    dry = osaa("promote", "--from", "dev", "--to", "qa", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.flat and "qa/staging/master/indicators.parquet" in dry.flat
    assert lake.list("qa") == []

    bad = osaa("promote", "--from", "dev", "--to", "qa", "--user", "../prod")
    assert bad.exit_code == 8 and "not a plain identifier" in bad.flat

    ok = osaa("promote", "--from", "dev", "--to", "qa")
    assert ok.exit_code == 0, ok.output
    assert "5 objects verified" in ok.flat

    refused = osaa("promote", "--from", "qa", "--to", "prod", "--yes")
    assert refused.exit_code == 8 and "OSAA_ALLOW_PROD_PROMOTION" in refused.flat
    unconfirmed = osaa("promote", "--from", "qa", "--to", "prod", OSAA_ALLOW_PROD_PROMOTION="true")
    assert unconfirmed.exit_code == 8 and "--yes" in unconfirmed.flat
    assert lake.list("prod") == []
    prod = osaa(
        "promote", "--from", "qa", "--to", "prod", "--yes", OSAA_ALLOW_PROD_PROMOTION="true"
    )
    assert prod.exit_code == 0, prod.output

    assert osaa("backup", "--env", "prod").exit_code == 0
    listed = osaa("backups", "list")
    assert listed.exit_code == 0
    backups = list_backups(s)
    assert [b.env for b in backups].count("prod") == 2  # before the promotion, and now
    empty_qa = next(b for b in backups if b.env == "qa")
    refused_empty = osaa("restore", "--backup", empty_qa.backup_id, "--to", "qa")
    assert refused_empty.exit_code == 8 and "holds no objects" in refused_empty.flat
    lake.delete("qa/staging/sources/sdg.parquet")
    restored = osaa("restore", "--backup", backups[0].backup_id, "--to", "qa")
    assert restored.exit_code == 0, restored.output
    assert lake.exists("qa/staging/sources/sdg.parquet")
    drill = osaa("dr-test")
    assert drill.exit_code == 0, drill.output
    assert "DR drill passed" in drill.flat

    pruned = osaa("backups", "prune", "--keep", "1", "--env", "prod", "--dry-run")
    assert pruned.exit_code == 0 and "would delete" in pruned.flat
    assert len(list_backups(s, env="prod")) >= 2

    report = osaa("storage-report", "--monthly")
    assert report.exit_code == 0, report.output
    assert (tmp_path / "reports" / "storage-monthly.html").is_file()

    assert osaa("restore", "--backup", "../../etc", "--to", "qa").exit_code == 8

    # no secret anywhere: command output, local files (logs, reports, state), lake objects
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in written)
    texts = outputs + [p.read_bytes().decode("utf-8", "replace") for p in written]
    texts += [
        lake.read_bytes(o.key).decode("utf-8", "replace")
        for o in lake.list()
        if not o.key.endswith(".parquet")
    ]
    texts += [
        open_lake(s, s.backup_root).read_bytes(o.key).decode()
        for o in open_lake(s, s.backup_root).list()
        if o.key.endswith(".json")
    ]
    for text in texts:
        assert FAKE_KEY_ID not in text and FAKE_SECRET not in text


def test_cli_unreachable_endpoint_names_it_and_hides_keys(
    s3_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from osaa_lib.cli import app
    from tests.s3_server import free_ports

    (port,) = free_ports(1)
    s = s3_settings()
    env = {**env_of(s, tmp_path), "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    res = CliRunner().invoke(app, ["backups", "list"], env=env)
    assert res.exit_code == 3, res.output
    flat = " ".join(res.output.split())
    assert f"127.0.0.1:{port}" in flat and "unreachable" in flat
    assert FAKE_KEY_ID not in res.output and FAKE_SECRET not in res.output
