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
