"""COINr's ASEM example: the engine against an independent, deliberately plain
re-implementation of COINr 1.1.14's documented formulas (pandas + scipy, loops).

Provenance of the formulas: COINr 1.1.14 reference (see
``../shared/reference/composite_methods.md`` §1.2–1.8, §4) — Denominate (x / d),
i_mean_grp, Screen byNA (keep Dat_Avail >= dat_thresh), Treat defaults (check_SkewKurt,
winsorise, log_CT on the original values), n_minmax, a_amean, rank(-x, ties "min").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from citycheckup.composite import Coin, run_pipeline
from citycheckup.composite.analysis import trends

TOL = 1e-9


# --------------------------------------------------------------------------- reference
def ref_skew_kurt(x: pd.Series) -> tuple[float, float]:
    v = x.dropna().to_numpy()
    return float(sps.skew(v, bias=False)), float(sps.kurtosis(v, bias=False, fisher=True))


def ref_fails(x: pd.Series) -> bool:
    s, k = ref_skew_kurt(x)
    return abs(s) >= 2 and k >= 3.5


def ref_treat(x: pd.Series, winmax: int = 5) -> pd.Series:
    if not ref_fails(x):
        return x
    w = x.copy()
    hi: list = []
    lo: list = []
    count = 0
    while ref_fails(w) and count < winmax:
        s, _ = ref_skew_kurt(w)
        if s >= 0:
            top = w.max()
            hi = list(w.index[w == top])
            w[hi] = w.drop(hi).max()
        else:
            bot = w.min()
            lo = list(w.index[w == bot])
            w[lo] = w.drop(lo).min()
        count = len(hi) + len(lo)
    if not ref_fails(w):
        return w
    mn, mx = x.min(), x.max()
    return np.log(x - mn + 0.01 * (mx - mn))


def ref_build(
    data: pd.DataFrame, meta: pd.DataFrame, order: list[str], winmax: int = 5
) -> dict[str, pd.DataFrame]:
    struct = meta[meta["Type"].isin(["Indicator", "Aggregate"])]
    inds = struct.loc[struct["Level"] == 1, "iCode"].tolist()
    out: dict[str, pd.DataFrame] = {}
    df = data.set_index("uCode")
    cur = df[inds].astype(float).copy()
    out["Raw"] = cur.copy()
    for step in order:
        if step == "denominate":
            cur = cur.copy()
            for _, row in struct[struct["Level"] == 1].iterrows():
                if isinstance(row["Denominator"], str):
                    cur[row["iCode"]] = cur[row["iCode"]] / df.loc[cur.index, row["Denominator"]]
            out["Denominated"] = cur
        elif step == "impute":
            grp = df.loc[cur.index, "EurAsia_group"]
            cur = cur.groupby(grp).transform(lambda s: s.fillna(s.mean()))[inds]
            out["Imputed"] = cur
        elif step == "screen":
            keep = cur.notna().sum(axis=1) / len(inds) >= 0.9
            cur = cur[keep]
            out["Screened"] = cur
        elif step == "treat":
            cur = cur.apply(lambda s: ref_treat(s, winmax))
            out["Treated"] = cur
        elif step == "normalise":
            dirs = struct.set_index("iCode")["Direction"]
            norm = {}
            for c in inds:
                x = cur[c] * dirs[c]
                norm[c] = (x - x.min()) / (x.max() - x.min()) * 100
            cur = pd.DataFrame(norm)
            out["Normalised"] = cur
        elif step == "aggregate":
            full = cur.copy()
            for lev in range(2, int(struct["Level"].max()) + 1):
                for _, par in struct[struct["Level"] == lev].iterrows():
                    kids = struct[struct["Parent"] == par["iCode"]]
                    num = pd.Series(0.0, index=full.index)
                    den = pd.Series(0.0, index=full.index)
                    for _, k in kids.iterrows():
                        v = full[k["iCode"]]
                        num += v.fillna(0) * k["Weight"]
                        den += v.notna() * k["Weight"]
                    full[par["iCode"]] = num / den
            out["Aggregated"] = full
    return out


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def asem(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = shared_data / "coinr_asem"
    return pd.read_csv(d / "ASEM_iData.csv"), pd.read_csv(d / "ASEM_iMeta.csv")


def _compare(res, ref: dict[str, pd.DataFrame]) -> None:
    for name, expected in ref.items():
        got = res.datasets[name].set_index("uCode")
        expected = expected.sort_index()
        got = got.loc[expected.index, list(expected.columns)]
        np.testing.assert_allclose(
            got.to_numpy(float), expected.to_numpy(float), rtol=0, atol=TOL, err_msg=name
        )
    agg = ref["Aggregated"]
    aggs = [c for c in agg.columns if c in res.ranks.columns]
    ranks_ref = agg[aggs].rank(ascending=False, method="min").astype(int)
    got = res.ranks.set_index("uCode").loc[ranks_ref.index, aggs].astype(int)
    pd.testing.assert_frame_equal(got, ranks_ref, check_dtype=False)


PIPE_A = [
    {"normalise": {"method": "minmax", "lower": 0, "upper": 100}},
    {"aggregate": {"method": "arithmetic"}},
]
PIPE_B = [
    {"denominate": {}},
    {"impute": {"method": "mean_group", "group": "EurAsia_group"}},
    {"screen": {"by": "na", "min_availability": 0.9}},
    {
        "treat": {
            "method": "winsorise_log",
            "winmax": 5,
            "skew": 2,
            "kurtosis": 3.5,
            "log": "log_ct",
        }
    },
    {"normalise": {"method": "minmax", "lower": 0, "upper": 100}},
    {"aggregate": {"method": "arithmetic"}},
]
PIPE_C = [PIPE_B[0], PIPE_B[2], PIPE_B[1], *PIPE_B[3:]]


def test_pipeline_a_minimal(asem) -> None:
    data, meta = asem
    res = run_pipeline(Coin(data=data, meta=meta), PIPE_A)
    assert res.datasets["Aggregated"].shape == (51, 1 + 49 + 8 + 2 + 1)
    _compare(res, ref_build(data, meta, ["normalise", "aggregate"]))


def test_pipeline_b_full_example(asem) -> None:
    data, meta = asem
    res = run_pipeline(Coin(data=data, meta=meta), PIPE_B)
    assert list(res.datasets) == [
        "Raw",
        "Denominated",
        "Imputed",
        "Screened",
        "Treated",
        "Normalised",
        "Aggregated",
    ]
    _compare(
        res,
        ref_build(
            data, meta, ["denominate", "impute", "screen", "treat", "normalise", "aggregate"]
        ),
    )
    # group-mean imputation fills everything, so screening keeps all 51 units
    assert len(res.datasets["Screened"]) == 51
    treated = res.treatment[res.treatment["Treatment"] != "none"]
    assert len(treated) > 0 and set(treated["Treatment"]) <= {"winsorise", "log_ct"}


def test_pipeline_c_screen_before_impute(asem) -> None:
    data, meta = asem
    res = run_pipeline(Coin(data=data, meta=meta), PIPE_C)
    ref = ref_build(
        data, meta, ["denominate", "screen", "impute", "treat", "normalise", "aggregate"]
    )
    _compare(res, ref)
    assert len(res.datasets["Screened"]) < 51  # units with < 90 % data are removed
    assert set(res.screening.loc[~res.screening["Included"], "uCode"]) == set(data["uCode"]) - set(
        ref["Screened"].index
    )


def test_treatment_records_points(asem) -> None:
    data, meta = asem
    res = run_pipeline(Coin(data=data, meta=meta), PIPE_B)
    pts = res.treated_points
    win = pts[pts["Treatment"].isin(["winhi", "winlo"])]
    tr = res.treatment.set_index("iCode")
    for code, n in win.groupby("iCode").size().items():
        if tr.loc[code, "Treatment"] == "winsorise":
            assert n == tr.loc[code, "winsorise_nwin"]


def test_panel_global_normalisation_and_cagr(shared_data: Path) -> None:
    d = shared_data / "coinr_asem"
    data = pd.read_csv(d / "ASEM_iData_p.csv")
    meta = pd.read_csv(d / "ASEM_iMeta.csv")
    coin = Coin(data=data, meta=meta)
    assert coin.is_panel
    res = run_pipeline(
        coin,
        [
            {"impute": {"method": "latest"}},
            {"normalise": {"method": "minmax", "lower": 0, "upper": 100, "global": True}},
            {"aggregate": {}},
        ],
    )
    norm = res.datasets["Normalised"]
    dirs = meta.set_index("iCode")["Direction"]
    imp = res.datasets["Imputed"]
    for code in ["LPI", "NEET", "CO2"]:
        x = imp[code] * dirs[code]
        expected = (x - x.min()) / (x.max() - x.min()) * 100  # across all years at once
        np.testing.assert_allclose(norm[code], expected, atol=TOL)
    # ranks are within each year
    r = res.ranks
    assert (r.groupby("Time")["Index"].min() == 1).all()
    assert (r.groupby("Time")["Index"].max() <= 51).all()
    # CAGR of the index per unit, by hand
    agg = res.datasets["Aggregated"]
    tr = trends(agg, ["Index"], method="CAGR").set_index("uCode")["CAGR"]
    g = agg[agg["uCode"] == "AUT"].sort_values("Time")
    first, last = g["Index"].iloc[0], g["Index"].iloc[-1]
    assert tr["AUT"] == pytest.approx(
        (last / first) ** (1 / (g["Time"].iloc[-1] - g["Time"].iloc[0])) - 1, abs=1e-12
    )


def test_panel_latest_imputation_matches_coinr_test(shared_data: Path) -> None:
    # COINr tests/testthat/test-impute_panel.R: an NA in 2022 is filled with the 2021 value
    d = shared_data / "coinr_asem"
    data = pd.read_csv(d / "ASEM_iData_p.csv")
    meta = pd.read_csv(d / "ASEM_iMeta.csv")
    unit = data["uCode"].iloc[0]
    data.loc[(data["uCode"] == unit) & (data["Time"] == 2022), "LPI"] = np.nan
    res = run_pipeline(Coin(data=data, meta=meta), [{"impute": {"method": "latest"}}])
    imp = res.datasets["Imputed"]
    got = imp.loc[(imp["uCode"] == unit) & (imp["Time"] == 2022), "LPI"].item()
    want = data.loc[(data["uCode"] == unit) & (data["Time"] == 2021), "LPI"].item()
    assert got == want


def test_named_weight_set_follows_structure(asem) -> None:
    # as COINr's tests/testthat/test-aggregate.R ("agg_coin"): random weights in a named set
    data, meta = asem
    rng = np.random.default_rng(42)
    struct = meta["Type"].isin(["Indicator", "Aggregate"])
    alt = dict(zip(meta.loc[struct, "iCode"], rng.random(int(struct.sum())), strict=True))
    coin = Coin(data=data, meta=meta, weight_sets={"Alt": alt})
    res = run_pipeline(coin, [PIPE_A[0], {"aggregate": {"weights": "Alt"}}])
    meta_alt = meta.copy()
    meta_alt.loc[struct, "Weight"] = [alt[c] for c in meta.loc[struct, "iCode"]]
    _compare(res, ref_build(data, meta_alt, ["normalise", "aggregate"]))
