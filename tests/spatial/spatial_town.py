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


def osm_xml(
    *,
    bounds: tuple[tuple[float, float], tuple[float, float]],
    nodes: dict[int, tuple[float, float]],
    ways: list[tuple[list[int], dict[str, str]]],
    points: list[tuple[tuple[float, float], dict[str, str]]] = (),  # type: ignore[assignment]
    polygons: list[tuple[list[tuple[float, float]], dict[str, str]]] = (),  # type: ignore[assignment]
    relations: list[str] = (),  # type: ignore[assignment]
) -> str:
    """A small OSM XML document from (lon, lat) nodes, ways, tagged points and closed polygons."""
    (x0, y0), (x1, y1) = bounds
    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="test">',
        f'<bounds minlat="{y0:.7f}" minlon="{x0:.7f}" maxlat="{y1:.7f}" maxlon="{x1:.7f}"/>',
    ]
    for i, (lon, lat) in nodes.items():
        parts.append(_node(i, lon, lat))
    nid = max(nodes, default=0) + 1000
    wid = 5000
    for refs, tags in ways:
        parts.append(_way(wid, refs, tags))
        wid += 1
    for (lon, lat), tags in points:
        parts.append(_node(nid, lon, lat, tags))
        nid += 1
    for ring, tags in polygons:
        ids = []
        for lon, lat in ring:
            parts.append(_node(nid, lon, lat))
            ids.append(nid)
            nid += 1
        parts.append(_way(wid, [*ids, ids[0]], tags))
        wid += 1
    parts += list(relations)
    parts.append("</osm>")
    return "\n".join(parts)


# One facility per category of the GB 50180 mapping, tagged as a mapper would tag it
# (written by hand from the OSM wiki, not generated from facilities.yaml, so that the test
# checks the mapping instead of repeating it).
COMPLETE_TAGS: dict[str, dict[str, str]] = {
    "kindergarten": {"amenity": "kindergarten", "name": "阳光幼儿园"},
    "nursery": {"amenity": "childcare", "name": "小天使托育中心"},
    "primary_school": {"amenity": "school", "name": "实验小学"},
    "middle_school": {"amenity": "school", "name": "第一中学"},
    "sports_ground": {"leisure": "pitch", "sport": "basketball"},
    "outdoor_fitness": {"leisure": "fitness_station"},
    "indoor_fitness": {"leisure": "fitness_centre", "name": "健身房"},
    "playground": {"leisure": "playground"},
    "health_centre": {"amenity": "clinic", "name": "学院路社区卫生服务中心"},
    "clinic": {"amenity": "doctors", "name": "社区卫生服务站"},
    "nursing_home": {
        "amenity": "social_facility",
        "social_facility": "nursing_home",
        "name": "敬老院",
    },
    "elderly_day_care": {
        "amenity": "social_facility",
        "social_facility": "day_care",
        "social_facility:for": "senior",
        "name": "老年人日间照料中心",
    },
    "culture": {"amenity": "community_centre", "name": "文化活动中心"},
    "community_service_centre": {"office": "government", "name": "学院路街道社区服务中心"},
    "subdistrict_office": {"amenity": "townhall", "name": "学院路街道办事处"},
    "justice_office": {"office": "government", "name": "学院路司法所"},
    "police": {"amenity": "police", "name": "学院路派出所"},
    "community_station": {"office": "government", "name": "东王庄社区居委会"},
    "community_canteen": {"amenity": "restaurant", "name": "长者食堂"},
    "property_management": {"office": "property_management", "name": "物业服务中心"},
    "fire_station": {"amenity": "fire_station"},
    "mall": {"shop": "mall", "name": "五道口购物中心"},
    "fresh_food": {"amenity": "marketplace", "name": "农贸市场"},
    "supermarket": {"shop": "supermarket"},
    "convenience": {"shop": "convenience"},
    "pharmacy": {"amenity": "pharmacy"},
    "laundry": {"shop": "laundry"},
    "hairdresser": {"shop": "hairdresser"},
    "restaurant": {"amenity": "restaurant"},
    "bank": {"amenity": "bank"},
    "telecom": {"shop": "mobile_phone", "name": "中国移动营业厅"},
    "post_office": {"amenity": "post_office"},
    "parcel_point": {"amenity": "parcel_locker", "name": "丰巢快递柜"},
    "recycling": {"amenity": "recycling"},
    "waste_station": {"amenity": "waste_transfer_station"},
    "toilets": {"amenity": "toilets"},
    "parking": {"amenity": "bicycle_parking"},
    "bus_stop": {"highway": "bus_stop"},
    "rail_station": {"railway": "station", "station": "subway", "name": "五道口站"},
    "bus_terminus": {"amenity": "bus_station", "name": "公交首末站"},
}


def complete_town_xml() -> str:
    """The synthetic town with every GB 50180 facility mapped (synthetic, for tests only).

    The facilities sit inside a residential compound (landuse=residential) around the
    south-west home, along the row-0 street, and a 60 m square public plaza is added.
    """
    base = town_xml(facilities=True).replace("</osm>", "")
    parts = [base]
    nid, wid = 90000, 95000
    # the compound around the south-west home (centre 50 m, 30 m), 10–90 m × 5–60 m
    ring = [(0.1, 0.05), (0.9, 0.05), (0.9, 0.6), (0.1, 0.6)]
    ids = []
    for x, y in ring:
        parts.append(_node(nid, LON0 + x * DLON, LAT0 + y * DLAT))
        ids.append(nid)
        nid += 1
    parts.append(_way(wid, [*ids, ids[0]], {"landuse": "residential", "name": "学院小区"}))
    wid += 1
    for k, tags in enumerate(COMPLETE_TAGS.values()):
        x = 0.15 + 0.7 * (k % 8) / 7  # inside the compound, along its width
        y = 0.1 + 0.4 * (k // 8) / 5
        parts.append(_node(nid, LON0 + x * DLON, LAT0 + y * DLAT, tags))
        nid += 1
    ids = []
    for x, y in ((3.2, 1.2), (3.8, 1.2), (3.8, 1.8), (3.2, 1.8)):
        parts.append(_node(nid, LON0 + x * DLON, LAT0 + y * DLAT))
        ids.append(nid)
        nid += 1
    parts.append(_way(wid, [*ids, ids[0]], {"place": "square", "name": "市民广场"}))
    parts.append("</osm>")
    return "\n".join(parts)
