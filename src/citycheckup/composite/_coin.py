"""The coin: indicator data plus a COINr-style indicator table (iMeta).

A :class:`Coin` is immutable input to a pipeline. It validates the metadata and
the data together (reporting every problem at once), works out the hierarchy
(indicators → aggregates → index) and precomputes the matrices the aggregation
step needs, so that rebuilding an index thousands of times stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citycheckup.errors import DataError, FrameworkError, Problem

__all__ = ["Coin", "META_TYPES"]

#: Row types allowed in the ``Type`` column of the indicator table.
META_TYPES = ("Indicator", "Aggregate", "Denominator", "Group", "Other")

_REQUIRED_META = ("Level", "iCode", "Direction", "Weight", "Parent", "Type")
_ID_COLUMNS = ("uCode", "uName", "Time")


def _is_identifier(code: str) -> bool:
    return bool(code) and not code[0].isdigit() and " " not in code


@dataclass(frozen=True)
class _Level:
    """Aggregation of one level into the next (children → parents)."""

    level: int  # level of the parents (2 .. max)
    children: tuple[str, ...]
    parents: tuple[str, ...]
    membership: np.ndarray  # (n_children, n_parents) 0/1
    child_parent: np.ndarray  # index of each child's parent


@dataclass(frozen=True, eq=False)
class Coin:
    """Indicator data and metadata of a composite index.

    Parameters
    ----------
    data
        One row per unit (and per ``Time`` for panels): ``uCode``, optional ``uName``,
        optional ``Time``, optional ``*_group`` columns, optional denominator columns
        and one column per indicator code.
    meta
        COINr ``iMeta``-style table with columns ``Level``, ``iCode``, ``Direction``,
        ``Weight``, ``Parent``, ``Type`` and optionally ``iName``, ``Unit``, ``Target``,
        ``Denominator`` and per-method normalisation columns (``minmax_lower``, …).
        Level 1 holds the indicators; levels 2, 3, … the aggregates up to the index.
    weight_sets
        Optional named weight sets ``{name: {code: weight}}`` selectable in the
        aggregation step by name (the metadata ``Weight`` column is the set
        ``"Original"``).
    exclude
        Indicator codes to leave out (COINr ``new_coin(exclude=)``); the full table
        stays available as :attr:`source_meta` so that
        :func:`~citycheckup.composite.adjust.change_ind` can add them back.

    Raises
    ------
    FrameworkError
        The metadata table is invalid (every problem is listed).
    DataError
        The data do not fit the metadata (every problem is listed).

    Examples
    --------
    >>> meta = pd.DataFrame({"Level": [1, 1, 2], "iCode": ["a", "b", "Index"],
    ...                      "Direction": [1, -1, 1], "Weight": [1, 1, 1],
    ...                      "Parent": ["Index", "Index", None],
    ...                      "Type": ["Indicator", "Indicator", "Aggregate"]})
    >>> data = pd.DataFrame({"uCode": ["X", "Y"], "a": [1.0, 2.0], "b": [3.0, 4.0]})
    >>> Coin(data=data, meta=meta).indicators
    ('a', 'b')
    """

    data: pd.DataFrame
    meta: pd.DataFrame
    weight_sets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    # derived (filled in __post_init__)
    source_meta: pd.DataFrame = field(init=False, repr=False)
    indicators: tuple[str, ...] = field(init=False)
    aggregates: tuple[str, ...] = field(init=False)
    levels: dict[int, tuple[str, ...]] = field(init=False)
    parent: dict[str, str] = field(init=False)
    max_level: int = field(init=False)
    group_columns: tuple[str, ...] = field(init=False)
    denominator_columns: tuple[str, ...] = field(init=False)
    is_panel: bool = field(init=False)

    def __post_init__(self) -> None:
        meta = self._clean_meta(self.meta)
        object.__setattr__(self, "source_meta", meta)
        object.__setattr__(self, "exclude", tuple(self.exclude))
        if self.exclude:
            meta = self._excluded(meta, self.exclude)
        object.__setattr__(self, "meta", meta)
        self._derive(meta)
        data = self._clean_data(self.data)
        object.__setattr__(self, "data", data)
        self._check_weight_sets()

    @staticmethod
    def _excluded(meta: pd.DataFrame, exclude: Sequence[str]) -> pd.DataFrame:
        inds = set(meta.loc[meta["Type"] == "Indicator", "iCode"].astype(str))
        bad = [c for c in exclude if c not in inds]
        if bad:
            raise FrameworkError(
                "cannot exclude code(s) that are not indicators",
                problems=[
                    Problem("not an indicator code of the table", f"exclude {c}") for c in bad
                ],
            )
        return meta[~meta["iCode"].isin(list(exclude))].reset_index(drop=True)

    def _check_weight_sets(self) -> None:
        known = set(self.indicators + self.aggregates)
        problems = []
        for name, ws in self.weight_sets.items():
            if not isinstance(ws, Mapping):
                problems.append(Problem("a weight set maps codes to weights", f"weight set {name}"))
                continue
            for code, v in ws.items():
                if code not in known and code not in set(self.source_meta["iCode"].astype(str)):
                    problems.append(
                        Problem("not an indicator or aggregate code", f"weight set {name}: {code}")
                    )
                elif not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
                    problems.append(
                        Problem(
                            f"weight must be a finite number, got {v!r}",
                            f"weight set {name}: {code}",
                        )
                    )
        if problems:
            raise FrameworkError("invalid weight sets", problems=problems)

    # ------------------------------------------------------------------ meta
    @staticmethod
    def _clean_meta(meta: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(meta, pd.DataFrame):
            raise FrameworkError(
                f"meta must be a pandas DataFrame (COINr iMeta table), got {type(meta).__name__}"
            )
        problems: list[Problem] = []
        missing = [c for c in _REQUIRED_META if c not in meta.columns]
        if missing:
            raise FrameworkError(
                "indicator table lacks required column(s)",
                problems=[
                    Problem(
                        f"column {c!r} is missing; an iMeta table needs {', '.join(_REQUIRED_META)}",
                        "meta",
                    )
                    for c in missing
                ],
            )
        m = meta.copy()
        m["iCode"] = m["iCode"].astype(object).where(m["iCode"].notna(), None)
        m["Type"] = m["Type"].astype(object)
        m["Parent"] = m["Parent"].astype(object).where(m["Parent"].notna(), None)
        for i, row in m.iterrows():
            where = f"meta row {int(str(i)) + 2 if str(i).isdigit() else i}"
            code = row["iCode"]
            if code is None or (isinstance(code, float) and np.isnan(code)):
                problems.append(Problem("iCode is empty; give every row a code", where))
                continue
            code = str(code)
            where = f"{where} (iCode {code})"
            if not _is_identifier(code):
                problems.append(
                    Problem("iCode must not contain spaces or start with a digit", where)
                )
            if row["Type"] not in META_TYPES:
                problems.append(
                    Problem(f"Type {row['Type']!r} is not one of {', '.join(META_TYPES)}", where)
                )
            if row["Type"] in ("Indicator", "Aggregate"):
                for col in ("Level", "Weight", "Direction"):
                    if pd.isna(row[col]):
                        problems.append(Problem(f"{col} is missing", where))
                if not pd.isna(row["Direction"]) and row["Direction"] not in (-1, 1):
                    problems.append(
                        Problem(f"Direction must be 1 or -1, got {row['Direction']}", where)
                    )
                if not pd.isna(row["Weight"]) and row["Weight"] < 0:
                    problems.append(Problem(f"Weight must be >= 0, got {row['Weight']}", where))
                if row["Type"] == "Indicator" and not pd.isna(row["Level"]) and row["Level"] != 1:
                    problems.append(Problem("indicators must be at Level 1", where))
                if row["Type"] == "Aggregate" and not pd.isna(row["Level"]) and row["Level"] < 2:
                    problems.append(Problem("aggregates must be at Level >= 2", where))
        dup = m["iCode"][m["iCode"].duplicated() & m["iCode"].notna()]
        for code in dup.unique():
            problems.append(
                Problem("iCode appears more than once; codes must be unique", f"iCode {code}")
            )
        if problems:
            raise FrameworkError("indicator table is invalid", problems=problems)
        return m.reset_index(drop=True)

    def _derive(self, m: pd.DataFrame) -> None:
        problems: list[Problem] = []
        struct = m[m["Type"].isin(["Indicator", "Aggregate"])]
        codes = struct["iCode"].astype(str).tolist()
        levels_raw = struct["Level"].astype(int).tolist()
        max_level = max(levels_raw) if levels_raw else 1
        levels: dict[int, tuple[str, ...]] = {}
        for lev in range(1, max_level + 1):
            levels[lev] = tuple(c for c, lv in zip(codes, levels_raw, strict=True) if lv == lev)
            if not levels[lev]:
                problems.append(
                    Problem(f"level {lev} has no entries; levels must have no gaps", "meta")
                )
        parent: dict[str, str] = {}
        level_of = dict(zip(codes, levels_raw, strict=True))
        for code, par, lev in zip(codes, struct["Parent"], levels_raw, strict=True):
            if lev == max_level:
                if par is not None and not (isinstance(par, float) and np.isnan(par)):
                    problems.append(
                        Problem(
                            f"the top level has no parent, but Parent is {par!r}", f"iCode {code}"
                        )
                    )
                continue
            if par is None or (isinstance(par, float) and np.isnan(par)):
                problems.append(Problem("Parent is missing", f"iCode {code}"))
                continue
            par = str(par)
            if par not in level_of:
                problems.append(
                    Problem(f"Parent {par!r} is not an aggregate in the table", f"iCode {code}")
                )
            elif level_of[par] != lev + 1:
                problems.append(
                    Problem(
                        f"Parent {par!r} is at level {level_of[par]}, expected level {lev + 1}",
                        f"iCode {code}",
                    )
                )
            parent[code] = par
        for code, lev in level_of.items():
            if lev >= 2 and code not in parent.values():
                problems.append(Problem("aggregate has no children", f"iCode {code}"))
        if problems:
            raise FrameworkError("indicator hierarchy is invalid", problems=problems)
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "max_level", max_level)
        object.__setattr__(self, "indicators", levels.get(1, ()))
        object.__setattr__(
            self, "aggregates", tuple(c for lev in range(2, max_level + 1) for c in levels[lev])
        )
        object.__setattr__(
            self,
            "denominator_columns",
            tuple(m.loc[m["Type"] == "Denominator", "iCode"].astype(str)),
        )

    # ------------------------------------------------------------------ data
    def _clean_data(self, data: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        problems: list[Problem] = []
        if "uCode" not in data.columns:
            raise DataError(
                "data lack the unit code column",
                problems=[Problem("add a column 'uCode' with one code per unit", "data")],
            )
        d = data.reset_index(drop=True).copy()
        d["uCode"] = d["uCode"].astype(str)
        is_panel = "Time" in d.columns and d["Time"].nunique() > 1
        if "Time" in d.columns:
            if not pd.api.types.is_numeric_dtype(d["Time"]):
                problems.append(Problem("Time must be numeric (a year)", "data column Time"))
            key = ["uCode", "Time"]
        else:
            key = ["uCode"]
        dups = d[d.duplicated(key, keep=False)]
        for _, row in dups.drop_duplicates(key).iterrows():
            where = f"data uCode {row['uCode']}" + (
                f", Time {row['Time']}" if "Time" in key else ""
            )
            problems.append(Problem("duplicate row; each unit (and year) must appear once", where))
        for ind in self.indicators:
            if ind not in d.columns:
                problems.append(
                    Problem("indicator of the framework has no data column", f"indicator {ind}")
                )
            elif not pd.api.types.is_numeric_dtype(d[ind]):
                coerced = pd.to_numeric(d[ind], errors="coerce")
                badrows = d.loc[coerced.isna() & d[ind].notna(), ["uCode", ind]]
                shown = ", ".join(
                    f"{v!r} (unit {u})" for u, v in badrows.head(5).itertuples(index=False)
                )
                problems.append(
                    Problem(
                        f"values must be numeric; {len(badrows)} non-numeric value(s): {shown}"
                        + (f" and {len(badrows) - 5} more" if len(badrows) > 5 else "")
                        + ". Leave a missing value's cell empty, or declare the marker as "
                        "missing (read_data(na_values=[...]); citycheckup index --na-values)",
                        f"indicator {ind}",
                    )
                )
        for agg in self.aggregates:
            if agg in d.columns:
                problems.append(
                    Problem(
                        "aggregate codes must not be data columns; remove the column or rename it",
                        f"data column {agg}",
                    )
                )
        denoms = []
        for den in self.denominator_columns:
            if den in d.columns:
                denoms.append(den)
        needed = self.meta.get("Denominator")
        if needed is not None:
            for code, den in zip(self.meta["iCode"], needed, strict=True):
                if isinstance(den, str) and den and den not in d.columns:
                    problems.append(
                        Problem(
                            f"denominator column {den!r} is missing from the data",
                            f"indicator {code}",
                        )
                    )
        if problems:
            raise DataError("data do not fit the framework", problems=problems)
        for ind in self.indicators:
            d[ind] = d[ind].astype(float)
        groups = tuple(c for c in d.columns if str(c).endswith("_group"))
        object.__setattr__(self, "group_columns", groups)
        object.__setattr__(self, "denominator_columns", tuple(denoms))
        object.__setattr__(self, "is_panel", bool(is_panel))
        if is_panel:
            # rows grouped by year (input order kept within a year)
            d = d.sort_values("Time", kind="stable").reset_index(drop=True)
        return d

    # ------------------------------------------------------------------ lookups
    def meta_column(self, column: str, codes: Sequence[str] | None = None) -> np.ndarray:
        """Values of an iMeta column for ``codes`` (default: the indicators), NaN if absent."""
        codes = self.indicators if codes is None else codes
        if column not in self.meta.columns:
            return np.full(len(codes), np.nan)
        lookup = dict(zip(self.meta["iCode"], self.meta[column], strict=True))
        return np.array([lookup.get(c, np.nan) for c in codes], dtype=object)

    @property
    def directions(self) -> np.ndarray:
        """Directions (+1/-1) of the indicators, in indicator order."""
        return self.meta_column("Direction").astype(float)

    def weights(self, name: str | None = None) -> dict[str, float]:
        """Weights of every indicator and aggregate (relative within each parent).

        Parameters
        ----------
        name
            ``None`` or ``"Original"`` for the metadata ``Weight`` column, else the
            name of a set in :attr:`weight_sets` (codes not in the set keep the
            metadata weight).
        """
        struct = self.meta[self.meta["Type"].isin(["Indicator", "Aggregate"])]
        w = {str(c): float(v) for c, v in zip(struct["iCode"], struct["Weight"], strict=True)}
        if name is None or name == "Original":
            return w
        if name not in self.weight_sets:
            from citycheckup.errors import MethodNotFoundError

            raise MethodNotFoundError("weight set", name, ["Original", *self.weight_sets])
        w.update({k: float(v) for k, v in self.weight_sets[name].items()})
        return w

    def level_structures(self) -> list[_Level]:
        """One :class:`_Level` per aggregation step, from level 2 to the top."""
        out = []
        for lev in range(2, self.max_level + 1):
            children = self.levels[lev - 1]
            parents = self.levels[lev]
            pidx = {p: j for j, p in enumerate(parents)}
            member = np.zeros((len(children), len(parents)))
            cp = np.empty(len(children), dtype=int)
            for i, c in enumerate(children):
                j = pidx[self.parent[c]]
                member[i, j] = 1.0
                cp[i] = j
            out.append(_Level(lev, children, parents, member, cp))
        return out

    def lineage(self) -> pd.DataFrame:
        """Table of each indicator's ancestors, one column per level (COINr ``Lineage``)."""
        rows = []
        for ind in self.indicators:
            row = [ind]
            code = ind
            for _ in range(2, self.max_level + 1):
                code = self.parent[code]
                row.append(code)
            rows.append(row)
        return pd.DataFrame(rows, columns=[f"Level_{k}" for k in range(1, self.max_level + 1)])

    @property
    def index_code(self) -> str:
        """Code of the top aggregate (the index)."""
        top = self.levels[self.max_level]
        return top[0]

    def extra(self, **kwargs: Any) -> Coin:
        """A copy with some fields replaced (``data``, ``meta``, ``weight_sets``, ``exclude``)."""
        return Coin(
            data=kwargs.get("data", self.data),
            meta=kwargs.get("meta", self.source_meta),
            weight_sets=kwargs.get("weight_sets", self.weight_sets),
            exclude=kwargs.get("exclude", self.exclude),
        )
