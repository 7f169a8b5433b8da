"""Property-based fuzzing of every operation in the served OpenAPI document (schemathesis).

Bounded (a few examples per operation, derandomised) so it runs in seconds; the check is
that no request, however odd, makes the server fail (no 5xx). The operations are driven
one by one with hypothesis (``schemathesis.pytest.from_fixture`` does not work with
pytest 9 in schemathesis 4.32: "'Function' object has no attribute '_nodeid'").
"""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from citycheckup.api import create_app
from citycheckup.store import Store

EXAMPLES = 10


def _fuzz(
    store_path: Any, uploads: Any, *, headers: dict[str, str] | None, writes_only: bool
) -> list[str]:
    import schemathesis

    st = Store(store_path)
    try:
        # every call comes from one address: the per-address limit would refuse most
        app = create_app(store=st, token="fuzz-token", uploads_dir=uploads, rate_per_minute=0)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Using `httpx` with `starlette.testclient` is deprecated"
            )
            schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        operations = [r.ok() for r in schema.get_all_operations()]
        assert len(operations) >= 20
        if writes_only:
            operations = [op for op in operations if op.method.upper() != "GET"]
        calls: list[str] = []
        for op in operations:

            @given(case=op.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                with warnings.catch_warnings():
                    warnings.filterwarnings(
                        "ignore", message="Using `httpx` with `starlette.testclient`"
                    )
                    response = case.call_and_validate(headers=headers, checks=[not_a_server_error])
                calls.append(f"{case.operation.label} {response.status_code}")

            check()
        assert len(calls) >= 3 * len(operations)  # the examples really ran
        return calls
    finally:
        st.close()


def test_no_server_errors(api_store: dict[str, Any]) -> None:
    """Every operation, anonymous: reads answer, writes are refused, nothing fails."""
    _fuzz(
        api_store["path"],
        api_store["path"].parent / "fuzz-uploads",
        headers=None,
        writes_only=False,
    )


def test_no_server_errors_when_writing(private_store: Any, tmp_path: Any) -> None:
    """The writing operations with a valid token (on a private copy of the store)."""
    calls = _fuzz(
        private_store,
        tmp_path / "uploads",
        headers={"Authorization": "Bearer fuzz-token"},
        writes_only=True,
    )
    assert any(
        not c.endswith(" 401") for c in calls
    )  # the token let requests through to validation
