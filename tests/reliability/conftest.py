"""Shared machinery of the reliability suite: workspaces, the clean reference run, fingerprints.

Why one fixed workspace path: the SQLMesh project fingerprint contains the landing root, so a
copy of a built workspace at another path would be rebuilt from scratch. Every test restores a
snapshot ("raw": the sample only; "clean": after one clean `osaa etl`) into the same folder, so
a restored workspace is exactly as current as the clean run left it and each fault test pays
only for what the fault really breaks.

The suite also writes its figures: with OSAA_RELIABILITY_JSON=<file>, every case's category,
outcome, duration and recorded details go to that JSON (see tests/reliability/make_report.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osaa_lib.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "raw"
CATEGORIES = {
    "test_corpus": "bad input",
    "test_faults": "faults",
    "test_concurrency": "concurrency",
    "test_security": "security",
}

# Known fake secrets planted in every run's environment; no output may ever contain them.
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIARELIABILITYFAKE7Q",
    "AWS_SECRET_ACCESS_KEY": "reliabilityFakeSecret/Leak+Q8w7e6r5t4y3",
    "SMTP_PASSWORD": "smtp-pw-reliability-9d8c7b6a",
    "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/hooks/reliability-webhook-5f4e3d2c",
}
SMTP = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "9", "SMTP_USER": "osaa", "ALERT_EMAIL_TO": "a@b.c"}
XSS_LABEL = "<script>window.osaaXssLabel=1</script>"
XSS_CELL = "<script>window.osaaXssCell=1</script>"
SQL_LABEL = "Robert'); DROP TABLE master.indicators; --"
STRIPPED = ("AWS_", "OSAA_", "S3_", "SMTP_", "ALERT_", "USERNAME", "TARGET", "ENVIRONMENT")


@dataclass
class Run:
    """One CLI invocation: exit code and everything it printed (stdout and stderr)."""

    args: list[str]
    code: int
    out: str
    seconds: float = 0.0

    @property
    def flat(self) -> str:
        """Output without rich's line wrapping, for message checks."""
        return " ".join(self.out.split())

    def has(self, needle: str) -> bool:
        return needle in self.flat or needle in self.out.replace("\n", "")


@dataclass
class Workspace:
    """A project's folders (raw, lake, state, logs, reports) under one root."""

    root: Path
    user: str = "tester"
    target: str = "dev"
    extra: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def env(self, **over: str) -> dict[str, str]:
        env = {
            "OSAA_PROJECT_DIR": str(REPO),
            "OSAA_LAKE": str(self.lake),
            "OSAA_RAW_DIR": str(self.raw),
            "OSAA_STATE_DIR": str(self.state),
            "OSAA_REPORTS_DIR": str(self.root / "reports"),
            "OSAA_LOG_DIR": str(self.root / "logs"),
            "USERNAME": self.user,
            "TARGET": self.target,
            "COLUMNS": "250",
            **SECRETS,
            **SMTP,
            **self.extra,
        }
        env.update(over)
        return env

    def settings(self, **over: str) -> Settings:
        return load_settings(environ=self.env(**over), dotenv=self.root / "no.env")

    def child_env(self, **over: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
        return {**base, **self.env(**over), "PYTHONUNBUFFERED": "1"}

    def cli(self, *args: str, **over: str) -> Run:
        """`osaa <args>` in-process (Typer's CliRunner): fast, still the real command."""
        from osaa_lib.cli import app

        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(STRIPPED)}
        env.update(self.env(**over))
        t0 = time.perf_counter()
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=True)
        out = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            import traceback

            out += "\n" + "".join(traceback.format_exception(result.exception))
        run = Run(list(args), result.exit_code, out, time.perf_counter() - t0)
        self.runs.append(run)
        return run

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "from osaa_lib.cli import main; main()", *args]

    def spawn(self, *args: str, **over: str) -> subprocess.Popen:
        """`osaa <args>` as a real process (for kills and concurrency)."""
        return subprocess.Popen(
            self.command(*args),
            env=self.child_env(**over),
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def finish(self, proc: subprocess.Popen, args: list[str], timeout: float = 600) -> Run:
        out, _ = proc.communicate(timeout=timeout)
        run = Run(args, proc.returncode, out or "")
        self.runs.append(run)
        return run

    def run(self, *args: str, timeout: float = 600, **over: str) -> Run:
        t0 = time.perf_counter()
        run = self.finish(self.spawn(*args, **over), list(args), timeout)
        run.seconds = time.perf_counter() - t0
        return run

    def staging(self, user: str | None = None) -> Path:
        space = f"dev_{user or self.user}" if self.target == "dev" else ""
        return self.lake / self.target / "staging" / space


# -- fingerprints ----------------------------------------------------------------------------


def table_fingerprint(path: Path | str) -> tuple[int, str]:
    """Rows and an order-independent content hash (Parquet bytes may differ run to run)."""
    import duckdb

    con = duckdb.connect()
    try:
        rows, digest = con.execute(
            "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM read_parquet(?) t",
            [str(path)],
        ).fetchone()
    finally:
        con.close()
    return int(rows), str(digest)


def tables_under(folder: Path) -> dict[str, tuple[int, str]]:
    """Every Parquet below `folder` (keys relative to it) with its fingerprint."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): table_fingerprint(p)
        for p in sorted(folder.rglob("*.parquet"))
        if ".tmp-" not in p.name
    }


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def lake_checksums(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def losses(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Tables missing or different from the reference: each one is a loss."""
    return sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))


