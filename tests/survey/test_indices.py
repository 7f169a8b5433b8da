"""Indices: the generated response set recovers the known true means; CIs have nominal coverage;
the low-satisfaction rule at its boundaries; the variance formula against classical special cases."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from citycheckup.survey import (
    ResponseSet,
    builtin_questionnaire,
    compare_hotline,
    low_satisfaction,
    rake,
    satisfaction_indices,
)
from tests.survey.synthetic import Draw, Population, draw_sample


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Small matrix products thrash when BLAS spreads them over busy cores; one thread is faster."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - only speed depends on it
        yield
        return
    with threadpool_limits(1):
        yield


def _covered(est: pd.DataFrame, truth: np.ndarray) -> np.ndarray:
    return (est["ci_low"].to_numpy() <= truth) & (truth <= est["ci_high"].to_numpy())


def test_weighted_indices_recover_the_true_means(population: Population, draw: Draw) -> None:
    rk = rake(draw.responses.data, population.margins(), base_weights=draw.base_weights)
    with _one_blas_thread():
        t = satisfaction_indices(draw.responses, rk)
    truth_q = population.true_question_means().reindex(t.questions["question"]).to_numpy()
    groups = population.true_group_means()
    truth_a = np.array(
        [groups[(lv, a)] for lv, a in zip(t.aspects["level"], t.aspects["aspect"], strict=True)]
    )
    truth_l = np.array([groups[(lv, None)] for lv in t.levels["level"]])
    cov = np.concatenate(
        [_covered(t.questions, truth_q), _covered(t.aspects, truth_a), _covered(t.levels, truth_l)]
    )
    # 95 % intervals: about 1 in 20 misses; 67 intervals in this draw
    assert cov.mean() >= 0.9, cov.mean()
    o = t.overall.iloc[0]
    assert o["ci_low"] <= groups[("all", None)] <= o["ci_high"]
    s = t.satisfied_rate.iloc[0]
    assert s["ci_low"] <= population.true_satisfied_rate() <= s["ci_high"]
    # weighting removes the bias the skewed response leaves in plain means
    err_w = np.abs(t.questions["index"].to_numpy() - truth_q)
    err_u = np.abs(t.questions["unweighted_index"].to_numpy() - truth_q)
    assert err_u.mean() > 3 * err_w.mean()
    biased = err_u > 3 * t.questions["se"].to_numpy()
    assert biased.sum() >= 10  # plainly biased items: the answers depend on age, the response too
    assert (err_w[biased] < err_u[biased]).all()


def test_confidence_intervals_have_nominal_coverage(population: Population) -> None:
    """30 seeded surveys × 44 questions and 18 aspects: coverage near 95 %."""
    truth_q = population.true_question_means()
    groups = population.true_group_means()
    cq: list[np.ndarray] = []
    ca: list[np.ndarray] = []
    with _one_blas_thread():
        for seed in range(500, 530):
            d = draw_sample(population, seed)
            rk = rake(d.responses.data, population.margins(), base_weights=d.base_weights)
            t = satisfaction_indices(d.responses, rk)
            cq.append(_covered(t.questions, truth_q.reindex(t.questions["question"]).to_numpy()))
            ta = np.array(
                [
                    groups[(lv, a)]
                    for lv, a in zip(t.aspects["level"], t.aspects["aspect"], strict=True)
                ]
            )
            ca.append(_covered(t.aspects, ta))
    # binomial sd of a 95 % coverage over 1,320 intervals is 0.6 points; the bounds allow ~±4 sd
    assert 0.925 <= np.mean(cq) <= 0.975, np.mean(cq)
    assert 0.90 <= np.mean(ca) <= 0.99, np.mean(ca)


def _tiny(answers: Mapping[str, Sequence[str | None]], n: int | None = None) -> ResponseSet:
    q = builtin_questionnaire()
    n = n or len(next(iter(answers.values())))
    data = pd.DataFrame(
        {
            "row": range(2, n + 2),
            "respondent": [f"r{k}" for k in range(n)],
            "age_group": "30-39",
            "sex": "female",
            "area": "A",
            "submitted": None,
        }
    )
    for x in q.question_ids:
        data[x] = answers.get(x, [None] * n)
    return ResponseSet(data, q, "tiny")


def test_unweighted_variance_is_the_textbook_srs_variance() -> None:
    valid = ["5", "4", "4", "3", "2", "1", "4", "5", "3"]
    y = np.array([100, 75, 75, 50, 25, 0, 75, 100, 50], dtype=float)
    row = satisfaction_indices(_tiny({"H1": valid})).questions.set_index("question").loc["H1"]
    assert row["index"] == pytest.approx(y.mean())
    assert row["se"] == pytest.approx(y.std(ddof=1) / np.sqrt(len(y)), rel=1e-12)  # s / √n
    # with answers outside the domain (不清楚, 不适用, blank) the mean is a domain mean over the
    # whole sample of n = 12: v = n/(n−1) · Σ_d (y − ȳ)² / n_d² (Lumley 2010, §2.3.1, domains)
    row = (
        satisfaction_indices(_tiny({"H1": [*valid, "dk", "na", None]}))
        .questions.set_index("question")
        .loc["H1"]
    )
    assert row["index"] == pytest.approx(y.mean())
    assert row["se"] ** 2 == pytest.approx(12 / 11 * np.sum((y - y.mean()) ** 2) / 9**2, rel=1e-12)
    assert (row["n_valid"], row["n_dk"], row["n_na"], row["n_missing"]) == (9, 1, 1, 1)


def test_calibrated_variance_equals_the_post_stratified_formula() -> None:
    """With one raking variable raking is post-stratification; its linearised variance is
    n/(n−1) Σ wᵢ² (yᵢ − ȳ_h)² / N² (Särndal, Swensson & Wretman 1992, §7.6), computed here by hand."""
    rng = np.random.default_rng(3)
    n = 60
    codes = rng.choice(["1", "2", "3", "4", "5"], size=n).tolist()
    rs = _tiny({"H1": codes})
    rs.data["area"] = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    pop = {"a": 300.0, "b": 500.0, "c": 200.0}
    rk = rake(rs.data, {"area": pop})
    t = satisfaction_indices(rs, rk)
    y = pd.Series(codes).astype(int).map({5: 100, 4: 75, 3: 50, 2: 25, 1: 0}).to_numpy(dtype=float)
    w = rk.weights.to_numpy()
    h = rs.data["area"].to_numpy()
    ybar_h = pd.Series(y).groupby(h).transform("mean").to_numpy()
    v = n / (n - 1) * np.sum(w**2 * (y - ybar_h) ** 2) / 1000.0**2
    assert t.questions.set_index("question").loc["H1", "se"] == pytest.approx(np.sqrt(v), rel=1e-10)
    assert t.questions.set_index("question").loc["H1", "index"] == pytest.approx(
        sum(pop[k] * y[h == k].mean() for k in pop) / 1000
    )


def test_one_valid_answer_gives_no_interval() -> None:
    t = satisfaction_indices(_tiny({"H1": ["4", "dk", None]}))
    row = t.questions.set_index("question").loc["H1"]
    assert row["index"] == 75 and row["n_valid"] == 1
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"]) and row["ci_note"] == "n<2"
    assert t.questions.set_index("question").loc["H2", "n_valid"] == 0
    assert np.isnan(t.questions.set_index("question").loc["H2", "index"])


def _at_sixty(n: int) -> ResponseSet:
    # 2 × 75 + 3 × 50 = 300 over 5 answers: exactly 60
    return _tiny({"H1": (["4", "4", "3", "3", "3"] * (n // 5 + 1))[:n]})


def test_low_satisfaction_threshold_at_just_below_and_just_above() -> None:
    t = satisfaction_indices(_at_sixty(30))
    assert t.questions.set_index("question").loc["H1", "index"] == pytest.approx(60)
    assert "H1" not in set(low_satisfaction(t, threshold=60.0)["question"])  # at the mark: not low
    assert "H1" in set(
        low_satisfaction(t, threshold=60.001)["question"]
    )  # index just below the mark
    assert "H1" not in set(
        low_satisfaction(t, threshold=59.999)["question"]
    )  # index just above the mark


def test_float_noise_of_weights_does_not_decide_the_mark() -> None:
    rs = _tiny({"H1": ["4", "3"]})
    w = pd.Series([0.2, 0.3])  # (75·0.2 + 50·0.3) / 0.5 = 60 up to rounding
    t = satisfaction_indices(rs, w)
    assert t.questions.set_index("question").loc["H1", "index"] == pytest.approx(60, abs=1e-12)
    assert low_satisfaction(t, threshold=60, min_valid=2).empty


def test_min_valid_boundary() -> None:
    low = _tiny({"H1": ["2"] * 30})
    assert "H1" in set(low_satisfaction(satisfaction_indices(low), min_valid=30)["question"])
    assert "H1" not in set(low_satisfaction(satisfaction_indices(low), min_valid=31)["question"])


def test_hotline_comparison_scales_and_bounds(population: Population, draw: Draw) -> None:
    rk = rake(draw.responses.data, population.margins(), base_weights=draw.base_weights)
    t = satisfaction_indices(draw.responses, rk)
    a = compare_hotline(t, 0.9, scale="share")
    b = compare_hotline(t, 90.0, scale="percent")
    assert a.hotline_rate == b.hotline_rate == 90.0
    assert a.survey_rate == pytest.approx(float(t.satisfied_rate["index"].iloc[0]))
    assert a.difference == pytest.approx(90.0 - a.survey_rate)
    assert (
        a.hotline_question_rate is not None
    )  # the survey's 12345 question (U13) is linked to the rate
    lo, hi = a.survey_ci
    assert (
        compare_hotline(t, lo, scale="percent").within_ci
        and compare_hotline(t, hi, scale="percent").within_ci
    )
    assert not compare_hotline(t, hi + 0.01, scale="percent").within_ci
    assert not compare_hotline(t, lo - 0.01, scale="percent").within_ci
    with pytest.raises(ValueError, match="between 0 and 1"):
        compare_hotline(t, 90.0, scale="share")
    with pytest.raises(ValueError, match="period must be"):
        compare_hotline(t, 90.0, scale="percent", period="June 2025")
    with pytest.raises(ValueError, match="scale must be"):
        compare_hotline(t, 90.0, scale="ratio")  # type: ignore[arg-type]
