"""Walk-network graph core: arrays, de-duplicated CSR, edge snapping, multi-source Dijkstra.

The graph is kept as plain numpy arrays in a projected metric CRS. Every distance
query is one ``scipy.sparse.csgraph.dijkstra`` run per facility category, never one
run per home.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components, dijkstra

from citycheckup.errors import Problem, SpatialError

__all__ = [
    "Snap",
    "WalkGraph",
    "along_network_distances",
    "destination_sources",
    "nearest_node_distances",
    "origin_distances",
    "snap_points",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """An undirected walk network with one edge per node pair.

    Build it with :meth:`from_edges`, which collapses parallel and reversed edges to
    the minimum length. Node coordinates are in metres (a projected CRS).

    Attributes
    ----------
    x, y
        Node coordinates in metres.
    u, v
        Edge end nodes (``u < v``), positions into ``x``/``y``.
    length
        Edge lengths in metres.
    node_ids
        Original node identifiers (OSM ids), aligned with ``x``.
    """

    x: FloatArray
    y: FloatArray
    u: IntArray
    v: IntArray
    length: FloatArray
    node_ids: IntArray = field(repr=False)

    @classmethod
    def from_edges(
        cls,
        x: ArrayLike,
        y: ArrayLike,
        u: ArrayLike,
        v: ArrayLike,
        length: ArrayLike | None = None,
        *,
        node_ids: ArrayLike | None = None,
    ) -> WalkGraph:
        """Build a graph from (possibly duplicated, directed, parallel) edges.

        Parameters
        ----------
        x, y
            Node coordinates in metres.
        u, v
            Edge end nodes as positions into ``x``/``y``; direction and repetition
            do not matter.
        length
            Edge lengths in metres; the straight-line length when omitted.
        node_ids
            Identifiers of the nodes (default ``0 … n-1``).

        Returns
        -------
        WalkGraph
            The graph with self-loops dropped and one edge per node pair, at the
            minimum length among its duplicates.

        Notes
        -----
        ``scipy.sparse.coo_matrix(...).tocsr()`` *sums* duplicate entries; a graph
        with both directions and parallel ways would get edges of twice (or more)
        their length. Duplicates are therefore collapsed to their minimum here,
        before any sparse matrix is built.
        """
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        ua = np.asarray(u, dtype=np.int64)
        va = np.asarray(v, dtype=np.int64)
        n = xa.shape[0]
        problems = []
        if ya.shape != xa.shape:
            problems.append(Problem(f"x has {xa.shape[0]} values but y has {ya.shape[0]}", "nodes"))
        if ua.shape != va.shape:
            problems.append(Problem(f"u has {ua.shape[0]} values but v has {va.shape[0]}", "edges"))
        if ua.size and (min(ua.min(), va.min()) < 0 or max(ua.max(), va.max()) >= n):
            problems.append(Problem(f"edge end nodes must lie in 0…{n - 1}", "edges"))
        if length is None:
            la = np.hypot(xa[ua] - xa[va], ya[ua] - ya[va]) if not problems else np.empty(0)
        else:
            la = np.asarray(length, dtype=np.float64)
            if la.shape != ua.shape:
                problems.append(
                    Problem(f"length has {la.shape[0]} values for {ua.shape[0]} edges", "edges")
                )
            elif la.size and (not np.all(np.isfinite(la)) or la.min() < 0):
                problems.append(Problem("edge lengths must be finite and non-negative", "edges"))
        if problems:
            raise SpatialError("cannot build the walk graph", problems=problems)
        keep = ua != va
        a = np.minimum(ua[keep], va[keep])
        b = np.maximum(ua[keep], va[keep])
        w = la[keep]
        if a.size:
            order = np.lexsort((w, b, a))
            a, b, w = a[order], b[order], w[order]
            first = np.ones(a.size, dtype=bool)
            first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
            a, b, w = a[first], b[first], w[first]
        ids = (
            np.arange(n, dtype=np.int64)
            if node_ids is None
            else np.asarray(node_ids, dtype=np.int64)
        )
        return cls(x=xa, y=ya, u=a, v=b, length=w, node_ids=ids)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.u.shape[0])

    @cached_property
    def csr(self) -> sp.csr_array:
        """Symmetric adjacency matrix (both directions stored explicitly, no duplicates)."""
        return _symmetric_csr(self.u, self.v, self.length, self.n_nodes)

    @cached_property
    def component(self) -> IntArray:
        """Connected-component label of every node (0 is the largest component)."""
        if self.n_nodes == 0:
            return np.zeros(0, dtype=np.int64)
        _, labels = connected_components(self.csr, directed=False)
        sizes = np.bincount(labels)
        rank = np.empty_like(sizes)
        rank[np.argsort(-sizes, kind="stable")] = np.arange(sizes.size)
        return rank[labels].astype(np.int64)

    @cached_property
    def main_nodes(self) -> IntArray:
        """Positions of the nodes of the main (largest) connected component."""
        return np.flatnonzero(self.component == 0) if self.n_nodes else np.zeros(0, np.int64)

    @cached_property
    def main_points(self) -> NDArray[np.object_]:
        """The main component's nodes as shapely Points, aligned with :attr:`main_nodes`.

        Made once per graph: every facility category's area facilities are entered at them.
        """
        m = self.main_nodes
        return shapely.points(self.x[m], self.y[m])

    @cached_property
    def edge_lines(self) -> NDArray[np.object_]:
        """Edges as shapely LineStrings (for snapping)."""
        coords = np.stack(
            [
                np.column_stack([self.x[self.u], self.y[self.u]]),
                np.column_stack([self.x[self.v], self.y[self.v]]),
            ],
            axis=1,
        )
        return shapely.linestrings(coords)

    @cached_property
    def _edge_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.edge_lines)

    @cached_property
    def main_edges(self) -> IntArray:
        """Indices of the edges in the largest connected component."""
        if self.n_edges == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.component[self.u] == 0).astype(np.int64)

    @cached_property
    def _main_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.edge_lines[self.main_edges])


def _symmetric_csr(u: IntArray, v: IntArray, w: FloatArray, n: int) -> sp.csr_array:
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    data = np.concatenate([w, w])
    # (u, v) pairs are unique, so no entries are summed; explicit zero lengths stay edges.
    return sp.csr_array((data, (rows, cols)), shape=(n, n))


@dataclass(frozen=True)
class Snap:
    """Points snapped onto the main connected component of a :class:`WalkGraph`.

    Each point is projected onto the nearest point of its nearest edge and of every
    other edge within ``slack_m`` of that one (the *candidates*); network distances
    take the best candidate. Edges of disconnected fragments are never used: a point
    nearer to a fragment is attached to the main network instead, its straight-line
    walk to the network included in the offset.

    Attributes
    ----------
    edge
        Nearest main-component edge per point (-1 where the point was not snapped).
    t
        Position along that edge as a fraction 0…1 from ``u`` to ``v``.
    offset
        Straight-line distance from the point to that edge, metres (NaN if not snapped).
    snapped
        Whether the point lies within ``max_snap_m`` of the main network.
    on_fragment
        Whether the point's nearest edge of all belongs to a disconnected fragment.
    cand_point, cand_edge, cand_t, cand_offset
        Every candidate projection: the point it belongs to, its edge, position and offset.
    """

    edge: IntArray
    t: FloatArray
    offset: FloatArray
    snapped: NDArray[np.bool_]
    on_fragment: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    cand_point: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    cand_edge: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    cand_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    cand_offset: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_unsnapped(self) -> int:
        """Number of points farther than the maximum snap distance."""
        return int((~self.snapped).sum())

    def candidates(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """``(point, edge, t, offset)`` of every candidate (the nearest edge when none were kept)."""
        if self.cand_point.size:
            return self.cand_point, self.cand_edge, self.cand_t, self.cand_offset
        ok = np.flatnonzero(self.snapped)
        return ok, self.edge[ok], self.t[ok], self.offset[ok]


def _project(lines: NDArray[np.object_], pts: NDArray[np.object_]) -> FloatArray:
    seg_len = shapely.length(lines)
    along = shapely.line_locate_point(lines, pts)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seg_len > 0, along / seg_len, 0.0)
    return np.clip(frac, 0.0, 1.0)


def snap_points(
    graph: WalkGraph,
    x: ArrayLike,
    y: ArrayLike,
    *,
    max_snap_m: float = 100.0,
    slack_m: float = 25.0,
) -> Snap:
    """Snap points onto the main connected component of the graph.

    Parameters
    ----------
    graph
        The walk network.
    x, y
        Point coordinates in the graph's CRS (metres).
    max_snap_m
        Points farther than this from every main-component edge are not snapped
        (``snapped`` is False); callers report them instead of using them.
    slack_m
        Besides the nearest edge, every main-component edge at most this much
        farther away is kept as a candidate, so that a home between two streets
        can leave by either (the shorter network route wins).

    Returns
    -------
    Snap
        Nearest edge, fractional position and offset of every point, and all candidates.

    Notes
    -----
    Snapping to the nearest *edge* (not node) and keeping the offset avoids the
    spurious zero distances of node snapping (pandana issue #170). Snapping only
    onto the main component keeps homes next to a disconnected footway (a common
    OSM gap) from being reported as cut off: they walk straight to the main network.
    """
    px = np.asarray(x, dtype=np.float64)
    py = np.asarray(y, dtype=np.float64)
    n = px.shape[0]
    edge = np.full(n, -1, dtype=np.int64)
    t = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    frag = np.zeros(n, dtype=bool)
    main = graph.main_edges
    if n == 0 or main.size == 0:
        return Snap(edge, t, offset, np.zeros(n, dtype=bool), frag)
    pts = shapely.points(px, py)
    tree = graph._main_tree
    (src, dst), dist = tree.query_nearest(
        pts, max_distance=max_snap_m, return_distance=True, all_matches=False
    )
    src, first = np.unique(src, return_index=True)
    dst, dist = main[dst[first]], dist[first]
    edge[src] = dst
    offset[src] = dist
    t[src] = _project(graph.edge_lines[dst], pts[src])
    snapped = edge >= 0
    if graph.n_edges > main.size:
        (fs, fd), fdist = graph._edge_tree.query_nearest(
            pts[src], return_distance=True, all_matches=False
        )
        _, ff = np.unique(fs, return_index=True)
        nearest_all = fd[ff]
        frag[src] = (graph.component[graph.u[nearest_all]] != 0) & (fdist[ff] < dist - 1e-9)
    # candidates: every main edge within slack of the nearest one
    ci, cj = tree.query(pts[src], predicate="dwithin", distance=dist + slack_m)
    cand_point = src[ci]
    cand_edge = main[cj]
    lines = graph.edge_lines[cand_edge]
    cpts = pts[cand_point]
    cand_offset = shapely.distance(lines, cpts)
    cand_t = _project(lines, cpts)
    return Snap(edge, t, offset, snapped, frag, cand_point.astype(np.int64), cand_edge.astype(np.int64),
                cand_t, cand_offset)  # fmt: skip


def nearest_node_distances(
    graph: WalkGraph,
    sources: ArrayLike,
    source_offsets: ArrayLike | None = None,
    *,
    limit: float = np.inf,
) -> FloatArray:
    """Network distance from every node to its nearest source.

    Parameters
    ----------
    graph
        The walk network.
    sources
        Source node positions (repeats allowed).
    source_offsets
        Distance already travelled at each source (e.g. a facility's snap offset);
        all zero when omitted.
    limit
        Stop searching beyond this distance; nodes farther away get ``inf``.

    Returns
    -------
    numpy.ndarray
        Distance in metres per node; ``inf`` when unreachable or beyond ``limit``.

    Notes
    -----
    With zero offsets this is one multi-source Dijkstra run
    (``dijkstra(indices=sources, min_only=True, limit=limit)``). With offsets, a
    virtual super-source joined to each source by an edge of its offset gives the
    same result in one single-source run.
    """
    src = np.asarray(sources, dtype=np.int64).ravel()
    n = graph.n_nodes
    if src.size == 0 or n == 0:
        return np.full(n, np.inf)
    if source_offsets is None or not np.any(np.asarray(source_offsets) != 0):
        d = dijkstra(graph.csr, directed=True, indices=np.unique(src), min_only=True, limit=limit)
        return np.asarray(d, dtype=np.float64)
    off = np.asarray(source_offsets, dtype=np.float64).ravel()
    if off.shape != src.shape:
        raise SpatialError(f"{off.size} source offsets for {src.size} sources")
    # Minimum offset per source node: the super-source edges must be unique too.
    frame = pd.DataFrame({"s": src, "o": off}).groupby("s", sort=True)["o"].min()
    s_nodes = frame.index.to_numpy(np.int64)
    s_off = frame.to_numpy(np.float64)
    super_idx = n
    rows = np.concatenate([np.r_[graph.u, graph.v], np.full(s_nodes.size, super_idx)])
    cols = np.concatenate([np.r_[graph.v, graph.u], s_nodes])
    data = np.concatenate([np.r_[graph.length, graph.length], s_off])
    a = sp.csr_array((data, (rows, cols)), shape=(n + 1, n + 1))
    d = dijkstra(a, directed=True, indices=super_idx, limit=limit)
    return np.asarray(d[:n], dtype=np.float64)


def _snap_sources(graph: WalkGraph, snap: Snap) -> tuple[IntArray, FloatArray]:
    _, e, t, off = snap.candidates()
    length = graph.length[e]
    nodes = np.concatenate([graph.u[e], graph.v[e]])
    offsets = np.concatenate([off + t * length, off + (1.0 - t) * length])
    return nodes, offsets


def along_network_distances(
    graph: WalkGraph,
    origins: Snap,
    destinations: Snap,
    *,
    node_sources: ArrayLike | None = None,
    node_offsets: ArrayLike | None = None,
    limit: float = np.inf,
) -> FloatArray:
    """Network distance from each snapped origin to its nearest snapped destination.

    Parameters
    ----------
    graph
        The walk network.
    origins
        Snapped origins (homes).
    destinations
        Snapped destinations (facilities of one category).
    node_sources, node_offsets
        Further destinations given as graph nodes with the distance already
        travelled to reach them (e.g. park entrances).
    limit
        Distances above ``limit`` are returned as ``inf``.

    Returns
    -------
    numpy.ndarray
        Distance in metres per origin, including both snap offsets; ``inf`` when
        no destination is reachable within ``limit``, ``nan`` for origins that were
        not snapped.

    Notes
    -----
    For each candidate projection ``(u, v, L, t, off)`` of an origin,
    ``d = off + min(D[u] + t·L, D[v] + (1 − t)·L)`` where ``D`` is the multi-source
    distance from all destinations (their offsets and positions along their edges
    included); the origin takes its best candidate. When an origin and a
    destination share an edge, the direct path along the edge,
    ``off_o + off_d + |t_o − t_d|·L``, is also considered.
    """
    if not origins.snapped.any():
        return np.full(origins.edge.shape[0], np.nan)
    nodes, offsets = destination_sources(graph, destinations, node_sources, node_offsets)
    d = nearest_node_distances(graph, nodes, offsets, limit=limit) if nodes.size else None
    return origin_distances(graph, origins, destinations, d, limit=limit)


def destination_sources(
    graph: WalkGraph,
    destinations: Snap,
    node_sources: ArrayLike | None = None,
    node_offsets: ArrayLike | None = None,
) -> tuple[IntArray, FloatArray]:
    """The source nodes of a destination set and the distance already travelled at each.

    Both ends of every snapped destination's edge (offset: the snap distance plus the walk
    along the edge), then ``node_sources`` with ``node_offsets`` (zero when omitted). These
    are the ``sources`` and ``source_offsets`` of :func:`nearest_node_distances` for
    :func:`origin_distances`.
    """
    nodes, offsets = _snap_sources(graph, destinations)
    if node_sources is not None:
        extra = np.asarray(node_sources, dtype=np.int64).ravel()
        extra_off = (
            np.zeros(extra.size)
            if node_offsets is None
            else np.asarray(node_offsets, np.float64).ravel()
        )
        nodes = np.concatenate([nodes, extra])
        offsets = np.concatenate([offsets, extra_off])
    return nodes, offsets


def origin_distances(
    graph: WalkGraph,
    origins: Snap,
    destinations: Snap,
    node_distance: FloatArray | None,
    *,
    limit: float = np.inf,
) -> FloatArray:
    """Distance per snapped origin, given the network distance of every node to the destinations.

    ``node_distance`` is :func:`nearest_node_distances` of :func:`destination_sources`
    (``None`` when there are no sources: every snapped origin gets ``inf``); the formula is
    in :func:`along_network_distances`.
    """
    n_o = origins.edge.shape[0]
    out = np.full(n_o, np.nan)
    ok = origins.snapped
    if not ok.any():
        return out
    out[ok] = np.inf
    if node_distance is None:
        return out
    d = node_distance
    pt, e, t, off = origins.candidates()
    length = graph.length[e]
    via = np.minimum(d[graph.u[e]] + t * length, d[graph.v[e]] + (1.0 - t) * length) + off
    # Same-edge shortcut (the path that never reaches an end node).
    _, de_e, de_t, de_off = destinations.candidates()
    de = pd.DataFrame({"edge": de_e, "t_d": de_t, "off_d": de_off})
    oe = pd.DataFrame({"edge": e, "t_o": t, "off_o": off, "i": np.arange(e.size)})
    both = oe.merge(de, on="edge", how="inner")
    if len(both):
        direct = (
            both["off_o"].to_numpy()
            + both["off_d"].to_numpy()
            + np.abs(both["t_o"].to_numpy() - both["t_d"].to_numpy())
            * graph.length[both["edge"].to_numpy()]
        )
        best = pd.Series(direct).groupby(both["i"].to_numpy()).min()
        idx = best.index.to_numpy()
        via[idx] = np.minimum(via[idx], best.to_numpy())
    per_point = np.full(n_o, np.inf)
    np.minimum.at(per_point, pt, via)
    per_point[per_point > limit] = np.inf
    out[ok] = per_point[ok]
    return out
