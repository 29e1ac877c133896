"""CSV files under `raw_dir/<source>/` -> Parquet in the landing zone, with manifests and vintages.

A source is a folder: a new folder is a new source, no code change. Each landed file gets a
manifest (checksum, rows, schema, rejected cells, timings) so unchanged files are skipped and the
quality checks can count what the reader had to coerce. Every ingest that changes a source also
keeps an immutable copy of the whole source (a vintage) so two releases can be compared.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from osaa_lib.config import Settings, validate_identifier
from osaa_lib.errors import ConfigError, IngestError, OsaaError
from osaa_lib.lake import Lake, keys, open_lake
from osaa_lib.lake.keys import landing_key, manifest_key, rejects_key

KEEP_VINTAGES = 5
STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Progress:
    """What the caller may show: one file's phase and, while reading, the fraction done."""

    source: str
    stem: str
    phase: str  # start | reading | done | skipped | failed
    fraction: float = 0.0
    size: int = 0


@dataclass
class FileResult:
    source: str
    stem: str
    path: str
    status: str  # ingested | skipped | failed
    rows: int = 0
    columns: int = 0
    rejects: int = 0
    seconds: float = 0.0
    error: str | None = None
    landing_key: str | None = None
    vintage_id: str | None = None


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)
    vintages: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def landed(self) -> list[FileResult]:
        """Files written to the landing zone by this run (not skipped as unchanged)."""
        return [f for f in self.files if f.status == "ingested"]

    @property
    def with_rejects(self) -> list[FileResult]:
        """Landed files with cells that did not convert and became NULL."""
        return [f for f in self.landed if f.rejects]

    def raise_if_failed(self) -> None:
        """One failed file fails the ingest; the other files still landed."""
        if self.failed:
            raise IngestError(
                f"{len(self.failed)} of {len(self.files)} file(s) failed; "
                "their previous landing files are unchanged"
            )


@dataclass(frozen=True)
class Vintage:
    source: str
    vintage_id: str
    created: str
    files: dict[str, str]  # STEM -> parquet key
    manifests: dict[str, str]  # STEM -> manifest key
    changed: list[str]


def find_raw_files(settings: Settings, sources: list[str] | None = None) -> dict[str, list[Path]]:
    """Source folder -> its CSV files; names are validated because they become lake keys."""
    raw = Path(settings.raw_dir)
    if not raw.is_dir():
        raise IngestError(f"raw data folder {raw} does not exist")
    if sources:
        wanted = []
        for name in sources:
            low = validate_identifier("source", name)
            if not (raw / low).is_dir():
                known = ", ".join(sorted(p.name for p in raw.iterdir() if p.is_dir())) or "none"
                raise IngestError(f"no folder {raw / low} for source {name!r} (found: {known})")
            wanted.append(low)
    else:
        wanted = sorted(
            p.name for p in raw.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )
    out: dict[str, list[Path]] = {}
    for name in wanted:
        validate_identifier("source folder", name)
        if name != name.lower():
            raise ConfigError(f"source folder {raw / name}: use a lower-case name")
        out[name] = sorted(
            p for p in (raw / name).iterdir() if p.is_file() and p.suffix.lower() == ".csv"
        )
    return out


def ingest(
    settings: Settings,
    sources: list[str] | None = None,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
    lake: Lake | None = None,
    keep_vintages: int = KEEP_VINTAGES,
) -> IngestResult:
    """Land every CSV of the chosen sources; a bad file fails alone, the others still land."""
    start = time.perf_counter()
    lake = lake or open_lake(settings)
    result = IngestResult()
    notify = progress or (lambda _p: None)
    found: dict[str, list[Path]] = {}
    try:
        found = find_raw_files(settings, sources)
    except ConfigError as exc:
        if sources:
            raise
        raise IngestError(str(exc)) from None
    for source, paths in found.items():
        holder: list[str] = []
        changed: dict[str, str] = {}
        clashes = _same_landed_file(paths)
        for path in paths:
            if path in clashes:
                result.files.append(clashes[path])
                notify(Progress(source, clashes[path].stem, "failed", 1.0))
                continue
            fr, key = _one_file(settings, lake, source, path, force, notify, holder)
            result.files.append(fr)
            if fr.status == "ingested" and key:
                changed[fr.stem] = key
        if changed:
            _seal_vintage(settings, lake, source, holder[0], changed)
            _prune(settings, lake, source, keep_vintages)
            result.vintages[source] = holder[0]
        elif holder:
            lake.delete_prefix(keys.vintage_prefix(settings, source, holder[0]))
    result.seconds = time.perf_counter() - start
    return result


