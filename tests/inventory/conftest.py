"""Fixtures of the inventory tests: the framework and the SYNTHETIC city (see synthetic_city.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from citycheckup.framework import builtin_frameworks, load_framework
from citycheckup.framework.models import Framework
from tests.inventory.synthetic_city import SyntheticCity, make_city

HERE = Path(__file__).resolve().parent
SYNTHETIC_FW = HERE / "synthetic_framework.yaml"


def framework_under_test() -> Framework:
    """The built-in mohurd-2025 when it is installed, else the synthetic test framework."""
    if "mohurd-2025" in builtin_frameworks():
        return load_framework("mohurd-2025")
    return load_framework(SYNTHETIC_FW)


@pytest.fixture(scope="session")
def fw() -> Framework:
    return framework_under_test()


@pytest.fixture(scope="session")
def synthetic_fw() -> Framework:
    """The small synthetic framework (fixed content, for unit tests that name its indicators)."""
    return load_framework(SYNTHETIC_FW)


@pytest.fixture(scope="session")
def city(fw: Framework) -> SyntheticCity:
    return make_city(fw)
