"""Sample design: sample size from a target margin of error, quotas by area.

Sample size (Cochran 1977, *Sampling Techniques*, 3rd ed., eqs. 4.2 and 4.3, with Kish's
design effect, Kish 1965, *Survey Sampling* §8.2)::

    n0 = deff · z² · p (1 − p) / e²          z = Φ⁻¹(1 − (1 − confidence)/2)
    n  = ⌈ n0 / (1 + (n0 − 1) / N) ⌉          finite-population correction (N known)

``e`` is the margin of error of a proportion (0.05 = ±5 percentage points). The same ``n``
bounds the margin of a satisfaction index in index points (``100·e``): an index on 0–100
has a standard deviation of at most 50, the same as ``100·√(p(1−p))`` at ``p = 0.5``.

Quotas: proportional to population, with a floor ``minimum`` for every area (so that the
smallest areas still have enough respondents to be reported) and a ceiling of the area's
population. Areas held at their floor or ceiling are fixed; the rest of ``n`` is shared
proportionally among the others, repeated until no area changes; whole numbers by the
largest-remainder (Hamilton) method, so the quotas add up to ``n`` exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from citycheckup.errors import Problem
from citycheckup.survey._errors import SurveyDesignError
from citycheckup.survey._tables import cell_text, is_blank, match_headers, read_raw, row_label

__all__ = ["SampleDesign", "quotas", "read_areas", "sample_design", "sample_size"]

Lang = Literal["zh", "en"]

AREA_COLUMNS: dict[str, tuple[str, ...]] = {
    "area": (
        "code",
        "area_code",
        "编号",
        "代码",
        "街道",
        "社区",
        "街道（社区）",
        "街道社区",
        "区域",
        "area code",
        "sub-district",
        "subdistrict",
        "community",
    ),
    "name_zh": ("name", "名称", "中文名称", "街道名称", "社区名称", "name (zh)"),
    "name_en": ("英文名称", "name (en)", "english name"),
    "population": ("常住人口", "人口", "人口数", "population", "residents", "pop"),
}

_LABELS: dict[str, dict[str, str]] = {
    "area": {"zh": "街道（社区）编号", "en": "Area code"},
    "name_zh": {"zh": "名称", "en": "Name (Chinese)"},
    "name_en": {"zh": "英文名称", "en": "Name (English)"},
    "population": {"zh": "常住人口", "en": "Population"},
    "population_share": {"zh": "人口占比（%）", "en": "Population share (%)"},
    "proportional": {"zh": "按比例分配", "en": "Proportional allocation"},
    "quota": {"zh": "样本配额", "en": "Quota"},
    "quota_share": {"zh": "样本占比（%）", "en": "Quota share (%)"},
    "design_weight": {"zh": "设计权数", "en": "Design weight"},
    "invitations": {"zh": "应发放问卷数", "en": "Invitations"},
    "total": {"zh": "合计", "en": "Total"},
    "quotas": {"zh": "样本配额", "en": "Quotas"},
    "parameters": {"zh": "抽样参数", "en": "Parameters"},
    "parameter": {"zh": "参数", "en": "Parameter"},
    "value": {"zh": "取值", "en": "Value"},
    "margin": {"zh": "允许误差（百分点）", "en": "Margin of error (percentage points)"},
    "confidence": {"zh": "置信水平", "en": "Confidence level"},
    "deff": {"zh": "设计效应", "en": "Design effect"},
    "p": {"zh": "预期比例", "en": "Assumed proportion"},
    "N": {"zh": "总人口", "en": "Total population"},
    "n": {"zh": "样本量", "en": "Sample size"},
    "minimum": {"zh": "每个区域最少样本", "en": "Minimum per area"},
    "response_rate": {"zh": "预期应答率", "en": "Expected response rate"},
    "formula": {"zh": "计算公式", "en": "Formula"},
    "formula_text": {
        "zh": "n0 = deff·z²·p(1−p)/e²，n = n0/(1+(n0−1)/N)（Cochran 1977）",
        "en": "n0 = deff·z²·p(1−p)/e², n = n0/(1+(n0−1)/N) (Cochran 1977)",
    },
}


def sample_size(
    margin: float = 0.05,
    *,
    confidence: float = 0.95,
    deff: float = 1.5,
    p: float = 0.5,
    population: float | None = None,
) -> int:
    """Respondents needed for a proportion's margin of error ``margin`` at ``confidence``.

    Parameters
    ----------
    margin
        Half-width of the confidence interval of a proportion (0.05: ±5 points).
    confidence
        Confidence level (0.95).
    deff
        Design effect of weighting and clustering (Kish); 1.5 is a common planning value
        for raked general-population surveys.
    p
        Assumed proportion; 0.5 is the most conservative.
    population
        Population size ``N`` for the finite-population correction (``None``: infinite).

    Returns
    -------
    int
        ``n`` rounded up.

    Examples
    --------
    >>> sample_size(0.05, deff=1.0)   # the textbook 385
    385
    """
    problems: list[str] = []
    if not 0 < margin < 1:
        problems.append(
            f"margin must lie between 0 and 1 (a share: 0.05 = ±5 points), got {margin}"
        )
    if not 0 < confidence < 1:
        problems.append(f"confidence must lie between 0 and 1 (0.95), got {confidence}")
    if not deff > 0 or not math.isfinite(deff):
        problems.append(f"deff (design effect) must be a positive number, got {deff}")
    if not 0 < p < 1:
        problems.append(f"p must lie strictly between 0 and 1, got {p}")
    if population is not None and not population > 0:
        problems.append(f"population must be positive, got {population}")
    if problems:
        raise SurveyDesignError(
            "invalid sample-size parameters", problems=[Problem(x) for x in problems]
        )
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    n0 = deff * z * z * p * (1 - p) / (margin * margin)
    n = n0 / (1 + (n0 - 1) / population) if population is not None else n0
    # 1e-9: 384.0000000001 from float noise must not become 385
    return int(math.ceil(n - 1e-9))


def quotas(
    areas: pd.DataFrame, n: int, *, minimum: int = 30, response_rate: float | None = None
) -> pd.DataFrame:
    """Quotas by area: proportional to population, at least ``minimum``, at most the population.

    Parameters
    ----------
    areas
        Columns ``area`` (code), ``population``; optional ``name_zh``, ``name_en``.
    n
        Total sample size.
    minimum
        Floor per area (an area with fewer residents gets all of them).
    response_rate
        Expected response rate (0–1]: adds ``invitations`` = min(⌈quota / rate⌉, population).

    Returns
    -------
    pandas.DataFrame
        ``area, name_zh, name_en, population, population_share, proportional, quota,
        quota_share, design_weight[, invitations]``; ``quota`` sums to ``n``.
    """
    df = _check_areas(areas)
    pop = df["population"].to_numpy(dtype=float)
    total = float(pop.sum())
    problems: list[Problem] = []
    if not isinstance(n, int | np.integer) or n <= 0:
        problems.append(Problem(f"the sample size n must be a positive whole number, got {n!r}"))
    if not isinstance(minimum, int | np.integer) or minimum < 0:
        problems.append(Problem(f"minimum must be a whole number ≥ 0, got {minimum!r}"))
    if response_rate is not None and not 0 < response_rate <= 1:
        problems.append(Problem(f"response_rate must lie in (0, 1], got {response_rate}"))
    if problems:
        raise SurveyDesignError("invalid quota parameters", problems=problems)
    if n > total:
        raise SurveyDesignError(
            f"the sample size {n} exceeds the whole population {total:,.0f}; lower n"
        )
    floor = np.minimum(float(minimum), pop)
    if floor.sum() > n:
        raise SurveyDesignError(
            f"n = {n} cannot give each of the {len(df)} areas its minimum of {minimum} "
            f"(that needs {int(floor.sum())}); raise n to at least {int(floor.sum())}, lower the minimum, "
            "or merge small areas"
        )
    fixed = np.zeros(len(pop), dtype=bool)
    alloc = np.zeros(len(pop))
    for _ in range(len(pop) + 1):
        free = ~fixed
        rest = n - alloc[fixed].sum()
        base = pop[free].sum()
        share = np.zeros(len(pop))
        share[free] = rest * pop[free] / base if base > 0 else 0.0
        low = free & (share < floor)
        high = free & (share > pop)
        if not low.any() and not high.any():
            alloc[free] = share[free]
            break
        alloc[low], alloc[high] = floor[low], pop[high]
        fixed |= low | high
    quota = _largest_remainder(alloc, n, fixed)
    if (
        int(quota.sum()) != n
    ):  # pragma: no cover - the loop above always leaves a free area or hits n
        raise SurveyDesignError(
            f"quotas add up to {int(quota.sum())}, not {n}; report this as a bug"
        )
    out = df.copy()
    out["population_share"] = pop / total * 100
    out["proportional"] = n * pop / total
    out["quota"] = quota
    out["quota_share"] = quota / n * 100
    with np.errstate(divide="ignore", invalid="ignore"):
        dw = np.where(quota > 0, pop / np.where(quota > 0, quota, 1), np.nan)
    out["design_weight"] = dw
    if response_rate is not None:
        # never more invitations than residents (a small area is then surveyed in full)
        out["invitations"] = np.minimum(np.ceil(quota / response_rate - 1e-9), pop).astype(int)
    return out.reset_index(drop=True)


def _largest_remainder(alloc: np.ndarray, n: int, fixed: np.ndarray) -> np.ndarray:
    base = np.floor(alloc + 1e-9).astype(int)
    left = n - int(base.sum())
    if left > 0:
        rem = np.where(fixed, -np.inf, alloc - base)
        order = np.lexsort((np.arange(len(alloc)), -rem))  # ties: the earlier area first
        base[order[:left]] += 1
    return base


def _check_areas(areas: pd.DataFrame, source: str = "areas") -> pd.DataFrame:
    problems: list[Problem] = []
    for c in ("area", "population"):
        if c not in areas.columns:
            problems.append(
                Problem(
                    f"column {c!r} is missing; the area table needs area and population", source
                )
            )
    if problems:
        raise SurveyDesignError("the area table is incomplete", problems=problems)
    df = areas.copy()
    df["area"] = df["area"].map(lambda v: "" if is_blank(v) else cell_text(v))
    for c in ("name_zh", "name_en"):
        if c not in df.columns:
            df[c] = df["name_zh"] if c == "name_en" and "name_zh" in df.columns else df["area"]
        df[c] = [a if is_blank(v) else cell_text(v) for v, a in zip(df[c], df["area"], strict=True)]
    pops: list[float] = []
    seen: dict[str, int] = {}
    for i, (a, v) in enumerate(zip(df["area"], df["population"], strict=True)):
        where = f"{source} row {row_label(i)}"
        if not a:
            problems.append(Problem("the area code is empty", f"{where}, column area"))
        elif a in seen:
            problems.append(
                Problem(
                    f"area {a!r} appears twice (first in row {row_label(seen[a])})",
                    f"{where}, column area",
                )
            )
        seen.setdefault(a, i)
        try:
            x = float(str(v).replace(",", "")) if not is_blank(v) else math.nan
        except ValueError:
            x = math.nan
        if not math.isfinite(x) or x < 0:
            problems.append(
                Problem(f"population {v!r} is not a number ≥ 0", f"{where}, column population")
            )
            x = 0.0
        pops.append(x)
    if not problems and sum(pops) <= 0:
        problems.append(
            Problem("the populations add up to 0; give each area its resident population", source)
        )
    if problems:
        raise SurveyDesignError(
            f"the area table {source} has {len(problems)} problem(s)", problems=problems
        )
    df["population"] = pops
    return df[["area", "name_zh", "name_en", "population"]].reset_index(drop=True)


def read_areas(path: str | Path) -> pd.DataFrame:
    """Read the area table (CSV/XLSX): code, names and resident population of each area.

    Headers may be Chinese or English: ``编号/代码/街道/社区`` or ``area/code``, ``名称`` or
    ``name_zh``, ``英文名称`` or ``name_en``, ``常住人口/人口`` or ``population``.
    """
    raw = read_raw(path, error=SurveyDesignError)
    found, unmatched, problems = match_headers(list(raw.columns), AREA_COLUMNS, str(path))
    for c in ("area", "population"):
        if c not in found:
            problems.append(
                Problem(
                    f"no column for {c!r} (accepted headers: {', '.join(AREA_COLUMNS[c][:6])} …)",
                    str(path),
                )
            )
    if unmatched:
        problems.append(
            Problem(
                f"columns {unmatched} match nothing; name them area, name_zh, name_en, population "
                "(or 编号, 名称, 英文名称, 常住人口) or remove them",
                str(path),
            )
        )
    if problems:
        raise SurveyDesignError(
            f"the area table {path} has {len(problems)} problem(s)", problems=problems
        )
    df = raw.rename(columns={v: k for k, v in found.items()})
    return _check_areas(df, str(path))


@dataclass
class SampleDesign:
    """A sample design: parameters and the quota table."""

    table: pd.DataFrame
    n: int
    margin: float
    confidence: float
    deff: float
    p: float
    minimum: int
    response_rate: float | None
    population: float
    notes: list[str] = field(default_factory=list)

    def parameters(self, lang: Lang = "zh") -> list[tuple[str, str]]:
        rows = [
            ("margin", f"±{self.margin * 100:g}"),
            ("confidence", f"{self.confidence * 100:g}%"),
            ("deff", f"{self.deff:g}"),
            ("p", f"{self.p:g}"),
            ("N", f"{self.population:,.0f}"),
            ("n", f"{self.n}"),
            ("minimum", f"{self.minimum}"),
        ]
        if self.response_rate is not None:
            rows.append(("response_rate", f"{self.response_rate * 100:g}%"))
        rows.append(("formula", _LABELS["formula_text"][lang]))
        return [(_LABELS[k][lang], v) for k, v in rows]

    def labelled(self, lang: Lang = "zh") -> pd.DataFrame:
        """The quota table with headers in ``lang`` and a total row."""
        t = self.table.copy()
        t = t.drop(columns=["name_en" if lang == "zh" else "name_zh"])
        total: dict[str, Any] = dict.fromkeys(t.columns, "")
        total.update(
            area=_LABELS["total"][lang],
            population=t["population"].sum(),
            population_share=100.0,
            proportional=t["proportional"].sum(),
            quota=int(t["quota"].sum()),
            quota_share=100.0,
            design_weight=math.nan,
        )
        if "invitations" in t.columns:
            total["invitations"] = int(t["invitations"].sum())
        t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
        name_col = "name_zh" if lang == "zh" else "name_en"
        labels = {c: _LABELS[c][lang] for c in t.columns if c != name_col}
        labels[name_col] = {"zh": "名称", "en": "Name"}[lang]
        return t.rename(columns=labels)

    def to_xlsx(self, path: str | Path, lang: Lang = "zh") -> Path:
        """Write the quota table and the parameters to an XLSX file (atomically)."""
        from citycheckup._io import atomic_file

        target = Path(path)
        with atomic_file(target, "wb") as fh, pd.ExcelWriter(fh, engine="xlsxwriter") as xw:
            t = self.labelled(lang)
            t.to_excel(xw, sheet_name=_LABELS["quotas"][lang], index=False, float_format="%.2f")
            ws = xw.sheets[_LABELS["quotas"][lang]]
            for j, c in enumerate(t.columns):
                ws.set_column(j, j, max(10, min(30, len(str(c)) * 2 + 2)))
            pd.DataFrame(
                self.parameters(lang), columns=[_LABELS["parameter"][lang], _LABELS["value"][lang]]
            ).to_excel(xw, sheet_name=_LABELS["parameters"][lang], index=False)
            xw.sheets[_LABELS["parameters"][lang]].set_column(0, 1, 40)
        return target


def sample_design(
    areas: pd.DataFrame,
    *,
    margin: float = 0.05,
    confidence: float = 0.95,
    deff: float = 1.5,
    p: float = 0.5,
    minimum: int = 30,
    response_rate: float | None = None,
    n: int | None = None,
) -> SampleDesign:
    """Sample size from the target margin (unless ``n`` is given) and quotas by area.

    When the floors push the sum of quotas above the size the margin needs, ``n`` is raised
    to the sum of the floors and a note says so.
    """
    df = _check_areas(areas)
    total = float(df["population"].sum())
    notes: list[str] = []
    if n is None:
        n = sample_size(margin, confidence=confidence, deff=deff, p=p, population=total)
        floors = int(np.minimum(float(minimum), df["population"].to_numpy(dtype=float)).sum())
        if floors > n:
            notes.append(
                f"n raised from {n} to {floors} so that every area has its minimum of {minimum}"
            )
            n = floors
    else:
        sample_size(
            margin, confidence=confidence, deff=deff, p=p, population=total
        )  # validates the rest
    table = quotas(df, n, minimum=minimum, response_rate=response_rate)
    return SampleDesign(
        table, int(n), margin, confidence, deff, p, minimum, response_rate, total, notes
    )
