"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session", autouse=True)
def _no_writes_outside_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Caches (boundary files, matplotlib's font list) go to a temporary folder, never to ~/.cache."""
    base = tmp_path_factory.mktemp("cache")
    os.environ["CITYCHECKUP_CACHE"] = str(base / "citycheckup")
    os.environ.setdefault("MPLCONFIGDIR", str(base / "matplotlib"))
