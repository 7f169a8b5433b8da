"""Loading frameworks from YAML (with file:line in every problem) and from COINr-style tables."""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from citycheckup.errors import FormulaError, FrameworkError, Problem
from citycheckup.framework.models import CODE_RE, Framework

__all__ = [
    "builtin_frameworks",
    "framework_from_coinr_table",
    "framework_to_coinr_meta",
    "load_framework",
    "load_framework_yaml",
]

Path_ = tuple[str | int, ...]


# -- YAML with line numbers --------------------------------------------------------------
def _compose_with_lines(text: str, source: str) -> tuple[Any, dict[Path_, int], list[Problem]]:
    """Parse YAML into plain Python objects plus a map from key path to line number."""
    loader = yaml.SafeLoader(text)
    loader.name = source  # marks in YAML error messages then name the file, not "<unicode string>"
    problems: list[Problem] = []
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise FrameworkError(
            f"{source} is not valid YAML", problems=[Problem(str(exc).replace("\n", " "), where)]
        ) from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}

    def build(n: yaml.Node, path: Path_) -> Any:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for k, v in n.value:
                key = loader.construct_object(k, deep=True)
                if key in out:
                    problems.append(
                        Problem(
                            f"key {key!r} appears twice in the same mapping; keep one",
                            f"{source}:{k.start_mark.line + 1}",
                        )
                    )
                out[key] = build(v, (*path, key))
                # point at the key, not at where its value starts (a block mapping or
                # sequence value starts on the next line)
                lines[(*path, key)] = k.start_mark.line + 1
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(v, (*path, i)) for i, v in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    data = build(node, ()) if node is not None else None
    return data, lines, problems


