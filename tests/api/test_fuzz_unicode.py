"""Random Unicode into every parameter of every read operation of the results server
(issue 13).

Bounded and seeded (``derandomize=True``). The values mix arbitrary text with digits of
other scripts ('²', '٣', '５'), NUL and other control characters, non-characters and very
long values; the other parameters of the call keep valid values (a real run, unit,
indicator), so that the odd value reaches the code behind the validation too. No call
may get a 5xx, and every answer must be the JSON it says it is.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citycheckup.api import create_app
from citycheckup.store import Store
from tests.api.conftest import _test_client

SPECIAL = [
    "²",
    "٣",
    "５",
    "１２",
    "𝟙",
    "\x00",
    "a\x00b",
    "\x07",
    "\x1b[2J",
    "\x85",
    "\ufffe",
    "\u202e",
    "",
    " ",
    "-1",
    "1e400",
    "nan",
    "9" * 30,
    "0",
    "true",
    "2022",
    "２０２２",
    "x" * 300,
    "../../etc/passwd",
    "%00",
    "😀",
    "a,b,c",
    ",".join(["110000"] * 30),
    "index",
]
FUZZ = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Cc", "Cf", "Zs", "Lo"]), max_size=12),
)


def _operations(app: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    with _test_client()(app) as c:
        doc = c.get("/api/v1/openapi.json").json()
    ops = []
    for path, item in doc["paths"].items():
        get = item.get("get")
        if get is None:
            continue
        params = [(p["name"], p["in"]) for p in get.get("parameters", [])]
        ops.append((path, params))
    return ops


SWEEP = ["²", "٣", "５", "𝟙", "\x00", "\x07", "\ufffe", "\u202e", "x" * 300, "-1", "9" * 30, "😀"]


def _valid(api_store: dict[str, Any]) -> dict[str, str]:
    ids = api_store["ids"]
    return {
        "run_id": ids["run"],
        "unit_code": "110000",
        "name": "people-city-2025",
        "indicator": "gdp_per_capita",
        "units": "110000,120000",
        "a": ids["run"],
        "b": ids["run_equal"],
        "year": "2022",
        "score": "index",
        "format": "csv",
        "table": "scores",
        # the inventory routes (an empty inventory answers with empty lists)
        "unit": "110000",
        "kind": "building",
    }


def _url(
    path: str, params: list[tuple[str, str]], value: dict[str, str]
) -> tuple[str, list[tuple[str, str]]]:
    url, query = path, []
    for name, where in params:
        v = value.get(name, "x")
        if name == "name" and "tables" in path and v == value.get("_name"):
            v = "scores"
        if where == "path":
            url = re.sub(r"\{" + name + r"(:path)?\}", quote(v, safe="") or "x", url)
        elif name in value:
            query.append((name, v))
    return url, query


def test_every_parameter_takes_each_odd_value(
    api_store: dict[str, Any], private_store: Any, tmp_path: Any
) -> None:
    """Each odd value in each parameter of each read operation, the others valid."""
    st_ = Store(private_store)
    try:
        app = create_app(store=st_, rate_per_minute=0, uploads_dir=tmp_path)
        valid = {**_valid(api_store), "_name": "people-city-2025"}
        calls = 0
        with _test_client()(app) as c:
            for path, params in _operations(app):
                for target, _where in params:
                    for odd in SWEEP:
                        url, query = _url(path, params, {**valid, target: odd})
                        r = c.get(url, params=query)
                        assert r.status_code < 500, (url, query, r.text[:300])
                        if r.headers.get("content-type", "").startswith("application/json"):
                            json.loads(r.content)
                        calls += 1
        assert calls > 400
    finally:
        st_.close()


def test_every_parameter_takes_random_unicode(
    api_store: dict[str, Any], private_store: Any, tmp_path: Any
) -> None:
    st_ = Store(private_store)
    try:
        app = create_app(store=st_, rate_per_minute=0, uploads_dir=tmp_path)
        ops = _operations(app)
        assert len(ops) >= 28
        valid = _valid(api_store)
        seen: list[str] = []
        with _test_client()(app) as c:

            @given(data=st.data())
            @settings(
                max_examples=250,  # 28 read operations (API and inventory)
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(data: Any) -> None:
                path, params = data.draw(st.sampled_from(ops))
                url, query = path, []
                for name, where in params:
                    choice = data.draw(st.sampled_from(["valid", "fuzz", "fuzz", "absent"]))
                    if where == "path":
                        v = (
                            valid.get(name, "x")
                            if choice in ("valid", "absent")
                            else data.draw(FUZZ)
                        )
                        if name == "name" and "tables" in path and choice != "fuzz":
                            v = "scores"
                        url = re.sub(r"\{" + name + r"(:path)?\}", quote(v, safe="") or "x", url)
                    elif choice == "valid" and name in valid:
                        query.append((name, valid[name]))
                    elif choice == "fuzz":
                        query.append((name, data.draw(FUZZ)))
                r = c.get(url, params=query)
                assert r.status_code < 500, (url, query, r.text[:300])
                if r.headers.get("content-type", "").startswith("application/json"):
                    json.loads(r.content)
                seen.append(f"{path} {r.status_code}")

            run()
        # the odd values reached past validation on many operations, not only 4xx answers
        assert sum(s.endswith(" 200") for s in seen) > 20
    finally:
        st_.close()
