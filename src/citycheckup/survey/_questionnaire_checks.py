"""Validation of a questionnaire YAML (:mod:`citycheckup.survey.questionnaire`): every problem, with
``file:line``, while the raw structure is turned into the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from citycheckup.errors import Problem
from citycheckup.survey._questionnaire_model import (
    _CJK,
    _CODE,
    _ID,
    _MOHURD_ID,
    _OPTION_CODE,
    _PERSONAL,
    LEVELS,
    RESERVED,
    ROLES,
    Aspect,
    Demographic,
    Level,
    Option,
    Question,
    Questionnaire,
)

__all__ = ["_Validator"]

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
