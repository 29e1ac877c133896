"""The docker tier's session: a private engine, the local base image, the project image.

Figures (base image, build, image size, tier time) are printed at the end of the run; the base
image's root filesystem is cached between runs in $OSAA_DOCKER_CACHE (~/.cache/osaa-docker).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docker.engine import REPO, Engine, ca_bundle, install_packages

BASE_TAG = "osaa-base:bookworm"
IMAGE = "osaa-mvp"
FIGURES: dict[str, str] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("OSAA_DOCKER_CACHE") or Path.home() / ".cache" / "osaa-docker")


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    if os.geteuid() != 0:
        pytest.skip("the docker tier starts dockerd and runs debootstrap: run it as root")
    started = time.monotonic()
    install_packages()
    eng = Engine.start()
    FIGURES["engine start (incl. install if missing)"] = f"{time.monotonic() - started:.1f} s"
    try:
        yield eng
    finally:
        timings = eng.stop()
        FIGURES["engine stop"] = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        FIGURES["docker tier (engine up to engine stopped)"] = f"{time.monotonic() - started:.1f} s"


@pytest.fixture(scope="session")
def base_image(engine: Engine) -> str:
    """Debian bookworm + python3 from Debian's repositories (no registry needed)."""
    started = time.monotonic()
    proc = subprocess.run(
        ["sh", str(REPO / "docker" / "make-base-image.sh"), BASE_TAG],
        env={**engine.env, "OSAA_DOCKER_CACHE": str(cache_dir())},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    how = "debootstrap + import" if "debootstrap" in proc.stdout else "import of the cached rootfs"
    FIGURES[f"base image ({how})"] = f"{time.monotonic() - started:.1f} s"
    return BASE_TAG


@pytest.fixture(scope="session")
def image(engine: Engine, base_image: str) -> str:
    """The project image, built the runbook's way from this checkout (an empty daemon: cold)."""
    command = ["build", "--network", "host", "--build-arg", f"BASE_IMAGE={base_image}"]
    bundle = ca_bundle()
    if bundle is not None:
        command += ["--secret", f"id=pip_cert,src={bundle}"]
    started = time.monotonic()
    proc = engine.docker(*command, "-t", IMAGE, str(REPO), check=False, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    FIGURES["image build (cold: empty daemon)"] = f"{time.monotonic() - started:.1f} s"
    size = int(engine.docker("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    FIGURES["image size"] = f"{size / 1e6:.0f} MB ({size} bytes)"
    return IMAGE


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("docker tier figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
