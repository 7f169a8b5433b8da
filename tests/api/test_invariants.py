"""Invariants of the ranking helpers (hypothesis): sorting, filtering and paging never lose,
duplicate or misorder units, and missing values always come last."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from citycheckup.api import _queries as Q

value = st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))
unit = st.fixed_dictionaries(
    {
        "unit_code": st.from_regex(r"[0-9]{6}", fullmatch=True),
        "unit_name": st.text(min_size=1, max_size=5),
        "province": st.sampled_from(["河北省", "山西省", None]),
        "value": value,
        "rank": st.one_of(st.none(), st.integers(1, 300).map(float)),
    }
)
units = st.lists(unit, max_size=40, unique_by=lambda u: u["unit_code"])


@settings(max_examples=200, derandomize=True, database=None)
@given(
    items=units,
    sort=st.sampled_from(Q.RANK_SORTS),
    limit=st.integers(1, 50),
    offset=st.integers(0, 60),
)
def test_sort_and_page(items: list[dict[str, Any]], sort: str, limit: int, offset: int) -> None:
    out = Q.sort_ranking(items, sort)
    assert sorted(u["unit_code"] for u in out) == sorted(u["unit_code"] for u in items)
    field = {"rank": "rank", "value": "value", "name": "unit_name", "code": "unit_code"}[
        sort.lstrip("-")
    ]
    present = [u[field] for u in out if u[field] is not None]
    assert present == sorted(present, reverse=sort.startswith("-"))
    n_present = len(present)
    assert all(
        u[field] is None for u in out[n_present:]
    )  # missing values come last, in both directions
    page = Q.paginate(out, limit, offset)
    assert page["total"] == len(items) and page["items"] == out[offset : offset + limit]


@settings(max_examples=100, derandomize=True, database=None)
@given(items=units, q=st.text(max_size=3), province=st.sampled_from([None, "河北省"]))
def test_filter(items: list[dict[str, Any]], q: str, province: str | None) -> None:
    out = Q.filter_units(items, q, province)
    assert all(u in items for u in out)
    if province:
        assert all(u["province"] == province for u in out)
    if q:
        assert all(q.lower() in u["unit_name"].lower() or q.lower() in u["unit_code"] for u in out)


@given(
    v=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
        st.none(),
        st.integers(),
        st.integers(-(2**63), 2**63 - 1).map(np.int64),
        st.text(max_size=3),
    )
)
def test_clean_is_json_safe(v: Any) -> None:
    import json

    # expected, derived without clean(): NaN/±inf/None -> None; numpy scalars -> the Python
    # value; anything else unchanged; tuples become lists (JSON has arrays only)
    plain = v.item() if isinstance(v, np.generic) else v
    expected = None if isinstance(plain, float) and not math.isfinite(plain) else plain
    out = Q.clean({"a": [v, (v,)], 1: v})
    assert out == {"a": [expected, [expected]], "1": expected}
    assert type(out["1"]) is type(expected)  # a Python scalar, not numpy's
    assert json.loads(json.dumps(out, allow_nan=False)) == out


def test_clean_missing_markers() -> None:
    assert Q.clean([pd.NA, pd.NaT, np.nan, None]) == [None, None, None, None]
    assert Q.clean(pd.Timestamp("2024-01-02")) == "2024-01-02T00:00:00"
