"""The runbook's Docker path on a real engine: the image built from this checkout on a local
Debian base, and `docker compose run --rm pipeline ...` run literally in a scratch clone, as root
and as an ordinary host user (uid 1234, in the socket's group), with exit codes, the files in the
host's data/ and who owns them.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.docker.conftest import FIGURES
from tests.docker.engine import Engine, ca_bundle, copy_project

pytestmark = pytest.mark.docker


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[str, ...]  # after `docker compose`
    exit_code: int
    creates: tuple[str, ...] = ()


# The runbook's commands in its order, with the exit codes and files docs/operations.md gives.
RUNBOOK = (
    Step("config_test", ("run", "--rm", "pipeline", "config_test"), 0),
    Step(
        "ingest",
        ("run", "--rm", "pipeline", "ingest"),
        0,
        (
            "data/lake/dev/landing/sdg/SDG_DATA_NATIONAL.parquet",
            "data/lake/dev/landing/opri/OPRI_DATA_NATIONAL.parquet",
            "data/lake/dev/landing/wdi/WDICSV.parquet",
        ),
    ),
    Step(
        "etl",
        ("run", "--rm", "pipeline", "etl"),
        0,
        ("data/lake/dev/staging/dev_analyst/master/indicators.parquet",),
    ),
    Step(
        "etl USERNAME=alice",
        ("run", "--rm", "-e", "USERNAME=alice", "pipeline", "etl"),
        0,
        ("data/lake/dev/staging/dev_alice/master/indicators.parquet",),
    ),
    Step(
        "promote dev->qa",
        ("run", "--rm", "pipeline", "promote", "--from", "dev", "--to", "qa"),
        0,
        ("data/lake/qa/_release.json", "data/lake/qa/staging/master/indicators.parquet"),
    ),
    Step("status", ("run", "--rm", "pipeline", "status"), 0),  # exit 1 if a latest run failed
)


@dataclass(frozen=True)
class HostUser:
    uid: int
    gid: int

    def __str__(self) -> str:
        return "root" if self.uid == 0 else f"uid{self.uid}"

    def argv(self, engine: Engine, command: list[str]) -> list[str]:
        """The command as this user would run it: own ids, member of the socket's group."""
        if self.uid == 0:
            return command
        group = engine.socket.stat().st_gid
        ids = [f"--reuid={self.uid}", f"--regid={self.gid}", f"--groups={group}"]
        return ["setpriv", *ids, "--", *command]


USERS = (HostUser(1234, 1234), HostUser(0, 0))
# docs/operations.md: "run the container as yourself".
DOCUMENTED_SETUP = """printf 'OSAA_UID=%s\\nOSAA_GID=%s\\n' "$(id -u)" "$(id -g)" >> .env"""


