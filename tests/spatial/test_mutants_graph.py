"""A source node listed twice keeps its *smaller* offset (issue 18).

Path graph 0 -(100 m)- 1 -(100 m)- 2. Node 0 is a source twice, with offsets 10 m and 50 m
(two facilities snapping to the same node). The nearest facility is 10 m away from node 0,
so distances are 10, 110, 210 m (with the larger offset they would be 50, 150, 250 m).
"""

from __future__ import annotations

import numpy as np

from citycheckup.spatial._graph import WalkGraph, nearest_node_distances


def _path() -> WalkGraph:
    return WalkGraph.from_edges([0.0, 100.0, 200.0], [0.0, 0.0, 0.0], [0, 1], [1, 2])


def test_duplicate_source_keeps_the_smaller_offset() -> None:
    d = nearest_node_distances(_path(), [0, 0], [10.0, 50.0])
    np.testing.assert_allclose(d, [10.0, 110.0, 210.0])
    # order of the duplicates does not matter
    d = nearest_node_distances(_path(), [0, 0], [50.0, 10.0])
    np.testing.assert_allclose(d, [10.0, 110.0, 210.0])


def test_duplicate_source_against_another_source() -> None:
    # node 0 twice (offsets 30, 5) and node 2 once (offset 20):
    # node 0: min(5, 20 + 200) = 5; node 1: min(5 + 100, 20 + 100) = 105; node 2: min(205, 20) = 20
    d = nearest_node_distances(_path(), [0, 2, 0], [30.0, 20.0, 5.0])
    np.testing.assert_allclose(d, [5.0, 105.0, 20.0])
