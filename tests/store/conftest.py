"""Fixtures of the store tests: small result directories built once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.store import store_builders as builders


@pytest.fixture(scope="session")
def result_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("results")
    return {
        "run": builders.checkup_run(base),
        "run_equal": builders.checkup_run(base, name="run_eq", weights="equal"),
        "index": builders.index_dir(base),
        "sensitivity": builders.sensitivity_dir(base),
        "spatial": builders.spatial_dir(base),
    }


@pytest.fixture
def run_copy(result_dirs: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the check-up run folder (for tests that add to it)."""
    dst = tmp_path / "demo"
    shutil.copytree(result_dirs["run"], dst)
    return dst
