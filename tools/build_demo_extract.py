"""Build ``src/citycheckup/spatial/data/beijing_haidian_cau.osm.pbf`` from the shared OSM export.

Source: ``beijing_haidian_cau.osm`` in ``../shared/data/osm/china/`` (its SOURCES.md: an
unmodified OpenStreetMap API ``map?bbox=`` export committed as ``map.osm`` in GitHub
``CAUmaodu/cauvisitor`` @ 4e853ec; edits up to 2026-03-22). © OpenStreetMap contributors,
ODbL 1.0. The shared file is read here, never copied into the repository.

What the build changes (the derived database is offered under ODbL 1.0, see the README next
to the output):

* **clipped to the export's ``<bounds>``.** The API returns every node of every way that
  touches the box, so roads reach kilometres outside it. Kept: every node inside the bounds;
  each *open* way trimmed to the run of its nodes from the one before its first node inside
  to the one after its last node inside (the segments that cross the edge stay, so a reader
  clipping to the bounds gets the same geometry as from the full export); each *closed* way
  (building, park, campus, compound) that has a node inside, whole — a park's size decides
  its service radius; the member ways of multipolygon relations with a member inside, whole.
  Ways with no node inside are dropped;
* **relations**: multipolygons and administrative boundaries are kept (their member lists as
  exported; members outside the bounds are absent, as in any extract); bus routes, route
  masters, stop areas and other relations are dropped (the check-up does not use them and
  they list hundreds of objects outside the box);
* **metadata**: object ids, versions and timestamps are kept; user names, user ids and
  changeset ids are dropped (not needed, and personal data);
* **format**: OSM XML → PBF (dense nodes, zlib), header bounding box = the export's bounds,
  header ``osmosis_replication_timestamp`` = the latest edit in the data.

Usage::

    .venv/bin/python tools/build_demo_extract.py [--source PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "osm" / "china" / "beijing_haidian_cau.osm"
OUT = ROOT / "src" / "citycheckup" / "spatial" / "data" / "beijing_haidian_cau.osm.pbf"
#: Relations kept (the spatial module reads multipolygons and administrative boundaries).
KEEP_RELATIONS = {"multipolygon", "boundary"}


def _inside(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def trimmed_refs(refs: list[int], inside: set[int]) -> list[int]:
    """The refs an open way keeps: from one before its first node inside to one after its last.

    Returns ``[]`` when no node is inside. A way that leaves and re-enters the bounds keeps
    the part outside in between, so it is never cut into pieces.

    >>> trimmed_refs([1, 2, 3, 4, 5, 6], {3, 4})
    [2, 3, 4, 5]
    >>> trimmed_refs([1, 2, 3], {1})
    [1, 2]
    >>> trimmed_refs([1, 2, 3], set())
    []
    """
    hits = [i for i, r in enumerate(refs) if r in inside]
    if not hits:
        return []
    return refs[max(hits[0] - 1, 0) : min(hits[-1] + 2, len(refs))]


def build(source: Path, out: Path) -> dict[str, int | str]:
    """Clip ``source`` to its bounds and write ``out`` as PBF; returns counts for the log."""
    import osmium

    reader = osmium.io.Reader(str(source), osmium.osm.osm_entity_bits.NOTHING)
    b = reader.header().box()
    reader.close()
    if not b.valid():
        raise SystemExit(f"{source}: the export has no <bounds>; nothing to clip to")
    box = (b.bottom_left.lon, b.bottom_left.lat, b.top_right.lon, b.top_right.lat)

    Meta = dict[str, Any]
    nodes: dict[int, tuple[float, float, Meta]] = {}
    ways: dict[int, tuple[list[int], Meta]] = {}
    relations: dict[int, tuple[list[tuple[str, int, str]], Meta]] = {}
    newest = dt.datetime.min.replace(tzinfo=dt.UTC)
    o: Any
    for o in osmium.FileProcessor(str(source)):
        newest = max(newest, o.timestamp)
        # plain copies (the reader's objects die with the iteration); no user, uid or changeset
        meta: Meta = {
            "id": o.id, "version": o.version, "timestamp": o.timestamp,
            "tags": [(t.k, t.v) for t in o.tags],
        }  # fmt: skip
        if o.is_node():
            nodes[o.id] = (o.location.lon, o.location.lat, meta)
        elif o.is_way():
            ways[o.id] = ([n.ref for n in o.nodes], meta)
        elif o.is_relation() and o.tags.get("type") in KEEP_RELATIONS:
            relations[o.id] = ([(m.type, m.ref, m.role) for m in o.members], meta)

    inside = {i for i, (lon, lat, _) in nodes.items() if _inside(lon, lat, box)}
    keep_ways: dict[int, list[int]] = {}
    for wid, (refs, _) in ways.items():
        closed = len(refs) >= 4 and refs[0] == refs[-1]
        if closed and inside.intersection(refs):
            keep_ways[wid] = refs
        elif not closed and (part := trimmed_refs(refs, inside)):
            keep_ways[wid] = part
    keep_rel: list[int] = []
    for rid, (members, meta) in relations.items():
        if not any(
            (t == "w" and r in keep_ways) or (t == "n" and r in inside) for t, r, _ in members
        ):
            continue
        keep_rel.append(rid)
        if ("type", "multipolygon") in meta["tags"]:  # type: ignore[operator]  # complete its rings
            for t, r, _ in members:
                if t == "w" and r in ways:
                    keep_ways[r] = ways[r][0]
    needed = set(inside)
    for refs in keep_ways.values():
        needed.update(r for r in refs if r in nodes)

    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(box[0], box[1], box[2], box[3]))
    header.set("generator", "citycheckup tools/build_demo_extract.py (pyosmium)")
    header.set("osmosis_replication_timestamp", newest.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    target = osmium.io.File(str(tmp), "pbf,add_metadata=version+timestamp")
    writer = osmium.SimpleWriter(target, header=header, overwrite=True)
    try:
        for i in sorted(needed):
            lon, lat, meta = nodes[i]
            writer.add_node(osmium.osm.mutable.Node(location=(lon, lat), **meta))
        for i in sorted(keep_ways):
            writer.add_way(osmium.osm.mutable.Way(nodes=keep_ways[i], **ways[i][1]))
        for i in sorted(keep_rel):
            writer.add_relation(
                osmium.osm.mutable.Relation(members=relations[i][0], **relations[i][1])
            )
    finally:
        writer.close()
    tmp.replace(out)
    return {
        "bounds": ",".join(f"{v:.7f}" for v in box),
        "newest edit": newest.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nodes": f"{len(needed)} of {len(nodes)}",
        "ways": f"{len(keep_ways)} of {len(ways)}",
        "relations": f"{len(keep_rel)} kept (multipolygon/boundary with a member inside)",
        "bytes": f"{out.stat().st_size:,} (source {source.stat().st_size:,})",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if not args.source.is_file():
        raise SystemExit(f"source not found: {args.source} (see ../shared/data/osm/SOURCES.md)")
    for k, v in build(args.source, args.out).items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
