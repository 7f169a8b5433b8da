"""Grades, size classes, peer ranks, strengths/weak points and changes on small known cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from citycheckup.diagnosis import (
    city_size_class,
    grade_indicators,
    peer_ranks,
    score_changes,
    strengths_weaknesses,
    target_attainment,
)
from citycheckup.framework import Framework


def _fw() -> Framework:
    return Framework.model_validate(
        {
            "code": "t",
            "name_zh": "测试",
            "name_en": "test",
            "dimensions": [
                {
                    "code": "d",
                    "name_zh": "维",
                    "name_en": "dim",
                    "indicators": [
                        {
                            "code": "park",
                            "name_zh": "公园",
                            "name_en": "park",
                            "unit": "m²/人",
                            "direction": 1,
                            "level": "city",
                            "target": 8.0,
                            "grading": {
                                "cutoffs": [14.8, 8.0, 5.5],
                                "source": "GB 55014-2021; 国家生态园林城市",
                            },
                        },
                        {
                            "code": "leak",
                            "name_zh": "漏损",
                            "name_en": "leak",
                            "unit": "%",
                            "direction": -1,
                            "level": "city",
                            "target": 9.0,
                            "grading": {
                                "cutoffs": [9.0, 12.0, 15.0],
                                "source": "城市节水指导意见 2021",
                            },
                        },
                        {
                            "code": "dens",
                            "name_zh": "密度",
                            "name_en": "density",
                            "unit": "万人/km²",
                            "direction": 1,
                            "level": "city",
                            "grading": {
                                "source": "Yichang 附件1",
                                "bands": [
                                    {"grade": "very_good", "lower": 0.7, "upper": 1.5},
                                    {"grade": "fair", "lower": 0.5, "upper": 0.7},
                                    {"grade": "poor", "upper": 0.5},
                                    {"grade": "poor", "lower": 1.5},
                                ],
                            },
                        },
                    ],
                }
            ],
        }
    )


def test_grades_boundaries_go_to_the_better_grade() -> None:
    v = pd.DataFrame(
        {
            "unit_code": list("abcdef"),
            "year": 2024,
            "park": [14.8, 8.0, 7.99, 5.5, 1.0, np.nan],
            "leak": [9.0, 12.0, 12.01, 15.0, 15.01, 3.0],
            "dens": [0.7, 1.49, 1.5, 0.6, 0.2, 1.0],
        }
    )
    g = grade_indicators(v, _fw()).pivot(index="unit_code", columns="indicator", values="grade")
    assert g["park"].iloc[:5].tolist() == ["very_good", "good", "fair", "fair", "poor"]
    assert pd.isna(g["park"].iloc[5])  # a missing value gets no grade
    assert g["leak"].tolist() == ["very_good", "good", "fair", "fair", "poor", "very_good"]
    assert g["dens"].tolist() == ["very_good", "very_good", "poor", "fair", "poor", "very_good"]


def test_target_attainment_rate() -> None:
    """Attainment counts graded values whose grade is not 不足, over graded values only."""
    v = pd.DataFrame(
        {
            "unit_code": ["a", "b", "c"],
            "year": 2024,
            "park": [8.0, 5.49, np.nan],
            "leak": [15.01, 9.0, np.nan],
            "dens": [1.0, 0.2, np.nan],
        }
    )
    a = target_attainment(grade_indicators(v, _fw())).set_index("unit_code")
    # a: park 8.0 good, leak 15.01 poor, dens 1.0 very good → 2 of 3
    assert a.loc["a", "n_with_target"] == 3 and a.loc["a", "attainment_rate"] == pytest.approx(
        200 / 3
    )
    # b: park 5.49 poor, leak 9.0 very good, dens 0.2 poor → 1 of 3
    assert a.loc["b", "n_attained"] == 1
    assert "c" not in a.index  # nothing graded: no rate is invented


def test_size_classes_2014_standard() -> None:
    s = city_size_class(pd.Series([1000.0, 999.9, 500.0, 300.0, 100.0, 50.0, 20.0, 19.9, np.nan]))
    assert s.iloc[:8].tolist() == [
        "megacity",
        "supercity",
        "supercity",
        "large_1",
        "large_2",
        "medium",
        "small_1",
        "small_2",
    ]
    assert pd.isna(s.iloc[8])


def test_peer_ranks_and_strengths() -> None:
    v = pd.DataFrame(
        {
            "unit_code": ["a", "b", "c", "d"],
            "year": 2024,
            "prov": ["P", "P", "P", "Q"],
            "x": [3.0, 2.0, 1.0, 9.0],  # higher better: a best in P
            "y": [3.0, 2.0, 1.0, 9.0],  # lower better: a worst in P
            "z": [2.0, 2.0, 1.0, 9.0],  # tie: a and b share rank 1
        }
    )
    r = peer_ranks(v, {"x": 1, "y": -1, "z": 1}, group="prov")
    ra = r[(r["unit_code"] == "a")].set_index("indicator")
    assert (
        ra.loc["x", "peer_rank"] == 1
        and ra.loc["y", "peer_rank"] == 3
        and ra.loc["z", "peer_rank"] == 1
    )
    assert ra.loc["x", "peer_n"] == 3
    sw = strengths_weaknesses(
        v, {"x": 1, "y": -1, "z": 1}, groups={"province": "prov"}, top=2, min_peers=3
    )
    a = sw[sw["unit_code"] == "a"]
    assert a[a["kind"] == "strength"]["indicator"].tolist() == ["x", "z"]
    assert a[a["kind"] == "weakness"]["indicator"].tolist()[0] == "y"
    assert "d" not in sw["unit_code"].tolist()  # group Q has 1 unit < min_peers


def test_score_changes() -> None:
    s = pd.DataFrame(
        {
            "unit_code": ["a", "b", "a", "b"],
            "year": [2020, 2020, 2024, 2024],
            "index": [50.0, 60.0, 80.0, 40.0],
            "rank_index": [2, 1, 1, 2],
        }
    )
    c = score_changes(s, ["index"], year=2024, base_year=2020).set_index("unit_code")
    assert c.loc["a", "index_change"] == 30.0 and c.loc["a", "rank_index_change"] == 1
    assert c.loc["b", "rank_index_change"] == -1
    assert c.loc["a", "index_cagr"] == pytest.approx(((80 / 50) ** 0.25 - 1) * 100)
