"""City identity: administrative codes, Chinese and English names, and when units existed.

Names in Chinese statistics come in many spellings: ``保定市``, ``保定``, ``河北保定``,
``河北省保定市``; English sources write ``Xi'an``, ``Xian``, ``Xi'an City`` or ``Urumqi`` for
``Ürümqi``. :class:`Gazetteer` matches all of them to one 6-digit administrative code and knows
each unit's English name, kind and history.

The default gazetteer (:func:`default_gazetteer`) reads the reviewed table ``gazetteer.csv``
shipped with the package: 372 units — every prefecture-level unit (地级市, 自治州, 地区, 盟), the
municipalities, Hong Kong, Macao and Taiwan, the province-administered county-level units
(仙桃, 济源, the Xinjiang Production and Construction Corps cities, Hainan's counties) and the
abolished prefecture-level cities 巢湖 (341400) and 莱芜 (371200). ``gazetteer.md`` next to it
names the sources; ``tools/build_gazetteer.py`` rebuilds it and checks it against the Ministry of
Civil Affairs' year-end code tables.

Rules for the history (years are calendar years; "exists in year Y" means "in office on
31 December of Y", the reference date of annual statistics):

1. The history is recorded from 2000 on (:data:`HISTORY_FROM`). ``valid_from`` is the first year
   the unit existed at year-end; empty means it already existed at the end of 1999.
   ``valid_to`` is the last year it existed at year-end; empty means it still exists.
2. A 地区 or 盟 turned into a prefecture-level city, often under a new code (毕节 and 铜仁 2011,
   海东 2013, 日喀则 and 昌都 2014, 林芝 and 吐鲁番 2015, 山南 and 哈密 2016, 那曲 2017, …), and a
   renamed city (襄樊→襄阳 2010, 思茅→普洱 2007) are the *same* unit: its territory was a
   prefecture-level unit before, so its earlier statistics are real. Its ``valid_from`` is not
   moved; the old names and codes are kept in ``former_names`` (matched by :meth:`Gazetteer.match`).
3. A unit carved out of others or newly created (亳州 and 随州 2000, 来宾 2002, 崇左 2003, 中卫
   2004, 三沙 2012) or raised from county level (儋州 2015) starts in the year it took office:
   there are no prefecture-level statistics for it before.
4. The date that counts is the date a change took effect (the province's announcement or the new
   government's inauguration), which may fall in the year after the State Council approval:
   莱芜 was approved for abolition on 2018-12-26 and announced on 2019-01-09, so its last year is
   2018; 崇左 was approved on 2002-12-23 and took office in 2003. Name changes are dated by the
   approval, as in the Ministry's year-end code tables. Where the effective date could not be
   verified the approval date is used; column ``verified`` says which (``approval+effective``,
   ``approval``, ``mca-tables``).
5. Abolished units name their successors (巢湖 → 合肥, 芜湖, 马鞍山; 莱芜 → 济南). Boundary changes
   of surviving units (济南 2019, 合肥 2011, …) are described in their history sentence.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

import pandas as pd

from citycheckup.errors import Problem, UnitMatchError

__all__ = [
    "HISTORY_FROM",
    "KIND_LABELS",
    "City",
    "FormerName",
    "Gazetteer",
    "Match",
    "city_core_name",
    "default_gazetteer",
    "province_short_name",
]

logger = logging.getLogger(__name__)

Lang = Literal["zh", "en"]

#: First year whose year-end state the gazetteer records.
HISTORY_FROM = 2000

#: kind -> (zh, en) label.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "municipality": ("直辖市", "municipality"),
    "prefecture-level city": ("地级市", "prefecture-level city"),
    "autonomous prefecture": ("自治州", "autonomous prefecture"),
    "prefecture": ("地区", "prefecture"),
    "league": ("盟", "league"),
    "SAR": ("特别行政区", "special administrative region"),
    "province": ("省", "province"),
    "county-level": ("省直辖县级行政单位", "province-administered county-level unit"),
}

# Longest first, so 内蒙古自治区 strips before 自治区.
_PROVINCE_SUFFIXES = (
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_CITY_SUFFIXES = (
    "土家族苗族自治州",
    "布依族苗族自治州",
    "苗族侗族自治州",
    "哈尼族彝族自治州",
    "壮族苗族自治州",
    "傣族景颇族自治州",
    "藏族羌族自治州",
    "蒙古族藏族自治州",
    "黎族苗族自治县",
    "柯尔克孜自治州",
    "傈僳族自治州",
    "朝鲜族自治州",
    "傣族自治州",
    "白族自治州",
    "彝族自治州",
    "藏族自治州",
    "回族自治州",
    "哈萨克自治州",
    "蒙古自治州",
    "黎族自治县",
    "特别行政区",
    "自治州",
    "地区",
    "林区",
    "市",
    "盟",
    "县",
)
_SPACE = re.compile(r"[\s\u3000·・]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_QUALIFIER = re.compile(r"\s*[（(][^）)]*[）)]")
ADCODE_RE = re.compile(r"^\d{6}$")

# The municipalities have two codes in common use: the province code (110000) and the
# city-level code (110100). Both denote the same unit.
_MUNICIPALITY_ALIASES = {
    "110100": "110000",
    "120100": "120000",
    "310100": "310000",
    "500100": "500000",
}

# English designations that may follow a unit's name; stripped one at a time when a name is not
# found. "Province" is not among them: "Hainan Province" must not match the Hainan prefecture.
_EN_SUFFIXES = (
    "specialadministrativeregion",
    "autonomousprefecture",
    "autonomouscounty",
    "forestrydistrict",
    "municipality",
    "prefecture",
    "zizhizhou",
    "league",
    "county",
    "diqu",
    "city",
    "meng",
    "sar",
    "shi",
)


def province_short_name(name: str) -> str:
    """``河北省`` → ``河北``; ``广西壮族自治区`` → ``广西``; ``北京市`` → ``北京``."""
    n = _SPACE.sub("", str(name))
    for suf in _PROVINCE_SUFFIXES:
        if n.endswith(suf) and len(n) > len(suf):
            return n[: -len(suf)]
    return n


def city_core_name(name: str) -> str:
    """``保定市`` → ``保定``; ``延边朝鲜族自治州`` → ``延边``; ``大兴安岭地区`` → ``大兴安岭``."""
    n = _SPACE.sub("", str(name))
    for suf in _CITY_SUFFIXES:
        if n.endswith(suf) and len(n) > len(suf):
            return n[: -len(suf)]
    return n


def _en_key(text: str) -> str:
    """Case-, accent-, apostrophe-, space- and hyphen-insensitive key of an English name."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _en_variants(key: str) -> list[str]:
    """``key`` and the keys left after stripping trailing designations (``xiancity`` → ``xian``)."""
    out = [key]
    while True:
        for suf in _EN_SUFFIXES:
            if key.endswith(suf) and len(key) > len(suf):
                key = key[: -len(suf)]
                out.append(key)
                break
        else:
            return out


