"""Shared fixtures: a headless Debian Chromium driven by Playwright, and a folder for screenshots."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
"""Screenshots taken by the browser tests, kept for a person to look at (not in git)."""

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
"""Chromium must not phone home: this machine's closed network refuses the connections (env notes)."""


def chromium_path() -> str:
    """Debian's Chromium (``.ci/run`` installs it); ``IPSIM_CHROMIUM`` points elsewhere."""
    path = os.environ.get("IPSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("the browser tests need Chromium: apt-get install chromium (or set IPSIM_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Chromium for the session; Playwright never downloads a browser of its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
