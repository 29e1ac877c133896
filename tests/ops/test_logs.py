"""Structured logs: JSON lines on disk, read back with filters, secrets scrubbed, rotation."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from osaa_lib.errors import ConfigError
from osaa_lib.ops import logs, runs

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"


def _line(moment: datetime, level: str, run_id: str, message: str) -> str:
    return json.dumps(
        {
            "time": moment.isoformat().replace("+00:00", "Z"),
            "level": level,
            "run_id": run_id,
            "command": "etl",
            "logger": "t",
            "message": message,
        }
    )


def test_file_lines_are_json_with_run_context_and_scrubbed(
    make_settings, capsys: pytest.CaptureFixture
) -> None:
    s = make_settings({"AWS_SECRET_ACCESS_KEY": SECRET, "SMTP_PASSWORD": "hunter2hunter2"})
    log = logging.getLogger("osaa_lib.ingest")
    with logs.configured(s) as path, runs.track(s, "ingest") as record:
        log.info("connecting with %s", SECRET)
        log.debug("not shown at INFO")
        try:
            raise ValueError(f"refused: {SECRET} / hunter2hunter2")
        except ValueError:
            log.exception("upload failed")
        logging.getLogger("some.library").info("third-party chatter")
    entries = [json.loads(x) for x in path.read_text().splitlines()]
    assert [e["message"] for e in entries] == ["connecting with ***", "upload failed"]
    assert all(e["run_id"] == record.run_id and e["command"] == "ingest" for e in entries)
    assert entries[1]["level"] == "ERROR" and "refused: *** / ***" in entries[1]["exception"]
    console = capsys.readouterr().err
    assert "connecting with ***" in console
    for text in (path.read_text(), console):
        assert SECRET not in text and "hunter2hunter2" not in text
    assert not [h for h in logging.getLogger().handlers if getattr(h, logs._MARK, False)]


def test_read_logs_filters_by_time_level_run_and_command(tmp_path: Path) -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    old, recent = now - timedelta(days=2), now - timedelta(hours=1)
    (tmp_path / "osaa-2026-11-27.log").write_text(_line(old, "ERROR", "run-a", "old error") + "\n")
    (tmp_path / "osaa-2026-11-29.log").write_text(
        "\n".join(
            [
                _line(recent, "INFO", "run-b", "fine"),
                _line(recent + timedelta(minutes=1), "WARNING", "run-b", "hmm"),
                _line(recent + timedelta(minutes=2), "ERROR", "run-c", "broken"),
                "not json at all",
            ]
        )
        + "\n"
    )
    since = logs.parse_since("24h", now)
    assert [e.message for e in logs.read_logs(tmp_path, since)] == ["fine", "hmm", "broken"]
    assert [e.message for e in logs.read_logs(tmp_path, level="ERROR")] == ["old error", "broken"]
    assert [e.message for e in logs.read_logs(tmp_path, since, "WARNING")] == ["hmm", "broken"]
    assert [e.message for e in logs.read_logs(tmp_path, run_id="run-b")] == ["fine", "hmm"]
    assert logs.read_logs(tmp_path, command="ingest") == []


@pytest.mark.parametrize(
    ("text", "hours"), [("30m", 0.5), ("24h", 24), ("7d", 168), ("2w", 336), ("2026-11-28", 36)]
)
def test_parse_since(text: str, hours: float) -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert (now - logs.parse_since(text, now)).total_seconds() / 3600 == hours


def test_bad_filters_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="neither a duration"):
        logs.parse_since("soon")
    with pytest.raises(ConfigError, match="not one of DEBUG"):
        logs.parse_level("LOUD")


def test_prune_keeps_recent_days(tmp_path: Path) -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    for day in ("2026-11-01", "2026-11-14", "2026-11-15", "2026-11-29"):
        (tmp_path / f"osaa-{day}.log").write_text("{}\n")
    (tmp_path / "other.log").write_text("not ours")
    removed = logs.prune(tmp_path, keep_days=14, now=now)
    assert sorted(p.name for p in removed) == ["osaa-2026-11-01.log", "osaa-2026-11-14.log"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "osaa-2026-11-15.log",
        "osaa-2026-11-29.log",
        "other.log",
    ]


def test_daily_handler_switches_file_at_midnight(tmp_path: Path) -> None:
    handler = logs.DailyFileHandler(tmp_path)
    handler.setFormatter(logs.JsonFormatter())
    for stamp in ("2026-11-28T23:59:59", "2026-11-29T00:00:01"):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "at %s", (stamp,), None)
        record.created = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
        handler.handle(record)
    handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "osaa-2026-11-28.log",
        "osaa-2026-11-29.log",
    ]


def test_cli_logs_reads_back_a_failed_run(osaa, cli_env) -> None:
    failed = osaa("logs", "--since", "never")
    assert failed.exit_code == 2
    result = osaa("logs", "--level", "ERROR", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(lines) == 1 and lines[0]["level"] == "ERROR"
    assert "FAILED (exit 2)" in lines[0]["message"] and "never" in lines[0]["message"]
    run_id = lines[0]["run_id"]
    by_run = osaa("logs", "--run", run_id[:22])
    assert by_run.exit_code == 0
    assert "started logs" in by_run.stdout and "FAILED" in by_run.stdout
    assert "2 line(s)" in by_run.stdout


def test_unwritable_log_folder_falls_back_to_the_console(
    make_settings, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    s = make_settings({"OSAA_LOG_DIR": str(blocker / "logs")})
    with logs.configured(s):
        logging.getLogger("osaa_lib.x").info("still visible")
    err = capsys.readouterr().err
    assert "not writable" in err and "still visible" in err