@dataclass(frozen=True)
class FormerName:
    """A name and code a unit used before year ``until`` (the year of the change)."""

    name_zh: str
    name_en: str
    code: str
    until: int


@dataclass(frozen=True)
class City:
    """A unit of the gazetteer (prefecture level, or province-level / county-level where listed).

    ``name`` and ``province`` are the official Chinese names; ``valid_from``/``valid_to`` follow
    the rules of the module docstring (``None`` = before 2000 / still exists).
    """

    code: str
    name: str
    province: str
    province_code: str
    name_en: str = ""
    name_en_full: str = ""
    province_en: str = ""
    kind: str = "prefecture-level city"
    valid_from: int | None = None
    valid_to: int | None = None
    successor: tuple[str, ...] = ()
    former_names: tuple[FormerName, ...] = ()
    name_short: str = ""
    aliases_en: tuple[str, ...] = ()
    history_zh: str = ""
    history_en: str = ""
    source: str = ""
    verified: str = ""

    @property
    def name_zh(self) -> str:
        """The official Chinese name (same as ``name``)."""
        return self.name

    def existed(self, year: int) -> bool:
        """Whether the unit existed at the end of ``year``."""
        return (self.valid_from is None or year >= self.valid_from) and (
            self.valid_to is None or year <= self.valid_to
        )


@dataclass(frozen=True)
class Match:
    """How a name was matched: the code, the route and, for a former name, a note."""

    code: str
    via: Literal["code", "name_zh", "name_en", "former_name"]
    note_zh: str = ""
    note_en: str = ""


