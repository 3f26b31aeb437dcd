"""Shared fixtures. The tests mirror the package (tests/core/ tests simulation/core/, and so on; tests of the
whole package sit here at the top); plain shared values (paths, PNG's magic number, ``invoke``) are in
``tests/helpers.py``.

Session-scoped, as what they give never changes:

- ``baseline``: the bundled baseline scenario (scenarios/baseline.yaml), loaded (a frozen ``Scenario``).
- ``baseline_at_once``: the baseline with every site and position open in week 0 (no warm-up), for tests that step
  the model from its first week.
- ``startup_plan``: the bundled full start-up plan (scenarios/startup-plan.yaml), loaded.
- ``small_world``: writes a small world's scenario file into a folder and returns its path (module-scoped
  fixtures that build folders can use it).
- ``sweep_spec``: writes a sweep spec, with the small world it sweeps beside it, into a folder; returns its path.
- ``browser``: one headless Debian Chromium driven by Playwright.

Per test: ``artifacts``, the folder for screenshots (tests/artifacts/, not in git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulation.core.scenario import Scenario, opened_at_once
from simulation.inputs.scenarios import load_scenario
from tests.helpers import (
    BASELINE_FILE,
    PAIRS_AND_A_TRIO,
    PAIRS_AND_SOLOS,
    STARTUP_PLAN_FILE,
    small_world_yaml,
)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
"""Screenshots taken by the browser tests, kept for a person to look at (not in git)."""

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
"""Chromium must not phone home: this machine's closed network refuses the connections (env notes)."""

SWEEP_WORLD_WEEKS = 26
"""The sweeps' small world runs half a year: with its 7 positions, sweeps of dozens of runs stay fast."""


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The bundled baseline scenario, loaded once."""
    return load_scenario(BASELINE_FILE)


@pytest.fixture(scope="session")
def baseline_at_once(baseline: Scenario) -> Scenario:
    """The baseline with every site and position opening in week 0: no warm-up, everything open from the start."""
    return opened_at_once(baseline)


@pytest.fixture(scope="session")
def startup_plan() -> Scenario:
    """The bundled full start-up plan, loaded once: every lever on, seminars every 8 weeks, a review in week 40."""
    return load_scenario(STARTUP_PLAN_FILE)


@pytest.fixture(scope="session")
def small_world() -> Callable[..., Path]:
    """``small_world(folder, weeks, window=None, description="", sites=PAIRS_AND_SOLOS, name="tiny.yaml")`` writes
    ``folder/name``, a small world extending the bundled baseline (``tests.helpers.small_world_yaml``), and returns
    its path."""

    def write(folder: Path, weeks: int, window: int | None = None, description: str = "",
              sites: str = PAIRS_AND_SOLOS, name: str = "tiny.yaml") -> Path:
        path = folder / name
        path.write_text(small_world_yaml(weeks, window, description, sites))
        return path

    return write


@pytest.fixture(scope="session")
def sweep_spec(small_world: Callable[..., Path]) -> Callable[..., Path]:
    """``sweep_spec(folder, body, name="spec.yaml")`` writes the sweeps' small world as ``folder/tiny.yaml`` (2 pairs
    and a team of three, half a year) and a sweep spec ``folder/name`` over it (``base: tiny.yaml`` and ``body``);
    returns the spec's path."""

    def write(folder: Path, body: str, name: str = "spec.yaml") -> Path:
        small_world(folder, SWEEP_WORLD_WEEKS, sites=PAIRS_AND_A_TRIO)
        path = folder / name
        path.write_text("base: tiny.yaml\n" + body)
        return path

    return write


def chromium_path() -> str:
    """Debian's Chromium (``./dev test`` installs it if it is missing); ``IPSIM_CHROMIUM`` points elsewhere."""
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
    """The folder for screenshots, tests/artifacts/ (made if missing)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
