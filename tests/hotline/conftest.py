"""Fixtures of the hotline tests: a store, an in-process client, keys, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from citycheckup.hotline import HotlineClassifier, HotlineStore, load_catalogue
from citycheckup.hotline.server import create_app
from tests.hotline._helpers import DATA, TestClient

PG_ENV = "CITYCHECKUP_TEST_PG_URL"


@pytest.fixture(autouse=True)
def _no_tarpit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusals (429) are answered at once in tests (the server pauses up to a second)."""
    from citycheckup.hotline import _asgi

    monkeypatch.setattr(_asgi, "TARPIT_S", 0.0)


@pytest.fixture(scope="session")
def catalogue():  # type: ignore[no-untyped-def]
    return load_catalogue()


@pytest.fixture(scope="session")
def tiny_classifier() -> HotlineClassifier:
    import pandas as pd

    df = pd.read_csv(DATA / "synthetic_messages.csv")
    return HotlineClassifier(min_df=1, calibration_folds=3).fit(
        df["text"].tolist(), df["label"].tolist()
    )


@pytest.fixture
def store(tmp_path: Path, catalogue, tiny_classifier) -> Iterator[HotlineStore]:  # type: ignore[no-untyped-def]
    st = HotlineStore(
        f"sqlite:///{tmp_path / 'hotline.db'}", catalogue=catalogue, classifier=tiny_classifier
    )
    yield st
    st.close()


@pytest.fixture
def keys(store: HotlineStore) -> dict[str, str]:
    return {
        role: store.create_key(role, label=f"test {role}")
        for role in ("submit", "operate", "admin")
    }


@pytest.fixture
def client(store: HotlineStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=store)) as c:
        yield c


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            f"{PG_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5433/"
            "postgres); PostgreSQL tests skipped"
        )
    return url


@pytest.fixture
def pg_store(pg_url: str, catalogue) -> Iterator[HotlineStore]:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from citycheckup.hotline.schema import metadata

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        metadata.drop_all(conn)
    engine.dispose()
    st = HotlineStore(pg_url, catalogue=catalogue)
    yield st
    st.close()
