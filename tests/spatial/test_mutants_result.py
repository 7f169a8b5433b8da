"""The issue log, low-quality pairs, map-code choice and JSON conversion (issue 18).

Small synthetic tables built in the tests; no OSM data.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial._outputs import DEFAULT_MAP_CODES, _json_default, _map_codes
from citycheckup.spatial._result import LOW, MISSING, PARTIAL, IssueLog, SpatialResult


def _result(columns: list[str], missing: pd.DataFrame | None = None) -> SpatialResult:
    return SpatialResult(
        indicators=pd.DataFrame(columns=columns),
        missing=missing if missing is not None else IssueLog().frame(),
        districts=gpd.GeoDataFrame(geometry=[]),
        homes=gpd.GeoDataFrame(geometry=[]),
        manifest={},
    )


def test_issue_log_statuses_and_duplicates() -> None:
    log = IssueLog()
    log.add("A", "x", "no homes")
    log.add("A", "x", "no homes")  # the same issue twice is listed once
    log.add("B", "x", "thin", LOW)
    log.add("ALL", "y", "3 of 7 items", PARTIAL)
    f = log.frame()
    assert list(f.columns) == ["district", "indicator", "status", "reason"]
    assert f.values.tolist() == [
        ["A", "x", "missing", "no homes"],
        ["B", "x", "low_quality", "thin"],
        ["ALL", "y", "partial", "3 of 7 items"],
    ]
    assert (MISSING, LOW, PARTIAL) == ("missing", "low_quality", "partial")
    assert IssueLog().frame().empty


def test_flagged_pairs_are_the_low_quality_ones() -> None:
    log = IssueLog()
    log.add("A", "x", "none")
    log.add("B", "x", "thin", LOW)
    log.add("B", "y", "thin", LOW)
    log.add("C", "z", "partial", PARTIAL)
    assert _result(["district"], log.frame()).flagged() == {("B", "x"), ("B", "y")}
    assert _result(["district"]).flagged() == set()


def test_map_codes() -> None:
    cols = ["district", "year", "quality", "road_network_density", "extra",
            "life_circle_5min_coverage"]  # fmt: skip
    r = _result(cols)
    # default order follows DEFAULT_MAP_CODES, and only codes of this run
    assert _map_codes(r, "default") == ["life_circle_5min_coverage", "road_network_density"]
    assert _map_codes(r, True) == _map_codes(r, "default")
    assert _map_codes(r, "none") == [] and _map_codes(r, False) == []
    assert _map_codes(r, "all") == ["road_network_density", "extra", "life_circle_5min_coverage"]
    assert _map_codes(r, ["extra"]) == ["extra"]
    assert _map_codes(r, ()) == []
    with pytest.raises(SpatialError, match="unknown indicator codes for --maps") as err:
        _map_codes(r, ["extra", "quality", "nope"])
    assert [str(p) for p in err.value.problems] == [
        "--maps: 'quality' is not an indicator of this run; choose from "
        "['road_network_density', 'extra', 'life_circle_5min_coverage']",
        "--maps: 'nope' is not an indicator of this run; choose from "
        "['road_network_density', 'extra', 'life_circle_5min_coverage']",
    ]
    assert DEFAULT_MAP_CODES[0] == "life_circle_5min_coverage" and len(DEFAULT_MAP_CODES) == 7


def test_json_default() -> None:
    out = json.dumps(
        {"i": np.int64(3), "f": np.float32(0.5), "crs": pyproj.CRS.from_epsg(32650), "p": {1}},
        default=_json_default,
    )
    assert json.loads(out) == {"i": 3, "f": 0.5, "crs": "EPSG:32650", "p": "{1}"}
    assert type(_json_default(np.int32(7))) is int
    assert type(_json_default(np.float64(7.5))) is float
