"""A SYNTHETIC city for MOHURD-method tests: made-up but realistic values, seeded.

Lower levels: problem counts with their register denominators (a city of ~8,000 residential
buildings, ~1,000 compounds, ~120 communities, ~16 blocks — the size of 宜昌's 2025 check-up).
City level: every indicator of mohurd-2025 given directly (its code), drawn in a plausible range.
Nothing here is a real city's data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from citycheckup.framework import Framework

DENOMINATORS = {
    "residential_buildings": 8302,
    "dwellings": 260_000,
    "compounds": 1075,
    "communities": 120,
    "blocks": 16,
    "roads_surveyed": 300,
    "primary_places_required": 90_000,
    "parking_spaces_required": 120_000,
    "ev_charging_points_required": 20_000,
    "footpath_length_surveyed": 400.0,
    "commercial_blocks": 12,
    "factory_areas": 20,
    "block_residential_land_area": 80.0,
    "block_residents": 90.0,
}


def synthetic_city(
    fw: Framework,
    *,
    seed: int = 7,
    years: tuple[int, ...] = (2023, 2024),
    buildings_factor: float = 1.0,
    code: str = "420500",
    name: str = "宜昌市",
) -> pd.DataFrame:
    """One city, several years; ``buildings_factor`` scales the registers and their counts together."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, year in enumerate(years):
        row: dict[str, object] = {"unit_code": code, "unit_name": name, "year": year}
        for var, n in DENOMINATORS.items():
            row[var] = n * buildings_factor if var in ("residential_buildings", "dwellings") else n
        for ind in fw.indicators:
            if ind.level != "city" and ind.unit.strip() != "%":
                den = row.get(ind.denominator or "", 100)
                share = (
                    rng.uniform(0.001, 0.05)
                    if ind.denominator in ("residential_buildings", "dwellings")
                    else rng.uniform(0.01, 0.3)
                )
                count = float(round(float(den) * share))  # type: ignore[arg-type]
                if ind.denominator in ("residential_buildings", "dwellings"):
                    count = float(round(DENOMINATORS[ind.denominator] * share)) * buildings_factor
                row[ind.code] = count
            elif ind.unit.strip() == "%":
                row[ind.code] = float(rng.uniform(40, 99))
            elif ind.kind == "band" and ind.band:
                row[ind.code] = float(rng.uniform(ind.band[0] * 0.7, ind.band[1] * 1.1))
            elif ind.plausible:
                lo, hi = ind.plausible
                row[ind.code] = float(rng.uniform(lo + 0.1 * (hi - lo), lo + 0.4 * (hi - lo)))
            elif ind.unit.strip() in ("个", "座", "起", "栋"):
                row[ind.code] = float(rng.integers(0, 6))
            else:
                row[ind.code] = float(rng.uniform(1, 20))
        # a known case: park area per head below GB 55014's 8.0 m² in the last year
        if k == len(years) - 1:
            row["park_area_per_capita"] = 7.5
        rows.append(row)
    return pd.DataFrame(rows)
