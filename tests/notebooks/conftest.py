"""Fixtures of the notebook tests: settings on a temp project, and headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--hide-scrollbars",
]


@dataclass
class Page:
    dom: str
    screenshot: Path


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Page]:
    """Open a local HTML file in headless Chromium with no network: its DOM and a screenshot."""
    exe = _chromium()
    if exe is None:
        pytest.fail("chromium is missing: `make system-deps` (apt-get install chromium)")
    base = tmp_path_factory.mktemp("chromium")

    def open_page(html: Path, height: int = 3000) -> Page:
        profile = base / f"profile-{html.stem}-{len(list(base.iterdir()))}"
        shot = base / f"{html.parent.name}-{html.stem}.png"
        url = html.resolve().as_uri()
        common = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run(
            [*common, "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert dom.returncode == 0, dom.stderr[-2000:]
        subprocess.run(
            [*common, f"--screenshot={shot}", f"--window-size=1400,{height}", url],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        return Page(dom.stdout, shot)

    return open_page


def not_blank(png: Path) -> float:
    """Share of pixels that are not the page background (a blank page gives ~0)."""
    from PIL import Image

    image = Image.open(png).convert("L")
    hist = image.histogram()
    background = max(range(256), key=lambda i: hist[i])
    return 1 - hist[background] / sum(hist)
