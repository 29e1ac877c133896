"""The reports index: every scheduled and quality run, newest first, linking its pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from osaa_lib.reports.html import render_page, write_page

PIPELINE_COMMANDS = ("run-pipeline", "run-notebooks")


def collect_runs(settings: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Pipeline runs known from the reports folder, the lake's run history and quality history,
    merged by run id, newest first."""
    import json
    import logging

    merged: dict[str, dict[str, Any]] = {}
    reports_dir = settings.reports_dir
    for summary in sorted(reports_dir.glob("*/run.json")) if reports_dir.is_dir() else []:
        try:
            data = json.loads(summary.read_text())
        except (OSError, ValueError):
            continue
        row = merged.setdefault(data.get("run_id") or summary.parent.name, {})
        counts = data.get("counts") or {}
        row.update(
            start=data.get("started"),
            target=data.get("target"),
            space=data.get("space"),
            status=data.get("status"),
            n_pass=counts.get("pass"),
            n_warn=counts.get("warn"),
            n_fail=counts.get("fail"),
        )
    try:
        from osaa_lib.lake import open_lake
        from osaa_lib.ops import runs

        lake = open_lake(settings)
        for record in runs.load_runs(lake):
            if record.command not in PIPELINE_COMMANDS:
                continue
            row = merged.setdefault(record.run_id, {})
            row.setdefault("start", record.start)
            row.setdefault("target", record.target)
            row.setdefault("space", record.space)
            row["duration_s"] = record.duration_s
            row["exit_code"] = record.exit_code
            if not row.get("status"):  # the run's own summary is authoritative
                row["status"] = record.status
        rows = _quality_runs(settings, lake)
    except Exception as exc:  # noqa: BLE001 - the index lists what it can read
        logging.getLogger(__name__).warning("run or quality history unreadable: %s", exc)
        rows = []
    for q in rows:
        row = merged.setdefault(q["run_id"], {})
        row.setdefault("start", str(q["run_at"]))
        row.setdefault("target", q["target"])
        row.setdefault("space", q["space"])
        row.setdefault("status", "quality_failed" if q["gate_failed"] else "checks-only")
        row.update(n_pass=q["n_pass"], n_warn=q["n_warn"], n_fail=q["n_fail"])
    out = []
    for run_id, row in merged.items():
        folder = reports_dir / run_id
        row["run_id"] = run_id
        row["reports"] = sorted(p.name for p in folder.glob("*.html")) if folder.is_dir() else []
        out.append(row)
    for row in out:
        row["start"] = _when(row.get("start"))
    out.sort(key=lambda r: (r["start"], r["run_id"]), reverse=True)
    return out[:limit]


def _when(value: Any) -> str:
    """Times from JSON, run records and Parquet as one sortable UTC text `YYYY-MM-DD HH:MM:SS`."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _quality_runs(settings: Any, lake: Any) -> list[dict[str, Any]]:
    from osaa_lib.db import connect
    from osaa_lib.quality import history

    con = connect(settings)
    try:
        history.attach_views(con, settings, lake)
        cur = con.execute(f"SELECT * FROM {history.SCHEMA}.dq_runs")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


REPORT_ORDER = ("quality_report.html", "ingest.html", "transform.html", "explore.html")


def index_html(rows: Sequence[Mapping[str, Any]]) -> str:
    def ordered(names: Sequence[str]) -> list[str]:
        last = len(REPORT_ORDER)
        return sorted(
            names, key=lambda n: (REPORT_ORDER.index(n) if n in REPORT_ORDER else last, n)
        )

    runs = [{**r, "reports": ordered(r.get("reports") or [])} for r in rows]
    return render_page("index.html", "OSAA pipeline reports", f"{len(rows)} runs", runs=runs)


def write_index(settings: Any) -> Any:
    """Write `<reports_dir>/index.html` from the stored histories; returns its path."""
    return write_page(settings.reports_dir / "index.html", index_html(collect_runs(settings)))