def landed_stem(path: Path) -> str:
    """The stem a CSV lands under, the same in ingest and transform (`layouts.canonical_stem`).

    `sdg_data_national.csv` and `SDG_DATA_NATIONAL.csv` are one file: `SDG_DATA_NATIONAL`.
    """
    from osaa_lib import layouts

    if not layouts.needs_header(path.stem):
        return layouts.canonical_stem(path.stem)
    from osaa_lib.ingest import csvread

    try:
        with open(path, "rb") as fh:
            names = csvread.read_header(path, fh.read(1 << 16))
    except (OSError, OsaaError):
        return layouts.canonical_stem(path.stem)  # reading the file reports the problem
    return layouts.canonical_stem(path.stem, names)


def _same_landed_file(paths: list[Path]) -> dict[Path, FileResult]:
    """Files of one folder that would land as the same file: each fails, naming the others.

    Neither wins, so the last good landing of that file stays what readers see.
    """
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(landed_stem(path).lower(), []).append(path)
    out = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        for path in group:
            others = ", ".join(p.name for p in group if p != path)
            out[path] = FileResult(
                path.parent.name,
                landed_stem(path),
                str(path),
                "failed",
                error=f"{path}: the same file as {others} (file names are compared "
                "case-insensitively): keep one of them",
            )
    return out


def _new_vintage_id(lake: Lake, settings: Settings, source: str) -> str:
    existing = {v.vintage_id for v in list_vintages(settings, lake, source)}
    while True:
        vid = keys.stamp()
        if vid not in existing and (not existing or vid > max(existing)):
            return vid
        time.sleep(0.001)


