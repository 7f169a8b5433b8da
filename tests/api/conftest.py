"""Fixtures of the API tests: a small store (check-up runs, index, sensitivity, spatial) and clients.

Starlette's TestClient warns on import that it prefers ``httpx2`` (not installed); that
one warning is filtered here, at the import, and nowhere else.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citycheckup.api import create_app
from citycheckup.store import Store
from tests.store import store_builders as builders

TOKEN = "s3cret-token"


def _test_client() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Using `httpx` with `starlette.testclient` is deprecated"
        )
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture(autouse=True)
def _no_tarpit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refusals (429) are answered at once in tests (the server pauses up to a second)."""
    from citycheckup.api import _middleware

    monkeypatch.setattr(_middleware, "TARPIT_S", 0.0)


@pytest.fixture(scope="session")
def api_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Path of a store with five runs, and their ids by name."""
    base = tmp_path_factory.mktemp("api")
    db = base / "store.duckdb"
    ids = {}
    with Store(db) as st:
        ids["run"] = st.save_run_dir(builders.checkup_run(base), label="baseline 2022")
        ids["run_equal"] = st.save_run_dir(
            builders.checkup_run(base, name="run_eq", weights="equal"), label="equal weights"
        )
        ids["index"] = st.save_run_dir(builders.index_dir(base), label="asem index")
        ids["sensitivity"] = st.save_run_dir(builders.sensitivity_dir(base))
        ids["spatial"] = st.save_run_dir(builders.spatial_dir(base), label="districts")
    builders.small_data_csv(base / "upload.csv", n=12, years=(2021, 2022))
    return {"path": db, "ids": ids, "upload": base / "upload.csv"}


@pytest.fixture(scope="session")
def client(api_store: dict[str, Any]) -> Iterator[Any]:
    """A read-mostly client (token configured) on the shared store; tests must not change it."""
    st = Store(api_store["path"])
    app = create_app(store=st, token=TOKEN, uploads_dir=api_store["path"].parent / "uploads")
    with _test_client()(app) as c:
        yield c
    st.close()


@pytest.fixture
def private_store(api_store: dict[str, Any], tmp_path: Path) -> Path:
    """A copy of the store for tests that write."""
    dst = tmp_path / "store.duckdb"
    shutil.copy(api_store["path"], dst)
    return dst


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    """Factory: a client on ``store`` with the given ``create_app`` options."""
    made: list[Any] = []

    def make(store: Path, **kwargs: Any) -> Any:
        kwargs.setdefault("uploads_dir", tmp_path / "uploads")
        c = _test_client()(create_app(store=store, **kwargs))
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)
