"""History files and the data_quality views the runbook queries."""

from __future__ import annotations

from datetime import UTC, datetime

from osaa_lib.db import connect
from osaa_lib.lake import keys, open_lake
from osaa_lib.quality import history


def test_views_exist_and_are_empty_without_history(settings):
    con = connect(settings)
    names = history.attach_views(con, settings)
    assert "data_quality.daily_checks" in names
    rows = con.execute(
        "SELECT * FROM data_quality.daily_checks WHERE check_date = CURRENT_DATE"
    ).fetchall()
    assert rows == []
    cols = [d[0] for d in con.execute("SELECT * FROM data_quality.dq_anomalies").description]
    assert cols[:4] == ["run_id", "run_at", "source", "indicator_id"]


def test_written_runs_show_in_views_append_only(settings):
    con = connect(settings)
    lake = open_lake(settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = []
    for status in ("pass", "fail"):
        run_id = keys.new_run_id()
        ids.append(run_id)
        history.write_rows(
            con, lake, settings, "dq_runs", run_id, [{"run_id": run_id, "run_at": now}]
        )
        history.write_rows(
            con,
            lake,
            settings,
            "dq_check_results",
            run_id,
            [{"run_id": run_id, "run_at": now, "check_name": "duplicates", "status": status}],
        )
    found = [o.key for o in lake.list(keys.history_prefix(settings))]
    assert f"dev/history/dev_tester/dq_runs/{ids[0]}.parquet" in found
    history.attach_views(con, settings)
    got = con.execute(
        "SELECT run_id, status FROM data_quality.daily_checks "
        "WHERE check_date = CURRENT_DATE ORDER BY run_id"
    ).fetchall()
    assert got == [(ids[0], "pass"), (ids[1], "fail")]
    assert con.execute("SELECT run_id FROM data_quality.latest_checks").fetchall() == [(ids[1],)]
    assert history.previous_run_id(lake, settings) == ids[1]
    assert history.previous_run_id(lake, settings, before=ids[1]) == ids[0]
