"""The questionnaire of the residents' satisfaction survey: model, loading and validation.

The standard questionnaire ships as ``questionnaire.yaml`` in this package (one block of
questions per MOHURD level and aspect, every text in Chinese and English). A city edits a
copy; :func:`load_questionnaire` checks it and reports *every* problem with ``file:line``.

Only what weighting needs is asked about the respondent: age group, sex and area of
residence (sub-district or community). The loader refuses a questionnaire that asks for
anything else personal (name, phone, ID number, address).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from citycheckup.errors import FrameworkError, Problem
from citycheckup.survey._errors import QuestionnaireError

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


_Path = tuple[str | int, ...]


class _Validator:
    """Collects problems while turning the raw YAML structure into the model."""

    def __init__(self, source: str, lines: dict[_Path, int], line_for: Any) -> None:
        self.source, self.lines, self._line_for = source, lines, line_for
        self.problems: list[Problem] = []

    def at(self, path: _Path) -> str:
        line = self._line_for(path, self.lines)
        return f"{self.source}:{line}" if line else self.source

    def add(self, message: str, path: _Path) -> None:
        self.problems.append(Problem(message, self.at(path)))

    # -- small checks ---------------------------------------------------------------------------
    def keys(
        self,
        d: Mapping[str, Any],
        path: _Path,
        required: Iterable[str],
        optional: Iterable[str],
        what: str,
    ) -> None:
        req, opt = list(required), set(optional)
        for k in req:
            if k not in d or d[k] is None or (isinstance(d[k], str) and not d[k].strip()):
                self.add(f"{what}: '{k}' is required", path)
        for k in d:
            if k not in req and k not in opt:
                self.add(
                    f"{what}: unknown key {k!r}; allowed: {', '.join(sorted({*req, *opt}))}",
                    (*path, k),
                )

    def texts(self, d: Mapping[str, Any], path: _Path, stem: str, what: str) -> tuple[str, str]:
        """``stem_zh``/``stem_en``: both present, the Chinese with Chinese text, the English without."""
        zh, en = d.get(f"{stem}_zh"), d.get(f"{stem}_en")
        out = []
        for lang, val in (("zh", zh), ("en", en)):
            key = f"{stem}_{lang}"
            if val is None:
                continue  # reported as a missing required key
            if not isinstance(val, str) and not isinstance(val, int | float):
                self.add(f"{what}: {key} must be text, got {type(val).__name__}", (*path, key))
                out.append("")
                continue
            s = str(val).strip()
            if (
                lang == "zh"
                and not _CJK.search(s)
                and not s.replace("+", "").replace("-", "").isdigit()
            ):
                self.add(
                    f"{what}: {key} {s!r} has no Chinese text; write it in Chinese", (*path, key)
                )
            if lang == "en" and _CJK.search(s):
                self.add(
                    f"{what}: {key} {s!r} contains Chinese characters; write it in English",
                    (*path, key),
                )
            if _PERSONAL.search(s) and stem == "text":
                self.add(
                    f"{what}: {key} asks for personal data ({_PERSONAL.search(s).group(0)!r}); "  # type: ignore[union-attr]
                    "the survey keeps no name, phone, ID number or address — remove the question",
                    (*path, key),
                )
            out.append(s)
        while len(out) < 2:
            out.append("")
        return out[0], out[1]

    def options(self, raw: Any, path: _Path, what: str, *, scored: bool) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not raw:
            self.add(f"{what}: needs a non-empty list of options", path)
            return ()
        out: list[Option] = []
        seen: dict[str, int] = {}
        for i, o in enumerate(raw):
            p = (*path, i)
            if not isinstance(o, dict):
                self.add(
                    f"{what}: option {i + 1} must be a mapping with code, label_zh, label_en", p
                )
                continue
            self.keys(
                o,
                p,
                ("code", "label_zh", "label_en"),
                ("score",) if scored else (),
                f"{what} option {i + 1}",
            )
            code = str(o.get("code", "")).strip()
            if code and not _OPTION_CODE.match(code):
                self.add(
                    f"{what}: option code {code!r} must be 1–32 ASCII letters, digits or _+-.",
                    (*p, "code"),
                )
            if code.lower() in seen:
                self.add(
                    f"{what}: option code {code!r} is used twice (first as option {seen[code.lower()] + 1})",
                    (*p, "code"),
                )
            seen[code.lower()] = i
            zh, en = self.texts(o, p, "label", f"{what} option {code or i + 1}")
            score = o.get("score")
            if (
                scored
                and score is not None
                and (
                    not isinstance(score, int | float)
                    or isinstance(score, bool)
                    or not 0 <= float(score) <= 100
                )
            ):
                self.add(
                    f"{what}: score of option {code!r} must be a number from 0 to 100 or null, got {score!r}",
                    (*p, "score"),
                )
                score = None
            out.append(Option(code, zh, en, float(score) if scored and score is not None else None))
        return tuple(out)

    # -- the whole file ---------------------------------------------------------------------------
    def questionnaire(self, d: dict[str, Any], framework: Any) -> Questionnaire | None:
        self.keys(
            d,
            (),
            (
                "code",
                "version",
                "title_zh",
                "title_en",
                "scale",
                "levels",
                "demographics",
                "questions",
            ),
            ("intro_zh", "intro_en"),
            "questionnaire",
        )
        code = str(d.get("code", "")).strip()
        if code and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$", code):
            self.add(f"questionnaire code {code!r} must be ASCII letters, digits, _ . -", ("code",))
        title = self.texts(d, (), "title", "questionnaire")
        intro = (
            self.texts(d, (), "intro", "questionnaire")
            if ("intro_zh" in d or "intro_en" in d)
            else ("", "")
        )
        if ("intro_zh" in d) != ("intro_en" in d):
            self.add(
                "questionnaire: give intro_zh and intro_en together",
                ("intro_zh" if "intro_zh" in d else "intro_en",),
            )
        scale = self.options(d.get("scale"), ("scale",), "scale", scored=True)
        scored = [o for o in scale if o.score is not None]
        if scale and len(scored) < 2:
            self.add(
                "scale: at least two options need a score (e.g. 非常满意 = 100 … 非常不满意 = 0)",
                ("scale",),
            )
        if scored and (min(o.score for o in scored) != 0 or max(o.score for o in scored) != 100):  # type: ignore[type-var]
            self.add(
                "scale: the scores must run from 0 (worst) to 100 (best) so that indices are on 0–100",
                ("scale",),
            )
        levels = self.levels(d.get("levels"))
        demo = self.demographics(d.get("demographics"))
        questions = self.questions(d.get("questions"), levels, demo, framework)
        if self.problems:
            return None
        return Questionnaire(
            code,
            str(d.get("version")),
            title[0],
            title[1],
            intro[0],
            intro[1],
            scale,
            tuple(levels.values()),
            demo,
            questions,
            self.source,
        )

    def levels(self, raw: Any) -> dict[str, Level]:
        out: dict[str, Level] = {}
        if not isinstance(raw, list) or not raw:
            self.add(
                "levels: needs a list of levels (housing, community, block, city) with their aspects",
                ("levels",),
            )
            return out
        for i, lev in enumerate(raw):
            p: _Path = ("levels", i)
            if not isinstance(lev, dict):
                self.add(f"levels: entry {i + 1} must be a mapping", p)
                continue
            self.keys(lev, p, ("code", "label_zh", "label_en", "aspects"), (), f"level {i + 1}")
            code = str(lev.get("code", ""))
            if code not in LEVELS:
                self.add(f"level code {code!r} is not one of {', '.join(LEVELS)}", (*p, "code"))
            if code in out:
                self.add(f"level {code!r} is declared twice", (*p, "code"))
            zh, en = self.texts(lev, p, "label", f"level {code}")
            aspects: list[Aspect] = []
            raw_a = lev.get("aspects")
            if not isinstance(raw_a, list) or not raw_a:
                self.add(f"level {code}: needs a non-empty list of aspects", (*p, "aspects"))
                raw_a = []
            seen: set[str] = set()
            for j, a in enumerate(raw_a):
                pa = (*p, "aspects", j)
                if not isinstance(a, dict):
                    self.add(
                        f"level {code}: aspect {j + 1} must be a mapping with code, label_zh, label_en",
                        pa,
                    )
                    continue
                self.keys(
                    a, pa, ("code", "label_zh", "label_en"), (), f"level {code} aspect {j + 1}"
                )
                ac = str(a.get("code", ""))
                if ac and not _CODE.match(ac):
                    self.add(f"aspect code {ac!r} must be an ASCII identifier", (*pa, "code"))
                if ac in seen:
                    self.add(f"level {code}: aspect {ac!r} is declared twice", (*pa, "code"))
                seen.add(ac)
                azh, aen = self.texts(a, pa, "label", f"aspect {ac}")
                aspects.append(Aspect(ac, azh, aen))
            out[code] = Level(code, zh, en, tuple(aspects))
        return out

    def demographics(self, raw: Any) -> tuple[Demographic, ...]:
        out: list[Demographic] = []
        if not isinstance(raw, list):
            self.add(
                "demographics: needs a list with the questions age_group, sex and area "
                "(the margins of the weighting)",
                ("demographics",),
            )
            return ()
        roles: dict[str, int] = {}
        for i, dq in enumerate(raw):
            p: _Path = ("demographics", i)
            if not isinstance(dq, dict):
                self.add(f"demographics: entry {i + 1} must be a mapping", p)
                continue
            self.keys(
                dq, p, ("id", "role", "text_zh", "text_en", "options"), (), f"demographic {i + 1}"
            )
            role = str(dq.get("role", ""))
            if role not in ROLES:
                self.add(
                    f"demographic role {role!r} is not allowed: the survey asks only for "
                    f"{', '.join(ROLES)} (what weighting needs) and nothing else personal",
                    (*p, "role"),
                )
            if role in roles:
                self.add(f"demographic role {role!r} appears twice", (*p, "role"))
            roles[role] = i
            did = str(dq.get("id", ""))
            if did != role and role in ROLES:
                self.add(
                    f"demographic id {did!r} must equal its role {role!r} (it is the column name)",
                    (*p, "id"),
                )
            zh, en = self.texts(dq, p, "text", f"demographic {did}")
            raw_o = dq.get("options")
            opts: tuple[Option, ...] | None
            if raw_o == "from_design":
                if role != "area":
                    self.add(
                        f"demographic {did}: only the area question takes its options from the design",
                        (*p, "options"),
                    )
                opts = None
            else:
                opts = self.options(raw_o, (*p, "options"), f"demographic {did}", scored=False)
            out.append(Demographic(did, role, zh, en, opts))
        for r in ROLES:
            if r not in roles:
                self.add(
                    f"demographics: the {r!r} question is missing; weighting needs age_group, sex and area",
                    ("demographics",),
                )
        return tuple(out)

    def questions(
        self, raw: Any, levels: Mapping[str, Level], demo: Sequence[Demographic], framework: Any
    ) -> tuple[Question, ...]:
        out: list[Question] = []
        if not isinstance(raw, list) or not raw:
            self.add("questions: needs a non-empty list of questions", ("questions",))
            return ()
        seen: dict[str, int] = {}
        fw_ids: dict[str, str | None] = {}
        if framework is not None:
            fw_ids = {i.code: i.mohurd_id for i in framework.indicators}
        for i, q in enumerate(raw):
            p: _Path = ("questions", i)
            if not isinstance(q, dict):
                self.add(f"questions: entry {i + 1} must be a mapping", p)
                continue
            self.keys(
                q,
                p,
                ("id", "level", "aspect", "label_zh", "label_en", "text_zh", "text_en"),
                ("indicator", "mohurd_id"),
                f"question {i + 1}",
            )
            qid = str(q.get("id", ""))
            if qid and not _ID.match(qid):
                self.add(
                    f"question id {qid!r} must be 1–32 ASCII letters, digits or _, starting with a letter "
                    "(it is the column header of response files)",
                    (*p, "id"),
                )
            if qid.lower() in seen:
                self.add(
                    f"question id {qid!r} is used twice (first as question {seen[qid.lower()] + 1}); "
                    "ids are compared without case",
                    (*p, "id"),
                )
            if qid.lower() in RESERVED:
                self.add(
                    f"question id {qid!r} is reserved for a column of the response table",
                    (*p, "id"),
                )
            seen[qid.lower()] = i
            lev, asp = str(q.get("level", "")), str(q.get("aspect", ""))
            if lev not in levels:
                self.add(
                    f"question {qid}: level {lev!r} is not declared under 'levels' "
                    f"({', '.join(levels) or 'none'})",
                    (*p, "level"),
                )
            elif asp not in {a.code for a in levels[lev].aspects}:
                self.add(
                    f"question {qid}: aspect {asp!r} is not an aspect of level {lev} "
                    f"({', '.join(a.code for a in levels[lev].aspects)})",
                    (*p, "aspect"),
                )
            lzh, len_ = self.texts(q, p, "label", f"question {qid}")
            tzh, ten = self.texts(q, p, "text", f"question {qid}")
            ind = q.get("indicator")
            mid = q.get("mohurd_id")
            if ind is not None and (not isinstance(ind, str) or not _CODE.match(ind)):
                self.add(
                    f"question {qid}: indicator {ind!r} must be an indicator code (ASCII identifier)",
                    (*p, "indicator"),
                )
                ind = None
            if mid is not None and (not isinstance(mid, str) or not _MOHURD_ID.match(mid)):
                self.add(
                    f"question {qid}: mohurd_id {mid!r} must look like H-01, C-12, B-04, U-39",
                    (*p, "mohurd_id"),
                )
                mid = None
            if framework is not None and isinstance(ind, str):
                if ind not in fw_ids:
                    self.add(
                        f"question {qid}: indicator {ind!r} is not in framework {framework.code}",
                        (*p, "indicator"),
                    )
                elif mid is not None and fw_ids[ind] is not None and fw_ids[ind] != mid:
                    self.add(
                        f"question {qid}: mohurd_id {mid} disagrees with indicator {ind} "
                        f"(framework {framework.code} gives {fw_ids[ind]})",
                        (*p, "mohurd_id"),
                    )
            out.append(Question(qid, lev, asp, lzh, len_, tzh, ten, ind, mid))
        demo_ids = {d.id.lower() for d in demo}
        for j, q2 in enumerate(out):
            if q2.id.lower() in demo_ids:
                self.add(
                    f"question id {q2.id!r} is also a demographic question id",
                    ("questions", j, "id"),
                )
        used = {(q2.level, q2.aspect) for q2 in out}
        for code, lev2 in levels.items():
            for a in lev2.aspects:
                if (code, a.code) not in used:
                    k = list(levels).index(code)
                    self.add(
                        f"aspect {a.code} of level {code} has no question; add one or remove the aspect",
                        ("levels", k),
                    )
        return tuple(out)
