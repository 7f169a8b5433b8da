"""Which thresholds apply to which city and year.

A threshold grades a unit-year only when its :class:`~citycheckup.framework.models.Applicability`
holds for it and, for a local standard, when the user selected that locality and the
unit is the one that issued it. Everything else is shown as a reference beside the
value, with the reason it did not grade. A condition the data cannot decide (is the
city water-scarce? what is its size class?) never grades by guess.

Reasons are codes (for tables and for the reports' message catalogue):

``reference_only``
    the threshold is a reference value by its nature (a national average target, an
    honour-title criterion);
``target_year``
    a target to be reached by a later year (shown as a target);
``before_from`` / ``after_until``
    the threshold applies from / until another year;
``not_water_scarce`` / ``water_scarce_unknown``
    for water-scarce cities only; the city is not one / the data does not say;
``other_region``
    limited to other provinces;
``other_size_class`` / ``size_class_unknown``
    limited to other city-size classes / the size class is unknown;
``local_other_city``
    a local standard of another city;
``local_not_selected``
    the city's own local standard, not selected for this run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from citycheckup.framework.models import Grading

__all__ = ["REASONS", "UnitContext", "applicability"]

#: Reason codes with their reader-facing text (zh, en). ``{year}`` / ``{locality}`` are filled in.
REASONS: dict[str, dict[str, str]] = {
    "reference_only": {
        "zh": "参考值（非逐城达标线）",
        "en": "reference value (not a pass line for each city)",
    },
    "target_year": {
        "zh": "{year}年目标值，当年不作为达标线",
        "en": "target for {year}, not this year's pass line",
    },
    "before_from": {"zh": "自{year}年起适用", "en": "applies from {year}"},
    "after_until": {"zh": "适用至{year}年", "en": "applied until {year}"},
    "not_water_scarce": {"zh": "仅适用于缺水城市", "en": "for water-scarce cities only"},
    "water_scarce_unknown": {
        "zh": "仅适用于缺水城市，数据未说明本市是否缺水",
        "en": "for water-scarce cities only; the data does not say whether this city is one",
    },
    "other_region": {"zh": "仅适用于其他省份", "en": "limited to other provinces"},
    "other_size_class": {
        "zh": "仅适用于其他规模等级的城市",
        "en": "limited to cities of other size classes",
    },
    "size_class_unknown": {
        "zh": "按城市规模适用，本市规模等级未知",
        "en": "depends on city size; this city's size class is unknown",
    },
    "local_other_city": {"zh": "其他城市的地方标准", "en": "local standard of another city"},
    "local_not_selected": {
        "zh": "本市地方标准，本次未选用",
        "en": "this city's local standard, not selected for this run",
    },
}


@dataclass(frozen=True)
class UnitContext:
    """What applicability rules need to know about one unit-year.

    ``water_scarce`` and ``size_class`` are ``None`` when unknown.
    """

    unit_code: str
    year: int
    province_code: str | None = None
    size_class: str | None = None
    water_scarce: bool | None = None


def applicability(
    g: Grading, ctx: UnitContext, *, localities: Collection[str] = ()
) -> tuple[bool, str | None, int | None]:
    """Whether threshold set ``g`` grades the unit-year ``ctx``.

    Parameters
    ----------
    g
        The threshold set.
    ctx
        The unit-year.
    localities
        Codes of the localities whose local standards the user selected.

    Returns
    -------
    tuple
        ``(applies, reason, year)``: ``reason`` is a code of :data:`REASONS` when it does
        not apply (``None`` when it does); ``year`` fills the ``{year}`` of the reason.

    Examples
    --------
    >>> from citycheckup.framework.models import Grading
    >>> g = Grading(cutoffs=[35, 30, 25], source="x", applies={"water_scarce": True})
    >>> applicability(g, UnitContext("110000", 2024, water_scarce=None))
    (False, 'water_scarce_unknown', None)
    >>> applicability(g, UnitContext("110000", 2024, water_scarce=True))
    (True, None, None)
    """
    a = g.applies
    prov = g.provenance
    if a.role == "reference":
        return False, "reference_only", None
    if prov is not None and prov.tier == "local_standard":
        if ctx.unit_code not in prov.locality:
            return False, "local_other_city", None
        if ctx.unit_code not in localities:
            return False, "local_not_selected", None
    if a.target_year is not None and ctx.year < a.target_year:
        return False, "target_year", a.target_year
    if a.from_year is not None and ctx.year < a.from_year:
        return False, "before_from", a.from_year
    if a.until_year is not None and ctx.year > a.until_year:
        return False, "after_until", a.until_year
    if a.water_scarce is not None:
        if ctx.water_scarce is None:
            return False, "water_scarce_unknown", None
        if ctx.water_scarce != a.water_scarce:
            return False, "not_water_scarce", None
    if a.regions:
        pc = ctx.province_code or (ctx.unit_code[:2] if ctx.unit_code[:2].isdigit() else None)
        if pc is None or not any(
            str(pc).startswith(r[:2]) if len(r) == 2 else str(ctx.unit_code) == r for r in a.regions
        ):
            return False, "other_region", None
    if a.size_classes:
        if ctx.size_class is None:
            return False, "size_class_unknown", None
        if ctx.size_class not in a.size_classes:
            return False, "other_size_class", None
    return True, None, None
