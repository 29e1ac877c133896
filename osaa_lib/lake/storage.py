"""How much the lake holds, where, and how fast it grows: the monthly capacity check.

Each report lists every object once, sums bytes and objects per environment, zone and source,
and records that as a snapshot in the lake (`ops/storage/<timestamp>.json`). Growth comes from
the recorded snapshots, so it needs no S3 inventory or CloudWatch: just run the report
regularly (the runbook's monthly task; the scheduled pipeline may run it too).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from osaa_lib.config import Settings
from osaa_lib.lake import Lake, ObjectInfo, keys, open_lake


@dataclass(frozen=True)
class StorageRow:
    env: str
    zone: str
    source: str
    objects: int
    bytes: int


@dataclass(frozen=True)
class GrowthPoint:
    """Totals of one snapshot (or of the last snapshot of a month, with --monthly)."""

    taken: datetime
    label: str
    by_env: dict[str, int]
    total: int
    change: int | None


@dataclass
class StorageReport:
    taken: datetime
    lake_root: str
    rows: list[StorageRow] = field(default_factory=list)
    growth: list[GrowthPoint] = field(default_factory=list)
    snapshot_key: str = ""
    html_path: Path | None = None

    @property
    def total_bytes(self) -> int:
        return sum(r.bytes for r in self.rows)

    @property
    def total_objects(self) -> int:
        return sum(r.objects for r in self.rows)


def summarise(objects: list[ObjectInfo]) -> list[StorageRow]:
    totals: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for obj in objects:
        slot = totals[keys.classify(obj.key)]
        slot[0] += 1
        slot[1] += obj.size
    return [StorageRow(*k, *v) for k, v in sorted(totals.items())]


def _all_objects(settings: Settings, lake: Lake) -> list[ObjectInfo]:
    objects = list(lake.list())
    if not keys.backups_in_lake(settings):
        blake = open_lake(settings, settings.backup_root)
        objects += [
            ObjectInfo(keys.nested_backup_key(o.key), o.size, o.modified) for o in blake.list()
        ]
    return objects


def _snapshots(lake: Lake) -> list[dict]:
    out = []
    for obj in lake.list(keys.STORAGE):
        if obj.key.endswith(".json"):
            try:
                out.append(json.loads(lake.read_bytes(obj.key)))
            except ValueError:
                continue
    return sorted(out, key=lambda d: d["taken"])


def growth(snapshots: list[dict], monthly: bool = False) -> list[GrowthPoint]:
    """Totals per snapshot; with monthly, the last snapshot of each month."""
    if monthly:
        last: dict[str, dict] = {}
        for snap in snapshots:
            last[snap["taken"][:7]] = snap
        snapshots = [last[m] for m in sorted(last)]
    points: list[GrowthPoint] = []
    for snap in snapshots:
        by_env: dict[str, int] = defaultdict(int)
        for row in snap["rows"]:
            by_env[row["env"]] += row["bytes"]
        total = sum(by_env.values())
        taken = datetime.fromisoformat(snap["taken"])
        label = snap["taken"][:7] if monthly else snap["taken"][:19].replace("T", " ")
        change = total - points[-1].total if points else None
        points.append(GrowthPoint(taken, label, dict(by_env), total, change))
    return points


def storage_report(
    settings: Settings, monthly: bool = False, record: bool = True, html_out: bool = True
) -> StorageReport:
    """Measure the lake now, record a snapshot, and report growth from all snapshots."""
    lake = open_lake(settings)
    taken = datetime.now(UTC)
    report = StorageReport(taken, lake.root, summarise(_all_objects(settings, lake)))
    snapshots = _snapshots(lake)
    current = {
        "taken": taken.isoformat(timespec="seconds"),
        "lake": lake.root,
        "rows": [asdict(r) for r in report.rows],
    }
    if record:
        report.snapshot_key = keys.storage_snapshot_key(taken)
        lake.write_bytes(report.snapshot_key, json.dumps(current, indent=1).encode())
    report.growth = growth([*snapshots, current], monthly)
    if html_out:
        report.html_path = write_html(settings, report, monthly)
    return report


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def chart(points: list[GrowthPoint]) -> dict:
    """Bytes per environment over time, as a Vega-Lite spec for the report's inline SVG."""
    import altair as alt

    envs = sorted({env for p in points for env in p.by_env})
    data = [
        {"when": p.taken.isoformat(), "env": env, "megabytes": p.by_env.get(env, 0) / 1024 / 1024}
        for p in points
        for env in envs
    ]
    return (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X("when:T", title="snapshot"),
            y=alt.Y("megabytes:Q", title="MB"),
            color=alt.Color("env:N", title="environment"),
        )
        .properties(width=640, height=260, title="Lake size per environment")
        .to_dict()
    )


def _change(change: int | None) -> str | None:
    return None if change is None else ("+" if change >= 0 else "-") + human(abs(change))


def write_html(settings: Settings, report: StorageReport, monthly: bool) -> Path:
    from osaa_lib.reports.charts import to_svg
    from osaa_lib.reports.html import render_page, write_page

    title = "Monthly storage report" if monthly else "Storage report"
    document = render_page(
        "storage.html", title, generated=report.taken, report=report,
        taken=report.taken.isoformat(timespec="seconds"), total=human(report.total_bytes),
        chart=to_svg(chart(report.growth)),
        growth=[{"snapshot": p.label, "total": human(p.total), "change": _change(p.change)}
                for p in report.growth],
        rows=[{"env": r.env, "zone": r.zone, "source": r.source, "objects": r.objects,
               "size": human(r.bytes)} for r in report.rows],
    )  # fmt: skip
    name = "storage-monthly.html" if monthly else "storage.html"
    return write_page(settings.reports_dir / name, document)
