"""A two-district spatial result for the map tests (synthetic: two 1 km squares, one street)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from citycheckup.spatial._result import LOW, IssueLog, SpatialResult


def two_district_result(values: tuple[float, float], *, low: str | None = None) -> SpatialResult:
    log = IssueLog()
    for name, v in zip("AB", values, strict=True):
        if not np.isfinite(v):
            log.add(name, "cov", "no homes in the district")
    if low is not None:
        log.add(low, "cov", "few homes", status=LOW)
    whole = float(np.nanmean(values)) if np.isfinite(values).any() else np.nan
    return SpatialResult(
        indicators=pd.DataFrame({"district": ["A", "B", "ALL"], "cov": [*values, whole]}),
        missing=log.frame(),
        districts=gpd.GeoDataFrame(
            {"district": ["A", "B"], "cov": list(values)},
            geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
            crs=3857,
        ),
        homes=gpd.GeoDataFrame(geometry=[]),
        manifest={},
        units={"cov": "%"},
        labels={"cov": {"zh": "覆盖率", "en": "Coverage"}},
        network=gpd.GeoSeries([shapely.LineString([(100, 500), (1900, 500)])], crs=3857),
        study_area=shapely.box(0, 0, 2000, 1000),
    )
