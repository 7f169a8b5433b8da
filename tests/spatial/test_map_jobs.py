"""Maps drawn by pre-warmed worker processes (``spatial/_map_jobs.py``) and the font's character map.

The runs fork, so they happen in a fresh interpreter (``subprocess``), never inside pytest's
own process (which may hold threads). The town is the synthetic one of ``spatial_town.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from citycheckup.errors import OutputError
from citycheckup.spatial import _map_data, _map_jobs

# three maps: two workers split them 2 + 1; with a list of codes the HTML maps come too
_CODES = ("life_circle_5min_coverage", "park_service_coverage", "road_network_density")


def _spatial(osm: Path, out: Path, workers: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, _map_jobs.WORKERS_ENV: workers}
    cmd = [str(Path(sys.executable).with_name("citycheckup")), "spatial", "--osm", str(osm), "--out", str(out),
           "--grid", "250", "--maps", ",".join(_CODES)]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_workers_draw_the_same_pngs_as_the_calling_process(
    make_town: Callable[..., Path], tmp_path: Path
) -> None:
    osm = make_town()
    a, b = _spatial(osm, tmp_path / "inproc", "0"), _spatial(osm, tmp_path / "pool", "2")
    assert a.returncode == 0, a.stderr
    assert b.returncode == 0, b.stderr
    pa = sorted(p.name for p in (tmp_path / "inproc" / "maps").iterdir())
    pb = sorted(p.name for p in (tmp_path / "pool" / "maps").iterdir())
    assert pa == pb == sorted(f"{c}.{ext}" for c in _CODES for ext in ("html", "png"))
    for name in pa:  # PNG and HTML, byte for byte
        assert (tmp_path / "inproc" / "maps" / name).read_bytes() == (
            tmp_path / "pool" / "maps" / name
        ).read_bytes(), name
    ma = json.loads((tmp_path / "inproc" / "manifest.json").read_text("utf-8"))
    mb = json.loads((tmp_path / "pool" / "manifest.json").read_text("utf-8"))
    # the files listed, in the same order, whoever drew them
    assert ma["files"] == mb["files"]
    assert ma["maps"] == mb["maps"]


def test_a_worker_error_reaches_the_caller_and_nothing_is_written(
    make_town: Callable[..., Path], tmp_path: Path
) -> None:
    # U+13000 (an Egyptian hieroglyph) is in neither the CJK font nor DejaVu Sans: the glyph
    # check, which runs in the worker, must fail the run, and the output folder must not appear
    script = textwrap.dedent(
        f"""
        import geopandas as gpd
        from shapely.geometry import box
        from citycheckup.errors import OutputError
        from citycheckup.spatial import run_spatial
        from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0

        d = gpd.GeoDataFrame({{"name": ["区\\U00013000"]}},
            geometry=[box(LON0 - DLON, LAT0 - DLAT, LON0 + 5 * DLON, LAT0 + 5 * DLAT)], crs="EPSG:4326")
        try:
            run_spatial({str(make_town())!r}, {str(tmp_path / "out")!r}, districts=d)
        except OutputError as exc:
            print("OutputError:", exc)
        """
    )
    env = {**os.environ, _map_jobs.WORKERS_ENV: "2"}
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                       timeout=600, check=False, cwd=Path(__file__).parents[2])  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "OutputError:" in r.stdout and "U+13000" in r.stdout, r.stdout + r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("1", 1), ("3", 3)])
def test_worker_count_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, raw)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert _map_jobs.map_workers() == expected


@pytest.mark.parametrize("raw", ["two", "1.5", "-1"])
def test_a_bad_worker_count_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, raw)
    with pytest.raises(OutputError, match=_map_jobs.WORKERS_ENV) as info:
        _map_jobs.map_workers()
    assert repr(raw) in str(info.value) and "set it to 0" in str(info.value)


@pytest.mark.parametrize(("cpus", "expected"), [(1, 0), (2, 2), (3, 3), (4, 4), (8, 4)])
def test_default_worker_count_follows_the_cpus(
    monkeypatch: pytest.MonkeyPatch, cpus: int, expected: int
) -> None:
    # one CPU: nothing runs in parallel, so the calling process draws; then one drawing process
    # per CPU, at most four
    monkeypatch.delenv(_map_jobs.WORKERS_ENV, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(_map_jobs.os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    assert _map_jobs.map_workers() == expected


def test_no_fork_from_a_threaded_process_or_without_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_map_jobs.WORKERS_ENV, "2")
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert _map_jobs.map_workers() == 0
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert _map_jobs.map_workers() == 2
    monkeypatch.setattr(_map_jobs.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _map_jobs.map_workers() == 0


def test_font_character_map_matches_fonttools() -> None:
    """The FreeType reading (matplotlib's ft2font) gives the code points fontTools reads."""
    from fontTools.ttLib import TTFont

    from citycheckup import _fonts

    expected = set(_fonts._cmap_fonttools())
    fb = _fonts.fallback_path()
    assert fb is not None
    with TTFont(str(fb), lazy=True) as dejavu:
        expected |= set(dejavu.getBestCmap())
    got = _fonts._cmap()
    assert got == expected
    # Chinese from the CJK face, the subscript two of CO₂ from DejaVu Sans; U+13000 in neither
    assert {ord("体"), ord("检"), ord("₂")} <= got and 0x13000 not in got


def test_a_layout_that_changed_before_the_draw_is_not_reused(tmp_path: Path) -> None:
    # the worker prepared a figure of 2 districts; the draw brings 3: it must draw the 3
    # (a fresh figure), exactly as the calling process draws them. Synthetic boxes, 100 m wide.
    script = textwrap.dedent(
        f"""
        import geopandas as gpd, numpy as np
        from pathlib import Path
        from shapely.geometry import box
        from citycheckup.spatial._map_data import map_layout
        from citycheckup.spatial._map_jobs import MapPool
        from citycheckup.spatial._maps import render_pngs

        def districts(n):
            return gpd.GeoDataFrame({{"district": [f"D{{i}}" for i in range(n)]}},
                geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(n)], crs=32650)

        def data(n):
            d = map_layout(districts(n), None, None)
            d.values = {{"x": np.arange(n, dtype=float) * 10}}
            d.whole_area, d.units = {{"x": 5.0}}, {{"x": "%"}}
            d.labels, d.low = {{"x": {{"zh": "测试", "en": "test"}}}}, {{"x": np.zeros(n, bool)}}
            return d

        out = Path({str(tmp_path)!r})
        pool = MapPool(1)
        pool.layout(districts(2), None, None)
        print(pool.collect(pool.submit(data(3), ["x"], out / "pool"), ["x"], "pool"))
        pool.close()
        render_pngs(data(3), ["x"], out / "inproc")
        """
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                       check=False, cwd=Path(__file__).parents[2])  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['pool/x.png']"
    assert (tmp_path / "pool" / "x.png").read_bytes() == (
        tmp_path / "inproc" / "x.png"
    ).read_bytes()


def test_same_layout_compares_every_part() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, box

    def layout(width: float = 100, names: tuple[str, ...] = ("A", "B"), net: bool = True):  # type: ignore[no-untyped-def]
        g = gpd.GeoDataFrame({"district": list(names)},
                             geometry=[box(i * width, 0, (i + 1) * width, 100) for i in range(len(names))])  # fmt: skip
        network = gpd.GeoSeries([LineString([(0, 0), (50, 50)])]) if net else None
        return _map_data.map_layout(g, network, box(0, 0, 2 * width, 100))

    base = layout()
    assert _map_data.same_layout(base, layout())
    assert not _map_data.same_layout(base, layout(names=("A", "C")))  # a name
    assert not _map_data.same_layout(base, layout(width=101))  # the outlines and bounds
    assert not _map_data.same_layout(base, layout(net=False))  # the network
    moved = layout()
    moved.label_points = moved.label_points + 1.0
    assert not _map_data.same_layout(base, moved)  # the label places
    other_ring = layout()
    verts, codes = other_ring.paths[0]  # type: ignore[misc]
    other_ring.paths[0] = (verts + 0.5, codes)
    assert not _map_data.same_layout(base, other_ring)  # one ring, bounds unchanged
