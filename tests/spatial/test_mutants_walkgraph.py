"""Walk-graph details: input errors, components, fragments, snap candidates (issue 18).

Small synthetic graphs built in the tests; each distance is a sum of straight pieces,
derived in the docstrings.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from citycheckup.errors import SpatialError
from citycheckup.spatial._graph import (
    Snap,
    WalkGraph,
    _project,
    along_network_distances,
    nearest_node_distances,
    snap_points,
)


def _line() -> WalkGraph:
    # 0 —100— 1 —100— 2 along the x axis
    return WalkGraph.from_edges([0.0, 100.0, 200.0], [0.0, 0.0, 0.0], [0, 1], [1, 2])


def test_every_input_problem_is_listed() -> None:
    with pytest.raises(SpatialError, match="cannot build the walk graph") as err:
        WalkGraph.from_edges([0.0, 1.0], [0.0], [0, 5], [1])
    assert [str(p) for p in err.value.problems] == [
        "nodes: x has 2 values but y has 1",
        "edges: u has 2 values but v has 1",
        "edges: edge end nodes must lie in 0…1",
    ]
    with pytest.raises(SpatialError) as err:
        WalkGraph.from_edges([0.0, 1.0], [0.0, 0.0], [0, 2], [1, 1])
    assert [str(p) for p in err.value.problems] == ["edges: edge end nodes must lie in 0…1"]
    with pytest.raises(SpatialError) as err:
        WalkGraph.from_edges([0.0, 1.0], [0.0, 0.0], [-1], [1])
    assert [str(p) for p in err.value.problems] == ["edges: edge end nodes must lie in 0…1"]
    with pytest.raises(SpatialError) as err:
        WalkGraph.from_edges([0.0, 1.0], [0.0, 0.0], [0], [1], [1.0, 2.0])
    assert [str(p) for p in err.value.problems] == ["edges: length has 2 values for 1 edges"]
    for bad in (-0.5, np.inf, np.nan):
        with pytest.raises(SpatialError) as err:
            WalkGraph.from_edges([0.0, 1.0], [0.0, 0.0], [0], [1], [bad])
        assert [str(p) for p in err.value.problems] == [
            "edges: edge lengths must be finite and non-negative"
        ]
    # at the bounds: node n − 1 and length 0 are fine
    g = WalkGraph.from_edges([0.0, 1.0], [0.0, 0.0], [0], [1], [0.0])
    assert g.n_edges == 1 and g.length.tolist() == [0.0]


def test_straight_line_lengths_and_node_ids() -> None:
    """Without lengths each edge is as long as the straight line: (0,0)–(3,4) = 5 m."""
    g = WalkGraph.from_edges([0.0, 3.0], [0.0, 4.0], [1], [0], node_ids=[10, 20])
    assert g.u.tolist() == [0] and g.v.tolist() == [1]
    assert g.length.tolist() == [5.0]
    assert g.node_ids.tolist() == [10, 20]
    assert WalkGraph.from_edges([0.0, 3.0], [0.0, 4.0], [0], [1]).node_ids.tolist() == [0, 1]
    empty = WalkGraph.from_edges([], [], [], [])
    assert empty.n_nodes == 0 and empty.n_edges == 0
    assert empty.component.size == 0 and empty.main_edges.size == 0


def test_components_ranked_by_size() -> None:
    """Nodes 0–1 (2 nodes), 2–3–4 (3 nodes), 5 alone: the largest (2, 3, 4) is 0, then the pair
    1, the single node 2. Main edges are those of component 0."""
    g = WalkGraph.from_edges(np.arange(6.0), np.zeros(6), [0, 2, 3], [1, 3, 4])
    assert g.component.tolist() == [1, 1, 0, 0, 0, 2]
    assert g.main_edges.tolist() == [1, 2]
    # equal sizes: the first found (lowest node) is the main one
    g = WalkGraph.from_edges(np.arange(4.0), np.zeros(4), [0, 2], [1, 3])
    assert g.component.tolist() == [0, 0, 1, 1]


def test_project_clips_and_handles_zero_length() -> None:
    g = WalkGraph.from_edges([0.0, 100.0, 100.0], [0.0, 0.0, 0.0], [0, 1], [1, 2], [100.0, 0.0])
    pts = shapely.points([(-10.0, 5.0), (25.0, 5.0), (150.0, 0.0)])
    t = _project(g.edge_lines[[0, 0, 0]], pts)
    np.testing.assert_allclose(t, [0.0, 0.25, 1.0])
    assert _project(g.edge_lines[[1]], pts[:1]).tolist() == [0.0]


def test_snap_with_no_points_or_no_edges() -> None:
    s = snap_points(_line(), [], [])
    assert s.edge.size == 0 and s.n_unsnapped == 0
    lone = WalkGraph.from_edges([0.0], [0.0], [], [])
    s = snap_points(lone, [1.0], [1.0])
    assert s.edge.tolist() == [-1] and s.n_unsnapped == 1 and np.isnan(s.offset[0])


def test_fragment_flag_and_snap_to_the_main_network() -> None:
    """Main street 0–1–2 (200 m); a 10 m fragment 3–4 at y = 50. A home at (50, 45) is 5 m from
    the fragment but 45 m from the main street: it is snapped to the main street (offset 45)
    and flagged as on a fragment; a home at (50, −5) is not."""
    g = WalkGraph.from_edges(
        [0.0, 100.0, 200.0, 45.0, 55.0], [0.0, 0.0, 0.0, 50.0, 50.0], [0, 1, 3], [1, 2, 4]
    )
    s = snap_points(g, [50.0, 50.0], [45.0, -5.0])
    assert s.edge.tolist() == [0, 0]
    np.testing.assert_allclose(s.offset, [45.0, 5.0])
    assert s.on_fragment.tolist() == [True, False]
    # a home as far from the fragment as from the main street is not on the fragment
    s = snap_points(g, [50.0], [25.0])
    assert s.on_fragment.tolist() == [False]


def test_snap_candidates_within_slack() -> None:
    """An L-shaped street: 0 (0,0) – 1 (100,0) – 2 (100,100). A point at (90, 20) is 10 m from
    edge 1–2 and 20 m from edge 0–1: with a slack of 10 m both are candidates, with 9 m only
    the nearest."""
    g = WalkGraph.from_edges([0.0, 100.0, 100.0], [0.0, 0.0, 100.0], [0, 1], [1, 2])
    s = snap_points(g, [90.0], [20.0], slack_m=10.0)
    assert s.edge.tolist() == [1]
    assert sorted(s.cand_edge.tolist()) == [0, 1]
    np.testing.assert_allclose(sorted(s.cand_offset.tolist()), [10.0, 20.0])
    s = snap_points(g, [90.0], [20.0], slack_m=9.0)
    assert s.cand_edge.tolist() == [1]
    np.testing.assert_allclose(s.cand_t, [0.2])


def test_max_snap_distance_is_inclusive() -> None:
    s = snap_points(_line(), [50.0, 50.0], [100.0, 100.001], max_snap_m=100.0)
    assert s.snapped.tolist() == [True, False]


def test_candidates_fall_back_to_the_nearest_edge() -> None:
    s = Snap(
        edge=np.array([1, -1]), t=np.array([0.5, np.nan]), offset=np.array([3.0, np.nan]),
        snapped=np.array([True, False]),
    )  # fmt: skip
    p, e, t, off = s.candidates()
    assert p.tolist() == [0] and e.tolist() == [1] and t.tolist() == [0.5] and off.tolist() == [3.0]


def test_offsets_must_match_sources() -> None:
    with pytest.raises(SpatialError, match="2 source offsets for 3 sources"):
        nearest_node_distances(_line(), [0, 1, 2], [1.0, 2.0])
    # all-zero offsets are the plain multi-source run
    np.testing.assert_allclose(nearest_node_distances(_line(), [2], [0.0]), [200.0, 100.0, 0.0])
    assert np.isinf(nearest_node_distances(_line(), [])).all()


def test_limit_applies_to_offsets_too() -> None:
    """Source node 0 with offset 30: nodes at 30, 130, 230 m; a limit of 130 keeps the first
    two (inclusive) and gives inf for the third."""
    d = nearest_node_distances(_line(), [0], [30.0], limit=130.0)
    assert d[0] == 30.0 and d[1] == 130.0 and np.isinf(d[2])


def test_node_sources_without_offsets_and_limit_on_origins() -> None:
    """A facility entered at node 2 with no offset; home at (20, 5): 5 + 180 = 185 m.
    With a limit of 184 m: inf; 185: 185."""
    g = _line()
    homes = snap_points(g, [20.0], [5.0])
    nothing = snap_points(g, [], [])
    d = along_network_distances(g, homes, nothing, node_sources=[2])
    assert d.tolist() == [185.0]
    assert np.isinf(along_network_distances(g, homes, nothing, node_sources=[2], limit=184.0)[0])
    assert along_network_distances(g, homes, nothing, node_sources=[2], limit=185.0)[0] == 185.0
    d = along_network_distances(g, homes, nothing, node_sources=[2], node_offsets=[7.0])
    assert d.tolist() == [192.0]
    assert np.isinf(along_network_distances(g, homes, nothing)[0])


def test_same_edge_takes_the_better_of_direct_and_around() -> None:
    """Home and shop on the same edge: the direct way along the edge 3 + |0.2 − 0.6| × 100 + 4
    = 47 m beats going round by a node. A second home on edge 1–2 at (180, 2) reaches the
    shop via node 1: 2 + 80 + 40 + 4 = 126 m."""
    g = _line()
    homes = snap_points(g, [20.0, 180.0], [3.0, 2.0])
    shops = snap_points(g, [60.0], [-4.0])
    np.testing.assert_allclose(along_network_distances(g, homes, shops), [47.0, 126.0])