@dataclass
class Checkout:
    """A scratch clone owned by `user`, and `docker compose` run in it as that user."""

    engine: Engine
    user: HostUser
    path: Path
    home: Path
    results: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    @classmethod
    def make(cls, engine: Engine, user: HostUser, name: str) -> Checkout:
        home = engine.root / f"home-{name}"
        home.mkdir()
        os.chown(home, user.uid, user.gid)
        path = copy_project(engine.root / f"checkout-{name}", user.uid, user.gid)
        return cls(engine, user, path, home)

    @property
    def env(self) -> dict[str, str]:
        return {**self.engine.env, "HOME": str(self.home)}

    def run(
        self, command: list[str], env: dict[str, str] | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.user.argv(self.engine, command),
            cwd=self.path,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def compose(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return self.run(["docker", "compose", *args], **kwargs)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"


@pytest.fixture(scope="module", params=USERS, ids=str)
def checkout(request: pytest.FixtureRequest, engine: Engine, image: str) -> Checkout:
    """The runbook, once per host user, in a checkout of that user set up as the docs say."""
    user: HostUser = request.param
    co = Checkout.make(engine, user, str(user))
    setup = co.run(["sh", "-c", DOCUMENTED_SETUP])
    assert setup.returncode == 0, _output(setup)
    for step in RUNBOOK:
        started = time.monotonic()
        co.results[step.name] = co.compose(*step.args)
        FIGURES[f"{user}: docker compose {' '.join(step.args)}"] = (
            f"{time.monotonic() - started:.1f} s, exit {co.results[step.name].returncode}"
        )
    return co


@pytest.mark.parametrize("step", RUNBOOK, ids=lambda s: s.name)
def test_runbook_command(checkout: Checkout, step: Step) -> None:
    proc = checkout.results[step.name]
    assert proc.returncode == step.exit_code, _output(proc)
    for name in step.creates:
        assert (checkout.path / name).is_file(), f"{name} missing after {step.name}"


def test_config_test_proves_the_mounted_lake(checkout: Checkout) -> None:
    out = checkout.results["config_test"].stdout
    assert "lake OK" in out and "/app/data/lake/dev/_probe/" in out
    assert not list((checkout.path / "data/lake/dev/_probe").glob("*"))  # probe deleted


def test_files_belong_to_the_host_user(checkout: Checkout) -> None:
    written = [
        p for folder in ("data", "reports", "logs") for p in (checkout.path / folder).rglob("*")
    ]
    lake_files = [p for p in written if p.is_file() and "lake" in p.parts]
    assert len(lake_files) > 40 and list((checkout.path / "logs").glob("osaa-*.log"))
    strangers = [
        f"{p.relative_to(checkout.path)} {p.lstat().st_uid}:{p.lstat().st_gid}"
        for p in written
        if (p.lstat().st_uid, p.lstat().st_gid) != (checkout.user.uid, checkout.user.gid)
    ]
    assert not strangers, strangers[:10]


def test_each_space_and_the_promoted_release_hold_the_same_table(checkout: Checkout) -> None:
    lake = checkout.path / "data" / "lake"
    analyst = lake / "dev/staging/dev_analyst/master/indicators.parquet"
    alice = lake / "dev/staging/dev_alice/master/indicators.parquet"
    qa = lake / "qa/staging/master/indicators.parquet"
    rows = pq.ParquetFile(analyst).metadata.num_rows
    assert rows > 10_000
    assert pq.ParquetFile(alice).metadata.num_rows == rows
    assert qa.read_bytes() == analyst.read_bytes()
    release = json.loads((lake / "qa/_release.json").read_text())
    assert release["state"] == "complete" and release["source"] == "dev"


def test_healthcheck_answers_without_adding_runs(checkout: Checkout) -> None:
    runs = checkout.path / "data/lake/ops/runs"
    before = sorted(runs.rglob("*.json"))
    healthy = checkout.compose("run", "--rm", "--entrypoint", "osaa-healthcheck", "pipeline")
    assert healthy.returncode == 0, _output(healthy)
    assert "healthy: lake round trip" in healthy.stdout
    broken = checkout.compose(
        "run", "--rm", "-e", "TARGET=nowhere", "--entrypoint", "osaa-healthcheck", "pipeline"
    )
    assert broken.returncode == 1 and "unhealthy" in broken.stderr, _output(broken)
    assert sorted(runs.rglob("*.json")) == before


def _wait_for_health(url: str, ui: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert json.loads(response.read())["status"] == "healthy"
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            if ui.poll() is not None or time.monotonic() > deadline:
                raise
        time.sleep(1)


def test_ui_profile_answers_on_its_port(checkout: Checkout) -> None:
    port = _free_port()
    env = {"OSAA_UI_PORT": str(port)}
    started = time.monotonic()
    ui = subprocess.Popen(
        checkout.user.argv(checkout.engine, ["docker", "compose", "--profile", "ui", "up", "ui"]),
        cwd=checkout.path,
        env={**checkout.env, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_health(f"http://127.0.0.1:{port}/health", ui)
        FIGURES[f"{checkout.user}: ui answering /health"] = f"{time.monotonic() - started:.1f} s"
        logs = checkout.compose("--profile", "ui", "logs", "ui", env=env).stdout
        token = re.search(r"access_token=([\w-]+)", logs)
        assert token, logs
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with opener.open(f"http://127.0.0.1:{port}/?access_token={token[1]}", timeout=30) as page:
            assert page.status == 200 and "marimo" in page.read().decode()
        whoami = checkout.compose("--profile", "ui", "exec", "-T", "ui", "id", "-u", env=env)
        assert whoami.stdout.strip() == str(checkout.user.uid), _output(whoami)
    finally:
        down = checkout.compose("--profile", "ui", "down", env=env, timeout=120)
        ui.wait(timeout=120)
    assert down.returncode == 0, _output(down)


def test_a_container_running_as_someone_else_stops_with_the_fix(
    engine: Engine, image: str
) -> None:
    """No OSAA_UID in .env: the default uid 1000 cannot write a checkout owned by 1234."""
    co = Checkout.make(engine, HostUser(1234, 1234), "no-env")
    proc = co.compose("run", "--rm", "pipeline", "ingest")
    assert proc.returncode == 2, _output(proc)
    assert "not writable by uid 1000" in proc.stderr and "belongs to uid 1234" in proc.stderr
    assert "OSAA_UID" in proc.stderr
    assert not (co.path / "data" / "lake").exists()


def _in_image(engine: Engine, script: str, user: str = "") -> subprocess.CompletedProcess[str]:
    as_user = ["--user", user] if user else []
    return engine.docker(
        *("run", "--rm", "--network", "none", *as_user, "--entrypoint", "sh", "osaa-mvp"),
        *("-c", script),
        check=False,
        timeout=300,
    )


def test_image_is_small_non_root_and_has_no_build_leftovers(engine: Engine, image: str) -> None:
    config = json.loads(engine.docker("image", "inspect", image).stdout)[0]
    assert config["Config"]["User"] == "1000:1000"
    assert config["Config"]["Healthcheck"]["Test"] == ["CMD", "osaa-healthcheck"]
    assert config["Size"] < 1_000_000_000, config["Size"]  # measured 0.92 GB
    leftovers = _in_image(
        engine,
        "id -u; python3 --version; command -v gcc cc make git || true; "
        "ls -d /src /root/.cache /opt/venv/bin/pip* 2>/dev/null || true; "
        "find /opt/venv -type d -name tests -path '*/site-packages/*' | head -3; "
        "python3 -c 'import osaa_lib, sqlmesh, marimo, duckdb, papermill'",
    )
    assert leftovers.returncode == 0, _output(leftovers)
    lines = leftovers.stdout.split()
    assert lines[0] == "1000" and lines[1:3] == ["Python", "3.11.2"]
    assert lines[3:] == [], lines[3:]


def test_build_ca_bundle_is_not_in_the_image(engine: Engine, image: str) -> None:
    """The CA certificates this host adds (a TLS-inspecting proxy's) reached pip as a build
    secret: none of them is in any file or history entry of the image."""
    bundle = ca_bundle()
    if bundle is None:
        pytest.skip("no CA bundle on this host")
    image_bundle = _in_image(engine, "cat /etc/ssl/certs/ca-certificates.crt").stdout
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END", bundle.read_text(), re.S)
    extra = [b.split("\n")[1] for b in blocks if b not in image_bundle]
    if not extra:
        pytest.skip("this host trusts no CA beyond Debian's")
    patterns = " ".join(f"-e '{line}'" for line in extra)
    found = _in_image(
        engine,
        f"grep -rlF {patterns} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev",
        user="0",  # every file, also those only root may read
    )
    assert found.returncode == 1 and not found.stdout, _output(found)
    history = engine.docker("history", "--no-trunc", image).stdout
    assert not any(line in history for line in extra)

