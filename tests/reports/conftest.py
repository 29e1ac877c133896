"""Fixtures of the report tests: reading a report's tables, and a browser with no network."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NO_NETWORK = ["--proxy-server=127.0.0.1:9", "--disable-background-networking", "--disable-quic",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--no-sandbox",
              "--disable-gpu"]  # fmt: skip


def soup(path: Path) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


def text(node: Any) -> str:
    return " ".join(node.get_text(" ").split())


def rows(table: Any) -> list[dict[str, str]]:
    """The rows of a report table (not of the tables nested in its cells) as header -> text."""
    head = [text(th) for th in table.find("thead").find_all("th")]
    body = table.find("tbody").find_all("tr", recursive=False)
    return [dict(zip(head, (text(td) for td in tr.find_all("td", recursive=False)), strict=True))
            for tr in body]  # fmt: skip


def cards(node: Any) -> dict[str, str]:
    """A section's cards: label -> (value, note)."""
    return {text(c.select_one(".label")).lower(): (text(c.select_one(".value")),
                                                   text(c.select_one(".delta")))
            for c in node.select(".card")}  # fmt: skip


def number(shown: str) -> float:
    return float(shown.replace(",", "").replace("\u2212", "-"))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The system Chromium driven by Playwright (which never downloads a browser of its own)."""
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is missing: `make system-deps` (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=NO_NETWORK)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Any, tmp_path: Path) -> Iterator[Any]:
    """Open a local page; every request it makes for anything but the file itself is recorded
    (`page.requests_made`) and refused, and any dialog (`alert`) is recorded and dismissed."""
    contexts = []

    def _open(path: Path, width: int = 1400, height: int = 1000) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.requests_made, page.dialogs = [], []
        page.on("request", lambda r: page.requests_made.append(r.url))
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url == page.url_asked else route.abort())
        page.url_asked = path.resolve().as_uri()
        page.goto(page.url_asked)
        return page

    yield _open
    for context in contexts:
        context.close()
