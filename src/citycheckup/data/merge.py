"""Merging several data sets (e.g. yearbook variables + hotline rates + spatial indicators)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from citycheckup.data.readers import NAME, UNIT, YEAR, Dataset
from citycheckup.errors import DataError, Problem

__all__ = ["merge_datasets"]

# suffix of a group column of the right-hand set while two sets are joined
_RIGHT = "\x00right"


def merge_datasets(sets: Sequence[Dataset]) -> Dataset:
    """Outer-join data sets on unit and year.

    A variable given by two sets, or a name that is a variable in one set and a group
    column (e.g. province) in another, is an error. A group column of several sets is
    filled from each of them; two sets that give a unit and year different values of it
    are an error.
    """
    if not sets:
        raise DataError("no data set to merge")
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    for ds in sets:
        for v in ds.variables:
            if v in owner:
                problems.append(
                    Problem(
                        f"variable {v!r} is in both {owner[v]} and {ds.source}; keep it in one file",
                        ds.source,
                    )
                )
            owner[v] = ds.source
    for ds in sets:
        for g in ds.groups:
            if g in owner:
                problems.append(
                    Problem(
                        f"{g!r} is a variable in {owner[g]} but a group column in {ds.source}; "
                        "rename one of them",
                        ds.source,
                    )
                )
    if problems:
        raise DataError("data sets overlap", problems=problems)
    merged = sets[0].data
    for ds in sets[1:]:
        right = ds.data.drop(columns=[NAME])
        shared = [g for g in ds.groups if g in merged.columns]
        merged = merged.merge(right, on=[UNIT, YEAR], how="outer", sort=True, suffixes=("", _RIGHT))
        for g in shared:
            theirs = merged.pop(g + _RIGHT)
            clash = merged[g].notna() & theirs.notna() & (merged[g] != theirs)
            problems += [
                Problem(
                    f"{g} of {r[UNIT]} in {int(r[YEAR])} is {r[g]!r} in an earlier file but "
                    f"{t!r} in {ds.source}; correct one of them",
                    ds.source,
                )
                for (_, r), t in zip(merged[clash].iterrows(), theirs[clash], strict=True)
            ]
            merged[g] = merged[g].where(merged[g].notna(), theirs)
    if problems:
        raise DataError("data sets disagree on group columns", problems=problems)
    names = (
        pd.concat([ds.data[[UNIT, NAME]] for ds in sets])
        .dropna()
        .drop_duplicates(UNIT)
        .set_index(UNIT)[NAME]
    )
    merged[NAME] = merged[NAME].fillna(merged[UNIT].map(names))
    units: dict[str, str] = {}
    groups_all: list[str] = []
    for ds in sets:
        units.update(ds.units)
        groups_all += [g for g in ds.groups if g not in groups_all]
    conversions = [{**rec, "source": ds.source} for ds in sets for rec in ds.conversions]
    return Dataset(
        data=merged.reset_index(drop=True),
        source=" + ".join(ds.source for ds in sets),
        units=units,
        groups=groups_all,
        sha256=";".join(ds.sha256 or "" for ds in sets),
        conversions=conversions,
    )
