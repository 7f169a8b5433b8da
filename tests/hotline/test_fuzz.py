"""Schemathesis fuzzing of the OpenAPI document: no input may cause a server error.

Bounded: a fixed number of examples per operation, derandomised (seeded) generation.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():
    # schemathesis' ASGI transport imports starlette.testclient, which warns that it
    # prefers httpx2 (third-party deprecation, silenced for this import only)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import schemathesis
    import starlette.testclient  # noqa: F401

from citycheckup.hotline import HotlineStore, load_catalogue
from citycheckup.hotline.server import create_app

KEYS: list[str] = []


def _app():  # type: ignore[no-untyped-def]
    store = HotlineStore("sqlite://", catalogue=load_catalogue())  # in-memory, per process
    key = store.create_key("admin")
    KEYS.append(key)
    from citycheckup.hotline.store import NewRequest

    admin = store.authenticate(key)
    assert admin is not None
    for code in ("bus", "wage_arrears"):
        store.create_request(NewRequest(code, address_id="seed"), admin)
    return create_app(store=store, public_rate_per_minute=0)  # all calls share one address


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error(case) -> None:  # type: ignore[no-untyped-def]
    # an admin key in the header (the body's api_key, when generated, takes precedence):
    # most generated calls then get past authentication into validation and the workflow
    response = case.call(headers={"X-API-Key": KEYS[0]})
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    if response.status_code >= 400:
        # every error keeps the Open311 error format
        ctype = response.headers.get("content-type", "")
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith(("application/json", "text/xml")), ctype


pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
