"""Export of the problem list (问题清单) and the urban-renewal project list (城市更新项目库) as CSV and XLSX."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from citycheckup._io import write_text_atomic
from citycheckup.diagnosis.problems import PROBLEM_COLUMNS, PROJECT_COLUMNS
from citycheckup.report.messages import t
from citycheckup.report.xlsx import write_xlsx

__all__ = ["write_project_lists"]


def write_project_lists(
    problems: pd.DataFrame,
    projects: pd.DataFrame,
    out: str | Path,
    *,
    stem: str = "",
    lang: str = "zh",
) -> list[Path]:
    """Write ``<stem>problem_list.csv``, ``<stem>renewal_projects.csv`` and ``<stem>renewal_projects.xlsx``.

    The CSV files are UTF-8 with a byte-order mark, so that Excel opens the Chinese text
    correctly; the workbook has the problem list and the project list as two sheets.
    Every file is written atomically.

    Returns
    -------
    list of pathlib.Path
        The three files.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pl = problems.reindex(
        columns=[c for c in PROBLEM_COLUMNS if c in problems.columns] or PROBLEM_COLUMNS
    )
    pj = projects.reindex(columns=PROJECT_COLUMNS)
    files = []
    for name, df in (("problem_list", pl), ("renewal_projects", pj)):
        p = out / f"{stem}{name}.csv"
        write_text_atomic(p, "\ufeff" + df.to_csv(index=False))
        files.append(p)
    target = out / f"{stem}renewal_projects.xlsx"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out)
    os.close(fd)
    try:
        write_xlsx(tmp, {t("r.sheet_problems", lang): pl, t("r.sheet_projects", lang): pj})
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    files.append(target)
    return files
