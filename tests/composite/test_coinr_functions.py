"""The COINr functions added in issue 16, against the numbers COINr documents for ASEM.

Sources (bluefoxr/COINr at commit b968203, COINr 1.1.14; the rendered vignettes are the
pkgdown articles in ``docs/articles/*.html`` of that commit, built by COINr itself):

* ``results.html``: ``get_results`` (Aggs, group ranks), ``get_unit_summary``, ``get_str_weak``;
* ``adjustments.html``: ``change_ind``, ``compare_coins_multi``;
* ``sensitivity.html``: ``remove_elements`` (``MeanAbsDiff``);
* ``analysis.html``: ``get_corr``, ``get_corr_flags``;
* ``weights.html``: ``get_corr(Levels = c(3, 4))`` and ``get_opt_weights``;
* ``denomination.html``: ``Denominate`` with ``WorldDenoms``;
* ``tests/testthat/test-trends.R``, ``test-aggregate.R``, ``test-sensitivity.R``, ``test-custom.R``.

Every case builds COINr's example coin the way ``build_example_coin()`` does
(``Pipeline.default``), and where a vignette shows no number the result is compared
with a plain re-implementation written here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from citycheckup.composite import Coin, Pipeline, run_pipeline
from citycheckup.composite.adjust import change_ind, remove_elements
from citycheckup.composite.aggregate import aggregate_batch, outrank_matrix, resolve_weights
from citycheckup.composite.analysis import (
    correlation_flags,
    correlation_table,
    correlations,
    trends,
)
from citycheckup.composite.results import (
    compare_multi,
    rank_frame,
    results_table,
    unit_strengths,
    unit_summary,
)
from citycheckup.composite.sensitivity import sample_design, sensitivity_estimates
from citycheckup.composite.weights import optimise_weights
from citycheckup.errors import FrameworkError, PipelineError


@pytest.fixture(scope="module")
def asem(shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = shared_data / "coinr_asem"
    return pd.read_csv(d / "ASEM_iData.csv"), pd.read_csv(d / "ASEM_iMeta.csv")


@pytest.fixture(scope="module")
def example(asem) -> tuple[Coin, Pipeline, object]:
    """COINr's build_example_coin(): denominate, impute by EurAsia group, screen 0.9, treat,
    min-max 0-100, arithmetic mean."""
    coin = Coin(data=asem[0], meta=asem[1])
    pipe = Pipeline.default(group="EurAsia_group", min_availability=0.9)
    return coin, pipe, run_pipeline(coin, pipe)


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


# --------------------------------------------------------------------------- results.html
def test_results_table_as_in_the_results_vignette(example) -> None:
    coin, _, res = example
    tab = results_table(coin, res.datasets["Aggregated"], kind="aggregates")
    assert list(tab.columns) == [
        "uCode",
        "Rank",
        "Index",
        "Conn",
        "Sust",
        "Physical",
        "ConEcFin",
        "Political",
        "Instit",
        "P2P",
        "Environ",
        "Social",
        "SusEcFin",
    ]
    expected = rows("""
        CHE 1 68.38 62.79 73.98 63.41 32.87 74.78 85.94 56.93 77.21 87.85 56.88
        NLD 2 64.82 61.94 67.70 64.87 46.62 84.55 71.74 41.92 58.73 86.58 57.78
        DNK 3 64.80 57.10 72.51 50.52 30.43 78.13 75.35 51.04 69.83 86.40 61.29
        NOR 4 64.47 57.44 71.50 58.18 25.70 80.03 89.46 33.80 70.90 87.00 56.59
        BEL 5 63.54 63.99 63.09 71.97 48.22 80.84 75.60 43.32 53.01 86.17 50.09
        SWE 6 63.00 53.87 72.12 51.51 23.87 80.98 74.51 38.50 66.37 87.74 62.27
    """)
    head = tab.head(6)
    assert head["uCode"].tolist() == [r[0] for r in expected]
    np.testing.assert_array_equal(
        head.iloc[:, 1:].to_numpy(float), np.array([r[1:] for r in expected], float)
    )
    full = results_table(coin, res.datasets["Aggregated"], kind="full")
    assert set(full.columns) == {"uCode", "Rank", *coin.indicators, *coin.aggregates}


def test_group_ranks_as_in_the_results_vignette(example) -> None:
    coin, _, res = example
    tab = results_table(
        coin, res.datasets["Aggregated"], kind="aggregates", use="groupranks", group="GDPpc_group"
    )
    assert list(tab.columns[:3]) == ["uCode", "GDPpc_group", "Index"] and "Rank" not in tab
    xl = rows("""
        CHE 1 2 1 3 5 8 2 2 1 1 8
        NLD 2 3 6 2 4 2 10 6 8 4 7
        DNK 3 6 2 8 6 6 6 5 3 5 5
        NOR 4 5 4 4 8 4 1 11 2 3 10
        SWE 5 10 3 7 10 3 8 10 5 2 3
        AUT 6 7 5 11 7 5 4 4 4 9 2
    """)
    large = rows("""
        BEL 1 1 2 1 2 4 7 3 10 1 9
        MLT 2 2 5 3 1 12 4 1 2 10 3
        SVN 3 4 1 2 6 9 6 5 5 3 2
        GBR 4 3 3 4 8 5 5 7 3 2 8
        CZE 5 5 4 9 5 8 10 6 12 9 1
        ESP 6 7 7 7 10 2 3 9 6 6 10
    """)
    for grp, expected in (("XL", xl), ("L", large)):
        got = tab[tab["GDPpc_group"] == grp].head(6)
        assert got["uCode"].tolist() == [r[0] for r in expected]
        np.testing.assert_array_equal(
            got.iloc[:, 2:].to_numpy(float), np.array([r[1:] for r in expected], float)
        )


def test_unit_summary_as_in_the_results_vignette(example) -> None:
    coin, _, res = example
    s = unit_summary(coin, res.datasets["Aggregated"], "IND", levels=[4, 3, 2])
    expected = rows("""
        Index 39.79 45
        Conn 28.60 44
        Sust 50.99 43
        Physical 18.78 48
        ConEcFin 6.38 49
        Political 51.90 33
        Instit 59.84 37
        P2P 6.07 47
        Environ 75.34 6
        Social 22.74 51
        SusEcFin 54.88 36
    """)
    assert s["Code"].tolist() == [r[0] for r in expected]
    assert s["Score"].tolist() == [float(r[1]) for r in expected]
    assert s["Rank"].tolist() == [int(r[2]) for r in expected]
    assert s["Name"].iloc[0] == "Sustainable Connectivity"
    with pytest.raises(PipelineError, match="unit 'XXX' is not in the data set"):
        unit_summary(coin, res.datasets["Aggregated"], "XXX")


def test_strengths_and_weaknesses_as_in_the_results_vignette(example) -> None:
    coin, _, res = example
    s, w = unit_strengths(coin, res.datasets["Raw"], "ESP")
    assert s[["Code", "Level_2"]].values.tolist() == [
        ["CostImpEx", "Instit"],
        ["TIRcon", "Instit"],
        ["Tourist", "P2P"],
        ["Flights", "Physical"],
        ["UNVote", "Political"],
    ]
    assert s["Rank"].tolist() == [1, 1, 2, 3, 3]
    assert s["Value"].tolist() == [0.0, 1.0, 75.3, 171.0, 43.1]
    assert w["Code"].tolist() == ["NEET", "Lang", "Forest", "TBTs", "PubDebt"]
    assert w["Rank"].tolist() == [33, 38, 40, 40, 43]
    assert w["Value"].tolist() == [13.3, 5.16, 6.93, 1210.0, 99.3]
    assert w["Unit"].iloc[0] == "Percent"
    # unq_discard: the yes/no indicator TIRcon (2 distinct values of 51) is not a strength
    s_unq, _ = unit_strengths(coin, res.datasets["Raw"], "ESP", unq_discard=0.1)
    assert "TIRcon" not in s_unq["Code"].tolist() and "CostImpEx" in s_unq["Code"].tolist()
    # without COINr's min_discard, a unit's tied-last indicators become "weaknesses"
    raw = res.datasets["Raw"]
    ranks = rank_frame(
        raw.assign(
            **{c: raw[c] * d for c, d in zip(coin.indicators, coin.directions, strict=True)}
        ),
        list(coin.indicators),
    ).set_index("uCode")
    worst = ranks[list(coin.indicators)].max()
    last = {
        u: [c for c in coin.indicators if pd.notna(r[c]) and r[c] == worst[c]]
        for u, r in ranks.iterrows()
    }
    unit = next(u for u, cs in last.items() if cs)
    _, w_all = unit_strengths(coin, raw, unit, min_discard=False, bottom=49)
    _, w_def = unit_strengths(coin, raw, unit, bottom=49)
    assert set(last[unit]) <= set(w_all["Code"]) and not set(last[unit]) & set(w_def["Code"])


# --------------------------------------------------------------------------- adjustments.html
VIGNETTE_COMPARE = """
CHE 1 1 1 1;NLD 2 4 4 3;DNK 3 2 2 2;NOR 4 3 3 4;BEL 5 7 6 5;SWE 6 5 5 6;AUT 7 6 7 7;LUX 8 10 8 8;
DEU 9 8 11 9;MLT 10 19 9 13;SVN 11 9 10 10;IRL 12 14 12 12;FIN 13 13 13 14;SGP 14 15 14 11;
GBR 15 12 16 15;LTU 16 11 15 16;CZE 17 18 19 17;HRV 18 23 21 19;ESP 19 24 20 24;HUN 20 22 22 20;
FRA 21 21 25 18;EST 22 16 23 23;LVA 23 20 17 21;SVK 24 26 24 22;ROU 25 25 26 25;POL 26 28 27 27;
PRT 27 17 18 26;ITA 28 27 28 28;CYP 29 30 29 29;BGR 30 29 30 31;KOR 31 33 31 30;GRC 32 32 32 33;
NZL 33 34 33 32;JPN 34 31 34 34;AUS 35 35 37 35;VNM 36 37 36 36;KHM 37 36 35 NA;PHL 38 40 40 39;
MYS 39 38 38 38;BRN 40 41 45 NA;MMR 41 42 39 NA;THA 42 43 42 37;IDN 43 49 41 41;MNG 44 48 47 42;
IND 45 46 46 40;BGD 46 44 44 NA;KAZ 47 45 49 43;LAO 48 39 43 NA;CHN 49 51 50 45;PAK 50 47 48 44;
RUS 51 50 51 46
"""


def test_change_ind_and_compare_multi_as_in_the_adjustments_vignette(example) -> None:
    coin, pipe, res = example
    prank = run_pipeline(coin, pipe.replace_step(pipe.index_of("normalise"), {"method": "prank"}))
    reduced = change_ind(coin, drop=["LPI", "Forest"])
    assert len(reduced.indicators) == 47 and "LPI" not in reduced.indicators
    no_lpi = run_pipeline(reduced, pipe)
    screen90 = run_pipeline(coin, [s for s in pipe.to_list() if "impute" not in s])
    assert len(screen90.datasets["Screened"]) == 46
    tab = compare_multi(
        {
            "Nominal": res.datasets["Aggregated"],
            "Prank": prank.datasets["Aggregated"],
            "NoLPIFor": no_lpi.datasets["Aggregated"],
            "Screen90": screen90.datasets["Aggregated"],
        },
        "Index",
    )
    expected = [r.split() for r in VIGNETTE_COMPARE.replace("\n", "").split(";")]
    assert tab["uCode"].tolist() == [r[0] for r in expected]
    for k, name in enumerate(["Nominal", "Prank", "NoLPIFor", "Screen90"]):
        want = [None if r[k + 1] == "NA" else int(r[k + 1]) for r in expected]
        got = [None if pd.isna(v) else int(v) for v in tab[name]]
        assert got == want, name
    # the same as absolute differences to the base (COINr tabtype = "AbsDiffs")
    ad = compare_multi(
        {"a": res.datasets["Aggregated"], "b": prank.datasets["Aggregated"]},
        "Index",
        table="absdiffs",
    )
    assert ad.set_index("uCode").loc["PRT", "b"] == 10 and ad["a"].eq(0).all()
    # change_ind puts indicators back, and refuses what it cannot do
    back = change_ind(reduced, add=["LPI"])
    assert "LPI" in back.indicators and "Forest" not in back.indicators
    with pytest.raises(FrameworkError) as exc:
        change_ind(reduced, drop=["LPI", "Nope"], add=["Forest", "Goods"])
    msg = str(exc.value)
    assert "drop LPI" in msg and "drop Nope" in msg and "add Goods: already in the coin" in msg


# --------------------------------------------------------------------------- sensitivity.html
def test_remove_elements_as_in_the_sensitivity_vignette(example) -> None:
    coin, pipe, res = example
    r = remove_elements(coin, pipe, 2)
    mad = r.mean_abs_diff
    expected = {
        "Nominal": 0.0,
        "Physical": 1.529412,
        "ConEcFin": 2.627451,
        "Political": 2.901961,
        "Instit": 1.176471,
        "P2P": 1.686275,
        "Environ": 3.098039,
        "Social": 3.960784,
        "SusEcFin": 2.627451,
    }
    assert list(mad.index) == list(expected)
    np.testing.assert_allclose(mad.to_numpy(), list(expected.values()), atol=5e-7)
    # the structure COINr's tests/testthat/test-audit_tools.R checks
    np.testing.assert_array_equal(r.scores["Nominal"], res.datasets["Aggregated"]["Index"])
    np.testing.assert_array_equal(
        r.rank_diffs["Physical"], r.ranks["Nominal"] - r.ranks["Physical"]
    )
    # an independent check of one column: re-run the whole pipeline with Social's weight 0
    alt = run_pipeline(
        coin, pipe.replace_step(5, {"method": "arithmetic", "weights": {"Social": 0}})
    )
    np.testing.assert_allclose(r.scores["Social"], alt.datasets["Aggregated"]["Index"], rtol=1e-12)
    with pytest.raises(PipelineError, match="^level must be between 1 and 3, got 4$"):
        remove_elements(coin, pipe, 4)


# --------------------------------------------------------------------------- analysis.html
def test_correlations_as_in_the_analysis_vignette(example) -> None:
    coin, _, res = example
    raw = res.datasets["Raw"]
    long = correlation_table(coin, raw, within="Environ", levels=1)
    head = long.head(6)
    assert head[["Var1", "Var2"]].values.tolist() == [
        ["CO2", "CO2"],
        ["Forest", "CO2"],
        ["MatCon", "CO2"],
        ["PrimEner", "CO2"],
        ["Renew", "CO2"],
        ["CO2", "Forest"],
    ]
    np.testing.assert_allclose(
        head["Correlation"], [1.0, np.nan, 0.7222051, 0.3268484, -0.5986338, np.nan], atol=5e-8
    )
    wide = correlation_table(coin, raw, within="Environ", levels=1, long=False).round(2)
    np.testing.assert_array_equal(
        wide.to_numpy(),
        np.array(
            [
                [1.00, np.nan, 0.72, 0.33, -0.60],
                [np.nan, 1.00, np.nan, np.nan, 0.35],
                [0.72, np.nan, 1.00, 0.38, -0.42],
                [0.33, np.nan, 0.38, 1.00, np.nan],
                [-0.60, 0.35, -0.42, np.nan, 1.00],
            ]
        ),
    )
    # weights.html: get_corr(coin, dset = "Aggregated", Levels = c(3, 4))
    lv = correlation_table(coin, res.datasets["Aggregated"], levels=(3, 4))
    assert lv[["Var1", "Var2"]].values.tolist() == [["Index", "Conn"], ["Index", "Sust"]]
    np.testing.assert_allclose(lv["Correlation"], [0.9397805, 0.8382873], atol=5e-8)


def test_correlation_flags_as_in_the_analysis_vignette(example) -> None:
    coin, _, res = example
    norm = res.datasets["Normalised"]
    hi = correlation_flags(coin, norm, threshold=0.75)
    assert {frozenset(p) for p in hi[["Code1", "Code2"]].values} == {
        frozenset({"CPI", "FreePress"}),
        frozenset({"CPI", "NGOs"}),
    }
    assert sorted(hi["Corr"].round(3)) == [0.761, 0.768]
    lo = correlation_flags(coin, norm, threshold=-0.5, kind="low")
    got = {
        frozenset(p): round(c, 3)
        for p, c in zip(lo[["Code1", "Code2"]].values.tolist(), lo["Corr"], strict=True)
    }
    assert got == {
        frozenset({"CostImpEx", "TBTs"}): -0.697,
        frozenset({"RTAs", "TBTs"}): -0.752,
        frozenset({"TBTs", "TIRcon"}): -0.623,
    }


def test_correlation_options_against_plain_pandas(example) -> None:
    coin, _, res = example
    agg = res.datasets["Aggregated"]
    par = correlation_table(coin, agg, levels=(1, 2), withparent=True, pval=0)
    assert len(par) == len(coin.indicators)
    for a, b, r in par.head(10).itertuples(index=False):
        assert coin.parent[b] == a  # Var1 = the pillar (higher level first), Var2 = its indicator
        assert r == pytest.approx(agg[a].corr(agg[b]), abs=1e-12)
    fam = correlation_table(coin, agg, levels=1, withparent="family", pval=0)
    assert set(fam["Var1"]) == {"Level_2", "Level_3", "Level_4"} and len(fam) == 3 * 49
    lpi = fam[(fam["Var2"] == "LPI")].set_index("Var1")["Correlation"]
    assert lpi["Level_3"] == pytest.approx(agg["LPI"].corr(agg["Conn"]), abs=1e-12)
    grp = correlation_table(coin, agg, levels=1, grouplev=2, pval=0)
    sizes = pd.Series(coin.parent).loc[list(coin.indicators)].value_counts()
    assert len(grp) == int((sizes**2).sum())
    assert all(
        coin.parent[a] == coin.parent[b] for a, b in zip(grp["Var1"], grp["Var2"], strict=True)
    )


def test_correlations_with_pvalues_work_under_pandas_3() -> None:
    # defect: np.fill_diagonal on DataFrame.values crashed ("underlying array is read-only")
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    df = pd.DataFrame({"a": x, "b": x + rng.normal(scale=0.3, size=40), "c": rng.normal(size=40)})
    r = correlations(df, ["a", "b", "c"], pval=0.05)
    from scipy import stats as sps

    p_ac = sps.pearsonr(df["a"], df["c"])[1]
    assert r.loc["a", "b"] == pytest.approx(df["a"].corr(df["b"])) and np.isnan(
        r.loc["a", "c"]
    ) == (p_ac > 0.05)
    assert (np.diag(r.to_numpy()) == 1).all()


# --------------------------------------------------------------------------- weights.html
def test_optimised_weights_against_the_weights_vignette(example) -> None:
    coin, _, res = example
    norm = res.datasets["Normalised"]
    X = norm[list(coin.indicators)].to_numpy(float)

    def corr_with_index(weights: dict[str, float], codes: list[str]) -> np.ndarray:
        S = pd.DataFrame(
            aggregate_batch(coin, X, resolve_weights(coin, weights))[0], columns=coin.aggregates
        )
        return np.array([S["Index"].corr(S[c]) for c in codes])

    # COINr's optimised weights (0.3902439, 0.6097561) give its correlations 0.8971336 / 0.8925119
    np.testing.assert_allclose(
        corr_with_index({"Conn": 0.3902439, "Sust": 0.6097561}, ["Conn", "Sust"]),
        [0.8971336, 0.8925119],
        atol=5e-8,
    )
    w, tab = optimise_weights(coin, norm, level=3)
    assert w["Conn"] + w["Sust"] == pytest.approx(1.0)
    assert 0.37 < w["Conn"] < 0.40  # near COINr's 0.390 (COINr stops early, reltol = 0.1)
    c = corr_with_index(w, ["Conn", "Sust"])
    assert abs(c[0] - c[1]) < abs(0.8971336 - 0.8925119)  # at least as balanced as COINr's
    np.testing.assert_allclose(tab["achieved"], c / c.sum())


def test_infomax_weights_beat_an_independent_optimiser(example) -> None:
    coin, _, res = example
    norm = res.datasets["Normalised"]
    X = norm[list(coin.indicators)].to_numpy(float)
    pillars = list(coin.levels[2])

    def total_corr(v: np.ndarray) -> float:
        S = pd.DataFrame(
            aggregate_batch(
                coin, X, resolve_weights(coin, dict(zip(pillars, np.abs(v), strict=True)))
            )[0],
            columns=coin.aggregates,
        )
        return float(sum(S["Index"].corr(S[p]) for p in pillars))

    w, tab = optimise_weights(coin, norm, level=2, optype="infomax", maxiter=2000)
    ours = total_corr(np.array([w[p] for p in pillars]))
    assert ours == pytest.approx(tab["achieved"].sum())
    assert ours > total_corr(np.ones(len(pillars)))  # better than the equal weights it starts from
    ref = optimize.minimize(lambda v: -total_corr(v), np.ones(len(pillars)), method="Powell")
    assert ours >= -ref.fun - 1e-4


# --------------------------------------------------------------------------- denomination.html
def test_external_denominators_as_in_the_denomination_vignette(asem, shared_data: Path) -> None:
    data, meta = asem
    world = shared_data / "coinr_asem" / "WorldDenoms.csv"
    coin = Coin(data=data, meta=meta)
    res = run_pipeline(
        coin,
        [
            {
                "denominate": {
                    "table": str(world),
                    "by": {"Goods": "GDP", "Flights": "Population"},
                    "scale": {"Flights": 1000},
                }
            }
        ],
    )
    den = res.datasets["Denominated"].set_index("uCode")
    expected = rows("""
        AUT 6.255713e-10 0.003268788 4.097985
        BEL 1.121507e-09 0.002776498 4.108538
        BGR 6.246483e-10 0.001323996 2.807685
        HRV 4.669422e-10 0.002272966 3.160829
        CYP 3.513901e-10 0.007304232 2.999061
        CZE 1.093569e-09 0.001434859 3.674309
    """)
    for u, goods, flights, lpi in expected:
        assert den.loc[u, "Goods"] == pytest.approx(float(goods), rel=5e-7)
        assert den.loc[u, "Flights"] == pytest.approx(float(flights), rel=5e-7)
        assert den.loc[u, "LPI"] == pytest.approx(float(lpi), rel=5e-7)
    # a unit the table lacks is an error naming it, not a silent missing value
    odd = data.copy()
    odd.loc[0, "uCode"] = "ZZZ"
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(denominate\) failed: invalid denominate step:\n  - denominate\.table: no value of GDP for 1 unit\(s\): ZZZ; add them to the table or drop the units$",
    ):
        run_pipeline(
            Coin(data=odd, meta=meta),
            [{"denominate": {"table": str(world), "by": {"Goods": "GDP"}}}],
        )


# --------------------------------------------------------------------------- testthat
def test_trends_as_in_coinr_tests(shared_data: Path) -> None:
    # tests/testthat/test-trends.R on the example purse (ASEM_iData_p)
    p = pd.read_csv(shared_data / "coinr_asem" / "ASEM_iData_p.csv")

    def cagr(u: str, code: str, years: list[int] | None = None) -> float:
        s = p[p["uCode"] == u].sort_values("Time")
        if years:
            s = s[s["Time"].isin(years)]
        s = s.dropna(subset=[code])
        y, t = s[code].to_numpy(), s["Time"].to_numpy()
        return (y[-1] / y[0]) ** (1 / (t[-1] - t[0])) - 1

    tr = trends(p, ["Flights", "MatCon", "Renew", "LPI"]).set_index(["uCode", "iCode"])["CAGR"]
    for u, c in (("AUS", "Flights"), ("LTU", "MatCon"), ("JPN", "Renew")):
        assert tr[(u, c)] == pytest.approx(cagr(u, c), rel=1e-12)
    latest = trends(p, ["LPI", "Renew"], use_latest=3).set_index(["uCode", "iCode"])["CAGR"]
    assert latest[("AUT", "LPI")] == pytest.approx(
        cagr("AUT", "LPI", [2020, 2021, 2022]), rel=1e-12
    )
    assert latest[("JPN", "Renew")] == pytest.approx(
        cagr("JPN", "Renew", [2020, 2021, 2022]), rel=1e-12
    )
    # approx_df: an interpolated value lies half way between its neighbours (prc_change uses it)
    g = pd.DataFrame(
        {"uCode": "A", "Time": np.arange(2011, 2016), "y": [1.0, np.nan, 3.0, 5.0, 4.0]}
    )
    filled = trends(g, ["y"], method="prc_change", interp_at="all")["prc_change"].iloc[0]
    slope, icpt = np.polyfit(np.arange(2011, 2016), [1.0, 2.0, 3.0, 5.0, 4.0], 1)
    assert filled == pytest.approx(slope / (icpt + slope * 2011) * 100, rel=1e-12)
    assert trends(g, ["y"], use_latest=5)["CAGR"].iloc[0] == pytest.approx(4**0.25 - 1)
    assert trends(g, ["y"], use_latest=6)["CAGR"].isna().all()  # 5 years only: too short
    with pytest.raises(
        PipelineError,
        match=r"^interp_at has year\(s\) outside the years of the data \(2011–2015\)$",
    ):
        trends(g, ["y"], interp_at=[2030])


def test_outranking_and_copeland_as_in_coinr_tests() -> None:
    # tests/testthat/test-aggregate.R ("outranking", "copeland")
    X = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4.0]])
    r = outrank_matrix(X)
    assert (np.diag(r.matrix) == 0).all()
    assert r.matrix[1, 0] == pytest.approx(2 / 3) and r.matrix[2, 0] == pytest.approx(1 / 3)
    assert r.matrix[3, 0] == 1 and r.n_dominant == 3 and r.frac_dominant == 0.5
    tie = outrank_matrix(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert tie.matrix[0, 1] == tie.matrix[1, 0] == 0.5


def _coinr_copeland(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """COINr's outrankMatrix + a_copeland, transliterated loop for loop (R/aggregate.R)."""
    w = w / np.nansum(w)
    n = X.shape[0]
    orm = np.full((n, n), np.nan)
    for ii in range(n):
        for jj in range(n):
            if ii == jj:
                orm[ii, jj] = 0.0
            elif ii > jj:
                orm[ii, jj] = 1 - orm[jj, ii]
            else:  # NA comparisons drop out of sum(..., na.rm = TRUE)
                orm[ii, jj] = w[X[ii] > X[jj]].sum() + w[X[ii] == X[jj]].sum() / 2
    s = np.where(orm > 0.5, 1.0, np.where(orm < 0.5, -1.0, 0.0))
    np.fill_diagonal(s, 0)
    return s.sum(axis=1)


