"""Fixtures for the spatial tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.spatial.spatial_town import town_xml


@pytest.fixture
def make_town(tmp_path: Path) -> Callable[..., Path]:
    """Write a synthetic town .osm file and return its path."""

    def make(name: str = "town.osm", **kwargs: bool) -> Path:
        p = tmp_path / name
        p.write_text(town_xml(**kwargs), encoding="utf-8")
        return p

    return make
