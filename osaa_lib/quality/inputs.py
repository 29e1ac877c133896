"""Where the quality engine finds its inputs: published tables, the reference, ingest records.

Tables are found by the lake layout of docs/CONTRACTS.md; the ingest record is read through
`osaa_lib.ingest` so the quality engine never depends on how ingest lays out its manifests.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from osaa_lib.config import Settings
from osaa_lib.errors import LakeError, OsaaError
from osaa_lib.lake import Lake, keys
from osaa_lib.lake.keys import master_key

log = logging.getLogger(__name__)
MASTER = "master"


def source_keys(settings: Settings, lake: Lake) -> dict[str, str]:
    out = {}
    for obj in lake.list(keys.schema_prefix(settings, "sources")):
        model = keys.parse_table_key(settings, obj.key)
        if model and model.startswith("sources."):
            out[model.split(".", 1)[1]] = obj.key
    return out


def published_tables(
    settings: Settings, lake: Lake, sources: list[str] | None = None
) -> dict[str, str]:
    """Table name (`master` or a source name) -> URI of its published Parquet."""
    found = source_keys(settings, lake)
    if lake.exists(master_key(settings)):
        found[MASTER] = master_key(settings)
    where = lake.uri(keys.staging_prefix(settings))
    if sources:
        missing = [s for s in sources if s not in found]
        if missing:
            known = ", ".join(sorted(found)) or "nothing"
            raise LakeError(
                f"no published table for {', '.join(missing)} under {where} (found: {known}); "
                "run `osaa etl` first"
            )
        found = {k: v for k, v in found.items() if k in sources}
    if not found:
        raise LakeError(
            f"nothing published under {where}: run `osaa etl` (or `osaa transform publish`) first"
        )
    order = sorted(k for k in found if k != MASTER) + ([MASTER] if MASTER in found else [])
    return {k: lake.uri(found[k]) for k in order}


def reference_uri(settings: Settings, lake: Lake) -> str | None:
    key = keys.table_key(settings, "reference.countries")
    return lake.uri(key) if lake.exists(key) else None


def published_at(settings: Settings, lake: Lake, table: str) -> datetime | None:
    key = master_key(settings) if table == MASTER else keys.table_key(settings, f"sources.{table}")
    found = lake.list(key)
    return found[0].modified if found else None


def source_updated_at(settings: Settings, lake: Lake, source: str) -> datetime | None:
    """When the source's current files changed (the ingest record, else the landing objects)."""
    rec = ingest_record(settings, lake, source)
    if rec and rec.get("source_updated"):
        value = rec["source_updated"]
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    objs = [
        o for o in lake.list(keys.landing_prefix(settings, source)) if keys.landed_source(o.key)
    ]
    return max((o.modified for o in objs), default=None)


def ingest_record(settings: Settings, lake: Lake, source: str) -> dict[str, Any] | None:
    """What ingest recorded about a source's current files: cells rejected, update times.

    Returns None when nothing of the source was ingested (no manifest in the landing zone).
    """
    from osaa_lib import ingest

    try:
        manifests = ingest.read_manifests(settings, lake, source)
    except OsaaError as exc:
        log.warning("no ingest record for %s: %s", source, exc)
        return None
    if not manifests:
        return None
    samples = [
        {"file": m.get("file"), **r} for m in manifests for r in m.get("reject_samples") or []
    ]
    updated = [m["source_mtime"] for m in manifests if m.get("source_mtime")]
    return {
        "rejected_cells": sum(int(m.get("rejects") or 0) for m in manifests),
        "rejected_rows": sum(int(m.get("rejected_rows") or 0) for m in manifests),
        "files": {m["stem"]: int(m.get("rejects") or 0) for m in manifests},
        "vintage_id": max((m.get("vintage_id") or "" for m in manifests), default=None),
        "source_updated": max(updated) if updated else None,
        "ingested_at": max((m.get("ingested_at") or "" for m in manifests), default=None),
        "samples": samples,
    }
