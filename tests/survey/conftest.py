"""Fixtures of the survey tests: one synthetic city (seeded) and a seeded draw from it."""

from __future__ import annotations

import pytest

from tests.survey.synthetic import Draw, Population, draw_sample, make_population


@pytest.fixture(scope="session")
def population() -> Population:
    return make_population()


@pytest.fixture(scope="session")
def draw(population: Population) -> Draw:
    return draw_sample(population, seed=11)