def _line_for(loc: Path_, lines: dict[Path_, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        line = lines.get(tuple(loc[:cut]))
        if line is not None:
            return line
    return None


def _describe_loc(loc: Path_, data: Any) -> str:
    """Human path such as ``dimensions[livable].indicators[park_cov].direction``."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and 0 <= item < len(node):
            node = node[item]
            label = node.get("code") if isinstance(node, dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{label if label else item}]"]
        elif isinstance(node, dict) and item in node:
            node = node[item]
            parts.append(str(item))
        else:
            parts.append(str(item))
            node = None
    return ".".join(parts)


# -- semantic checks on the raw structure (so they run even when types are wrong) --------
def _semantic_problems(data: dict[str, Any], lines: dict[Path_, int], source: str) -> list[Problem]:
    problems: list[Problem] = []

    def at(path: Path_) -> str:
        line = _line_for(path, lines)
        return f"{source}:{line}" if line else source

    variables = data.get("variables") or []
    var_codes: set[str] = set()
    if isinstance(variables, list):
        for i, v in enumerate(variables):
            if isinstance(v, dict) and isinstance(v.get("code"), str):
                if v["code"] in var_codes:
                    problems.append(
                        Problem(
                            f"variable code {v['code']!r} is defined twice", at(("variables", i))
                        )
                    )
                var_codes.add(v["code"])

    seen: dict[str, Path_] = {}
    indicator_codes: set[str] = set()
    formulas: list[tuple[str, str, Path_]] = []

    def visit_dim(dim: Any, path: Path_) -> None:
        if not isinstance(dim, dict):
            return
        code = dim.get("code")
        if isinstance(code, str):
            if code in seen:
                problems.append(
                    Problem(
                        f"code {code!r} is used twice (first at {at(seen[code])}); codes must be unique",
                        at(path),
                    )
                )
            else:
                seen[code] = path
        for key in ("dimensions", "indicators"):
            items = dim.get(key) or []
            if not isinstance(items, list):
                continue
            for j, child in enumerate(items):
                if key == "dimensions":
                    visit_dim(child, (*path, key, j))
                elif isinstance(child, dict):
                    ccode = child.get("code")
                    cpath = (*path, key, j)
                    if isinstance(ccode, str):
                        indicator_codes.add(ccode)
                        if ccode in seen:
                            problems.append(
                                Problem(
                                    f"code {ccode!r} is used twice (first at {at(seen[ccode])}); codes must be unique",
                                    at(cpath),
                                )
                            )
                        else:
                            seen[ccode] = cpath
                    f = child.get("formula")
                    if isinstance(f, str) and isinstance(ccode, str):
                        formulas.append((ccode, f, cpath))
                    g = child.get("grading")
                    t = child.get("target")
                    refs_given = child.get("references")
                    refs = refs_given if isinstance(refs_given, list) else []
                    for gpath, gset in [
                        ((*cpath, "grading"), g),
                        *[((*cpath, "references", k), r) for k, r in enumerate(refs)],
                    ]:
                        if (
                            isinstance(gset, dict)
                            and "source" not in gset
                            and "provenance" not in gset
                        ):
                            problems.append(
                                Problem(
                                    f"indicator {ccode}: grading thresholds need a 'source' citation "
                                    "or a 'provenance'",
                                    at(gpath),
                                )
                            )
                    direction = child.get("direction")
                    if direction is None:
                        direction = {"higher": 1, "lower": -1}.get(str(child.get("kind")))
                    cut = g.get("cutoffs") if isinstance(g, dict) else None
                    if (
                        isinstance(cut, list)
                        and len(cut) == 3
                        and direction in (1, -1)
                        and all(isinstance(c, int | float) for c in cut)
                    ):
                        # non-monotone cutoffs are reported by the Grading model itself
                        rising = cut[0] > cut[1] > cut[2]
                        falling = cut[0] < cut[1] < cut[2]
                        if direction == 1 and falling:
                            problems.append(
                                Problem(
                                    f"indicator {ccode}: direction +1 (higher is better) needs cutoffs "
                                    f"in decreasing order, best first; got {cut}",
                                    at((*cpath, "grading", "cutoffs")),
                                )
                            )
                        if direction == -1 and rising:
                            problems.append(
                                Problem(
                                    f"indicator {ccode}: direction -1 (lower is better) needs cutoffs "
                                    f"in increasing order, best first; got {cut}",
                                    at((*cpath, "grading", "cutoffs")),
                                )
                            )
                    if t is not None and not isinstance(t, int | float):
                        problems.append(
                            Problem(
                                f"indicator {ccode}: target must be a number, got {t!r}",
                                at((*cpath, "target")),
                            )
                        )

    dims = data.get("dimensions")
    if isinstance(dims, list):
        for i, d in enumerate(dims):
            visit_dim(d, ("dimensions", i))
    index_code = data.get("index_code", "index")
    if index_code in seen:
        problems.append(
            Problem(
                f"index code {index_code!r} is also used by a dimension or indicator",
                at(seen[index_code]),
            )
        )

    # formulas may refer to variables and to other (non-derived) indicators
    from citycheckup.indicators.formula import parse_formula

    for code, text, path in formulas:
        try:
            names = parse_formula(text).names
        except FormulaError as exc:
            detail = "; ".join(p.message for p in exc.problems) or exc.headline
            problems.append(
                Problem(f"indicator {code}: {exc.headline}: {detail}", at((*path, "formula")))
            )
            continue
        except ValueError as exc:
            problems.append(Problem(f"indicator {code}: {exc}", at((*path, "formula"))))
            continue
        if code in names:
            problems.append(
                Problem(
                    f"indicator {code}: formula {text!r} refers to the indicator itself",
                    at((*path, "formula")),
                )
            )
        unknown = sorted(n for n in names if n not in var_codes and n not in indicator_codes)
        if unknown:
            problems.append(
                Problem(
                    f"indicator {code}: formula {text!r} uses unknown variable(s) {', '.join(unknown)}; "
                    "declare them under 'variables:'",
                    at((*path, "formula")),
                )
            )
    return problems


def load_framework_yaml(path: str | Path) -> Framework:
    """Load and validate a framework YAML file, reporting every problem at once.

    Raises
    ------
    FrameworkError
        With one :class:`~citycheckup.errors.Problem` per defect, each naming
        ``file:line`` and the offending key.
    """
    path = Path(path)
    if not path.is_file():
        raise FrameworkError(
            f"framework file {path} does not exist; give a YAML file or a built-in name "
            f"({', '.join(builtin_frameworks())})"
        )
    return _load_yaml_text(path.read_text(encoding="utf-8"), str(path))


def _load_yaml_text(text: str, source: str) -> Framework:
    data, lines, problems = _compose_with_lines(text, source)
    if not isinstance(data, dict):
        raise FrameworkError(
            f"{source} must hold a mapping with keys code, name_zh, name_en, dimensions"
        )
    problems += _semantic_problems(data, lines, source)
    fw: Framework | None = None
    try:
        fw = Framework.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if "need a 'source' citation" in str(err.get("msg", "")):
                continue  # already reported by _semantic_problems with its line
            if loc[-1:] == ("target",) and err["type"] in ("float_parsing", "float_type"):
                continue  # likewise ("target must be a number")
            line = _line_for(loc, lines)
            where = f"{source}:{line}" if line else source
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(f"{_describe_loc(loc, data)}: {msg}", where))
    if problems:
        problems.sort(key=lambda p: _sort_key(p.where))
        raise FrameworkError(
            f"framework {source} is invalid ({len(problems)} problem(s))", problems=problems
        )
    assert fw is not None
    return fw


def _sort_key(where: str) -> tuple[str, int]:
    head, _, line = where.rpartition(":")
    return (head, int(line)) if line.isdigit() else (where, 0)


# -- built-in frameworks ------------------------------------------------------------------
def builtin_frameworks() -> list[str]:
    """Names of the frameworks shipped with citycheckup."""
    root = resources.files("citycheckup.framework") / "builtin"
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def load_framework(name_or_path: str | Path) -> Framework:
    """Load a built-in framework by name, a YAML file, or a COINr-style iMeta CSV/XLSX."""
    text = str(name_or_path)
    if text in builtin_frameworks():
        res = resources.files("citycheckup.framework") / "builtin" / f"{text}.yaml"
        return _load_yaml_text(res.read_text(encoding="utf-8"), f"builtin/{text}.yaml")
    path = Path(text)
    if path.suffix.lower() in {".csv", ".xlsx", ".xls"}:
        return framework_from_coinr_table(path)
    if path.suffix.lower() in {".yaml", ".yml"} or path.is_file():
        return load_framework_yaml(path)
    raise FrameworkError(
        f"framework {text!r} is neither a built-in name ({', '.join(builtin_frameworks())}) "
        "nor an existing .yaml/.csv/.xlsx file"
    )


# -- COINr iMeta tables --------------------------------------------------------------------
COINR_REQUIRED = ("Level", "iCode", "iName", "Direction", "Weight", "Parent", "Type")


def _is_missing(x: Any) -> bool:
    return (
        x is None
        or (isinstance(x, float) and math.isnan(x))
        or (isinstance(x, str) and not x.strip())
    )


def framework_from_coinr_table(
    table: str | Path | pd.DataFrame, *, code: str | None = None, level: str = "city"
) -> Framework:
    """Build a framework from a COINr-style indicator metadata table (``iMeta``).

    Columns ``Level, iCode, iName, Direction, Weight, Parent, Type`` are required;
    ``Unit, Target, Denominator`` are optional. Rows of type ``Indicator`` (level 1)
    become indicators, rows of type ``Aggregate`` become dimensions, and the single
    aggregate at the highest level becomes the index. ``Denominator`` rows become
    variables; ``Group`` and ``Other`` rows are ignored. Problems are collected and
    reported together with their table row (1-based, header is row 1).
    """
    if isinstance(table, pd.DataFrame):
        df, source = table.copy(), "<iMeta DataFrame>"
    else:
        p = Path(table)
        source = str(p)
        if not p.is_file():
            raise FrameworkError(f"COINr metadata table {p} does not exist")
        df = pd.read_excel(p) if p.suffix.lower() in {".xlsx", ".xls"} else pd.read_csv(p)
    problems: list[Problem] = []
    missing = [c for c in COINR_REQUIRED if c not in df.columns]
    if missing:
        raise FrameworkError(
            f"{source} is not a COINr iMeta table: missing column(s) {', '.join(missing)} "
            f"(found {', '.join(map(str, df.columns))})"
        )
    rows = [(i + 2, r) for i, r in enumerate(df.to_dict("records"))]
    known_types = {"Indicator", "Aggregate", "Denominator", "Group", "Other"}
    codes: dict[str, int] = {}
    for rowno, r in rows:
        where = f"{source} row {rowno}"
        t = r["Type"]
        if t not in known_types:
            problems.append(
                Problem(f"Type {t!r} is not one of {', '.join(sorted(known_types))}", where)
            )
            continue
        c = r["iCode"]
        if _is_missing(c) or not CODE_RE.match(str(c)):
            problems.append(Problem(f"iCode {c!r} must be an ASCII identifier", where))
            continue
        if c in codes:
            problems.append(Problem(f"iCode {c!r} repeats row {codes[c]}", where))
        codes[str(c)] = rowno
        if t in {"Indicator", "Aggregate"}:
            if (
                _is_missing(r["Level"])
                or float(r["Level"]) != int(float(r["Level"]))
                or int(float(r["Level"])) < 1
            ):
                problems.append(
                    Problem(f"{c}: Level must be an integer ≥ 1, got {r['Level']!r}", where)
                )
            if t == "Indicator" and not _is_missing(r["Level"]) and int(float(r["Level"])) != 1:
                problems.append(
                    Problem(f"{c}: indicators must be at Level 1, got {r['Level']}", where)
                )
            if t == "Indicator" and (
                _is_missing(r["Direction"]) or float(r["Direction"]) not in (1.0, -1.0)
            ):
                problems.append(
                    Problem(f"{c}: Direction must be 1 or -1, got {r['Direction']!r}", where)
                )
            if _is_missing(r["Weight"]) or float(r["Weight"]) < 0:
                problems.append(
                    Problem(f"{c}: Weight must be a number ≥ 0, got {r['Weight']!r}", where)
                )
    agg = {str(r["iCode"]): (rowno, r) for rowno, r in rows if r["Type"] == "Aggregate"}
    ind = [(rowno, r) for rowno, r in rows if r["Type"] == "Indicator"]
    if not ind:
        problems.append(Problem("the table has no rows of Type Indicator", source))
    tops = [c for c, (_, r) in agg.items() if _is_missing(r["Parent"])]
    if len(tops) != 1:
        listed = ", ".join(f"{c} (row {agg[c][0]})" for c in tops) or "none"
        problems.append(
            Problem(
                f"exactly one Aggregate must have no Parent (the index); found {len(tops)}: {listed}",
                source,
            )
        )
    for rowno, r in [*agg.values(), *ind]:
        parent = r["Parent"]
        if _is_missing(parent):
            if r["Type"] == "Indicator":
                problems.append(
                    Problem(f"{r['iCode']}: indicator has no Parent", f"{source} row {rowno}")
                )
            continue
        if parent not in agg:
            problems.append(
                Problem(
                    f"{r['iCode']}: Parent {parent!r} is not an Aggregate of the table",
                    f"{source} row {rowno}",
                )
            )
        elif (
            not _is_missing(r["Level"])
            and not _is_missing(agg[parent][1]["Level"])
            and int(float(agg[parent][1]["Level"])) != int(float(r["Level"])) + 1
        ):
            problems.append(
                Problem(
                    f"{r['iCode']}: Parent {parent} is at Level {int(float(agg[parent][1]['Level']))}, "
                    f"expected {int(float(r['Level'])) + 1}",
                    f"{source} row {rowno}",
                )
            )
    if problems:
        # in table order; problems of the whole table (no row) last
        problems.sort(
            key=lambda p: (
                int(p.where.rpartition(" row ")[2]) if " row " in p.where else len(rows) + 2
            )
        )
        raise FrameworkError(
            f"COINr table {source} is invalid ({len(problems)} problem(s))", problems=problems
        )

    index_code = tops[0]

    def opt(r: Mapping[Any, Any], key: str) -> Any:
        v = r.get(key)
        return None if _is_missing(v) else v

    def build_dim(dcode: str) -> dict[str, Any]:
        _, r = agg[dcode]
        children_agg = [c for c, (_, rr) in agg.items() if rr["Parent"] == dcode]
        children_ind = [rr for _, rr in ind if rr["Parent"] == dcode]
        d: dict[str, Any] = {
            "code": dcode,
            "name_zh": str(r["iName"]),
            "name_en": str(r["iName"]),
            "weight": float(r["Weight"]),
        }
        if children_agg:
            d["dimensions"] = [build_dim(c) for c in children_agg]
        if children_ind:
            d["indicators"] = [
                {
                    "code": str(rr["iCode"]),
                    "name_zh": str(rr["iName"]),
                    "name_en": str(rr["iName"]),
                    "unit": str(opt(rr, "Unit") or ""),
                    "direction": int(float(rr["Direction"])),
                    "weight": float(rr["Weight"]),
                    "level": level,
                    "target": None if opt(rr, "Target") is None else float(rr["Target"]),
                    "denominator": opt(rr, "Denominator"),
                }
                for rr in children_ind
            ]
        return d

    _, top = agg[index_code]
    data = {
        "code": code or index_code,
        "name_zh": str(top["iName"]),
        "name_en": str(top["iName"]),
        "index_code": index_code,
        "description": f"Loaded from COINr-style metadata table {Path(source).name}",
        "variables": [
            {
                "code": str(r["iCode"]),
                "name_zh": str(r["iName"]),
                "name_en": str(r["iName"]),
                "unit": str(opt(r, "Unit") or ""),
            }
            for _, r in rows
            if r["Type"] == "Denominator"
        ],
        "dimensions": [build_dim(c) for c, (_, r) in agg.items() if r["Parent"] == index_code],
    }
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(
            f"COINr table {source} could not be turned into a framework",
            problems=[
                Problem(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", source) for e in exc.errors()
            ],
        ) from exc


def framework_to_coinr_meta(fw: Framework, *, indicators: list[str] | None = None) -> pd.DataFrame:
    """The framework as a COINr iMeta table (Level, iCode, iName, Direction, Weight, Parent, Type, …).

    ``indicators`` restricts the table to those indicator codes; dimensions left
    without any indicator are dropped, so the hierarchy stays valid.

    Raises
    ------
    FrameworkError
        When the (kept) indicators do not all sit at the same depth below the index:
        COINr levels need each aggregate exactly one level above its children.
    """
    keep = set(indicators) if indicators is not None else None
    rows: list[dict[str, Any]] = []

    # depth of each kept indicator = number of dimension levels between it and the index
    depth_of: dict[str, int] = {}

    def collect(dim: Any, depth: int) -> None:
        for i in dim.indicators:
            if keep is None or i.code in keep:
                depth_of[i.code] = depth
        for sub in dim.dimensions:
            collect(sub, depth + 1)

    for d in fw.dimensions:
        collect(d, 1)
    depths = sorted(set(depth_of.values()))
    if len(depths) > 1:
        problems = []
        for dep in depths:
            codes = [c for c, v in depth_of.items() if v == dep]
            shown = ", ".join(codes[:5]) + (f" … ({len(codes)} in all)" if len(codes) > 5 else "")
            problems.append(
                Problem(
                    f"{len(codes)} indicator(s) {dep} dimension level(s) below the index: {shown}",
                    f"framework {fw.code}",
                )
            )
        raise FrameworkError(
            f"framework {fw.code} cannot be written as a COINr table: its indicators sit at different depths "
            "below the index; put every indicator the same number of (sub-)dimensions deep",
            problems=problems,
        )
    depth = depths[0] if depths else 1

    def walk(dim: Any, parent: str, level: int) -> bool:
        kept = False
        child_rows: list[dict[str, Any]] = []
        for i in dim.indicators:
            if keep is None or i.code in keep:
                child_rows.append(
                    {
                        "Level": 1,
                        "iCode": i.code,
                        "iName": i.name_en,
                        "Direction": i.direction,
                        "Weight": i.weight,
                        "Parent": dim.code,
                        "Type": "Indicator",
                        "Unit": i.unit,
                        "Target": i.target,
                        "Denominator": i.denominator,
                    }
                )
                kept = True
        rows_before = len(rows)
        for sub in dim.dimensions:
            kept = walk(sub, dim.code, level - 1) or kept
        if kept:
            rows.extend(child_rows)
            rows.insert(
                rows_before,
                {
                    "Level": level,
                    "iCode": dim.code,
                    "iName": dim.name_en,
                    "Direction": 1,
                    "Weight": dim.weight,
                    "Parent": parent,
                    "Type": "Aggregate",
                },
            )
        return kept

    top_level = (
        depth + 2
    )  # indicators 1, lowest dimensions 2, …, top dimensions depth + 1, index depth + 2
    for d in fw.dimensions:
        walk(d, fw.index_code, top_level - 1)
    rows.append(
        {
            "Level": top_level,
            "iCode": fw.index_code,
            "iName": fw.name_en,
            "Direction": 1,
            "Weight": 1.0,
            "Parent": None,
            "Type": "Aggregate",
        }
    )
    return pd.DataFrame(
        rows,
        columns=[
            "Level",
            "iCode",
            "iName",
            "Direction",
            "Weight",
            "Parent",
            "Type",
            "Unit",
            "Target",
            "Denominator",
        ],
    )
