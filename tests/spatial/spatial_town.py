"""A synthetic OSM XML town with known geometry (imported by the spatial tests)."""

from __future__ import annotations

LON0, LAT0 = 116.35, 40.0
DLON, DLAT = 0.001172, 0.0009  # ≈ 100 m at 40° N


def _node(i: int, lon: float, lat: float, tags: dict[str, str] | None = None) -> str:
    t = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in (tags or {}).items())
    return f'<node id="{i}" lat="{lat:.7f}" lon="{lon:.7f}">{t}</node>'


def _way(i: int, refs: list[int], tags: dict[str, str]) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    t = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'<way id="{i}">{nds}{t}</way>'


def town_xml(*, walkable: bool = True, facilities: bool = True, admin: bool = False) -> str:
    """A 5×5 street grid (100 m spacing) with homes, shops, a park and a bus stop."""
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="test">',
        f'<bounds minlat="{LAT0 - DLAT / 2:.7f}" minlon="{LON0 - DLON / 2:.7f}" '
        f'maxlat="{LAT0 + 4.5 * DLAT:.7f}" maxlon="{LON0 + 4.5 * DLON:.7f}"/>',
    ]
    grid = {}
    nid = 1
    for r in range(5):
        for c in range(5):
            grid[r, c] = nid
            parts.append(_node(nid, LON0 + c * DLON, LAT0 + r * DLAT))
            nid += 1
    wid = 1000
    street = "residential" if walkable else "motorway"
    for r in range(5):
        parts.append(
            _way(wid, [grid[r, c] for c in range(5)], {"highway": street, "name": f"Row {r}"})
        )
        wid += 1
    for c in range(5):
        tags = {"highway": "footway"} if walkable else {"highway": "motorway", "oneway": "yes"}
        parts.append(_way(wid, [grid[r, c] for r in range(5)], tags))
        wid += 1

    # square polygons: (row, col) centre offsets in units of 100 m, half-size in m
    def square(cx: float, cy: float, half: float, tags: dict[str, str]) -> None:
        nonlocal nid, wid
        hx, hy = half / 100 * DLON, half / 100 * DLAT
        ids = []
        for dx, dy in ((-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)):
            parts.append(_node(nid, LON0 + cx * DLON + dx, LAT0 + cy * DLAT + dy))
            ids.append(nid)
            nid += 1
        parts.append(_way(wid, [*ids, ids[0]], tags))
        wid += 1

    # homes 30 m north of a street, 50 m from the nearest footway: no snapping ties
    for cx, cy in ((0.5, 0.3), (3.5, 0.3), (0.5, 3.3), (3.5, 3.3), (1.5, 2.3)):
        square(cx, cy, 20, {"building": "apartments", "building:levels": "6"})
    if facilities:
        square(2.5, 2.5, 40, {"leisure": "park", "name": "Central park"})
        parts.append(_node(nid, LON0 + 2 * DLON, LAT0 + 2 * DLAT, {"amenity": "kindergarten"}))
        parts.append(_node(nid + 1, LON0 + 0.5 * DLON, LAT0 + 0.1 * DLAT, {"shop": "convenience"}))
        parts.append(_node(nid + 2, LON0 + 4 * DLON, LAT0 + 4 * DLAT, {"leisure": "playground"}))
        parts.append(_node(nid + 3, LON0 + 1 * DLON, LAT0 + 2.05 * DLAT, {"highway": "bus_stop"}))
        parts.append(_node(nid + 4, LON0 + 3 * DLON, LAT0 + 0.5 * DLAT, {"amenity": "school"}))
    if admin:
        # two admin_level=8 districts, west and east of x = 200 m, each from two open member ways
        for name, c0, c1 in (("West", -0.5, 2.0), ("East", 2.0, 4.5)):
            corners = []
            for cx, cy in ((c0, -0.5), (c1, -0.5), (c1, 4.5), (c0, 4.5)):
                parts.append(_node(nid, LON0 + cx * DLON, LAT0 + cy * DLAT))
                corners.append(nid)
                nid += 1
            parts.append(_way(wid, corners[:3], {}))
            parts.append(_way(wid + 1, [corners[2], corners[3], corners[0]], {}))
            parts.append(
                f'<relation id="{wid + 2}"><member type="way" ref="{wid}" role="outer"/>'
                f'<member type="way" ref="{wid + 1}" role="outer"/><tag k="type" v="boundary"/>'
                f'<tag k="boundary" v="administrative"/><tag k="admin_level" v="8"/>'
                f'<tag k="name" v="{name}"/></relation>'
            )
            wid += 3
    parts.append("</osm>")
    return "\n".join(parts)
