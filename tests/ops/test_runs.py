"""Run history: every command leaves a record in the lake, failures included."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer

from osaa_lib.cli._common import guarded
from osaa_lib.errors import IngestError
from osaa_lib.lake import Lake, LocalLake, keys
from osaa_lib.ops import runs


def _records(lake: Lake) -> list[dict]:
    return [json.loads(lake.read_bytes(o.key)) for o in lake.list("ops/runs")]


def test_cli_success_is_recorded(osaa, lake: Lake) -> None:
    result = osaa("config-test")
    assert result.exit_code == 0, result.output
    (rec,) = _records(lake)
    assert rec["command"] == "config-test"
    assert rec["status"] == "success" and rec["exit_code"] == 0 and rec["error"] is None
    assert rec["user"] == "tester" and rec["target"] == "dev" and rec["space"] == "dev_tester"
    assert rec["duration_s"] >= 0 and rec["end"] >= rec["start"]
    day = rec["start"][:10]
    assert lake.list("ops/runs")[0].key == f"ops/runs/{day}/{rec['run_id']}.json"
    assert rec["log_file"].endswith(f"osaa-{day}.log")


def test_cli_osaa_error_is_recorded_failed_with_exit_code(osaa, lake: Lake) -> None:
    result = osaa("logs", "--since", "yesterday-ish")
    assert result.exit_code == 2
    assert "error:" in result.output and "yesterday-ish" in result.output
    (rec,) = _records(lake)
    assert rec["command"] == "logs" and rec["status"] == "failed" and rec["exit_code"] == 2
    assert "neither a duration" in rec["error"]
    assert rec["arguments"]["since"] == "yesterday-ish"


def _app_with(fn) -> typer.Typer:
    app = typer.Typer()
    app.command("boom")(guarded(fn))

    @app.command("other")
    def other() -> None:
        """A second command so that `boom` is addressed by name."""

    return app


def test_unexpected_exception_is_recorded_and_still_raised(osaa, lake: Lake) -> None:
    def boom(ctx: typer.Context, rows: int = 3) -> None:
        runs.record_stage("load", rows_in=rows, rows_out=rows - 1, bytes_written=10, seconds=0.1)
        raise RuntimeError("disk on fire")

    result = osaa("boom", "--rows", "5", app_=_app_with(boom))
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    (rec,) = _records(lake)
    assert rec["status"] == "failed" and rec["error"] == "RuntimeError: disk on fire"
    assert rec["stages"][0]["name"] == "load" and rec["stages"][0]["rows_out"] == 4
    assert rec["bytes_written"] == 10 and rec["arguments"] == {"rows": 5}


def test_typer_exit_nonzero_counts_as_failure(osaa, lake: Lake) -> None:
    def boom(ctx: typer.Context) -> None:
        raise typer.Exit(7)

    assert osaa("boom", app_=_app_with(boom)).exit_code == 7
    (rec,) = _records(lake)
    assert rec["status"] == "failed" and rec["exit_code"] == 7


def test_secrets_never_reach_the_record(osaa, lake: Lake) -> None:
    secret = "AKIAverysecretvalue123"

    def boom(ctx: typer.Context, token: str = "") -> None:
        raise IngestError(f"S3 said no to key {secret}")

    result = osaa("boom", "--token", secret, app_=_app_with(boom), AWS_SECRET_ACCESS_KEY=secret)
    assert result.exit_code == IngestError.exit_code
    raw = lake.read_bytes(lake.list("ops/runs")[0].key).decode()
    assert secret not in raw and "***" in raw


def test_history_failure_only_warns(
    settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the lake should be")
    with caplog.at_level(logging.WARNING), runs.track(settings, "ingest", lake=LocalLake(blocker)):
        done = True
    assert done
    assert "run history could not be written" in caplog.text


def test_track_library_api_and_current(settings, lake: Lake) -> None:
    assert runs.current() is None
    assert runs.record_stage("ignored", rows_in=1) is None
    with runs.track(settings, "ingest", {"sources": ["sdg"]}) as record:
        assert runs.current() is record
        assert json.loads(lake.read_bytes(record.key))["status"] == "running"
        with runs.timed("ingest sdg", source="sdg") as stage:
            stage.rows_in, stage.rows_out, stage.bytes_written = 10, 9, 1234
        worker = threading.Thread(target=record.stage, args=("thread",), kwargs={"seconds": 1})
        worker.start()
        worker.join()
    assert runs.current() is None
    (saved,) = runs.load_runs(lake)
    assert saved.status == "success" and saved.arguments == {"sources": ["sdg"]}
    by_name = {s.name: s for s in saved.stages}
    assert by_name["ingest sdg"].rows_out == 9 and by_name["ingest sdg"].seconds >= 0
    assert by_name["ingest sdg"].extra == {"source": "sdg"}
    assert saved.bytes_written == 1234


def test_track_records_failure_and_reraises(settings, lake: Lake) -> None:
    with pytest.raises(ValueError, match="bad row"), runs.track(settings, "transform"):
        raise ValueError("bad row 7")
    (saved,) = runs.load_runs(lake)
    assert saved.status == "failed" and saved.exit_code == 1
    assert saved.error == "ValueError: bad row 7"


def test_load_runs_window_and_latest(settings, lake: Lake) -> None:
    now = datetime.now(UTC)
    for days, command, status in (
        (40, "ingest", "success"),
        (3, "ingest", "failed"),
        (2, "ingest", "success"),
        (1, "etl", "failed"),
    ):
        start = now - timedelta(days=days)
        rec = runs.RunRecord(
            keys.new_run_id(start),
            command,
            {},
            "tester",
            "",
            "dev",
            "dev_tester",
            "h",
            1,
            start.isoformat(),
            status=status,
        )
        runs.save(lake, rec)
    recent = runs.load_runs(lake, since=now - timedelta(days=7))
    assert [r.command for r in recent] == ["ingest", "ingest", "etl"]
    latest = {r.command: r.status for r in runs.latest_per_command(recent)}
    assert latest == {"ingest": "success", "etl": "failed"}
    assert len(runs.load_runs(lake)) == 4


def test_status_command_fails_when_latest_run_failed(osaa, settings, lake: Lake) -> None:
    with pytest.raises(IngestError), runs.track(settings, "ingest"):
        raise IngestError("sdg: header missing")
    result = osaa("status")
    assert result.exit_code == 1
    assert "failed" in result.output and "ingest" in result.output
    with runs.track(settings, "ingest"):
        pass
    result = osaa("status")
    assert result.exit_code == 0, result.output
    assert "all latest runs succeeded" in result.output


def test_crashed_run_shows_as_crashed(osaa, settings, lake: Lake) -> None:
    rec = runs.start_record(settings, "etl", {})
    rec.pid = 2**22 + 12345  # no such process on this host
    runs.save(lake, rec)
    assert runs.is_stale(runs.load_runs(lake)[0])
    result = osaa("status")
    assert result.exit_code == 1 and "crashed" in result.output


def test_subcommands_are_named_by_their_path(osaa, lake: Lake) -> None:
    app, models = typer.Typer(), typer.Typer()
    app.add_typer(models, name="models")

    @models.command("list")
    @guarded
    def list_models(ctx: typer.Context, schema: str = "master") -> None:
        """List models."""

    @app.command("other")
    def other() -> None:
        """Another command."""

    assert osaa("models", "list", "--schema", "sources", app_=app).exit_code == 0
    (rec,) = _records(lake)
    assert rec["command"] == "models list" and rec["arguments"] == {"schema": "sources"}


def test_nested_guarded_calls_record_one_run(osaa, lake: Lake) -> None:
    @guarded
    def inner(ctx: typer.Context) -> None:
        runs.record_stage("inner", seconds=0.5)

    def outer(ctx: typer.Context) -> None:
        inner(ctx)

    assert osaa("boom", app_=_app_with(outer)).exit_code == 0
    (rec,) = _records(lake)
    assert rec["command"] == "boom" and [s["name"] for s in rec["stages"]] == ["inner"]


def test_counters_accumulate_in_one_stage(settings, lake: Lake) -> None:
    assert runs.add_to_stage("s3 uploads", uploads=1) is None
    with runs.track(settings, "promote") as record:

        def upload(size: int, ok: bool) -> None:
            runs.add_to_stage(
                "s3 uploads",
                uploads=1,
                upload_failures=0 if ok else 1,
                bytes_uploaded=size if ok else 0,
                retries=0 if ok else 2,
            )

        threads = [threading.Thread(target=upload, args=(100, i != 3)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    (saved,) = runs.load_runs(lake)
    (stage,) = saved.stages
    assert (stage.uploads, stage.upload_failures, stage.bytes_uploaded) == (8, 1, 700)
    assert stage.extra == {"retries": 2} and saved.bytes_uploaded == 700 == record.bytes_uploaded


def test_status_json_for_monitoring_systems(osaa, settings, make_settings, lake: Lake) -> None:
    with runs.track(settings, "ingest"):
        pass
    with pytest.raises(IngestError), runs.track(make_settings({"TARGET": "qa"}), "ingest"):
        raise IngestError("qa landing unreachable")
    result = osaa("status", "--json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    got = {(r["command"], r["space"]): (r["status"], r["error"]) for r in rows}
    assert got == {
        ("ingest", "dev_tester"): ("success", None),
        ("ingest", "qa"): ("failed", "qa landing unreachable"),
    }


def _record_at(settings, status: str, hours_ago: float = 0, **fields) -> runs.RunRecord:
    rec = runs.start_record(settings, "etl", {})
    rec.start = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    rec.status = status
    for name, value in fields.items():
        setattr(rec, name, value)
    return rec


def test_status_of_a_record_is_crashed_once_it_cannot_finish(settings) -> None:
    gone = 2**22 + 12345  # above Linux's largest pid: no such process
    assert runs.status(_record_at(settings, "running")) == "running"  # this very process
    assert runs.status(_record_at(settings, "running", pid=gone)) == "crashed"
    elsewhere = {"host": "another-host", "pid": gone}
    assert runs.status(_record_at(settings, "running", hours_ago=2, **elsewhere)) == "running"
    assert runs.status(_record_at(settings, "running", hours_ago=25, **elsewhere)) == "crashed"
    assert runs.status(_record_at(settings, "failed", pid=gone)) == "failed"
    assert runs.status(_record_at(settings, "success", pid=gone)) == "success"


@pytest.mark.parametrize(
    ("status", "fields", "failed"),
    [
        ("success", {}, False),
        ("running", {}, False),
        ("failed", {}, True),
        ("running", {"pid": 2**22 + 12345}, True),
    ],
)
def test_failed_counts_crashed_runs(settings, status, fields, failed) -> None:
    assert runs.failed(_record_at(settings, status, **fields)) is failed


def test_latest_runs_leave_out_the_asking_run_and_skipped_commands(settings, lake: Lake) -> None:
    since = datetime.now(UTC) - timedelta(hours=1)
    for command in ("ingest", "status", "ingest"):
        with runs.track(settings, command):
            pass
    with runs.track(settings, "status") as me:
        latest = runs.latest_runs(lake, since)
        assert [r.command for r in latest] == ["ingest", "status"]
        assert me.run_id not in {r.run_id for r in latest}
        assert [r.command for r in runs.latest_runs(lake, since, skip=("status",))] == ["ingest"]
    assert [r.command for r in runs.latest_runs(lake, since)] == ["status", "ingest"]


def test_an_interrupted_run_is_failed_but_marked_interrupted(settings) -> None:
    with pytest.raises(KeyboardInterrupt), runs.track(settings, "etl") as rec:
        raise KeyboardInterrupt
    assert rec.status == "failed" and rec.exit_code == 130 and rec.interrupted
    with pytest.raises(IngestError), runs.track(settings, "ingest") as other:
        raise IngestError("x")
    assert not other.interrupted