def test_copeland_coinr_rule_reproduces_coinr_with_missing_values(asem) -> None:
    coin = Coin(data=asem[0], meta=asem[1])  # Raw has 64 missing values
    pipe = [{"normalise": {}}, {"aggregate": {"method": "copeland", "copeland": {"na": "coinr"}}}]
    coinr = run_pipeline(coin, pipe).datasets["Aggregated"]
    own = run_pipeline(coin, [pipe[0], {"aggregate": {"method": "copeland"}}]).datasets[
        "Aggregated"
    ]
    norm = coinr[list(coin.indicators)]
    differ = 0
    for p in coin.levels[2]:
        kids = [c for c, q in coin.parent.items() if q == p]
        ref = _coinr_copeland(norm[kids].to_numpy(float), np.ones(len(kids)))
        np.testing.assert_array_equal(coinr[p].to_numpy(), ref, err_msg=p)
        differ += int((coinr[p] != own[p]).sum())
    assert differ > 0  # the two rules disagree where values are missing
    with pytest.raises(
        PipelineError,
        match=r"^step 1 \(aggregate\) failed: invalid aggregate step:\n  - aggregate\.copeland: aggregate\.copeland\.na must be 'pairwise' or 'coinr', got 'r'$",
    ):
        run_pipeline(
            coin, [pipe[0], {"aggregate": {"method": "copeland", "copeland": {"na": "r"}}}]
        )


