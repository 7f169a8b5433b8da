"""Column headers as people write them: framework codes, Chinese and English names, aliases, units.

A header such as ``地区生产总值(万元)``, ``常住人口（万人）``, ``GDP [亿元]`` or ``gdp (10k yuan)``
is split into a name and a unit; the name is matched to a framework code by its code,
``name_zh``, ``name_en`` or ``aliases``, insensitive to case, spaces, line breaks, full- or
half-width brackets and punctuation. A name that matches nothing gets the closest codes
as suggestions (:meth:`HeaderIndex.suggest`).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from citycheckup.data.units import parse_unit
from citycheckup.framework.models import Framework

__all__ = ["HeaderIndex", "header_key", "split_header", "unit_in_brackets"]

_TRAILING_BRACKET = re.compile(
    r"^(?P<name>.*?)\s*[(\[（【〔](?P<inner>[^()\[\]（）【】〔〕]*)[)\]）】〕]\s*$"
)
_UNIT_PREFIX = re.compile(r"^\s*(计量单位|单位|units|unit)\s*[:：]?\s*", re.IGNORECASE)


def header_key(text: object) -> str:
    """A header reduced for matching: NFKC, lower case, no spaces, punctuation or control characters.

    >>> header_key("常住人口（万人）") == header_key("常住 人口(万人)")
    True
    >>> header_key("Pop_Resident")
    'popresident'
    """
    s = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(ch for ch in s if unicodedata.category(ch)[0] not in "PZC")


def split_header(header: str) -> tuple[str, str | None, str | None]:
    """Split ``header`` into its name and the text of a trailing bracket.

    Returns
    -------
    name, inner, bracket
        ``inner`` is the bracket's text (``None`` without a trailing bracket) and
        ``bracket`` the opening bracket character.

    >>> split_header("地区生产总值(万元)")
    ('地区生产总值', '万元', '(')
    >>> split_header("GDP [亿元]")
    ('GDP', '亿元', '[')
    >>> split_header("常住人口")
    ('常住人口', None, None)
    """
    text = " ".join(str(header).split())
    m = _TRAILING_BRACKET.match(text)
    if not m or not m.group("name").strip():
        return text, None, None
    opening = text[len(m.group("name")) :].lstrip()[0]
    return m.group("name").strip(), m.group("inner").strip(), opening


def unit_in_brackets(inner: str | None) -> str | None:
    """The unit written in a header's bracket: the whole text, or one part of a list.

    ``单位：万元`` → ``万元``; ``当年价，亿元`` → ``亿元``; ``名义`` → ``None``.
    """
    if inner is None:
        return None
    text = _UNIT_PREFIX.sub("", inner).strip()
    if parse_unit(text) is not None:
        return text
    for part in re.split(r"[,，;；、]", text):
        part = _UNIT_PREFIX.sub("", part).strip()
        if part and parse_unit(part) is not None:
            return part
    return None


@dataclass
class HeaderIndex:
    """Header keys of a framework's variables and indicators, in tiers of precedence.

    Tier 0: codes; tier 1: variables' ``name_zh``/``name_en``; tier 2: variables'
    ``aliases``; tier 3: indicators' names and aliases. A header resolves to the codes
    of the first tier where it matches: a variable wins over a derived indicator of the
    same name (第三产业增加值占GDP比重 is the raw share, from which the indicator is derived).
    """

    framework: Framework
    tiers: list[dict[str, list[str]]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, fw: Framework) -> HeaderIndex:
        idx = cls(framework=fw, tiers=[{}, {}, {}, {}])

        def add(tier: int, text: str | None, code: str) -> None:
            if text:
                k = header_key(text)
                if k:
                    codes = idx.tiers[tier].setdefault(k, [])
                    if code not in codes:
                        codes.append(code)

        for v in fw.variables:
            add(0, v.code, v.code)
            add(1, v.name_zh, v.code)
            add(1, v.name_en, v.code)
            for a in v.aliases:
                add(2, a, v.code)
            idx.labels[v.code] = v.name_zh
        for ind in fw.indicators:
            add(0, ind.code, ind.code)
            add(3, ind.name_zh, ind.code)
            add(3, ind.name_en, ind.code)
            for a in ind.aliases:
                add(3, a, ind.code)
            idx.labels.setdefault(ind.code, ind.name_zh)
        return idx

    def resolve(self, name: str) -> list[str]:
        """Codes that ``name`` means (one, or several when it is ambiguous; empty when none)."""
        k = header_key(name)
        for tier in self.tiers:
            if k in tier:
                return list(tier[k])
        return []

    def label(self, code: str) -> str:
        """``code (name_zh)``, as suggestions print it."""
        name = self.labels.get(code)
        return f"{code} ({name})" if name else code

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` codes whose code, names or aliases are closest to ``name``.

        Closeness is difflib's ratio (at least 0.6), or containment of a header of two or
        more characters in a name (人口 in 常住人口); ties go to codes and names before
        aliases, then to framework order.
        """
        k = header_key(split_header(name)[0]) or header_key(name)
        if not k:
            return []
        best: dict[str, tuple[float, int, int]] = {}
        order = {
            c: i
            for i, c in enumerate(
                [*(v.code for v in self.framework.variables), *self.framework.indicator_codes]
            )
        }
        sm = difflib.SequenceMatcher(b=k, autojunk=False)
        for t, tier in enumerate(self.tiers):
            for key, codes in tier.items():
                sm.set_seq1(key)
                ratio = sm.ratio()
                if len(k) >= 2 and k in key:
                    ratio = max(ratio, 0.6)
                if ratio < 0.6:
                    continue
                for c in codes:
                    cand = (-ratio, min(t, 1), order.get(c, len(order)))
                    if c not in best or cand < best[c]:
                        best[c] = cand
        return sorted(best, key=lambda c: best[c])[:n]