class Gazetteer:
    """Match city names (Chinese or English) and codes to administrative codes; unit history.

    Parameters
    ----------
    cities
        The known units.

    Examples
    --------
    >>> g = default_gazetteer()
    >>> g.match("河北保定"), g.match("保定市"), g.match("130600"), g.match("Baoding")
    ('130600', '130600', '130600', '130600')
    >>> g.match("Xian"), g.match("Urumqi City"), g.match("襄樊")
    ('610100', '650100', '420600')
    >>> g.name_of("650100", lang="en"), g.existed("341400", 2010), g.existed("341400", 2011)
    ('Ürümqi', True, False)
    """

    def __init__(self, cities: Iterable[City]):
        self.cities: dict[str, City] = {}
        for c in cities:
            self.cities.setdefault(c.code, c)
        for alias, main in _MUNICIPALITY_ALIASES.items():
            if alias in self.cities and main in self.cities:
                del self.cities[alias]
        self._by_full: dict[str, set[str]] = {}
        self._by_core: dict[str, set[str]] = {}
        self._provinces: dict[str, str] = {}
        self._by_en: dict[str, set[str]] = {}
        self._provinces_en: dict[str, str] = {}
        self._former_zh: dict[str, dict[str, FormerName]] = {}
        self._former_en: dict[str, dict[str, FormerName]] = {}
        for c in self.cities.values():
            self._by_full.setdefault(_SPACE.sub("", c.name), set()).add(c.code)
            self._by_core.setdefault(c.name_short or city_core_name(c.name), set()).add(c.code)
            self._provinces[province_short_name(c.province)] = c.province_code
            for en in (c.name_en, c.name_en_full, *c.aliases_en):
                if en:
                    self._by_en.setdefault(_en_key(en), set()).add(c.code)
            if c.province_en:
                self._provinces_en[_en_key(c.province_en)] = c.province_code
            for f in c.former_names:
                zh = _QUALIFIER.sub("", f.name_zh)
                if zh != c.name:
                    for k in {zh, city_core_name(zh)}:
                        self._former_zh.setdefault(k, {})[c.code] = f
                en_name = _QUALIFIER.sub("", f.name_en)
                short = re.sub(r"\s+(Prefecture|League|City)$", "", en_name)
                for k in {_en_key(en_name), _en_key(short)} - {"", _en_key(c.name_en)}:
                    self._former_en.setdefault(k, {})[c.code] = f

    def __len__(self) -> int:
        return len(self.cities)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.canonical_code(code) in self.cities

    def canonical_code(self, code: str) -> str:
        """The code under which a unit is stored (``110100`` → ``110000``)."""
        c = str(code).strip()
        if c.endswith(".0"):
            c = c[:-2]
        if c in _MUNICIPALITY_ALIASES and _MUNICIPALITY_ALIASES[c] in self.cities:
            return _MUNICIPALITY_ALIASES[c]
        inverse = {v: k for k, v in _MUNICIPALITY_ALIASES.items()}
        if c not in self.cities and c in inverse and inverse[c] in self.cities:
            return inverse[c]
        return c

    def city(self, code: str) -> City:
        """The unit with ``code``; :class:`UnitMatchError` names the code when it is unknown."""
        c = self.canonical_code(code)
        if c not in self.cities:
            raise UnitMatchError(
                f"unit code {code!r} is not in the gazetteer; use a 6-digit administrative code of a "
                "prefecture-level unit (e.g. 130600) or match the name with Gazetteer.match"
            )
        return self.cities[c]

    def name_of(self, code: str, lang: Lang = "zh") -> str:
        """The official name: Chinese (``保定市``) or English (``Baoding``).

        A unit without an English name gives its code in English, never a Chinese name.
        """
        c = self.city(code)
        if lang == "en":
            return c.name_en or c.code
        return c.name

    def province_of(self, code: str, lang: Lang = "zh") -> str:
        """The province-level unit: ``河北省`` / ``Hebei``."""
        c = self.city(code)
        if lang == "en":
            return c.province_en or c.province_code
        return c.province

    # --- history --------------------------------------------------------------------------------
    def validity(self, code: str) -> tuple[int | None, int | None]:
        """``(valid_from, valid_to)``: first and last year at whose end the unit existed.

        ``None`` means "before 2000" (history is recorded from :data:`HISTORY_FROM`) or "still exists".
        """
        c = self.city(code)
        return c.valid_from, c.valid_to

    def existed(self, code: str, year: int) -> bool:
        """Whether unit ``code`` existed at the end of ``year`` (see the module docstring)."""
        return self.city(code).existed(int(year))

    def existing(self, year: int) -> list[str]:
        """Codes of all units that existed at the end of ``year``."""
        return sorted(c.code for c in self.cities.values() if c.existed(int(year)))

    def _former_in(self, code: str, year: int) -> FormerName | None:
        for f in sorted(self.city(code).former_names, key=lambda f: f.until):
            if int(year) < f.until:
                return f
        return None

    def name_in(self, code: str, year: int, lang: Lang = "zh") -> str:
        """The name the unit bore at the end of ``year`` (``520500``, 2010 → ``毕节地区``)."""
        f = self._former_in(code, year)
        if f is None:
            return self.name_of(code, lang)
        return f.name_en if lang == "en" else f.name_zh

    def code_in(self, code: str, year: int) -> str:
        """The code the unit used at the end of ``year`` (``520500``, 2010 → ``522400``)."""
        f = self._former_in(code, year)
        return f.code if f is not None else self.city(code).code

    def history(self, code: str, lang: Lang = "zh") -> str:
        """A sentence on the unit's changes since 2000, in Chinese or English.

        Examples
        --------
        >>> default_gazetteer().history("341400", lang="en")[:36]
        'Chaohu was abolished in 2011 and its'
        """
        c = self.city(code)
        text = c.history_en if lang == "en" else c.history_zh
        if text:
            return text
        name = self.name_of(c.code, lang)
        parts_zh, parts_en = [], []
        if c.valid_from is not None:
            parts_zh.append(f"{c.valid_from}年设立")
            parts_en.append(f"established in {c.valid_from}")
        if c.valid_to is not None:
            parts_zh.append(f"{c.valid_to + 1}年撤销")
            parts_en.append(f"abolished in {c.valid_to + 1}")
        if lang == "en":
            return (
                f"{name}: "
                + ("; ".join(parts_en) if parts_en else "no recorded change since 2000")
                + "."
            )
        return f"{name}：" + ("，".join(parts_zh) if parts_zh else "2000年以来无变更记录") + "。"

    # --- matching -------------------------------------------------------------------------------
    def candidates(self, name: str) -> list[str]:
        """All codes that ``name`` could denote by a current name or code (empty when none)."""
        raw = _SPACE.sub("", str(name))
        if not raw:
            return []
        if ADCODE_RE.match(raw):
            c = self.canonical_code(raw)
            return [c] if c in self.cities else []
        if not _CJK.search(raw):
            return self._candidates_en(str(name))
        if raw in self._by_full:
            return sorted(self._by_full[raw])
        core = city_core_name(raw)
        found = set(self._by_core.get(core, set()))
        if found and len(found) == 1:
            return sorted(found)
        # a province prefix, written in full or short: 河北保定, 河北省保定市, 广西桂林
        for prov_short, prov_code in sorted(self._provinces.items(), key=lambda kv: -len(kv[0])):
            for prefix in {prov_short, *(prov_short + s for s in _PROVINCE_SUFFIXES)}:
                if raw.startswith(prefix) and len(raw) > len(prefix):
                    rest = city_core_name(raw[len(prefix) :])
                    hits = {
                        c
                        for c in self._by_core.get(rest, set())
                        if self.cities[c].province_code == prov_code
                    }
                    if hits:
                        return sorted(hits)
        # a municipality written as its province: 北京 → 北京市
        if raw in self._provinces or province_short_name(raw) in self._provinces:
            pc = self._provinces.get(raw) or self._provinces[province_short_name(raw)]
            if pc in self.cities:
                return [pc]
        return sorted(found)

    def _candidates_en(self, name: str) -> list[str]:
        key = _en_key(name)
        if not key:
            return []
        for k in _en_variants(key):
            if k in self._by_en:
                return sorted(self._by_en[k])
        # a province before or after the name: "Taizhou, Zhejiang", "Zhejiang Taizhou"
        for prov_key, prov_code in sorted(self._provinces_en.items(), key=lambda kv: -len(kv[0])):
            for pk in _en_variants_province(prov_key):
                rest = (
                    key[len(pk) :]
                    if key.startswith(pk)
                    else key[: -len(pk)]
                    if key.endswith(pk)
                    else ""
                )
                if rest and rest != key:
                    for k in _en_variants(rest):
                        hits = {
                            c
                            for c in self._by_en.get(k, set())
                            if self.cities[c].province_code == prov_code
                        }
                        if hits:
                            return sorted(hits)
        return []

    def _former(self, name: str) -> dict[str, FormerName]:
        raw = _SPACE.sub("", str(name))
        if _CJK.search(raw):
            return self._former_zh.get(raw) or self._former_zh.get(city_core_name(raw)) or {}
        for k in _en_variants(_en_key(name)):
            if k in self._former_en:
                return self._former_en[k]
        return {}

    def resolve(self, name: str) -> Match:
        """Match ``name`` and say how: by code, Chinese name, English name or a former name.

        Raises :class:`UnitMatchError` when ``name`` is unknown or ambiguous.
        """
        cands = self.candidates(name)
        raw = _SPACE.sub("", str(name))
        if len(cands) == 1:
            if ADCODE_RE.match(raw):
                return Match(cands[0], "code")
            return Match(cands[0], "name_zh" if _CJK.search(raw) else "name_en")
        if not cands:
            former = self._former(name)
            if len(former) == 1:
                code, f = next(iter(former.items()))
                c = self.cities[code]
                return Match(
                    code,
                    "former_name",
                    note_zh=f"“{name}”是{c.name}（{code}）的旧称，{f.until}年改为现名",
                    note_en=f"'{name}' is a former name of {c.name_en or code} ({code}), "
                    f"changed in {f.until}",
                )
            cands = sorted(former)
        if not cands:
            raise UnitMatchError(
                f"city {name!r} is not a known prefecture-level unit; write its 6-digit administrative "
                "code (e.g. 130600), its official name (e.g. 保定市) or its English name (e.g. Baoding)"
            )
        first = self.cities[cands[0]]
        if _CJK.search(raw):
            listed = ", ".join(f"{c} {self.cities[c].province}{self.cities[c].name}" for c in cands)
            example = province_short_name(first.province) + (
                first.name_short or city_core_name(first.name)
            )
        else:
            listed = ", ".join(
                f"{c} {self.name_of(c, 'en')} ({self.province_of(c, 'en')})" for c in cands
            )
            example = f"'{self.name_of(first.code, 'en')}, {self.province_of(first.code, 'en')}'"
        hint = f"add the province (e.g. {example}) or use the code"
        raise UnitMatchError(f"city {name!r} is ambiguous: {listed}; {hint}")

    def match(self, name: str) -> str:
        """The code of ``name``; raise :class:`UnitMatchError` when unknown or ambiguous.

        A former name (襄樊, Xiangfan) matches the unit that bears it now; the match is logged.
        """
        m = self.resolve(name)
        if m.via == "former_name":
            logger.info("%s", m.note_en)
        return m.code

    def match_many(self, names: Iterable[object], *, where: str = "data") -> list[str]:
        """Codes of all ``names``; every unmatched name is reported in one error."""
        out: list[str] = []
        problems: list[Problem] = []
        for i, n in enumerate(names):
            try:
                out.append(self.match(str(n)))
            except UnitMatchError as exc:
                problems.append(Problem(str(exc), f"{where} row {i + 2}"))
                out.append("")
        if problems:
            raise UnitMatchError(
                f"{len(problems)} unit name(s) could not be matched", problems=problems
            )
        return out

    def table(self) -> pd.DataFrame:
        """The gazetteer as a table, one row per unit (lists joined with ``;``)."""
        rows = []
        for c in self.cities.values():
            d = dict(c.__dict__)
            d["successor"] = ";".join(c.successor)
            d["aliases_en"] = ";".join(c.aliases_en)
            d["former_names"] = ";".join(
                f"{f.name_zh}|{f.name_en}|{f.code}|{f.until}" for f in c.former_names
            )
            rows.append(d)
        out = pd.DataFrame(rows)
        for col in ("valid_from", "valid_to"):
            out[col] = out[col].astype("Int64")
        return out


