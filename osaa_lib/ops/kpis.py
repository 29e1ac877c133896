"""The runbook's KPIs, computed from run history and the published data.

`compute(...)` is a pure function over run records (tests build histories by hand); `collect(...)`
gathers the inputs from the lake: run history, source update times (ingest manifests, or the
`source_modified` that ingest stages report), and completeness of the published
`master.indicators`.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.ops.runs import RUNNING, SUCCESS, RunRecord, parse_time, status
from osaa_lib.ops.runs import failed as _failed

log = logging.getLogger(__name__)

PIPELINE_COMMANDS = ("run-pipeline", "etl")
PUBLISH_COMMANDS = ("run-pipeline", "etl", "publish", "transform publish")
UPLOAD_COMMANDS = ("promote", "publish", "backup", "restore")
MONITORING_COMMANDS = ("status", "logs", "performance-report")
CRITICAL_FIELDS = ("indicator_id", "country_id", "year", "value", "source")
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}

RUNTIME_TARGET_H = 2.0
FRESHNESS_TARGET_H = 24.0
ERROR_RATE_TARGET = 1.0
COMPLETENESS_TARGET = 95.0
UPLOAD_TARGET = 100.0


@dataclass(frozen=True)
class Kpi:
    name: str
    value: float | None
    unit: str
    target: str
    ok: bool | None
    detail: str = ""

    @property
    def shown(self) -> str:
        return "n/a" if self.value is None else f"{self.value:.2f} {self.unit}".strip()

    @property
    def verdict(self) -> str:
        return {True: "OK", False: "MISSED", None: "no data"}[self.ok]


@dataclass
class KpiReport:
    since: datetime
    until: datetime
    target: str
    kpis: list[Kpi]
    runs_total: int
    runs_failed: int
    completeness_by_field: dict[str, float] = field(default_factory=dict)
    freshness_by_source: dict[str, float] = field(default_factory=dict)

    @property
    def missed(self) -> list[Kpi]:
        return [k for k in self.kpis if k.ok is False]


def counted_runs(records: Iterable[RunRecord]) -> list[RunRecord]:
    """Runs that count for the error rate: finished (or crashed) and not monitoring itself."""
    return [
        r
        for r in records
        if r.command not in MONITORING_COMMANDS and status(r) != RUNNING
    ]


def runtime_kpi(records: list[RunRecord]) -> Kpi:
    runs = [r for r in records if r.command in PIPELINE_COMMANDS and r.status == SUCCESS]
    if not runs:
        return Kpi(
            "Pipeline runtime",
            None,
            "h",
            f"< {RUNTIME_TARGET_H:g} h",
            None,
            "no successful etl/run-pipeline run in the period",
        )
    slowest = max(runs, key=lambda r: r.duration_s or 0)
    hours = (slowest.duration_s or 0) / 3600
    return Kpi(
        "Pipeline runtime",
        hours,
        "h",
        f"< {RUNTIME_TARGET_H:g} h",
        hours < RUNTIME_TARGET_H,
        f"slowest of {len(runs)} runs: {slowest.command} {slowest.run_id}",
    )


def freshness_lags(
    records: list[RunRecord],
    source_updates: Mapping[str, Iterable[datetime]],
    now: datetime,
    since: datetime | None = None,
) -> dict[str, float]:
    """Per source, the worst hours from a file update to the first publication after it.

    Publication is the end of a successful publishing run (etl, run-pipeline, publish) that
    started after the update; an update not yet published is as late as now. An update counts
    for the period when it was waiting for publication at some moment of the period; sources
    with no such update are left out.
    """
    published = sorted(
        (r for r in records if r.command in PUBLISH_COMMANDS and r.status == SUCCESS and r.end),
        key=lambda r: r.start,
    )
    lags: dict[str, float] = {}
    for source, moments in source_updates.items():
        worst = None
        for updated in sorted({m for m in moments if m <= now}):
            after = next((r for r in published if r.started_at >= updated), None)
            done = min(parse_time(after.end), now) if after and after.end else now
            if since is not None and done < since:
                continue
            lag = (done - updated).total_seconds() / 3600
            worst = lag if worst is None else max(worst, lag)
        if worst is not None:
            lags[source] = worst
    return lags


def freshness_kpi(lags: Mapping[str, float]) -> Kpi:
    if not lags:
        return Kpi(
            "Data freshness",
            None,
            "h",
            f"< {FRESHNESS_TARGET_H:g} h",
            None,
            "no source file update in the period (ingest manifests)",
        )
    source, worst = max(lags.items(), key=lambda kv: kv[1])
    return Kpi(
        "Data freshness",
        worst,
        "h",
        f"< {FRESHNESS_TARGET_H:g} h",
        worst < FRESHNESS_TARGET_H,
        f"max lag: {source} ({len(lags)} sources)",
    )


def error_rate_kpi(records: list[RunRecord]) -> Kpi:
    counted = counted_runs(records)
    if not counted:
        return Kpi("Error rate", None, "%", f"< {ERROR_RATE_TARGET:g} %", None, "no runs")
    failed = sum(_failed(r) for r in counted)
    rate = 100.0 * failed / len(counted)
    return Kpi(
        "Error rate",
        rate,
        "%",
        f"< {ERROR_RATE_TARGET:g} %",
        rate < ERROR_RATE_TARGET,
        f"{failed} failed of {len(counted)} runs",
    )


def completeness_kpi(by_field: Mapping[str, float] | None) -> Kpi:
    if not by_field:
        return Kpi(
            "Data completeness",
            None,
            "%",
            f"> {COMPLETENESS_TARGET:g} %",
            None,
            "master.indicators not published yet",
        )
    overall = statistics.fmean(by_field.values())
    worst = min(by_field, key=lambda k: by_field[k])
    return Kpi(
        "Data completeness",
        overall,
        "%",
        f"> {COMPLETENESS_TARGET:g} %",
        overall > COMPLETENESS_TARGET,
        f"non-null critical fields; lowest: {worst} {by_field[worst]:.1f} %",
    )


def upload_kpi(records: list[RunRecord]) -> Kpi:
    """Upload attempts reported by stages; else the success of uploading commands."""
    attempts = failures = 0
    for record in records:
        for stage in record.stages:
            attempts += stage.uploads or 0
            failures += stage.upload_failures or 0
    detail = f"{attempts - failures} of {attempts} uploads succeeded"
    if not attempts:
        runs = [r for r in counted_runs(records) if r.command.split(" ")[0] in UPLOAD_COMMANDS]
        attempts, failures = len(runs), sum(_failed(r) for r in runs)
        detail = f"{attempts - failures} of {attempts} promote/publish/backup runs succeeded"
    if not attempts:
        return Kpi("Upload success", None, "%", f"{UPLOAD_TARGET:g} %", None, "no uploads")
    rate = 100.0 * (attempts - failures) / attempts
    return Kpi("Upload success", rate, "%", f"{UPLOAD_TARGET:g} %", failures == 0, detail)


def compute(
    records: Iterable[RunRecord],
    since: datetime,
    until: datetime | None = None,
    target: str | None = None,
    source_updates: Mapping[str, Iterable[datetime]] | None = None,
    completeness: Mapping[str, float] | None = None,
) -> KpiReport:
    """All five KPIs for runs that started in [since, until) (of one target when given)."""
    until = until or datetime.now(UTC)
    everything = [r for r in records if target is None or r.target == target]
    window = [r for r in everything if since <= r.started_at < until]
    lags = freshness_lags(everything, source_updates or {}, until, since)
    counted = counted_runs(window)
    return KpiReport(
        since=since,
        until=until,
        target=target or "all",
        kpis=[
            runtime_kpi(window),
            freshness_kpi(lags),
            error_rate_kpi(window),
            completeness_kpi(completeness),
            upload_kpi(window),
        ],
        runs_total=len(counted),
        runs_failed=sum(_failed(r) for r in counted),
        completeness_by_field=dict(completeness or {}),
        freshness_by_source=lags,
    )


def completeness_of(settings: Settings) -> dict[str, float]:
    """Percent non-null of each critical field of the published master.indicators ({} if none)."""
    from osaa_lib.db import connect
    from osaa_lib.lake import keys, open_lake

    lake = open_lake(settings)
    key = keys.master_key(settings)
    if not lake.exists(key):
        return {}
    uri = lake.uri(key).replace("'", "''")
    with connect(settings) as con:
        columns = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM '{uri}'").fetchall()}
        fields = [f for f in CRITICAL_FIELDS if f in columns]
        missing = [f for f in CRITICAL_FIELDS if f not in columns]
        parts = ", ".join(f'count("{f}")' for f in fields)
        row = con.execute(f"SELECT count(*), {parts} FROM '{uri}'").fetchone()
    total = row[0] if row else 0
    out = {f: (100.0 * n / total if total else 0.0) for f, n in zip(fields, row[1:], strict=True)}
    out.update({f: 0.0 for f in missing})
    return out


def source_updates_from_runs(records: Iterable[RunRecord]) -> dict[str, list[datetime]]:
    """Update times that ingest stages reported (`source` and `source_modified` in extra)."""
    out: dict[str, list[datetime]] = {}
    for record in records:
        for stage in record.stages:
            extra: dict[str, Any] = stage.extra or {}
            if extra.get("source") and extra.get("source_modified"):
                try:
                    moment = parse_time(str(extra["source_modified"]))
                except ValueError:
                    continue
                out.setdefault(str(extra["source"]), []).append(moment)
    return out


def source_updates_from_manifests(settings: Settings) -> dict[str, list[datetime]]:
    """Update times (`source_mtime`) of the landed files and of their kept vintages."""
    try:
        from osaa_lib import ingest
        from osaa_lib.lake import open_lake
    except ImportError:
        return {}
    out: dict[str, list[datetime]] = {}

    def add(manifest: Mapping[str, Any]) -> None:
        stamp = manifest.get("source_mtime") or manifest.get("ingested_at")
        if manifest.get("source") and stamp:
            try:
                out.setdefault(str(manifest["source"]), []).append(parse_time(str(stamp)))
            except ValueError:
                pass

    try:
        lake = open_lake(settings)
        manifests = ingest.read_manifests(settings, lake)
        for manifest in manifests:
            add(manifest)
        for source in sorted({str(m["source"]) for m in manifests if m.get("source")}):
            for vintage in ingest.list_vintages(settings, lake, source):
                for key in vintage.manifests.values():
                    add(json.loads(lake.read_bytes(key)))
    except Exception as exc:  # noqa: BLE001 - a report must not die on one unreadable manifest
        log.warning("ingest manifests could not be read: %s", exc)
    return {source: sorted(set(times)) for source, times in out.items()}


def collect(
    settings: Settings, period: str = "week", now: datetime | None = None
) -> tuple[KpiReport, list[RunRecord]]:
    """KPIs of this target for the last day/week/month, and the run records they came from."""
    from osaa_lib.lake import open_lake
    from osaa_lib.ops.runs import load_runs

    now = now or datetime.now(UTC)
    since = now - PERIODS[period]
    lake = open_lake(settings)
    history = load_runs(lake, since=since - timedelta(days=30), until=now + timedelta(seconds=1))
    updates = source_updates_from_runs(history)
    for source, moments in source_updates_from_manifests(settings).items():
        updates.setdefault(source, []).extend(moments)
    try:
        completeness = completeness_of(settings)
    except Exception as exc:  # noqa: BLE001 - unreadable data is reported, not fatal
        log.warning("completeness of master.indicators could not be computed: %s", exc)
        completeness = {}
    report = compute(history, since, now, settings.target, updates, completeness)
    window = [r for r in history if r.target == settings.target and r.started_at >= since]
    return report, window
