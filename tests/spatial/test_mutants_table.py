"""The indicator table's item statuses, missing-value reasons and low-quality flags (issue 18).

The contexts are small synthetic stand-ins (only the fields each function reads); the
thresholds are the built-in mapping's (facilities.yaml ``quality``: items checked 0.5,
facility completeness 0.5).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citycheckup.spatial._access import Access
from citycheckup.spatial._facilities import _parse
from citycheckup.spatial._quality import QualityReport
from citycheckup.spatial._result import IssueLog
from citycheckup.spatial._table import _empty_reason, _flags, _item_status, _Table

RAW: dict[str, Any] = {
    "version": 2,
    "categories": {
        "shop": {"osm": [{"shop": True}]},
        "kiosk": {"osm": [{"shop": ["kiosk"]}]},
        "poi_only": {"osm": [], "poi": ["药店"]},
        "bus_stop": {"osm": []},
        "nothing": {"osm": []},
        "names": {"osm": [{"name~": "菜场"}]},
    },
    "life_circles": {
        "5min": {
            "distance_m": 300,
            "items": [
                {
                    "item": "shops",
                    "name_zh": "商店",
                    "name_en": "Shops",
                    "categories": ["shop", "kiosk"],
                },
                {"item": "pharmacy", "categories": ["poi_only"]},
                {"item": "bus", "categories": ["bus_stop"]},
                {"item": "none", "categories": ["nothing"]},
                {"item": "market", "categories": ["names"]},
            ],
        }
    },
    "roads": {"classes": {"branch": ["residential"]}},
}
CFG = _parse(RAW, "t.yaml")


def _pts(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.Point(i, i) for i in range(n)], crs=3857)


def _acc() -> Access:
    acc = Access()
    acc.facilities = {"shop": _pts(2), "kiosk": _pts(1), "poi_only": _pts(0), "bus_stop": _pts(0),
                      "nothing": _pts(0), "names": _pts(0)}  # fmt: skip
    acc.sources = {"shop": ["OSM", "POI table"], "kiosk": ["OSM"], "poi_only": ["POI table"],
                   "bus_stop": ["GTFS feed"], "nothing": [], "names": ["OSM"]}  # fmt: skip
    return acc


def test_item_status() -> None:
    """shops: 2 + 1 found → checked (sources OSM, POI table in order of first appearance);
    pharmacy: no OSM tag, POI keywords but no POI table → not expressible; bus stop: no OSM
    rule but GTFS can give it → not found; none → not expressible; market (names only) → not
    found."""
    ctx = SimpleNamespace(config=CFG, acc=_acc(), has_poi=False)
    rows = _item_status(ctx, CFG.life_circles[0])  # type: ignore[arg-type]
    got = {r["item"]: (r["status"], r["facilities_found"]) for r in rows}
    assert got == {
        "shops": ("checked", 3),
        "pharmacy": ("not_expressible", 0),
        "bus": ("not_found", 0),
        "none": ("not_expressible", 0),
        "market": ("not_found", 0),
    }
    shops = rows[0]
    assert shops["circle"] == "5min" and shops["circle_zh"] == "5min"
    assert shops["name_zh"] == "商店" and shops["name_en"] == "Shops"
    assert shops["categories"] == "shop,kiosk"
    assert shops["sources"] == "OSM,POI table"
    assert shops["osm_basis"] == "shop: tags; kiosk: tags"
    assert rows[4]["osm_basis"] == "names: names only"
    assert rows[3]["osm_basis"] == "nothing: none" and rows[3]["sources"] == ""
    # with a POI table the pharmacy item can be checked: not found
    ctx = SimpleNamespace(config=CFG, acc=_acc(), has_poi=True)
    assert _item_status(ctx, CFG.life_circles[0])[1]["status"] == "not_found"  # type: ignore[arg-type]


def test_empty_reason() -> None:
    homes = pd.DataFrame({"district": ["A", "A", "B"], "snapped": [False, False, True]})
    assert _empty_reason(homes, "C", True) == "no homes in the district"  # type: ignore[arg-type]
    assert _empty_reason(homes, "A", True) == (  # type: ignore[arg-type]
        "no home of the district lies within the maximum snap distance of the main walk network"
    )
    other = "no home of the district can be evaluated (zero weight, or outside every residential compound)"
    assert _empty_reason(homes, "A", False) == other  # type: ignore[arg-type]
    assert _empty_reason(homes, "B", True) == other  # type: ignore[arg-type]
    assert _empty_reason(homes, "ALL", True) == other  # type: ignore[arg-type]
    none = homes.iloc[:0]
    assert _empty_reason(none, "ALL", True) == "no homes in the district"  # type: ignore[arg-type]


def _table(
    cols: dict[str, tuple[list[float], list[str]]], comp: dict[str, float], **q: dict[str, str]
) -> tuple[Any, IssueLog]:
    issues = IssueLog()
    quality = QualityReport(pd.DataFrame(), q.get("home_low", {}), q.get("natural_high", {}),
                            q.get("builtup_low", {}), comp)  # fmt: skip
    cfg = SimpleNamespace(
        quality={"min_items_checked_share": 0.5, "min_facility_completeness": 0.5}
    )
    ctx = SimpleNamespace(names=["A", "B"], quality=quality, config=cfg, acc=_acc(), issues=issues)
    t = _Table(ctx)  # type: ignore[arg-type]
    for code, (vals, deps) in cols.items():
        t.cols[code] = pd.Series(vals, index=t.rows)
        t.deps[code] = deps
    t.deps["not computed"] = ["homes"]  # a code without a column is skipped
    return t, issues


def _rows(n_items: int, n_checked: int, cats: str) -> list[dict[str, Any]]:
    return [
        {
            "circle": "5min",
            "status": "checked" if i < n_checked else "not_found",
            "categories": cats,
        }
        for i in range(n_items)
    ] + [{"circle": "10min", "status": "checked", "categories": "shop"}]


def test_flags_reasons_per_dependency() -> None:
    """cov rests on homes and shop facilities: completeness 0.4 < 0.5 → "2 shop facilities
    found, 40 % …" in every row with a value (B has none: no flag); A's homes are thin too.
    dens rests on natural land (B is 40 % natural), bu on built-up land (ALL)."""
    t, issues = _table(
        {
            "cov": ([50.0, np.nan, 40.0], ["homes", "cat:shop"]),
            "dens": ([1.0, 2.0, 3.0], ["natural"]),
            "bu": ([1.0, 2.0, 3.0], ["builtup"]),
        },
        {"shop": 0.4},
        home_low={"A": "thin A"},
        natural_high={"B": "natural B"},
        builtup_low={"ALL": "no built-up"},
    )
    q = _flags(t, _rows(2, 2, "shop"))
    assert q.to_dict() == {"A": "low", "B": "low", "ALL": "low"}
    shop = "2 shop facilities found, 40 % of the minimum GB 50180 implies for the residents (threshold 50 %)"
    assert issues.frame().values.tolist() == [
        ["A", "cov", "low_quality", "thin A; " + shop],
        ["ALL", "cov", "low_quality", shop],
        ["B", "dens", "low_quality", "natural B"],
        ["ALL", "bu", "low_quality", "no built-up"],
    ]


def test_flags_boundaries_of_completeness_and_items() -> None:
    """Completeness exactly 0.5 and half of the items checked are not flagged (the rules are
    "below"); a category without an expectation is never flagged."""
    t, issues = _table(
        {
            "cov": ([1.0, 1.0, 1.0], ["cat:shop", "cat:kiosk"]),
            "c": ([1.0, 1.0, 1.0], ["items:5min"]),
        },
        {"shop": 0.5, "kiosk": 0.5},
    )
    q = _flags(t, _rows(4, 2, "shop,kiosk"))
    assert q.to_dict() == {"A": "ok", "B": "ok", "ALL": "ok"}
    assert issues.frame().empty


def test_flags_items_checked_and_their_completeness() -> None:
    """1 of 4 items of the 5-min circle checked (25 % < 50 %); its categories shop 0.6 and
    kiosk 0.3 average 45 % < 50 %. The 10-min rows do not count for the 5-min circle."""
    t, issues = _table({"c": ([1.0, 1.0, 1.0], ["items:5min"])}, {"shop": 0.6, "kiosk": 0.3})
    _flags(t, _rows(4, 1, "shop,kiosk"))
    reason = (
        "only 1 of 4 GB 50180 items found in the data (threshold 50 %); the items found have on "
        "average 45 % of the facilities GB 50180 implies for the residents (threshold 50 %)"
    )
    assert issues.frame()["reason"].tolist() == [reason] * 3
    # 3 of 5 items checked (60 %) with categories at 0.55 on average: not flagged
    t, issues = _table({"c": ([1.0, 1.0, 1.0], ["items:5min"])}, {"shop": 0.6, "kiosk": 0.5})
    _flags(t, _rows(5, 3, "shop,kiosk"))
    assert issues.frame().empty
    # a circle without rows is not flagged
    t, issues = _table({"c": ([1.0, 1.0, 1.0], ["items:15min"])}, {})
    _flags(t, _rows(4, 0, "shop"))
    assert issues.frame().empty
