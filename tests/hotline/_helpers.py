"""Helpers shared by the hotline tests (imported as ``tests.hotline._helpers``)."""

from __future__ import annotations

import warnings
from pathlib import Path

# starlette warns at import that it would prefer httpx2 over httpx (a third-party
# deprecation we cannot fix here); it is silenced for this one import only.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

__all__ = ["DATA", "NOISE", "TestClient"]

DATA = Path(__file__).parent / "data"

NOISE = {
    "service_code": "noise",
    "lat": "39.9042",
    "long": "116.4074",
    "attribute[noise_source]": "construction",
    "description": "工地夜间施工噪音扰民",
}
