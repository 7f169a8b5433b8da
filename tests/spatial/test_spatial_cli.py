"""End-to-end: the ``citycheckup spatial`` command, maps and a Dask batch."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from citycheckup.cli import app


def test_cli_single_city_with_maps(make_town: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app,
        [
            "spatial",
            "--osm",
            str(make_town()),
            "--out",
            str(out),
            "--grid",
            "250",
            "--year",
            "2024",
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "indicators.csv")
    assert table.columns[:2].tolist() == ["district", "year"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    from citycheckup.spatial import DEFAULT_MAP_CODES

    codes = [c for c in DEFAULT_MAP_CODES if c in table.columns]
    assert len(codes) >= 4
    # by default only the maps the reports use; the other indicators get none
    pngs = sorted(p.stem for p in (out / "maps").glob("*.png"))
    assert pngs == sorted(codes)
    assert manifest["maps"]["written"] == codes
    assert not list((out / "maps").glob("*.html"))  # interactive maps only on request
    for code in codes:
        assert (out / "maps" / f"{code}.png").stat().st_size > 10_000
    assert f"maps/{codes[0]}.png" in manifest["files"]
    out2 = tmp_path / "all"
    r = CliRunner().invoke(app, ["spatial", "--osm", str(make_town()), "--out", str(out2), "--grid", "250",
                                 "--maps", "all"])  # fmt: skip
    assert r.exit_code == 0, r.output
    every = [c for c in table.columns if c not in {"district", "year", "quality"}]
    assert sorted(p.stem for p in (out2 / "maps").glob("*.png")) == sorted(every)
    for code in every:
        page = (out2 / "maps" / f"{code}.html").read_text("utf-8")
        assert "© OpenStreetMap contributors, ODbL" in page
        assert "<script src" not in page and "http://" not in page.replace(
            "http://www.w3.org/2000/svg", ""
        )
        assert "https://" not in page


def test_cli_bad_input_exits_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"")
    r = CliRunner().invoke(app, ["spatial", "--osm", str(bad), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert not (tmp_path / "o").exists()


def test_cli_requires_osm_or_batch(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["spatial", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2


@pytest.mark.shared
def test_batch_on_local_dask_cluster(
    shared_data: Path, make_town: Callable[..., Path], tmp_path: Path
) -> None:
    town = make_town()
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node", encoding="utf-8")
    lst = tmp_path / "cities.csv"
    pd.DataFrame(
        {
            "city": ["town", "ninghua", "broken"],
            "osm": [str(town), str(shared_data / "osm/china/sanming_ninghua.osm"), str(bad)],
            "grid": ["250", "500", ""],
            "year": ["2025", "2025", ""],
        }
    ).to_csv(lst, index=False)
    out = tmp_path / "batch"
    r = CliRunner().invoke(
        app, ["spatial", "--batch", str(lst), "--out", str(out), "--no-maps", "--workers", "2"]
    )
    # one city failed: the batch exits non-zero and names it, the others are written
    assert r.exit_code == 1, r.output
    assert "1 of 3 cities failed: broken" in " ".join(r.output.split())
    table = pd.read_csv(out / "indicators.csv")
    assert table.columns[:3].tolist() == ["city", "district", "year"]
    assert set(table.city) == {"town", "ninghua"}
    assert (table.district == "ALL").sum() == 2
    errors = pd.read_csv(out / "errors.csv")
    assert errors.city.tolist() == ["broken"]
    assert (out / "town" / "indicators.csv").is_file()


def test_spatial_core_does_not_import_outer_layers() -> None:
    code = (
        "import sys, citycheckup.spatial; "
        "bad=[m for m in sys.modules if m.split('.')[:2] in (['citycheckup','cli'],['citycheckup','report'],"
        "['citycheckup','store'],['citycheckup','api'])]; print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_public_api_is_sorted() -> None:
    import citycheckup.spatial as sp

    assert list(sp.__all__) == sorted(sp.__all__)
    assert all(hasattr(sp, n) for n in sp.__all__)


def test_maps_with_chinese_district_names(make_town: Callable[..., Path], tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from citycheckup.spatial import run_spatial
    from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0

    half = LON0 + 2 * DLON
    d = gpd.GeoDataFrame(
        {"name": ["西区", "东区"]},
        geometry=[
            box(LON0 - DLON, LAT0 - DLAT, half, LAT0 + 5 * DLAT),
            box(half, LAT0 - DLAT, LON0 + 5 * DLON, LAT0 + 5 * DLAT),
        ],
        crs="EPSG:4326",
    )
    out = tmp_path / "cn"
    res = run_spatial(make_town(), out, districts=d, maps=["road_network_density"])
    assert res.indicators["district"].tolist() == ["西区", "东区", "ALL"]
    assert "西区" in (out / "maps" / "road_network_density.html").read_text("utf-8")
    assert (out / "maps" / "road_network_density.png").stat().st_size > 10_000
    assert "城市道路网密度" in (out / "maps" / "road_network_density.html").read_text("utf-8")


def test_batch_on_an_existing_scheduler(make_town: Callable[..., Path], tmp_path: Path) -> None:
    from distributed import LocalCluster

    lst = tmp_path / "one.csv"
    pd.DataFrame({"city": ["town"], "osm": [str(make_town())], "grid": ["500"]}).to_csv(
        lst, index=False
    )
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        r = CliRunner().invoke(
            app,
            ["spatial", "--batch", str(lst), "--out", str(tmp_path / "b"), "--no-maps",
             "--scheduler", cluster.scheduler_address],
        )  # fmt: skip
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "b" / "indicators.csv")
    assert table.city.unique().tolist() == ["town"]


def test_batch_list_errors_are_collected(tmp_path: Path) -> None:
    from citycheckup.errors import SpatialError
    from citycheckup.spatial import read_batch

    lst = tmp_path / "bad.csv"
    pd.DataFrame(
        {"city": ["a", "a"], "osm": ["missing.osm", ""], "grid": ["x", "100"], "colour": ["", ""]}
    ).to_csv(lst, index=False)
    with pytest.raises(SpatialError) as err:
        read_batch(lst)
    assert "unknown columns ['colour']" in str(err.value)
    lst.write_text("city,osm,grid\na,missing.osm,x\na,,100\n", encoding="utf-8")
    with pytest.raises(SpatialError) as err:
        read_batch(lst)
    msg = str(err.value)
    assert (
        "city names repeat" in msg
        and "'missing.osm' not found" in msg
        and "grid must be a number" in msg
    )


def test_maps_on_request_and_unknown_codes(make_town: Callable[..., Path], tmp_path: Path) -> None:
    town = make_town()
    out = tmp_path / "m"
    r = CliRunner().invoke(app, ["spatial", "--osm", str(town), "--out", str(out), "--grid", "250",
                                 "--maps", "building_coverage_ratio,intersection_density"])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert sorted(p.stem for p in (out / "maps").glob("*.png")) == [
        "building_coverage_ratio",
        "intersection_density",
    ]
    r = CliRunner().invoke(
        app, ["spatial", "--osm", str(town), "--out", str(tmp_path / "n"), "--maps", "nope"]
    )
    assert r.exit_code == 2
    assert "'nope' is not an indicator of this run" in r.output
    assert not (tmp_path / "n").exists()


def test_unreachable_scheduler_is_one_clear_error(
    make_town: Callable[..., Path], tmp_path: Path
) -> None:
    import socket

    lst = tmp_path / "one.csv"
    pd.DataFrame({"city": ["town"], "osm": [str(make_town())]}).to_csv(lst, index=False)
    # a port that was free a moment ago: nothing listens there
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(app, ["spatial", "--batch", str(lst), "--out", str(tmp_path / "b"),
                                 "--scheduler", f"tcp://127.0.0.1:{port}"])  # fmt: skip
    assert r.exit_code == 2
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) <= 3
    r = CliRunner().invoke(app, ["spatial", "--batch", str(lst), "--out", str(tmp_path / "b"),
                                 "--scheduler", "not an address"])  # fmt: skip
    assert r.exit_code == 2 and "invalid Dask scheduler address" in r.output
