"""Importing survey responses (CSV, XLSX, or the web form's SQLite database).

One row per respondent. Columns (Chinese or English headers; order free):

=============  ========================================  =============================
canonical      accepted headers (examples)                values
=============  ========================================  =============================
respondent     受访者编号, 答卷编号, token, respondent ID   any text, unique per person
age_group      年龄段, age group                           option code or label
sex            性别, sex, gender                           option code or label
area           街道（社区）, 居住街道, area, sub-district     area code or name
submitted      提交日期, date, submitted (optional)        date
question id    ``H1``, ``H1 房屋结构安全``, the label or text  5…1, dk, na, or a label
=============  ========================================  =============================

Every problem (unknown column, missing column, a value that is not an option) is listed
at once with its spreadsheet row and column. A blank answer cell is item non-response
(counted, never scored); 不清楚 (``dk``) and 不适用 (``na``) are kept as such. Respondents
that appear twice (the same token) are de-duplicated by policy, and the removed rows are
kept in :attr:`ResponseSet.duplicates`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from citycheckup.data.headers import header_key
from citycheckup.errors import Problem
from citycheckup.survey._errors import ResponseError
from citycheckup.survey._tables import cell_text, is_blank, match_headers, read_raw, row_label
from citycheckup.survey.questionnaire import Option, Questionnaire

__all__ = ["BASE_COLUMNS", "ResponseSet", "read_responses", "validate_responses"]

log = logging.getLogger(__name__)

#: Canonical columns other than the questions, with accepted header spellings.
BASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "respondent": (
        "受访者编号",
        "答卷编号",
        "问卷编号",
        "编号",
        "令牌",
        "token",
        "respondent id",
        "respondent_id",
        "response id",
        "id",
    ),
    "age_group": ("年龄段", "年龄组", "年龄", "age group", "age"),
    "sex": ("性别", "gender", "sex"),
    "area": (
        "街道（社区）",
        "居住街道",
        "所在街道",
        "街道",
        "社区",
        "area",
        "sub-district",
        "subdistrict",
        "community",
        "district",
    ),
    "submitted": (
        "提交日期",
        "提交时间",
        "填写日期",
        "日期",
        "date",
        "submitted at",
        "submitted_at",
        "submission date",
    ),
}
MAX_LISTED = 200
Duplicates = Literal["first", "last", "raise"]


@dataclass
class ResponseSet:
    """Validated responses: one row per respondent, answers as option codes."""

    data: pd.DataFrame
    """``respondent, age_group, sex, area, submitted`` and one column per question id
    (``"5"`` … ``"1"``, ``"dk"``, ``"na"``, or missing for no answer)."""
    questionnaire: Questionnaire
    source: str = ""
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Rows removed as duplicates of a respondent token (with their file ``row``)."""
    n_blank_rows: int = 0

    @property
    def n(self) -> int:
        return len(self.data)

    @property
    def period(self) -> tuple[str, str] | None:
        """First and last submission date, when the data has them."""
        s = pd.to_datetime(self.data["submitted"], errors="coerce").dropna()
        if s.empty:
            return None
        return s.min().strftime("%Y-%m-%d"), s.max().strftime("%Y-%m-%d")


def _lookup(options: Sequence[Option]) -> dict[str, str]:
    out: dict[str, str] = {}
    for o in options:
        for s in (o.code, o.label_zh, o.label_en):
            out.setdefault(header_key(s), o.code)
    return out


def _question_spec(q: Questionnaire) -> dict[str, tuple[str, ...]]:
    return {
        x.id: (
            x.label_zh,
            x.label_en,
            x.text_zh,
            x.text_en,
            f"{x.id} {x.label_zh}",
            f"{x.id} {x.label_en}",
        )
        for x in q.questions
    }


