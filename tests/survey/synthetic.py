"""A synthetic city with known satisfaction, and seeded survey draws from it.

The population (every resident's age group, sex, area and answer to every question) is
generated once from a seed, so the *true* indices are known exactly: the population mean
score of each question over the residents with a valid answer, and for aspects, levels and
the whole survey the population mean of each resident's own mean score (the estimand of
:func:`citycheckup.survey.satisfaction_indices`).

A draw follows a real survey: quotas by area from :func:`citycheckup.survey.quotas`,
invitations by simple random sampling within each area, and response with a propensity
that is a product of an age factor and a sex factor (older residents and women answer
more often) — the non-response model under which raking on age, sex and area is unbiased.
Answers depend strongly on age for some questions, so the unweighted means are biased.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from citycheckup.survey import Option, Questionnaire, ResponseSet, builtin_questionnaire, quotas

AREAS = pd.DataFrame(
    {
        "area": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "name_zh": ["东城街道", "西城街道", "南湖街道", "北山街道", "江滨社区", "新港社区"],
        "name_en": ["Dongcheng", "Xicheng", "Nanhu", "Beishan", "Jiangbin", "Xingang"],
        "population": [18000, 14000, 10000, 8000, 6000, 4000],
    }
)
AGES = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
SEXES = ["male", "female"]
#: response propensity factors (older residents and women answer more often)
AGE_RESPONSE = np.array([0.25, 0.35, 0.5, 0.7, 0.9, 0.95])
SEX_RESPONSE = np.array([0.8, 1.0])
SCORES = np.array([0.0, 25.0, 50.0, 75.0, 100.0])


@dataclass
class Population:
    frame: pd.DataFrame  # area, age_group, sex, and one column per question (codes)
    questionnaire: Questionnaire
    scores: np.ndarray  # residents × questions, NaN where dk/na

    def codes(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Age and sex as integers and each area's residents (cached: draws repeat them)."""
        if not hasattr(self, "_codes"):
            f = self.frame
            area = f["area"].to_numpy()
            self._codes = (
                f["age_group"].map({a: k for k, a in enumerate(AGES)}).to_numpy(),
                f["sex"].map({s: k for k, s in enumerate(SEXES)}).to_numpy(),
                {a: np.flatnonzero(area == a) for a in AREAS["area"]},
            )
        return self._codes

    def values(self) -> np.ndarray:
        if not hasattr(self, "_values"):
            self._values = self.frame.to_numpy(dtype=object)
        return self._values

    def margins(self) -> dict[str, pd.Series]:
        return {v: self.frame[v].value_counts().astype(float) for v in ("age_group", "sex", "area")}

    def true_question_means(self) -> pd.Series:
        return pd.Series(np.nanmean(self.scores, axis=0), index=self.questionnaire.question_ids)

    def true_group_means(self) -> dict[tuple[str, str | None], float]:
        """(level, aspect) and (level, None) and ("all", None) → true index."""
        q = self.questionnaire
        out: dict[tuple[str, str | None], float] = {}

        def mean_of(cols: list[int]) -> float:
            sub = self.scores[:, cols]
            valid = ~np.isnan(sub)
            has = valid.any(axis=1)
            per = np.nansum(sub, axis=1)[has] / valid.sum(axis=1)[has]
            return float(per.mean())

        for lev in q.levels:
            for a in lev.aspects:
                out[(lev.code, a.code)] = mean_of(
                    [
                        j
                        for j, x in enumerate(q.questions)
                        if x.level == lev.code and x.aspect == a.code
                    ]
                )
            out[(lev.code, None)] = mean_of(
                [j for j, x in enumerate(q.questions) if x.level == lev.code]
            )
        out[("all", None)] = mean_of(list(range(len(q.questions))))
        return out

    def true_satisfied_rate(self) -> float:
        valid = ~np.isnan(self.scores)
        return float(((self.scores >= 75) & valid).sum() / valid.sum() * 100)


