"""The questionnaire of the residents' satisfaction survey: model, loading and validation.

The standard questionnaire ships as ``questionnaire.yaml`` in this package (one block of
questions per MOHURD level and aspect, every text in Chinese and English). A city edits a
copy; :func:`load_questionnaire` checks it and reports *every* problem with ``file:line``.

Only what weighting needs is asked about the respondent: age group, sex and area of
residence (sub-district or community). The loader refuses a questionnaire that asks for
anything else personal (name, phone, ID number, address).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from citycheckup.errors import FrameworkError
from citycheckup.survey._errors import QuestionnaireError
from citycheckup.survey._questionnaire_checks import _Validator
from citycheckup.survey._questionnaire_model import (
    LEVELS,
    ROLES,
    Aspect,
    Demographic,
    Level,
    Option,
    Question,
    Questionnaire,
)

__all__ = [
    "LEVELS",
    "ROLES",
    "Aspect",
    "Demographic",
    "Level",
    "Option",
    "Question",
    "Questionnaire",
    "builtin_questionnaire",
    "load_questionnaire",
]


# -- loading --------------------------------------------------------------------------------------
def builtin_questionnaire() -> Questionnaire:
    """The standard questionnaire shipped with citycheckup."""
    res = resources.files("citycheckup.survey") / "questionnaire.yaml"
    return _from_text(res.read_text(encoding="utf-8"), "builtin/questionnaire.yaml", None)


def load_questionnaire(path: str | Path | None = None, *, framework: Any = None) -> Questionnaire:
    """Load and validate a questionnaire YAML, reporting every problem at once.

    Parameters
    ----------
    path
        A YAML file; ``None`` for the built-in standard questionnaire.
    framework
        A :class:`~citycheckup.framework.models.Framework`: when given, every ``indicator``
        must be one of its codes and agree with its ``mohurd_id``.

    Raises
    ------
    QuestionnaireError
        One :class:`~citycheckup.errors.Problem` per defect, each naming ``file:line``.
    """
    if path is None:
        text, source = (
            (resources.files("citycheckup.survey") / "questionnaire.yaml").read_text(
                encoding="utf-8"
            ),
            "builtin/questionnaire.yaml",
        )
    else:
        p = Path(path)
        if not p.is_file():
            raise QuestionnaireError(
                f"questionnaire file {p} does not exist; give a YAML file "
                "(`citycheckup survey questionnaire --out FILE` writes the standard one)"
            )
        text, source = p.read_text(encoding="utf-8"), str(p)
    return _from_text(text, source, framework)


def _from_text(text: str, source: str, framework: Any) -> Questionnaire:
    # the framework loader's YAML reader keeps the line of every key (so problems name file:line)
    from citycheckup.framework.loader import _compose_with_lines, _line_for

    try:
        data, lines, problems = _compose_with_lines(text, source)
    except FrameworkError as exc:
        raise QuestionnaireError(exc.headline, problems=exc.problems) from exc
    if not isinstance(data, dict):
        raise QuestionnaireError(
            f"{source} must hold a mapping with keys code, title_zh, title_en, scale, "
            "levels, demographics, questions"
        )
    v = _Validator(source, lines, _line_for)
    v.problems.extend(problems)
    q = v.questionnaire(data, framework)
    if v.problems or q is None:
        ps = sorted(v.problems, key=lambda p: _sort_key(p.where))
        raise QuestionnaireError(
            f"questionnaire {source} is invalid ({len(ps)} problem(s))", problems=ps
        )
    return q


def _sort_key(where: str) -> tuple[str, int]:
    head, _, line = where.rpartition(":")
    return (head, int(line)) if line.isdigit() else (where, 0)