def _en_variants_province(key: str) -> list[str]:
    return [key + s for s in ("province", "autonomousregion", "municipality", "sar", "")]


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def _former(text: str) -> tuple[FormerName, ...]:
    out = []
    for part in filter(None, text.split(";")):
        zh, en, code, until = part.split("|")
        out.append(FormerName(zh, en, code, int(until)))
    return tuple(out)


def _split(text: str) -> tuple[str, ...]:
    return tuple(p for p in text.split(";") if p)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer of Chinese prefecture-level units shipped with the package (``gazetteer.csv``)."""
    text = resources.files("citycheckup.data").joinpath("gazetteer.csv").read_text(encoding="utf-8")
    cities = [
        City(
            code=r["code"],
            name=r["name_zh"],
            province=r["province_zh"],
            province_code=r["province_code"],
            name_en=r["name_en"],
            name_en_full=r["name_en_full"],
            province_en=r["province_en"],
            kind=r["kind"],
            valid_from=_int_or_none(r["valid_from"]),
            valid_to=_int_or_none(r["valid_to"]),
            successor=_split(r["successor"]),
            former_names=_former(r["former_names"]),
            name_short=r["name_zh_short"],
            aliases_en=_split(r["aliases_en"]),
            history_zh=r["history_zh"],
            history_en=r["history_en"],
            source=r["source"],
            verified=r["verified"],
        )
        for r in csv.DictReader(io.StringIO(text))
    ]
    return Gazetteer(cities)