def test_public_sampling_and_estimates_as_in_coinr_tests() -> None:
    # tests/testthat/test-sensitivity.R ("sampling_works"): y = X1 + 10 X2, X3 unused
    N, d = 100, 3
    X = sample_design(N, d, seed=5)
    assert X.shape == (N * (d + 2), d) and (X >= 0).all() and (X <= 1).all()
    A, B = X[:N], X[N : 2 * N]
    for i in range(d):
        ABi = X[(2 + i) * N : (3 + i) * N]
        np.testing.assert_array_equal(np.delete(ABi, i, axis=1), np.delete(A, i, axis=1))
        np.testing.assert_array_equal(ABi[:, i], B[:, i])
    est = sensitivity_estimates(X[:, 0] + 10 * X[:, 1], N, d, n_boot=20)
    assert est["Si"].iloc[2] == 0 and est["STi"].iloc[2] == 0
    assert est["STi"].iloc[1] > est["STi"].iloc[0] > 0
    with pytest.raises(
        PipelineError, match=r"^y must have N \(d \+ 2\) = 500 values \(N=100, d=3\), got 10$"
    ):
        sensitivity_estimates(np.zeros(10), N, d)


def test_custom_step_as_in_coinr_tests(example) -> None:
    # tests/testthat/test-custom.R: a function that sets x[3, 10] to NA
    coin, _, _ = example

    def f_na(x: pd.DataFrame) -> pd.DataFrame:
        x.iloc[2, 9] = np.nan
        return x

    res = run_pipeline(coin, [{"custom": {"function": f_na}}])
    raw, cus = res.datasets["Raw"], res.datasets["Custom"]
    assert np.isnan(cus.iloc[2, 9])
    mask = np.ones(raw.shape, bool)
    mask[2, 9] = False
    pd.testing.assert_frame_equal(raw.where(mask), cus.where(mask))
    # by import path, with parameters; rows may be dropped
    res2 = run_pipeline(
        coin,
        [
            {"custom": {"function": "tests.composite.helpers:keep_first", "params": {"n": 5}}},
            {"normalise": {"constant": "nan"}},
        ],
    )
    assert len(res2.datasets["Custom"]) == 5 and len(res2.datasets["Normalised"]) == 5
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(custom\) failed: custom step 'Custom' returned an invalid table:\n  - custom step 'Custom': the returned table lacks column\(s\) LPI, Flights, Ship, Bord, Elec, Gas, ConSpeed, Cov4G, Goods, Services, FDI, PRemit, ForPort, Embs, IGOs, UNVote, CostImpEx, Tariff, TBTs, TIRcon, RTAs, Visa, StMob, Research, Pat, CultServ, CultGood, Tourist, MigStock, Lang, Renew, PrimEner, CO2, MatCon, Forest, Poverty, Palma, TertGrad, FreePress, TolMin, NGOs, CPI, FemLab, WomParl, PubDebt, PrivDebt, GDPGrow, RDExp, NEET$",
    ):
        run_pipeline(coin, [{"custom": {"function": lambda x: x[["uCode"]]}}])
    with pytest.raises(
        PipelineError,
        match=r"^step 0 \(custom\) failed: custom step: cannot import 'nowhere\.mod:f': No module named 'nowhere'$",
    ):
        run_pipeline(coin, [{"custom": {"function": "nowhere.mod:f"}}])