class _Hasher(threading.Thread):
    """SHA-256 and a NUL-byte scan of the CSV, read while DuckDB parses the same file."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.sha256 = ""
        self.nul_line: int | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            digest, offset, nul_at = hashlib.sha256(), 0, -1
            with open(self.path, "rb") as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    if nul_at < 0 and (at := block.find(b"\x00")) >= 0:
                        nul_at = offset + at
                    offset += len(block)
            self.sha256 = digest.hexdigest()
            if nul_at >= 0:  # rare: only then count the lines before it
                with open(self.path, "rb") as fh:
                    self.nul_line = fh.read(nul_at).count(b"\n") + 1
        except OSError as exc:
            self.error = exc


def _one_file(
    settings: Settings,
    lake: Lake,
    source: str,
    path: Path,
    force: bool,
    notify: Callable[[Progress], None],
    vintage: list[str],
) -> tuple[FileResult, str | None]:
    stem = landed_stem(path)
    fr = FileResult(source, stem, str(path), "failed")
    t0 = time.perf_counter()
    try:
        if not STEM.match(stem):
            raise IngestError(
                f"{path}: file name {stem!r} cannot become a lake key (letters, digits, _ . -)"
            )
        stat = path.stat()
        notify(Progress(source, stem, "start", 0.0, stat.st_size))
        fr.landing_key = landing_key(settings, source, stem)
        previous = _read_json(lake, manifest_key(settings, source, stem))
        if not force and previous and lake.exists(fr.landing_key):
            if previous.get("size") == stat.st_size:
                from osaa_lib.lake.base import sha256_file

                if sha256_file(path) == previous.get("sha256"):
                    fr.status, fr.rows = "skipped", previous.get("rows", 0)
                    fr.columns = len(previous.get("columns", []))
                    fr.rejects, fr.vintage_id = (
                        previous.get("rejects", 0),
                        previous.get("vintage_id"),
                    )
                    fr.seconds = time.perf_counter() - t0
                    notify(Progress(source, stem, "skipped", 1.0, stat.st_size))
                    return fr, None
        if not vintage:
            vintage.append(_new_vintage_id(lake, settings, source))
        vintage_id = vintage[0]
        manifest = _land(settings, lake, source, path, stat, vintage_id, notify)
        fr.status, fr.rows, fr.columns = "ingested", manifest["rows"], len(manifest["columns"])
        fr.rejects, fr.vintage_id = manifest["rejects"], vintage_id
        fr.seconds = time.perf_counter() - t0
        notify(Progress(source, stem, "done", 1.0, stat.st_size))
        return fr, manifest["vintage_key"]
    except OsaaError as exc:
        fr.error, fr.seconds = str(exc), time.perf_counter() - t0
        notify(Progress(source, stem, "failed", 1.0))
        return fr, None
    except OSError as exc:
        fr.error = f"{path}: {exc.strerror or exc}"
        fr.seconds = time.perf_counter() - t0
        notify(Progress(source, stem, "failed", 1.0))
        return fr, None


def _land(
    settings: Settings,
    lake: Lake,
    source: str,
    path: Path,
    stat: Any,
    vintage_id: str,
    notify: Callable[[Progress], None],
) -> dict[str, Any]:
    from osaa_lib.db import connect
    from osaa_lib.ingest import csvread

    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    csvread.check_bytes(path, head)
    names = csvread.read_header(path, head)
    hasher = _Hasher(path)
    hasher.start()
    con = connect(settings)
    stem = landed_stem(path)
    key = landing_key(settings, source, stem)
    vkey = keys.vintage_file_key(settings, source, vintage_id, stem)
    stop = threading.Event()
    try:
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        layout = csvread.layout_for(stem, names, path, con)

        def poll() -> None:
            while not stop.wait(0.25):
                done = con.query_progress()
                if done >= 0:
                    notify(Progress(source, stem, "reading", done / 100, stat.st_size))

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        with lake.writing(key) as tmp:
            outcome = csvread.csv_to_parquet(con, path, layout, tmp)
            stop.set()
            hasher.join()
            if hasher.error:
                raise IngestError(f"{path}: cannot read: {hasher.error}")
            if hasher.nul_line is not None:
                raise IngestError(f"{path}: line {hasher.nul_line}: NUL byte (binary content)")
            schema = csvread.schema_of(con, tmp)
            lake.put_file(tmp, vkey)
    finally:
        stop.set()
        con.close()
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "source": source,
        "stem": stem,
        "file": path.name,
        "source_path": str(path),
        "size": stat.st_size,
        "sha256": hasher.sha256,
        "source_mtime": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
        "kind": layout.kind,
        "rows": outcome.rows,
        "columns": list(schema),
        "schema": schema,
        "year_columns": layout.year_columns,
        "null_markers": list(csvread.NULL_MARKERS),
        "rejects": len(outcome.rejects),
        "rejected_rows": outcome.rejected_rows,
        "reject_samples": [r.as_dict() for r in outcome.rejects[: csvread.SAMPLE_REJECTS]],
        "rejects_key": rejects_key(settings, source, stem) if outcome.rejects else None,
        "duration_seconds": round(time.perf_counter() - t0, 3),
        "vintage_id": vintage_id,
        "ingested_at": datetime.now(UTC).isoformat(),
        "landing_key": key,
        "vintage_key": vkey,
    }
    body = json.dumps(manifest, indent=1).encode()
    rkey = rejects_key(settings, source, stem)
    if outcome.rejects:
        listing = json.dumps([r.as_dict() for r in outcome.rejects], indent=0).encode()
        lake.write_bytes(rkey, listing)
        lake.write_bytes(keys.vintage_rejects_key(settings, source, vintage_id, stem), listing)
    elif lake.exists(rkey):
        lake.delete(rkey)
    lake.write_bytes(keys.vintage_manifest_key(settings, source, vintage_id, stem), body)
    lake.write_bytes(manifest_key(settings, source, stem), body)
    return manifest


def _read_json(lake: Lake, key: str) -> Any:
    if not lake.exists(key):
        return None
    try:
        return json.loads(lake.read_bytes(key))
    except (ValueError, OsaaError):
        return None


def _seal_vintage(
    settings: Settings, lake: Lake, source: str, vintage_id: str, changed: dict[str, str]
) -> None:
    """Complete the vintage with the unchanged files of the source, then write its index last."""
    files: dict[str, str] = dict(changed)
    manifests = {
        s: keys.vintage_manifest_key(settings, source, vintage_id, s) for s in changed
    }
    for m in read_manifests(settings, lake, source):
        stem = m["stem"]
        if stem in files or not lake.exists(m["landing_key"]):
            continue
        vkey = keys.vintage_file_key(settings, source, vintage_id, stem)
        lake.copy(m["landing_key"], vkey)
        mkey = keys.vintage_manifest_key(settings, source, vintage_id, stem)
        lake.copy(manifest_key(settings, source, stem), mkey)
        if m.get("rejects_key") and lake.exists(m["rejects_key"]):
            lake.copy(
                m["rejects_key"],
                keys.vintage_rejects_key(settings, source, vintage_id, stem),
            )
        files[stem], manifests[stem] = vkey, mkey
    index = {
        "source": source,
        "vintage_id": vintage_id,
        "created": datetime.now(UTC).isoformat(),
        "files": dict(sorted(files.items())),
        "manifests": dict(sorted(manifests.items())),
        "changed": sorted(changed),
    }
    key = keys.vintage_index_key(settings, source, vintage_id)
    lake.write_bytes(key, json.dumps(index, indent=1).encode())


def list_vintages(settings: Settings, lake: Lake | None, source: str) -> list[Vintage]:
    """Complete vintages of a source, oldest first (newest last), for release-to-release diffs."""
    lake = lake or open_lake(settings)
    source = validate_identifier("source", source)
    out = []
    for obj in lake.list(keys.vintages_prefix(settings, source)):
        if keys.parse_vintage_index_key(obj.key) is None:
            continue
        doc = _read_json(lake, obj.key)
        if doc:
            out.append(
                Vintage(
                    source,
                    doc["vintage_id"],
                    doc["created"],
                    doc["files"],
                    doc["manifests"],
                    doc["changed"],
                )
            )
    return sorted(out, key=lambda v: v.vintage_id)


def _prune(settings: Settings, lake: Lake, source: str, keep: int) -> None:
    vintages = list_vintages(settings, lake, source)
    for old in vintages[: max(0, len(vintages) - max(1, keep))]:
        lake.delete_prefix(keys.vintage_prefix(settings, source, old.vintage_id))


def read_manifests(
    settings: Settings, lake: Lake | None = None, source: str | None = None
) -> list[dict[str, Any]]:
    """The manifest of every landed file (of one source, or all), sorted by source and stem."""
    lake = lake or open_lake(settings)
    name = validate_identifier("source", source) if source else None
    prefix = keys.landing_prefix(settings, name)
    out = []
    for obj in lake.list(prefix):
        if keys.is_manifest_key(obj.key):
            doc = _read_json(lake, obj.key)
            if doc:
                out.append(doc)
    return sorted(out, key=lambda m: (m["source"], m["stem"]))


def read_rejects(settings: Settings, lake: Lake | None, source: str, stem: str) -> list[dict]:
    """Every rejected cell of a landed file: line, column, value, error."""
    lake = lake or open_lake(settings)
    doc = _read_json(lake, rejects_key(settings, source, stem))
    return list(doc or [])


def summary_rows(result: IngestResult) -> list[dict[str, Any]]:
    return [asdict(f) for f in result.files]
