"""The result of a spatial check-up and the log of missing and low-quality values.

Kept apart from the pipeline so that the map renderer and the writers can import it
without importing the pipeline (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

__all__ = ["ALL", "ATTRIBUTION", "EUCLIDEAN", "IssueLog", "SpatialResult"]

ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
EUCLIDEAN = "_euclidean"
ALL = "ALL"

#: status values of ``missing.csv``
MISSING, LOW, PARTIAL = "missing", "low_quality", "partial"


@dataclass
class SpatialResult:
    """Everything a spatial check-up computed.

    Attributes
    ----------
    indicators
        One row per district plus ``ALL``: ``district`` (and ``year`` if given),
        one column per indicator code, and ``quality`` (``ok`` or ``low``: some
        indicator of the row rests on inputs below a completeness threshold; the
        reasons are in ``missing``).
    missing
        ``district, indicator, status, reason``: status ``missing`` (no value),
        ``low_quality`` (a value computed from thin data) or ``partial`` (a life
        circle computed over fewer items than GB 50180 lists).
    districts
        District polygons (projected CRS) with the indicator values.
    homes
        Home points with weight, district, snap status and distances (m).
    manifest
        Inputs, parameters, counts, units, labels, quality, notes and timings.
    quality
        Data-quality measures per district and ``ALL``.
    life_circles
        Per life circle and GB 50180 item: status (``checked``, ``not_found``,
        ``not_expressible``) and facilities found.
    facility_counts
        Per facility category: found, per 10,000 residents, and the range GB 50180
        implies for the population (when a population is given).
    out
        The output folder, when written.
    units
        Indicator code → unit (``%``, ``km/km²``, ``个/km²``, ``m²/人``).
    labels
        Indicator code → ``{"zh": …, "en": …}`` display names.
    network
        The walk-network edges (for maps).
    study_area
        The study-area polygon (projected).
    """

    indicators: pd.DataFrame
    missing: pd.DataFrame
    districts: gpd.GeoDataFrame
    homes: gpd.GeoDataFrame
    manifest: dict[str, Any]
    quality: pd.DataFrame = field(default_factory=pd.DataFrame)
    life_circles: pd.DataFrame = field(default_factory=pd.DataFrame)
    facility_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    out: Path | None = None
    units: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    network: gpd.GeoSeries | None = None
    study_area: BaseGeometry | None = None

    def flagged(self) -> set[tuple[str, str]]:
        """``(district, indicator)`` pairs whose value is of low quality."""
        m = self.missing
        if m.empty:
            return set()
        sel = m[m["status"] == LOW]
        return set(zip(sel["district"], sel["indicator"], strict=True))


class IssueLog:
    """Collects missing values, low-quality flags and partial life circles."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, district: str, code: str, reason: str, status: str = MISSING) -> None:
        """Record one (district, indicator) issue."""
        self.rows.append((district, code, status, reason))

    def frame(self) -> pd.DataFrame:
        """The issues as ``district, indicator, status, reason``."""
        return pd.DataFrame(
            self.rows, columns=["district", "indicator", "status", "reason"]
        ).drop_duplicates()
