"""Reader-facing labels shared by every report: place names, size classes, scoring, time.

Place names come from the gazetteer in the report's language (English outputs never
show a Chinese-only name when the gazetteer knows the unit); times are given in the
city's time zone (China Standard Time, 北京时间).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from citycheckup.report.messages import MESSAGES, t

__all__ = [
    "TZ",
    "local_now",
    "province_label",
    "scoring_label",
    "size_basis_note",
    "size_label",
    "unit_label",
]

TZ = ZoneInfo("Asia/Shanghai")


def local_now(lang: str) -> str:
    """The current time in China Standard Time, labelled for the reader."""
    now = datetime.now(TZ)
    return now.strftime("%Y-%m-%d %H:%M") + (" 北京时间" if lang == "zh" else " China Standard Time (UTC+8)")


@lru_cache(maxsize=1)
def _gazetteer() -> Any:
    from citycheckup.data.identity import default_gazetteer

    return default_gazetteer()


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and v != v) or str(v).strip() in ("", "nan", "<NA>")


def unit_label(code: object, name: object, lang: str) -> str:
    """The unit's name in ``lang``: the gazetteer's name for a known code, else the name given.

    A Chinese-only name is never shown in English when the gazetteer knows the unit; an
    unknown unit without a name is shown by its code.
    """
    c = "" if _missing(code) else str(code)
    g = _gazetteer()
    if c and c in g:
        try:
            return str(g.name_of(c, lang=lang))
        except TypeError:  # pragma: no cover - gazetteer without languages
            return str(g.name_of(c))
    return c if _missing(name) else str(name)


def province_label(name: object, lang: str, *, code: object = None) -> str:
    """A province's name in ``lang`` (from the code of one of its units, or its name)."""
    g = _gazetteer()
    c = "" if _missing(code) else str(code)
    if c and c in g and hasattr(g, "province_of"):
        return str(g.province_of(c, lang=lang))
    return "" if _missing(name) else str(name)


def size_label(size: object, lang: str) -> str:
    """City-size class (国发〔2014〕51号) in ``lang``; empty when unknown."""
    key = f"size.{size}"
    return t(key, lang) if isinstance(size, str) and key in MESSAGES else ""


def size_basis_note(basis: str | None, lang: str) -> str:
    """What the size class rests on — printed wherever a class is shown."""
    key = {"pop_urban": "size_basis.pop_urban", "census": "size_basis.census"}.get(basis or "", "size_basis.none")
    return t(key, lang)


def scoring_label(scoring: str, lang: str, *, n_units: int) -> str:
    """What the scores mean: absolute against goalposts, or relative among ``n_units`` units."""
    return t("scoring.absolute" if scoring == "absolute" else "scoring.relative", lang, n=n_units)