def read_responses(
    path: str | Path,
    questionnaire: Questionnaire,
    *,
    survey_id: str | None = None,
    areas: Sequence[Option] | None = None,
    duplicates: Duplicates = "first",
    extra_columns: Literal["raise", "ignore"] = "raise",
) -> ResponseSet:
    """Read and validate a response file.

    Parameters
    ----------
    path
        ``.csv`` (UTF-8 or GB18030), ``.xlsx``, or the web form's SQLite database
        (``.sqlite``, ``.sqlite3``, ``.db``; then ``survey_id`` is required).
    questionnaire
        The questionnaire the answers belong to.
    areas
        Allowed areas (code and names); default: the questionnaire's area options, or the
        survey's areas for a database. Without any, any non-blank area is accepted.
    duplicates
        For a respondent token that appears more than once: keep the ``"first"`` or
        ``"last"`` row, or ``"raise"``.
    extra_columns
        A column that is neither a question nor a known column: ``"raise"`` (default) or
        ``"ignore"`` (it is then listed in the log).

    Raises
    ------
    ResponseError
        Listing every problem with its row and column.
    """
    p = Path(path)
    if p.suffix.lower() in {".sqlite", ".sqlite3", ".db"}:
        from citycheckup.survey.store import SurveyDB

        if not survey_id:
            raise ResponseError(f"{p} is a survey database: name the survey (survey_id / --survey)")
        if not p.is_file():
            raise ResponseError(f"survey database {p} does not exist")
        with SurveyDB(p) as db:
            frame = db.responses(survey_id)
            if areas is None:
                areas = db.areas(survey_id)
        return validate_responses(
            frame,
            questionnaire,
            source=f"{p} (survey {survey_id})",
            areas=areas,
            duplicates=duplicates,
            extra_columns=extra_columns,
        )
    raw = read_raw(p, error=ResponseError)
    return validate_responses(
        raw,
        questionnaire,
        source=str(p),
        areas=areas,
        duplicates=duplicates,
        extra_columns=extra_columns,
    )


