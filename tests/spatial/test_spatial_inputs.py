"""Chinese inputs and population: POI tables in GCJ-02/BD-09, population grids and census totals,
partial admin boundaries."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from citycheckup.errors import SpatialError
from citycheckup.spatial import (
    compute_spatial,
    gcj02_to_bd09,
    read_osm,
    read_poi_table,
    wgs84_to_gcj02,
)
from tests.spatial.spatial_town import DLAT, DLON, LAT0, LON0, town_xml

# Amap-style category texts for OSM tags (how a user's export would label them)
_AMAP = {
    "restaurant": "餐饮服务;中餐厅;中餐厅",
    "kindergarten": "科教文化服务;学校;幼儿园",
    "bank": "金融保险服务;银行;中国工商银行",
    "pharmacy": "医疗保健服务;医药保健销售店;药房",
    "toilets": "公共设施;公共厕所;公共厕所",
    "post_office": "生活服务;邮局;邮局",
    "police": "政府机构及社会团体;公检法机构;公安警察",
}


def _pois_from_osm(path: Path) -> pd.DataFrame:
    f = read_osm(path).features
    rows = []
    for tags, geom in zip(f["tags"], f.geometry, strict=True):
        cat = _AMAP.get(tags.get("amenity", ""))
        if cat and geom.geom_type == "Point":
            rows.append({"名称": tags.get("name", ""), "类型": cat, "lon": geom.x, "lat": geom.y})
    return pd.DataFrame(rows)


@pytest.mark.shared
def test_gcj02_table_gives_the_wgs84_coverage(shared_data: Path, tmp_path: Path) -> None:
    osm = shared_data / "osm/china/beijing_haidian_cau.osm"
    pois = _pois_from_osm(osm)
    assert len(pois) >= 20
    pois.to_csv(tmp_path / "wgs.csv", index=False)
    gx, gy = wgs84_to_gcj02(pois["lon"].to_numpy(), pois["lat"].to_numpy())
    pois.assign(lon=gx, lat=gy).to_csv(tmp_path / "gcj.csv", index=False)
    bx, by = gcj02_to_bd09(gx, gy)
    pois.assign(lon=bx, lat=by).to_excel(tmp_path / "bd.xlsx", index=False)
    w = compute_spatial(osm, grid=1000, poi=tmp_path / "wgs.csv")
    g = compute_spatial(osm, grid=1000, poi=tmp_path / "gcj.csv", poi_crs="gcj02")
    b = compute_spatial(osm, grid=1000, poi=tmp_path / "bd.xlsx", poi_crs="bd09")
    codes = [c for c in w.indicators.columns if "coverage" in c]
    tw, tg, tb = (r.indicators.set_index("district")[codes] for r in (w, g, b))
    np.testing.assert_allclose(tg.to_numpy(float), tw.to_numpy(float), atol=1.0, equal_nan=True)
    np.testing.assert_allclose(tb.to_numpy(float), tw.to_numpy(float), atol=1.0, equal_nan=True)
    assert w.manifest["inputs"]["poi_crs"] == "wgs84" and g.manifest["inputs"]["poi_crs"] == "gcj02"
    # declared wrongly, the shift is noticed and named
    wrong = compute_spatial(osm, grid=1000, poi=tmp_path / "gcj.csv", poi_crs="wgs84")
    note = next(n for n in wrong.manifest["notes"] if "look shifted" in n)
    assert "read as gcj02" in note and "--crs gcj02" in note
    assert not any("look shifted" in n for n in g.manifest["notes"])


def test_poi_table_errors_name_the_problem(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("名称,lon,lat\na,116.3,40.0\n", encoding="utf-8")
    with pytest.raises(SpatialError, match="no category column"):
        read_poi_table(p)
    p.write_text("name,type,lng,lat\na,餐饮服务,116.3,40.0\nb,餐饮服务,,40.1\n", encoding="utf-8")
    with pytest.raises(SpatialError, match=r"1 row\(s\), e.g. rows \[3\]"):
        read_poi_table(p)


def test_poi_categories_add_facilities(tmp_path: Path) -> None:
    town = tmp_path / "town.osm"
    town.write_text(town_xml(facilities=False), encoding="utf-8")
    pd.DataFrame(
        {"name": ["社区食堂", "便利店"], "type": ["餐饮服务;快餐厅;社区食堂", "购物服务;便民商店/便利店;便利店"],
         "lon": [LON0 + 2 * DLON, LON0 + DLON], "lat": [LAT0 + 2 * DLAT, LAT0 + 0.1 * DLAT]}
    ).to_csv(tmp_path / "p.csv", index=False)  # fmt: skip
    res = compute_spatial(town, grid=1000, poi=tmp_path / "p.csv")
    lc = res.life_circles.set_index(["circle", "item"])
    assert lc.loc[("5min", "community_canteen"), "status"] == "checked"
    assert "POI table" in lc.loc[("5min", "community_canteen"), "sources"]
    assert lc.loc[("block", "convenience"), "facilities_found"] == 1


def _raster(path: Path, values: np.ndarray, x0: float, y0: float, size: float, crs: str) -> None:
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
                       dtype="float32", crs=crs, transform=Affine(size, 0.0, x0, 0.0, -size, y0), nodata=-1) as dst:  # fmt: skip
        dst.write(values.astype("float32"), 1)


def test_population_geotiff_is_disaggregated_to_buildings(tmp_path: Path) -> None:
    town = tmp_path / "town.osm"
    town.write_text(town_xml(), encoding="utf-8")
    # a WGS-84 raster of 0.0025° pixels over the town (≈ 200 m × 280 m): 2 × 2 pixels
    x0, y0 = LON0 - DLON / 2, LAT0 + 4.5 * DLAT
    vals = np.array([[400.0, 300.0], [200.0, -1.0]])  # -1: nodata (no population there)
    size = 0.00293
    _raster(tmp_path / "pop.tif", vals, x0, y0, size, "EPSG:4326")
    res = compute_spatial(town, grid=1000, population=tmp_path / "pop.tif")
    h = res.homes
    # every person of a pixel with a residential building goes to its buildings; nodata counts 0
    assert h["weight"].sum() == pytest.approx(900.0, rel=1e-6)
    assert "raster pop.tif" in res.manifest["homes"]["population_method"]
    assert set(h["source"]) <= {"building", "population cell without mapped buildings"}
    # the south-west pixel (200 persons) holds exactly one home (centre 50 m, 30 m)
    sw = h[(h.geometry.x < h.geometry.x.min() + 1) & (h["source"] == "building")]
    assert sw["weight"].sum() == pytest.approx(200.0, rel=1e-6)


def test_census_totals_scale_the_population(tmp_path: Path) -> None:
    town = tmp_path / "town.osm"
    town.write_text(town_xml(), encoding="utf-8")
    half = LON0 + 2 * DLON
    d = gpd.GeoDataFrame(
        {"街道": ["西街道", "东街道"]},
        geometry=[box(LON0 - DLON, LAT0 - DLAT, half, LAT0 + 5 * DLAT), box(half, LAT0 - DLAT, LON0 + 5 * DLON, LAT0 + 5 * DLAT)],
        crs="EPSG:4490",  # CGCS2000
    )  # fmt: skip
    census = pd.DataFrame({"街道": ["西街道", "东街道"], "常住人口": [1000, 3000]})
    census.to_csv(tmp_path / "census.csv", index=False)
    res = compute_spatial(town, districts=d, census=tmp_path / "census.csv")
    q = res.quality.set_index("district")
    assert q.loc["西街道", "residents"] == pytest.approx(1000.0)
    assert q.loc["东街道", "residents"] == pytest.approx(3000.0)
    assert q.loc["ALL", "residents"] == pytest.approx(4000.0)
    # a census id that is not a district is an error naming it
    census.assign(街道=["西街道", "北街道"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(SpatialError, match="'北街道' is not among the districts"):
        compute_spatial(town, districts=d, census=tmp_path / "bad.csv")


def test_partial_admin_boundary_is_assembled(tmp_path: Path) -> None:
    # an API box export holds one member way of 西城区's boundary: it runs north–south through
    # the town at x = 200 m (far beyond the box both ways) and turns west outside the box
    xml = town_xml().replace("</osm>", "")
    pts = [(2.0, -3.0), (2.0, 7.0), (-4.0, 7.0)]
    nodes = "".join(f'<node id="{70000 + i}" lat="{LAT0 + y * DLAT:.7f}" lon="{LON0 + x * DLON:.7f}"/>'
                    for i, (x, y) in enumerate(pts))  # fmt: skip
    way = '<way id="71000"><nd ref="70000"/><nd ref="70001"/><nd ref="70002"/></way>'
    rel = ('<relation id="72000"><member type="way" ref="71000" role="outer"/><member type="way" '
           'ref="99999999" role="outer"/><tag k="type" v="boundary"/><tag k="boundary" v="administrative"/>'
           '<tag k="admin_level" v="8"/><tag k="name" v="西城区"/></relation>')  # fmt: skip
    p = tmp_path / "partial.osm"
    p.write_text(xml + nodes + way + rel + "</osm>", encoding="utf-8")
    res = compute_spatial(p, admin_level=8)
    assert res.manifest["districts"]["source"] == "OSM admin_level=8"
    assert res.indicators["district"].tolist() == ["西城区", "ALL"]
    # the west part of the study area: x from -50 m to 200 m of the 500 m-wide box
    share = res.districts.geometry.area.iloc[0] / res.study_area.area
    assert share == pytest.approx(250 / 500, rel=0.02)
    assert any("assembled from its 1 member way(s)" in n for n in res.manifest["notes"])
    # the homes east of the line lie in no district: only in ALL
    assert res.manifest["homes"]["outside_districts"] == 2
