"""Graph core: de-duplication, snapping, multi-source distances against hand-made answers and networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citycheckup.errors import SpatialError
from citycheckup.spatial import (
    WalkGraph,
    along_network_distances,
    nearest_node_distances,
    snap_points,
)


def line_graph() -> WalkGraph:
    # 0 —100— 1 —100— 2 along the x axis
    return WalkGraph.from_edges([0.0, 100.0, 200.0], [0.0, 0.0, 0.0], [0, 1], [1, 2])


def test_duplicates_collapse_to_minimum_not_sum() -> None:
    # both directions, a parallel longer edge and a self-loop: scipy's COO→CSR would sum these
    g = WalkGraph.from_edges(
        [0, 1, 2], [0, 0, 0], [0, 1, 0, 1, 2], [1, 0, 1, 2, 2], [5.0, 5.0, 3.0, 4.0, 1.0]
    )
    assert g.n_edges == 2
    assert sorted(zip(g.u.tolist(), g.v.tolist(), g.length.tolist(), strict=True)) == [
        (0, 1, 3.0),
        (1, 2, 4.0),
    ]
    d = nearest_node_distances(g, [0])
    np.testing.assert_allclose(d, [0.0, 3.0, 7.0])


def test_zero_length_edge_is_kept() -> None:
    g = WalkGraph.from_edges([0, 0, 10], [0, 0, 0], [0, 1], [1, 2], [0.0, 10.0])
    np.testing.assert_allclose(nearest_node_distances(g, [0]), [0.0, 0.0, 10.0])


def test_grid_multi_source_known_answer() -> None:
    # 3×3 lattice with 10 m spacing; sources at two opposite corners
    xs, ys = np.meshgrid(np.arange(3) * 10.0, np.arange(3) * 10.0)
    idx = np.arange(9).reshape(3, 3)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    g = WalkGraph.from_edges(xs.ravel(), ys.ravel(), u, v)
    d = nearest_node_distances(g, [0, 8])
    expected = np.minimum(np.abs(xs) + np.abs(ys), np.abs(20 - xs) + np.abs(20 - ys)).ravel()
    np.testing.assert_allclose(d, expected)


def test_limit_and_unreachable_give_inf() -> None:
    g = WalkGraph.from_edges([0, 100, 200, 1000, 1100], [0] * 5, [0, 1, 3], [1, 2, 4])
    d = nearest_node_distances(g, [0], limit=150)
    assert d[0] == 0 and d[1] == 100 and np.isinf(d[2]) and np.isinf(d[3]) and np.isinf(d[4])
    assert g.component.tolist() == [0, 0, 0, 1, 1]


def test_source_offsets() -> None:
    g = line_graph()
    d = nearest_node_distances(g, [0, 2], [50.0, 0.0])
    np.testing.assert_allclose(d, [50.0, 100.0, 0.0])


def test_along_network_known_answer() -> None:
    g = line_graph()
    homes = snap_points(g, [25.0], [10.0])  # 10 m north of edge 0–1, 25 m from node 0
    shops = snap_points(g, [175.0], [-5.0])  # 5 m south of edge 1–2
    np.testing.assert_allclose(homes.offset, [10.0])
    d = along_network_distances(g, homes, shops)
    np.testing.assert_allclose(d, [10 + 75 + 75 + 5])


def test_same_edge_direct_path() -> None:
    g = line_graph()
    homes = snap_points(g, [20.0], [3.0])
    shops = snap_points(g, [60.0], [-4.0])
    np.testing.assert_allclose(along_network_distances(g, homes, shops), [3 + 40 + 4])


def test_unsnapped_points_are_reported_not_used() -> None:
    g = line_graph()
    homes = snap_points(g, [50.0, 50.0], [20.0, 500.0], max_snap_m=100)
    assert homes.snapped.tolist() == [True, False]
    assert homes.n_unsnapped == 1
    far_shop = snap_points(g, [150.0], [400.0], max_snap_m=100)
    d = along_network_distances(g, homes, far_shop)
    assert np.isinf(d[0]) and np.isnan(d[1])


def test_bad_edges_raise_with_all_problems() -> None:
    with pytest.raises(SpatialError) as err:
        WalkGraph.from_edges([0, 1], [0], [0, 5], [1], [-1.0])
    msg = str(err.value)
    assert "y has 1" in msg and "u has 2" in msg


def _nx_reference(
    g: WalkGraph, sources: list[int], offsets: list[float] | None = None
) -> np.ndarray:
    ref = nx.MultiGraph()
    ref.add_nodes_from(range(g.n_nodes))
    for a, b, w in zip(g.u.tolist(), g.v.tolist(), g.length.tolist(), strict=True):
        ref.add_edge(a, b, weight=w)
    if offsets is None:
        dist = nx.multi_source_dijkstra_path_length(ref, set(sources), weight="weight")
    else:
        ref.add_node("S")
        for s, o in zip(sources, offsets, strict=True):
            ref.add_edge("S", s, weight=o)
        dist = nx.single_source_dijkstra_path_length(ref, "S", weight="weight")
    return np.array([dist.get(i, np.inf) for i in range(g.n_nodes)])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(min_value=0, max_value=2**31 - 1), st.integers(min_value=2, max_value=60))
def test_random_graphs_match_networkx(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 1000, n), rng.uniform(0, 1000, n)
    m = 3 * n
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    length = rng.uniform(0, 300, m)
    g = WalkGraph.from_edges(x, y, u, v, length)
    # networkx on the *raw* multigraph (duplicates, both directions) is the independent reference
    raw = nx.MultiGraph()
    raw.add_nodes_from(range(n))
    for a, b, w in zip(u.tolist(), v.tolist(), length.tolist(), strict=True):
        if a != b:
            raw.add_edge(a, b, weight=w)
    sources = rng.choice(n, size=max(1, n // 5), replace=False).tolist()
    ref = nx.multi_source_dijkstra_path_length(raw, set(sources), weight="weight")
    expected = np.array([ref.get(i, np.inf) for i in range(n)])
    np.testing.assert_allclose(nearest_node_distances(g, sources), expected, atol=1e-6, rtol=0)
    offsets = rng.uniform(0, 50, len(sources)).tolist()
    np.testing.assert_allclose(
        nearest_node_distances(g, sources, offsets),
        _nx_reference(g, sources, offsets),
        atol=1e-6,
        rtol=0,
    )


def test_snap_distance_is_perpendicular() -> None:
    g = line_graph()
    s = snap_points(g, [130.0, -30.0], [40.0, 0.0])
    assert s.edge.tolist() == [1, 0]
    np.testing.assert_allclose(s.t, [0.3, 0.0])
    np.testing.assert_allclose(s.offset, [40.0, 30.0])