def validate_responses(
    raw: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    source: str = "responses",
    areas: Sequence[Option] | None = None,
    duplicates: Duplicates = "first",
    extra_columns: Literal["raise", "ignore"] = "raise",
) -> ResponseSet:
    """Validate a table of raw cells (as read from a file) against ``questionnaire``.

    See :func:`read_responses` for the parameters; rows are numbered as in a spreadsheet
    (the header is row 1).
    """
    q = questionnaire
    spec = {**BASE_COLUMNS, **_question_spec(q)}
    found, unmatched, problems = match_headers([str(c) for c in raw.columns], spec, source)
    if unmatched:
        if extra_columns == "raise":
            problems.append(
                Problem(
                    f"columns {unmatched} match no question of questionnaire {q.code} and no known column; "
                    "rename them to a question id (e.g. H1) or remove them, or pass extra_columns='ignore'",
                    source,
                )
            )
        else:
            log.warning("%s: ignoring columns %s", source, unmatched)
    for c in ("respondent", "age_group", "sex", "area"):
        if c not in found:
            problems.append(
                Problem(
                    f"no column for {c!r}; accepted headers: {', '.join((c, *BASE_COLUMNS[c][:5]))}",
                    source,
                )
            )
    missing_q = [x for x in q.question_ids if x not in found]
    if missing_q:
        problems.append(
            Problem(
                f"no column for question(s) {', '.join(missing_q)}; add the columns (they may stay empty) or remove "
                "the questions from the questionnaire YAML",
                source,
            )
        )
    if problems:
        raise ResponseError(
            f"{source}: the columns do not fit questionnaire {q.code} ({len(problems)} problem(s))",
            problems=problems,
        )

    area_opts = list(areas) if areas is not None else list(q.demographic("area").options or [])
    lookups: dict[str, dict[str, str] | None] = {
        "age_group": _lookup(q.demographic("age_group").options or ()),
        "sex": _lookup(q.demographic("sex").options or ()),
        "area": _lookup(area_opts) if area_opts else None,
    }
    answer_lookup = _lookup(q.scale)
    answer_help = ", ".join(f"{o.code} ({o.label_zh}/{o.label_en})" for o in q.scale)

    def help_for(col: str) -> str:
        if col == "area":
            return ", ".join(o.code for o in area_opts[:20]) + (" …" if len(area_opts) > 20 else "")
        return ", ".join(o.code for o in q.demographic(col).options or ())

    keys: dict[str, str] = {}  # the same few answer texts repeat in every row: normalise each once

    def key(text: str) -> str:
        k = keys.get(text)
        if k is None:
            k = keys[text] = header_key(text)
        return k

    days: dict[str, str | None] = {}

    def date_of(text: str) -> str | None:
        if text not in days:
            ts = pd.to_datetime(text, errors="coerce")
            days[text] = None if pd.isna(ts) else ts.strftime("%Y-%m-%d")
        return days[text]

    found_problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    blank_rows = 0
    cols = list(found.items())
    for i, rec in enumerate(raw.itertuples(index=False, name=None)):
        cells = dict(zip(raw.columns, rec, strict=True))
        if all(is_blank(cells[h]) for _, h in cols):
            blank_rows += 1
            continue
        r = row_label(i)
        out: dict[str, Any] = {"row": r}
        for canon, header in cols:
            v = cells[header]
            where = f"{source} row {r}, column {header!r}"
            if canon == "respondent":
                if is_blank(v):
                    found_problems.append(
                        Problem("the respondent ID (token) is empty; every row needs one", where)
                    )
                out[canon] = "" if is_blank(v) else cell_text(v)
            elif canon == "submitted":
                if is_blank(v):
                    out[canon] = None
                else:
                    day = date_of(cell_text(v))
                    if day is None:
                        found_problems.append(
                            Problem(f"{cell_text(v)!r} is not a date (write 2025-06-30)", where)
                        )
                    out[canon] = day
            elif canon in lookups:
                if is_blank(v):
                    found_problems.append(
                        Problem(f"{canon} is empty; weighting needs it for every respondent", where)
                    )
                    out[canon] = None
                    continue
                lk = lookups[canon]
                if lk is None:
                    out[canon] = cell_text(v)
                    continue
                code = lk.get(key(cell_text(v)))
                if code is None:
                    found_problems.append(
                        Problem(
                            f"{cell_text(v)!r} is not a {canon} option; use one of {help_for(canon)}",
                            where,
                        )
                    )
                out[canon] = code
            else:
                if is_blank(v):
                    out[canon] = None
                    continue
                code = answer_lookup.get(key(cell_text(v)))
                if code is None:
                    found_problems.append(
                        Problem(
                            f"{cell_text(v)!r} is not an answer; use {answer_help}, "
                            "or leave the cell empty for no answer",
                            where,
                        )
                    )
                out[canon] = code
        rows.append(out)
    if found_problems:
        shown = found_problems[:MAX_LISTED]
        if len(found_problems) > MAX_LISTED:
            shown.append(
                Problem(
                    f"… and {len(found_problems) - MAX_LISTED} more problem(s) of the same kinds"
                )
            )
        raise ResponseError(
            f"{source}: {len(found_problems)} problem(s) in the answers", problems=shown
        )
    order = ["respondent", "age_group", "sex", "area", "submitted", *q.question_ids]
    df = pd.DataFrame(
        rows,
        columns=["row", *order[:4], *([order[4]] if "submitted" in found else []), *q.question_ids],
    )
    if "submitted" not in df.columns:
        df["submitted"] = None
    df = df[["row", *order]]
    dup_mask = df["respondent"].duplicated(keep=False)
    removed = pd.DataFrame(columns=df.columns)
    if dup_mask.any():
        if duplicates == "raise":
            groups = df[dup_mask].groupby("respondent")["row"].apply(list)
            raise ResponseError(
                f"{source}: {len(groups)} respondent ID(s) appear more than once",
                problems=[
                    Problem(
                        f"respondent {k!r} appears in rows {v}; keep one row per respondent", source
                    )
                    for k, v in list(groups.items())[:MAX_LISTED]
                ],
            )
        keep = ~df["respondent"].duplicated(keep="first" if duplicates == "first" else "last")
        removed = df[~keep].copy()
        df = df[keep]
        log.warning(
            "%s: %d duplicate row(s) of %d respondent(s) removed (kept the %s)",
            source,
            len(removed),
            removed["respondent"].nunique(),
            duplicates,
        )
    for c in q.question_ids:
        df[c] = df[c].astype(object).where(df[c].notna(), None)
    return ResponseSet(
        df.reset_index(drop=True), q, source, removed.reset_index(drop=True), blank_rows
    )
