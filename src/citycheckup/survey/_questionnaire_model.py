"""The questionnaire model of the satisfaction survey (:mod:`citycheckup.survey.questionnaire`):
levels, aspects, options, questions and the questionnaire, with the names and patterns they obey.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "LEVELS",
    "RESERVED",
    "ROLES",
    "Aspect",
    "Demographic",
    "Level",
    "Option",
    "Question",
    "Questionnaire",
]

Lang = Literal["zh", "en"]
#: The MOHURD check-up levels, from the home up.
LEVELS: tuple[str, ...] = ("housing", "community", "block", "city")
#: The demographic questions a questionnaire must have (exactly these: they drive weighting).
ROLES: tuple[str, ...] = ("age_group", "sex", "area")
#: Column names the response tables use besides question ids.
RESERVED = frozenset({"respondent", "submitted", "survey_id", "lang", "channel", *ROLES})

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_OPTION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+\-.]{0,31}$")
_MOHURD_ID = re.compile(r"^[A-Z]-\d{2}$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# words that would make the questionnaire collect personal data it must not hold
_PERSONAL = re.compile(
    r"姓名|名字|电话号码|联系电话|手机号|身份证|证件号|住址|门牌|详细地址|微信号|邮箱|"
    r"\b(your|full) name\b|\b(phone|mobile|telephone) number\b|\bid (card|number)\b|"
    r"\b(home|street|postal|e-?mail) address\b|\be-?mail\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Option:
    """An answer option: ``code`` as stored, labels, and its score (``None``: not scored)."""

    code: str
    label_zh: str
    label_en: str
    score: float | None = None

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Aspect:
    code: str
    label_zh: str
    label_en: str

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Level:
    code: str
    label_zh: str
    label_en: str
    aspects: tuple[Aspect, ...]

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Demographic:
    """A demographic question; ``options`` is ``None`` for the areas of the sample design."""

    id: str
    role: str
    text_zh: str
    text_en: str
    options: tuple[Option, ...] | None

    def text(self, lang: Lang) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Question:
    """A satisfaction question of one level and aspect, optionally linked to an indicator."""

    id: str
    level: str
    aspect: str
    label_zh: str
    label_en: str
    text_zh: str
    text_en: str
    indicator: str | None = None
    mohurd_id: str | None = None

    def label(self, lang: Lang) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def text(self, lang: Lang) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Questionnaire:
    """A validated questionnaire (see ``questionnaire.yaml`` for the format)."""

    code: str
    version: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    scale: tuple[Option, ...]
    levels: tuple[Level, ...]
    demographics: tuple[Demographic, ...]
    questions: tuple[Question, ...]
    source: str = field(default="", compare=False)

    # -- look-ups ----------------------------------------------------------------------------
    def title(self, lang: Lang) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def intro(self, lang: Lang) -> str:
        return self.intro_zh if lang == "zh" else self.intro_en

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"no question {qid!r} in questionnaire {self.code}")

    def level(self, code: str) -> Level:
        for lev in self.levels:
            if lev.code == code:
                return lev
        raise KeyError(f"no level {code!r} in questionnaire {self.code}")

    def aspect(self, level: str, code: str) -> Aspect:
        for a in self.level(level).aspects:
            if a.code == code:
                return a
        raise KeyError(f"no aspect {code!r} under level {level!r} in questionnaire {self.code}")

    def demographic(self, role: str) -> Demographic:
        for d in self.demographics:
            if d.role == role:
                return d
        raise KeyError(f"no demographic question with role {role!r}")

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def scores(self) -> dict[str, float]:
        """Answer code → score (0–100) for the scored options."""
        return {o.code: float(o.score) for o in self.scale if o.score is not None}

    @property
    def unscored(self) -> tuple[str, ...]:
        """Codes of the options that are counted but not scored (不清楚, 不适用)."""
        return tuple(o.code for o in self.scale if o.score is None)

    def with_areas(self, areas: Sequence[Option]) -> Questionnaire:
        """The questionnaire with the area question's options set to ``areas``."""
        demo = tuple(
            replace(d, options=tuple(areas)) if d.role == "area" else d for d in self.demographics
        )
        return replace(self, demographics=demo)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the questionnaire (both languages), e.g. for the web form."""

        def opt(o: Option) -> dict[str, Any]:
            return {"code": o.code, "zh": o.label_zh, "en": o.label_en, "score": o.score}

        return {
            "code": self.code,
            "version": self.version,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "intro": {"zh": self.intro_zh, "en": self.intro_en},
            "scale": [opt(o) for o in self.scale],
            "levels": [
                {
                    "code": lev.code,
                    "zh": lev.label_zh,
                    "en": lev.label_en,
                    "aspects": [
                        {"code": a.code, "zh": a.label_zh, "en": a.label_en} for a in lev.aspects
                    ],
                }
                for lev in self.levels
            ],
            "demographics": [
                {
                    "id": d.id,
                    "role": d.role,
                    "zh": d.text_zh,
                    "en": d.text_en,
                    "options": [opt(o) for o in d.options] if d.options is not None else None,
                }
                for d in self.demographics
            ],
            "questions": [
                {
                    "id": q.id,
                    "level": q.level,
                    "aspect": q.aspect,
                    "label": {"zh": q.label_zh, "en": q.label_en},
                    "text": {"zh": q.text_zh, "en": q.text_en},
                }
                for q in self.questions
            ],
        }
