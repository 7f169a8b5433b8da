"""``gtfs_stops`` on small synthetic GTFS feeds (issue 18, item 4).

Every feed here is synthetic: written by the test, a few lines per file, with stop ids,
routes and coordinates made up so that the expected result can be read off by hand.

The mode rule under test (SDG 11.2.1, GTFS ``route_type``): bus, tram, cable tram and
trolleybus (0, 3, 5, 11; extended 700-999) are low-capacity → ``bus_stop``; metro, rail,
ferry, funicular, monorail (1, 2, 4, 7, 12; extended 100-199, 400-499, water 1000-1099,
ferry 1200-1299) are high-capacity → ``rail_station``; anything else (coach 200-299,
aerial lift 6 / 1300-1399, air service 1100-1199, …) is not counted.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from citycheckup.errors import SpatialError
from citycheckup.spatial import gtfs_stops
from citycheckup.spatial._gtfs import _mode

# -- the synthetic feed ----------------------------------------------------------------------
# route → type → category:  B1 3 bus · M1 1 rail · T9 900 (extended tram) bus ·
# F12 1200 (extended ferry) rail · AIR 1100 (air service) none · LIFT 6 (aerial lift) none.
ROUTES = "route_id,route_type,route_short_name\nB1,3,1路\nM1,1,地铁1号线\nT9,900,T9\nF12,1200,轮渡\nAIR,1100,机场\nLIFT,6,索道\n"
TRIPS = (
    "route_id,service_id,trip_id\nB1,wk,tb\nM1,wk,tm\nT9,wk,tt\nF12,wk,tf\nAIR,wk,ta\nLIFT,wk,tl\n"
)
# tb visits S1 twice (a loop): one (S1, bus_stop) row, not two.
STOP_TIMES = (
    "trip_id,stop_sequence,stop_id\n"
    "tb,1,S1\ntb,2,S2\ntb,3,S1\n"
    "tm,1,S2\ntm,2,S3\n"
    "tt,1,S4\ntf,1,S5\nta,1,S6\ntl,1,S7\n"
)
# S8 is served by no trip.  Coordinates: lat 30.0x, lon 114.0x with x the stop number.
STOPS = "stop_id,stop_name,stop_lat,stop_lon\n" + "".join(
    f"S{i},站{i},30.0{i},114.0{i}\n" for i in range(1, 9)
)
# By hand: S1 bus (tb) · S2 bus (tb) and rail (tm) · S3 rail (tm) · S4 bus (tt, tram 900) ·
# S5 rail (tf, ferry 1200) · S6 only air (left out) · S7 only aerial lift (left out) ·
# S8 unserved (left out).
EXPECTED = {
    ("S1", "bus_stop"),
    ("S2", "bus_stop"),
    ("S2", "rail_station"),
    ("S3", "rail_station"),
    ("S4", "bus_stop"),
    ("S5", "rail_station"),
}


def _write_dir(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _write_zip(path: Path, files: dict[str, str], *, prefix: str = "", bom: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(prefix + name, ("\ufeff" if bom else "") + text)
    return path


FEED = {
    "routes.txt": ROUTES,
    "trips.txt": TRIPS,
    "stop_times.txt": STOP_TIMES,
    "stops.txt": STOPS,
}


def _pairs(gdf: object) -> set[tuple[str, str]]:
    return set(zip(gdf["stop_id"], gdf["category"], strict=True))  # type: ignore[index]


def test_folder_feed_gives_the_hand_derived_stops(tmp_path: Path) -> None:
    got = gtfs_stops(_write_dir(tmp_path / "feed", FEED))
    assert _pairs(got) == EXPECTED
    assert len(got) == 6  # no duplicate row for the loop S1 → S2 → S1
    assert got.crs.to_epsg() == 4326
    # x is the longitude, y the latitude: S3 is at lat 30.03, lon 114.03
    s3 = got[got["stop_id"] == "S3"].geometry.iloc[0]
    assert (s3.x, s3.y) == pytest.approx((114.03, 30.03))


def test_zip_feed_in_a_subfolder_with_bom_and_spaced_headers(tmp_path: Path) -> None:
    """The same feed zipped under ``gtfs/`` with a UTF-8 BOM and spaces around the headers."""
    spaced = {n: t.replace(",", " , ", 1) for n, t in FEED.items()}  # " , " after column 1
    assert spaced["stops.txt"].startswith("stop_id , stop_name")
    path = _write_zip(tmp_path / "feed.zip", spaced, prefix="gtfs/", bom=True)
    got = gtfs_stops(path)
    assert _pairs(got) == EXPECTED


@pytest.mark.parametrize(
    ("route_type", "expected"),
    [
        # basic types
        (0, "bus_stop"),
        (3, "bus_stop"),
        (5, "bus_stop"),
        (11, "bus_stop"),
        (1, "rail_station"),
        (2, "rail_station"),
        (4, "rail_station"),
        (7, "rail_station"),
        (12, "rail_station"),
        (6, None),  # aerial lift
        # extended types: each range at its first value, its last value and just outside
        (99, None),
        (100, "rail_station"),
        (199, "rail_station"),
        (200, None),  # coach
        (399, None),
        (400, "rail_station"),
        (499, "rail_station"),
        (500, None),
        (699, None),
        (700, "bus_stop"),
        (799, "bus_stop"),
        (800, "bus_stop"),  # trolleybus
        (899, "bus_stop"),
        (900, "bus_stop"),  # tram
        (999, "bus_stop"),
        (1000, "rail_station"),  # water transport
        (1099, "rail_station"),
        (1100, None),  # air service: an airport is not a transit stop
        (1199, None),
        (1200, "rail_station"),  # ferry
        (1299, "rail_station"),
        (1300, None),  # aerial lift
    ],
)
def test_mode_boundaries(route_type: int, expected: str | None) -> None:
    assert _mode(route_type) == expected


def test_missing_files_are_all_listed(tmp_path: Path) -> None:
    folder = _write_dir(tmp_path / "feed", {"routes.txt": ROUTES, "stop_times.txt": STOP_TIMES})
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(folder)
    msg = str(ei.value)
    assert msg.startswith("unusable GTFS feed")
    assert f"{folder}: missing stops.txt" in msg and f"{folder}: missing trips.txt" in msg
    assert "needs stops.txt, stop_times.txt, trips.txt and routes.txt" in msg  # how to fix
    assert len(ei.value.problems) == 2


def test_missing_file_in_a_zip(tmp_path: Path) -> None:
    feed = {n: t for n, t in FEED.items() if n != "routes.txt"}
    path = _write_zip(tmp_path / "feed.zip", feed)
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(path)
    assert [str(p) for p in ei.value.problems] == [
        f"{path}: missing routes.txt (a GTFS feed needs stops.txt, stop_times.txt, "
        "trips.txt and routes.txt)"
    ]


def test_missing_columns_are_all_listed(tmp_path: Path) -> None:
    feed = dict(FEED)
    feed["routes.txt"] = "route_id,agency_id\nB1,a\n"
    feed["stops.txt"] = "stop_id,stop_lat\nS1,30.01\n"
    folder = _write_dir(tmp_path / "feed", feed)
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(folder)
    assert [p.message for p in ei.value.problems] == [
        "stops.txt lacks columns ['stop_lon'] (add them to its header row)",
        "routes.txt lacks columns ['route_type'] (add them to its header row)",
    ]
    assert all(p.where == str(folder) for p in ei.value.problems)


@pytest.mark.parametrize("kind", ["not_a_zip", "absent", "latin1"])
def test_unreadable_feed(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "feed.zip"
    if kind == "not_a_zip":
        path.write_text("stop_id,stop_lat\n", encoding="utf-8")
    elif kind == "latin1":  # stops.txt in Latin-1: 'é' is byte 0xE9, not valid UTF-8
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in FEED.items():
                if name == "stops.txt":
                    zf.writestr(
                        name,
                        "stop_id,stop_name,stop_lat,stop_lon\nS1,Gare é,1,2\n".encode("latin-1"),
                    )
                else:
                    zf.writestr(name, text)
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(path)
    msg = str(ei.value)
    assert msg.startswith("cannot read the GTFS feed (give a GTFS .zip or a folder")
    assert ei.value.problems[0].where == str(path)


def test_bad_route_types_and_unlocated_stops_are_reported_not_dropped(tmp_path: Path) -> None:
    """Synthetic broken feed: before the fix these rows vanished without a word.

    * route X has route_type ``bus`` (not a number);
    * S3 (served by the metro) has stop_lat ``n/a``;
    * S9 (served by the bus) is not in stops.txt at all.
    All three are reported in one error.
    """
    feed = dict(FEED)
    feed["routes.txt"] = ROUTES + "X,bus,x\n"
    feed["stops.txt"] = STOPS.replace("S3,站3,30.03", "S3,站3,n/a")
    feed["stop_times.txt"] = STOP_TIMES + "tb,4,S9\n"
    folder = _write_dir(tmp_path / "feed", feed)
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(folder)
    assert [p.message for p in ei.value.problems] == [
        "routes.txt: route_type is not a number for route_id 'X' "
        "(give the GTFS integer code, e.g. 3 for bus, 1 for metro)",
        "stop_times.txt serves stop_id 'S3', 'S9', absent from stops.txt or without a "
        "numeric stop_lat/stop_lon there (add the stops with WGS-84 coordinates)",
    ]


def test_many_unlocated_stops_are_counted(tmp_path: Path) -> None:
    """Seven served stops missing from stops.txt: five named, 'and 2 more'."""
    feed = dict(FEED)
    feed["stop_times.txt"] = STOP_TIMES + "".join(f"tb,{9 + i},Z{i}\n" for i in range(7))
    folder = _write_dir(tmp_path / "feed", feed)
    with pytest.raises(SpatialError) as ei:
        gtfs_stops(folder)
    (problem,) = ei.value.problems
    assert problem.message.startswith(
        "stop_times.txt serves stop_id 'Z0', 'Z1', 'Z2', 'Z3', 'Z4' and 2 more,"
    )


def test_stops_of_uncounted_modes_only_give_an_empty_layer(tmp_path: Path) -> None:
    """A synthetic feed with only an aerial lift and a coach: no stop counts, no error."""
    feed = {
        "routes.txt": "route_id,route_type\nL,6\nC,200\n",
        "trips.txt": "trip_id,route_id\ntl,L\ntc,C\n",
        "stop_times.txt": "trip_id,stop_id\ntl,S1\ntc,S2\n",
        "stops.txt": "stop_id,stop_lat,stop_lon\nS1,30,114\nS2,31,115\n",
    }
    got = gtfs_stops(_write_dir(tmp_path / "feed", feed))
    assert len(got) == 0 and list(got.columns) == ["stop_id", "category", "geometry"]