def make_population(seed: int = 20250601) -> Population:
    rng = np.random.default_rng(seed)
    q = builtin_questionnaire()
    areas = np.repeat(AREAS["area"].to_numpy(), AREAS["population"].to_numpy())
    n = len(areas)
    area_idx = np.repeat(np.arange(len(AREAS)), AREAS["population"].to_numpy())
    # areas differ in their age structure: the old town (A1) is older, the new port (A6) younger
    age_p = np.array([0.16, 0.18, 0.18, 0.18, 0.16, 0.14])
    shift = np.linspace(0.5, -0.5, len(AREAS))
    age = np.empty(n, dtype=int)
    for k in range(len(AREAS)):
        p = age_p * np.exp(shift[k] * (np.arange(6) - 2.5) / 2.5)
        m = area_idx == k
        age[m] = rng.choice(6, size=int(m.sum()), p=p / p.sum())
    sex = rng.integers(0, 2, size=n)
    m_q = len(q.questions)
    mu = rng.uniform(-0.9, 1.3, size=m_q)  # some questions are poorly rated
    age_slope = rng.choice([-0.9, -0.5, 0.0, 0.5, 0.9], size=m_q)
    sex_eff = rng.normal(0.0, 0.25, size=m_q)
    area_eff = rng.normal(0.0, 0.35, size=(len(AREAS), m_q))
    person = rng.normal(0.0, 0.6, size=n)
    latent = (
        mu[None, :]
        + age_slope[None, :] * ((age[:, None] - 2.5) / 2.5)
        + sex_eff[None, :] * (sex[:, None] - 0.5)
        + area_eff[area_idx]
        + person[:, None]
        + rng.normal(0.0, 0.8, size=(n, m_q))
    )
    cat = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5])  # 0 … 4 = 非常不满意 … 非常满意
    codes = np.array(["1", "2", "3", "4", "5"], dtype=object)[cat]
    scores = SCORES[cat].copy()
    p_dk = rng.uniform(0.01, 0.06, size=m_q)
    p_na = rng.uniform(0.0, 0.15, size=m_q)
    u = rng.random(size=(n, m_q))
    dk = u < p_dk[None, :]
    na = (~dk) & (u < (p_dk + p_na)[None, :])
    codes[dk], codes[na] = "dk", "na"
    scores[dk | na] = np.nan
    frame = pd.DataFrame(codes, columns=q.question_ids)
    frame.insert(0, "sex", np.array(SEXES, dtype=object)[sex])
    frame.insert(0, "age_group", np.array(AGES, dtype=object)[age])
    frame.insert(0, "area", areas)
    return Population(frame, q, scores)


@dataclass
class Draw:
    responses: ResponseSet
    base_weights: np.ndarray
    invited: int


def draw_sample(
    pop: Population,
    seed: int,
    *,
    n: int = 1200,
    minimum: int = 60,
    response_rate: float = 0.55,
) -> Draw:
    """One survey: quotas by area, invitations by SRS within areas, propensity-based response."""
    rng = np.random.default_rng(seed)
    design = quotas(AREAS, n, minimum=minimum, response_rate=response_rate)
    f = pop.frame
    picked: list[np.ndarray] = []
    base: list[np.ndarray] = []
    invited = 0
    age_k, sex_k, members_of = pop.codes()
    for rec in design.itertuples(index=False):
        members = members_of[rec.area]
        inv = rng.choice(members, size=int(rec.invitations), replace=False)
        invited += len(inv)
        p = AGE_RESPONSE[age_k[inv]] * SEX_RESPONSE[sex_k[inv]]
        resp = inv[rng.random(len(inv)) < p]
        picked.append(resp)
        base.append(np.full(len(resp), len(members) / len(inv)))
    idx = np.concatenate(picked)
    data = pd.DataFrame(pop.values()[idx], columns=f.columns)
    data.insert(0, "respondent", [f"R{seed}-{k:05d}" for k in range(len(data))])
    data.insert(4, "submitted", "2025-06-15")
    data = data[
        ["respondent", "age_group", "sex", "area", "submitted", *pop.questionnaire.question_ids]
    ]
    data.insert(0, "row", np.arange(len(data)) + 2)
    q = pop.questionnaire.with_areas(
        [
            Option(a, zh, en)
            for a, zh, en in AREAS[["area", "name_zh", "name_en"]].itertuples(index=False)
        ]
    )
    return Draw(ResponseSet(data, q, f"synthetic draw {seed}"), np.concatenate(base), invited)
