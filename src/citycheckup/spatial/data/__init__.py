"""OpenStreetMap extracts shipped with citycheckup (© OpenStreetMap contributors, ODbL 1.0).

One small Chinese extract, ``beijing_haidian_cau``: a part of Haidian District, Beijing,
around China Agricultural University's east campus (≈ 1.3 × 1.2 km), clipped from an
OpenStreetMap API export by ``tools/build_demo_extract.py``. Origin, data date and every
change are in ``README.md`` next to it; the licence notice in ``LICENSE-ODbL.txt``. Anything
built from it credits "© OpenStreetMap contributors, ODbL".

Examples
--------
>>> from citycheckup.spatial.data import osm_extract
>>> osm_extract().name
'beijing_haidian_cau.osm.pbf'
>>> EXTRACTS["beijing_haidian_cau"].data_date
'2026-03-22'
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from citycheckup.errors import DataError

__all__ = ["EXTRACTS", "Extract", "osm_extract"]


@dataclass(frozen=True)
class Extract:
    """What is known about an embedded extract."""

    file: str
    name_zh: str
    name_en: str
    bounds: tuple[float, float, float, float]
    """``(min lon, min lat, max lon, max lat)``, WGS-84: the export's ``<bounds>``."""
    data_date: str
    """Date of the latest edit in the data (ISO); the OSM data are as of this date or later."""
    unit_code: str
    """Administrative code of the county-level unit it lies in."""
    source: str
    attribution: str = "© OpenStreetMap contributors, ODbL"
    licence: str = "ODbL-1.0"


#: The embedded extracts by name.
EXTRACTS: dict[str, Extract] = {
    "beijing_haidian_cau": Extract(
        file="beijing_haidian_cau.osm.pbf",
        name_zh="北京市海淀区 中国农业大学东校区及周边",
        name_en="Haidian District, Beijing: China Agricultural University east campus and surroundings",
        bounds=(116.34403, 39.99767, 116.35974, 40.00888),
        data_date="2026-03-22",
        unit_code="110108",
        source="OpenStreetMap API export (GitHub CAUmaodu/cauvisitor @ 4e853ec, map.osm), "
        "clipped to its bounds by tools/build_demo_extract.py",
    ),
}


def osm_extract(name: str = "beijing_haidian_cau") -> Path:
    """Path of an embedded OSM extract.

    Parameters
    ----------
    name
        A key of :data:`EXTRACTS`.

    Raises
    ------
    DataError
        For an unknown name, or when the file is missing from the installation.
    """
    if name not in EXTRACTS:
        raise DataError(f"no embedded OSM extract {name!r}; choose one of {', '.join(EXTRACTS)}")
    path = Path(str(resources.files(__name__) / EXTRACTS[name].file))
    if not path.is_file():
        raise DataError(
            f"the embedded OSM extract {path} is missing; reinstall citycheckup "
            "(it is package data of citycheckup.spatial.data)"
        )
    return path
