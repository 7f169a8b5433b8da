"""Shared fixtures."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CITYCHECKUP_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with a reason when it is absent."""
    path = SHARED / "data"
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/data is required in CI but was not found at {path}")
        pytest.skip(f"shared data not found at {path} (set CITYCHECKUP_SHARED to its parent)")
    return path


# -- no writes outside a temporary folder --------------------------------------------------
# Caches and settings (boundary files, matplotlib's font list, Chromium's and LibreOffice's
# profiles, hypothesis' example database) go to one temporary folder, never to ~/.cache,
# ~/.config or the repository. Set here, at import, because test modules import matplotlib
# (which reads MPLCONFIGDIR once) while they are collected, before any fixture runs.
_TMP_HOME = Path(tempfile.mkdtemp(prefix="citycheckup-tests-"))
atexit.register(shutil.rmtree, _TMP_HOME, ignore_errors=True)
for _var, _sub in {
    "CITYCHECKUP_CACHE": "cache/citycheckup",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
    "HYPOTHESIS_STORAGE_DIRECTORY": "hypothesis",
}.items():
    os.environ[_var] = str(_TMP_HOME / _sub)
# no timings in pass/fail tests: no deadline, and a loaded machine is not a failed health check
settings.register_profile(
    "citycheckup", database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("citycheckup")


@pytest.fixture(scope="session", autouse=True)
def _no_writes_outside_tmp() -> None:
    """Fails the session early if something above was undone (e.g. by an imported module)."""
    for var in ("CITYCHECKUP_CACHE", "MPLCONFIGDIR", "XDG_CACHE_HOME"):
        assert Path(os.environ[var]).is_relative_to(_TMP_HOME), (var, os.environ[var])


# -- CI: a missing system tool is a failure, not a skip --------------------------------------
# Outside CI, tests that need PostgreSQL, poppler, LibreOffice or Chromium skip with a reason
# when the tool is absent. With CI=true (set by .ci/run) such a skip would hide a broken
# install, so it is turned into a failure here, whatever file the skip comes from
# (pytest.skip in a fixture, a skipif mark or importorskip alike).
CI_REQUIRED = re.compile(
    r"chromium|poppler|pdftotext|pdffonts|postgresql|CITYCHECKUP_TEST_PG_URL|soffice|libreoffice",
    re.IGNORECASE,
)


def in_ci() -> bool:
    """True when the environment variable CI is set to something other than ``""``/``0``/``false``."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if not (rep.skipped and in_ci()) or hasattr(rep, "wasxfail"):
        return rep
    longrepr = rep.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if CI_REQUIRED.search(reason):
        rep.outcome = "failed"
        rep.longrepr = (
            f"CI is set, so this test may not skip: {reason}\n"
            "Install the tool (see .ci/run) or set CITYCHECKUP_CHROMIUM / "
            "CITYCHECKUP_TEST_PG_URL to point at it."
        )
    return rep
