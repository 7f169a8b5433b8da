"""Build ``src/citycheckup/data/census_urban_2010_2020.csv`` from the shared census file.

Source: ``census_city_2010-2020_v1.csv`` of GitHub ``leiii/census`` (commit 6951cc46, MIT,
© 2022 Lei Dong), compiled from the bulletins of the 6th (2010) and 7th (2020) national
population censuses with boundaries harmonised to 2020. The shared copy lives in
``../shared/data/cities/china/`` (entry A2 of its SOURCES.md); it is read here, never copied
into the repository. The derived table keeps only code, year, resident population and urban
population, converted from persons to 万人 (10,000 persons) by exact division.

Codes are mapped to the gazetteer's codes (the municipalities' 110100 → 110000 etc.); a code
the gazetteer does not know, a duplicate, or urban > total stops the build with an error.

Usage::

    .venv/bin/python tools/build_census_table.py [--source PATH]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = (
    ROOT.parent / "shared" / "data" / "cities" / "china" / "census_city_2010-2020_v1.csv"
)
OUT = ROOT / "src" / "citycheckup" / "data" / "census_urban_2010_2020.csv"
COLUMNS = ["unit_code", "year", "pop_total", "pop_urban"]


def wan(persons: str) -> str:
    """Persons → 万人 as an exact decimal string ("21893095" → "2189.3095"); "" stays "".

    Two 2010 urban values of the source are not whole persons (三门峡 982680.29, 揭阳
    2780420.528; probably computed from a rate); they are kept exactly as given.
    """
    p = persons.strip()
    if not p:
        return ""
    value = Decimal(p) / Decimal(10_000)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def build(source: Path) -> list[dict[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from citycheckup.data.identity import default_gazetteer

    g = default_gazetteer()
    with source.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    errors: list[str] = []
    for i, r in enumerate(records, start=2):
        code = g.canonical_code(r["city_code"])
        if code not in g:
            errors.append(f"row {i}: code {r['city_code']} ({r['city']}) is not in the gazetteer")
            continue
        if g.name_of(code) != r["city"]:
            errors.append(
                f"row {i}: code {code} is {g.name_of(code)} in the gazetteer, {r['city']} here"
            )
        if code in seen:
            errors.append(f"row {i}: code {code} appears twice")
        seen.add(code)
        for year in (2010, 2020):
            total, urban = wan(r[f"popu_{year}"]), wan(r[f"popu_urban_{year}"])
            if total and urban and float(urban) > float(total):
                errors.append(f"row {i}: {code} {year} urban {urban} > total {total}")
            rows.append(
                {"unit_code": code, "year": str(year), "pop_total": total, "pop_urban": urban}
            )
    if errors:
        raise SystemExit("\n".join(errors))
    return sorted(rows, key=lambda d: (d["unit_code"], d["year"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = ap.parse_args(argv)
    rows = build(args.source)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    OUT.write_text(buf.getvalue(), encoding="utf-8")
    n_units = len({r["unit_code"] for r in rows})
    print(f"wrote {OUT.relative_to(ROOT)}: {n_units} units x 2 years", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
