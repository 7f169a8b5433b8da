"""Reader-facing labels shared by every report: place names, size classes, scoring, time.

Place names come from the gazetteer in the report's language (English outputs never
show a Chinese-only name when the gazetteer knows the unit); times are given in the
city's time zone (China Standard Time, 北京时间).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from citycheckup.report.messages import MESSAGES, t

__all__ = [
    "TZ",
    "UNITS_EN",
    "local_now",
    "local_time",
    "province_label",
    "scoring_label",
    "size_basis_note",
    "size_label",
    "romanise_doc_numbers",
    "unit_label",
    "unit_text",
]

#: Units of measure in English (the framework writes them in Chinese yearbook style).
UNITS_EN: dict[str, str] = {
    "万人/km²": "10,000 persons/km²",
    "元/人": "CNY per person",
    "人/万人": "per 10,000 residents",
    "户/百人": "per 100 residents",
    "万元": "10,000 CNY",
    "亿元": "100 million CNY",
    "元": "CNY",
    "百万元": "million CNY",
    "万人": "10,000 persons",
    "人": "persons",
    "万户": "10,000 subscribers",
    "个": "number",
    "栋": "buildings",
    "套": "dwellings",
    "座": "number",
    "条": "roads",
    "起": "cases",
    "处": "sites",
    "项": "items",
    "家": "establishments",
    "m²/人": "m² per person",
    "个/10万人": "per 100,000 residents",
    "个/km²": "per km²",
    "座/km²": "per km²",
    "t/万元": "t per 10,000 CNY",
    "t/人": "t per person",
    "km/km²": "km/km²",
    "分": "points",
    "score": "score",
    "min": "min",
    "年": "years",
    "km": "km",
    "fraction (0–1)": "fraction (0–1)",
    "%": "%",
    "km²": "km²",
    "m²": "m²",
}

TZ = ZoneInfo("Asia/Shanghai")


def _cst(when: datetime, lang: str) -> str:
    """``when`` in China Standard Time, to the minute, labelled for the reader."""
    return when.astimezone(TZ).strftime("%Y-%m-%d %H:%M") + t("l.time_zone", lang)


def local_now(lang: str) -> str:
    """The current time in China Standard Time, labelled for the reader."""
    return _cst(datetime.now(TZ), lang)


def local_time(stamp: str, lang: str) -> str:
    """An ISO 8601 time stamp (a run's ``created_utc``) in China Standard Time, labelled.

    A stamp without an offset is taken as UTC, which is how runs record it; an empty stamp
    gives an empty string, and one that is not ISO 8601 is shown as it is (not guessed at).
    """
    if not stamp:
        return ""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _cst(when, lang)


@lru_cache(maxsize=1)
def _gazetteer() -> Any:
    from citycheckup.data.identity import default_gazetteer

    return default_gazetteer()


def _missing(v: object) -> bool:
    return (
        v is None
        or v is pd.NA
        or (isinstance(v, float) and v != v)
        or str(v).strip() in ("", "nan", "<NA>")
    )


def unit_label(code: object, name: object, lang: str) -> str:
    """The unit's name in ``lang``: the gazetteer's name for a known code, else the name given.

    A Chinese-only name is never shown in English: a unit the gazetteer does not know is
    shown by its code there (and by its code when it has no name at all).
    """
    c = "" if _missing(code) else str(code)
    g = _gazetteer()
    if c and c in g:
        try:
            return str(g.name_of(c, lang=lang))
        except TypeError:  # pragma: no cover - gazetteer without languages
            return str(g.name_of(c))
    if _missing(name):
        return c
    if lang == "en" and c and any("\u3400" <= ch <= "\u9fff" for ch in str(name)):
        return c
    return str(name)


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
    key = {"pop_urban": "size_basis.pop_urban", "census": "size_basis.census"}.get(
        basis or "", "size_basis.none"
    )
    return t(key, lang)


def scoring_label(scoring: str, lang: str, *, n_units: int) -> str:
    """What the scores mean: absolute against goalposts, or relative among ``n_units`` units."""
    return t("scoring.absolute" if scoring == "absolute" else "scoring.relative", lang, n=n_units)


def unit_text(unit: str | None, lang: str, *, unit_en: str | None = None) -> str:
    """A unit of measure for the reader: as written in Chinese, translated in English."""
    u = (unit or "").strip()
    if lang == "zh":
        return u
    return unit_en or UNITS_EN.get(u, u)


#: Pinyin of the characters of Chinese document-number prefixes (国办发, 发改环资, 建科 …).
_DOC_PINYIN = {
    "国": "Guo",
    "办": "ban",
    "发": "fa",
    "改": "gai",
    "环": "huan",
    "资": "zi",
    "建": "Jian",
    "科": "ke",
    "城": "cheng",
    "标": "biao",
    "函": "han",
    "规": "gui",
    "质": "zhi",
    "农": "nong",
    "财": "cai",
    "中": "Zhong",
    "厅": "ting",
    "字": "zi",
    "政": "zheng",
    "综": "zong",
    "保": "bao",
    "村": "cun",
}
_DOC_NUMBER = re.compile(r"(?P<prefix>[\u4e00-\u9fff]{1,6})〔(?P<year>\d{4})〕(?P<num>\d+)号")


def romanise_doc_numbers(text: str) -> str:
    """Chinese document numbers in pinyin for English text: 国办发〔2015〕75号 → Guobanfa [2015] No. 75.

    Prefixes with a character outside the table are left as they are (and show up in the
    checks for Chinese in English reports, where the table can be extended).
    """

    def one(m: re.Match[str]) -> str:
        prefix = m.group("prefix")
        # the prefix is the longest run of known characters ending at 〔 (发改环资, 国办发 …)
        run = ""
        for j in range(len(prefix), 0, -1):
            if all(c in _DOC_PINYIN for c in prefix[-j:]):
                run = prefix[-j:]
                break
        if not run:
            return m.group(0)
        py = "".join(_DOC_PINYIN[c] for c in run)
        py = py[0].upper() + py[1:]
        return f"{prefix[: len(prefix) - len(run)]}{py} [{m.group('year')}] No. {m.group('num')}"

    return _DOC_NUMBER.sub(one, text)
