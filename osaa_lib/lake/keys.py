"""Every key of the lake layout, built (and parsed) here and nowhere else.

The layout is the contract between ingest, transform, quality, promotion and every reader, on
the local lake and on S3 alike; one module keeps the two backends and all stages agreeing:

    <target>/landing/<source>/<STEM>.parquet               landed file of a source
    <target>/landing/<source>/_manifests/<STEM>.json        its ingest manifest (+ .rejects.json)
    <target>/vintages/<source>/<vintage_id>/                every changed ingest, kept for diffs
    dev/staging/dev_<username>/<schema>/<table>.parquet     an analyst's published tables
    <qa|prod>/staging/<schema>/<table>.parquet              the shared published tables
    <target>/history[/dev_<username>]/<table>/<run_id>.parquet   quality results, run after run
    ops/runs/<YYYY-MM-DD>/<run_id>.json                     run history of every command
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from osaa_lib.lake.base import join

if TYPE_CHECKING:
    from osaa_lib.config import Settings

RUNS_PREFIX = "ops/runs"
MASTER = "master.indicators"


def space(target: str, username: str) -> str:
    """Whose work a key belongs to: `dev_<username>` in dev, else the target itself."""
    return f"dev_{username}" if target == "dev" else target


def landing_prefix(target: str) -> str:
    return f"{target}/landing"


def staging_prefix(target: str, username: str) -> str:
    """Dev users publish into a space of their own; qa and prod have one shared staging."""
    if target == "dev":
        return f"dev/staging/dev_{username}"
    return f"{target}/staging"


def history_prefix(target: str, username: str) -> str:
    """Where quality results of a space accumulate, run after run."""
    return f"{target}/history/dev_{username}" if target == "dev" else f"{target}/history"


def landing_key(settings: Settings, source: str, stem: str) -> str:
    return join(settings.landing_prefix, source, f"{stem}.parquet")


def manifest_key(settings: Settings, source: str, stem: str) -> str:
    return join(settings.landing_prefix, source, "_manifests", f"{stem}.json")


def rejects_key(settings: Settings, source: str, stem: str) -> str:
    return join(settings.landing_prefix, source, "_manifests", f"{stem}.rejects.json")


def vintage_prefix(settings: Settings, source: str, vintage_id: str | None = None) -> str:
    return join(settings.target, "vintages", source, vintage_id or "")


def table_key(settings: Settings, model: str) -> str:
    """A published table: `sources.sdg` -> `<staging_prefix>/sources/sdg.parquet`."""
    schema, table = model.split(".", 1)
    return join(settings.staging_prefix, schema, f"{table}.parquet")


def master_key(settings: Settings) -> str:
    return table_key(settings, MASTER)


def history_key(settings: Settings, table: str, run_id: str) -> str:
    return join(settings.history_prefix, table, f"{run_id}.parquet")


def history_table_prefix(settings: Settings, table: str) -> str:
    return join(settings.history_prefix, table)


def run_key(run_id: str, day: str) -> str:
    """A run record: `day` is the run's start date, `YYYY-MM-DD`."""
    return f"{RUNS_PREFIX}/{day}/{run_id}.json"