def assert_clean(run: Run, code: int | tuple[int, ...], *needles: str) -> None:
    """A proper exit code, the expected words, and never a crash trace."""
    codes = (code,) if isinstance(code, int) else code
    assert "Traceback" not in run.out, run.out[-3000:]
    assert run.code in codes, f"exit {run.code} (wanted {codes}) for {run.args}:\n{run.out[-3000:]}"
    for needle in needles:
        assert run.has(needle), f"{needle!r} not in the output of {run.args}:\n{run.out[-3000:]}"


def wait_until(
    predicate,
    proc: subprocess.Popen | None = None,
    timeout: float = 300,
    step: float = 0.01,
    what: str = "condition",
) -> float:
    """Poll until `predicate()` holds; fail if the process ended first. Returns the seconds."""
    t0 = time.monotonic()
    while not predicate():
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(
                f"the process ended (exit {proc.returncode}) before {what}:\n{out[-3000:]}"
            )
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
    return time.monotonic() - t0


def plant_xss(raw: Path) -> None:
    """Labels carrying a script and SQL, a cell carrying a script: all must stay plain text."""
    label = raw / "sdg" / "SDG_LABEL.csv"
    text = label.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows[1:]:  # every label, so the explorer's top rows surely show one
        row[1] = f"{XSS_LABEL} {row[1]}"
    rows[2][1] = f"{SQL_LABEL} {rows[2][1][len(XSS_LABEL) + 1 :]}"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    label.write_text(out.getvalue(), encoding="utf-8")
    data = raw / "sdg" / "SDG_DATA_NATIONAL.csv"
    lines = data.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = list(csv.reader(io.StringIO(lines[5], newline="")))
    rows[0][3] = XSS_CELL
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    lines[5] = out.getvalue()
    data.write_text("".join(lines), encoding="utf-8")


# -- snapshots of the workspace --------------------------------------------------------------


@dataclass
class Reference:
    """What a clean run produced, for comparing every run after a fault."""

    published: dict[str, tuple[int, str]]
    landing: dict[str, tuple[int, str]]
    landing_bytes: dict[str, str]
    seconds: float


class Snapshots:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.ws_root = base / "ws"
        self.reference: Reference | None = None

    def restore(self, name: str) -> Workspace:
        if self.ws_root.exists():
            shutil.rmtree(self.ws_root)
        shutil.copytree(self.base / f"snap-{name}", self.ws_root, symlinks=True)
        return Workspace(self.ws_root)

    def save(self, name: str) -> None:
        dest = self.base / f"snap-{name}"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.ws_root, dest, symlinks=True)


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Snapshots:
    """The "raw" snapshot (sample + planted script text) and the "clean" one after `osaa etl`."""
    snaps = Snapshots(tmp_path_factory.mktemp("reliability"))
    root = snaps.ws_root
    root.mkdir()
    shutil.copytree(SAMPLE, root / "raw", ignore=shutil.ignore_patterns("*.json"))
    plant_xss(root / "raw")
    snaps.save("raw")
    ws = Workspace(root)
    t0 = time.perf_counter()
    run = ws.run("etl")
    assert_clean(run, 0)
    seconds = time.perf_counter() - t0
    landing = ws.lake / "dev" / "landing"
    snaps.reference = Reference(
        published=tables_under(ws.staging()),
        landing=tables_under(landing),
        landing_bytes=lake_checksums(landing),
        seconds=seconds,
    )
    assert set(snaps.reference.published) == {
        "master/indicators.parquet",
        "reference/countries.parquet",
        "sources/opri.parquet",
        "sources/sdg.parquet",
        "sources/wdi.parquet",
    }
    snaps.save("clean")
    return snaps


@pytest.fixture
def reference(snapshots: Snapshots) -> Reference:
    assert snapshots.reference is not None
    return snapshots.reference


@pytest.fixture
def clean_ws(snapshots: Snapshots) -> Iterator[Workspace]:
    """The workspace exactly as the clean run left it (landed, transformed, published)."""
    yield snapshots.restore("clean")


@pytest.fixture
def raw_ws(snapshots: Snapshots) -> Iterator[Workspace]:
    """The workspace with the raw sample only: nothing landed or built yet."""
    yield snapshots.restore("raw")


@pytest.fixture
def note(request: pytest.FixtureRequest):
    """Record a detail of the case (message seen, counts) for RELIABILITY.md."""

    def _note(key: str, value: Any) -> None:
        request.node.user_properties.append((key, value))

    return _note


# -- figures: outcomes per category ----------------------------------------------------------

_RESULTS: dict[str, dict[str, Any]] = {}


def _category(nodeid: str) -> str | None:
    if not nodeid.startswith("tests/reliability/"):
        return None
    module = nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
    return CATEGORIES.get(module, module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _category(item.nodeid) and getattr(item, "function", None) is not None:
            doc = (item.function.__doc__ or "").strip().splitlines()
            item.user_properties.append(("doc", doc[0] if doc else ""))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    category = _category(report.nodeid)
    if category is None:
        return
    entry = _RESULTS.setdefault(
        report.nodeid,
        {"category": category, "outcome": "passed", "seconds": 0.0, "details": {}},
    )
    entry["seconds"] += report.duration
    for key, value in report.user_properties:
        entry["details"][key] = value
    if hasattr(report, "wasxfail"):
        entry["outcome"] = "xfailed" if report.skipped else "xpassed"
        entry["details"]["xfail_reason"] = report.wasxfail
    elif report.failed:
        entry["outcome"] = "failed" if report.when == "call" else "error"
    elif report.skipped and entry["outcome"] == "passed":
        entry["outcome"] = "skipped"


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("OSAA_RELIABILITY_JSON")
    if not target or not _RESULTS:
        return
    doc = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "cases": _RESULTS,
    }
    Path(target).write_text(json.dumps(doc, indent=1, default=str))
