"""``composite/sa_spec.py``: the sensitivity specification; every problem reported at once,
each naming the factor and the fix. Synthetic specifications.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from citycheckup.composite.sa_spec import Factor, SensitivitySpec
from citycheckup.errors import PipelineError


def _problems(doc: dict) -> list[tuple[str, str]]:
    with pytest.raises(PipelineError) as info:
        SensitivitySpec.from_dict(doc)
    return [(p.where, p.message) for p in info.value.problems]


def test_every_bad_factor_and_key_is_listed() -> None:
    doc = {
        "nsamples": 10,
        "sampling": "latin",
        "n": 1,
        "factors": [
            "not a mapping",
            {"name": "nostep", "values": [1]},
            {"name": "two", "step": "treat", "values": [1], "range": [0, 1]},
            {"name": "emptyalt", "step": "normalise", "alternatives": []},
            {"name": "altlist", "step": "normalise", "alternatives": [[1, 2]]},
            {"name": "backwards", "step": "treat", "parameter": "winmax", "range": [5, 1]},
            {"name": "noisy", "step": "aggregate", "noise": [0.25]},
            {"name": "dup", "step": "treat", "parameter": "winmax", "values": [1]},
            {"name": "dup", "step": "treat", "parameter": "winmax", "values": [2]},
        ],
    }
    got = _problems(doc)
    assert got == [
        (
            "spec",
            "unknown key 'nsamples'; known: factors, n, n_boot, per_unit, sampling, seed, "
            "sensitivity, target, time",
        ),
        ("factors[0]", "each factor must be a mapping"),
        ("factor nostep", "'step' is required (e.g. step: normalise)"),
        ("factor two", "give exactly one of values, alternatives, range or noise"),
        ("factor emptyalt", "'alternatives' must list at least one choice"),
        ("factor altlist", "each alternative must be a mapping of step parameters"),
        ("factor backwards", "range must be [low, high] with low <= high"),
        ("factor noisy", "noise must map level -> fraction, e.g. {2: 0.25}"),
        ("factor dup", "factor names must be unique"),
        ("spec.sampling", "sampling must be 'random' or 'sobol', got 'latin'"),
        ("spec.n", "n must be an integer >= 2, got 1"),
    ]


def test_no_factors_and_a_values_factor_without_parameter() -> None:
    assert _problems({"factors": []}) == [("spec", "list at least one factor under 'factors'")]
    assert _problems({"factors": [{"name": "v", "step": "treat", "values": [1, 2]}]}) == [
        ("factor v", "'values' needs 'parameter' (the step parameter to vary)")
    ]


@pytest.mark.parametrize(("n", "ok"), [(2, True), (1, False), (2.0, False)])
def test_n_boundary(n: object, ok: bool) -> None:
    doc = {"n": n, "factors": [{"step": "aggregate", "noise": {2: 0.1}}]}
    if ok:
        spec = SensitivitySpec.from_dict(doc)
        assert spec.n == 2 and spec.factors[0].name == "factor1"
    else:
        assert _problems(doc) == [("spec.n", f"n must be an integer >= 2, got {n!r}")]


def test_range_level_maps_u_linearly_and_rounds_integers() -> None:
    """range (1, 5): u = 0.5 -> 1 + 0.5 * 4 = 3.0; integer with u = 0.6 -> round(3.4) = 3."""
    f = Factor(name="w", step="treat", parameter="winmax", range=(1.0, 5.0))
    assert f.kind == "range" and f.level(0.5) == 3.0
    fi = Factor(name="w", step="treat", parameter="winmax", range=(1.0, 5.0), integer=True)
    assert fi.level(0.6) == 3
    noise = Factor(name="n", step="aggregate", noise={2: 0.1}, n_sets=4)
    assert noise.kind == "noise" and [noise.level(u) for u in (0.0, 0.26, 0.99)] == [0, 1, 3]


def test_from_yaml_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="cannot read sensitivity file .*none.yaml"):
        SensitivitySpec.from_yaml(tmp_path / "none.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(PipelineError, match="list.yaml: expected a mapping with 'factors'"):
        SensitivitySpec.from_yaml(tmp_path / "list.yaml")
    (tmp_path / "bad.yaml").write_text("n: 1\nfactors: [{step: treat, values: [1]}]\n")
    with pytest.raises(PipelineError) as info:
        SensitivitySpec.from_yaml(tmp_path / "bad.yaml")
    assert str(info.value).startswith(f"{tmp_path / 'bad.yaml'}: invalid sensitivity specification")
    assert [p.where for p in info.value.problems] == ["factor factor1", "spec.n"]


def test_from_yaml_reads_a_valid_file(tmp_path: Path) -> None:
    (tmp_path / "sa.yaml").write_text(
        "n: 8\nsampling: sobol\nseed: 7\nfactors:\n"
        "  - {name: agg, step: aggregate, parameter: method, values: [arithmetic, geometric]}\n"
    )
    spec = SensitivitySpec.from_yaml(tmp_path / "sa.yaml")
    assert (spec.n, spec.sampling, spec.seed) == (8, "sobol", 7)
    assert spec.factors[0].values == ("arithmetic", "geometric")


def test_unknown_factor_key_is_named_with_the_known_ones() -> None:
    doc = {"factors": [{"step": "treat", "parameter": "winmax", "values": [1], "vals": [2]}]}
    assert _problems(doc) == [
        (
            "factors[0]",
            "unknown key 'vals'; known: alternatives, integer, n_sets, name, noise, "
            "parameter, range, step, values",
        )
    ]
