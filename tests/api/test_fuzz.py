"""Property-based fuzzing of every operation in the served OpenAPI document (schemathesis).

Bounded (a few examples per operation, derandomised) so it runs in seconds; the check is
that no request, however odd, makes the server fail (no 5xx).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from citycheckup.api import create_app
from citycheckup.store import Store


@pytest.fixture(scope="module")
def api_schema(api_store: dict[str, Any]) -> Any:
    st = Store(api_store["path"])
    app = create_app(store=st, token="fuzz-token", uploads_dir=api_store["path"].parent / "fuzz-uploads")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    yield schema
    st.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case: Any) -> None:
    case.call_and_validate(checks=[not_a_server_error])
