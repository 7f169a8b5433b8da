"""The survey database (SQLite, WAL mode): surveys, one-time tokens and responses.

Tables::

    surveys           survey_id, questionnaire (the YAML text), areas (JSON), created_at, closed
    survey_tokens     token_hash (SHA-256 of the token), survey_id, area, created_at, used_on
    survey_responses  survey_id, respondent (random ID), submitted (date, 北京时间), lang, channel
    survey_answers    survey_id, respondent, item (question id or age_group/sex/area), answer (code)
    survey_devices    survey_id, device_hash (SHA-256 of the form's device cookie)

What is *not* kept: the token itself (only its hash), IP addresses, user agents, times of
day, and any link between a response and its token or device — the respondent ID is a
fresh random value, and ``survey_devices`` only says that *some* response came from a
device. :meth:`SurveyDB.responses` returns the table layout :func:`read_responses` reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import pandas as pd

from citycheckup.errors import Problem
from citycheckup.survey._errors import ResponseError, TokenError
from citycheckup.survey.questionnaire import Option, Questionnaire, _from_text

__all__ = ["SurveyDB", "TokenRefusal", "hash_secret"]

TokenRefusal = Literal["unknown_survey", "closed", "unknown_token", "token_used", "device_used"]
_TZ = dt.timezone(dt.timedelta(hours=8))  # 北京时间 (China has one time zone, no DST)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS surveys (
    survey_id TEXT PRIMARY KEY, questionnaire TEXT NOT NULL, areas TEXT NOT NULL,
    created_at TEXT NOT NULL, closed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS survey_tokens (
    token_hash TEXT PRIMARY KEY, survey_id TEXT NOT NULL REFERENCES surveys(survey_id), area TEXT,
    created_at TEXT NOT NULL, used_on TEXT);
CREATE INDEX IF NOT EXISTS survey_tokens_survey ON survey_tokens(survey_id);
CREATE TABLE IF NOT EXISTS survey_responses (
    survey_id TEXT NOT NULL REFERENCES surveys(survey_id), respondent TEXT NOT NULL, submitted TEXT NOT NULL,
    lang TEXT NOT NULL, channel TEXT NOT NULL, PRIMARY KEY (survey_id, respondent));
CREATE TABLE IF NOT EXISTS survey_answers (
    survey_id TEXT NOT NULL, respondent TEXT NOT NULL, item TEXT NOT NULL, answer TEXT NOT NULL,
    PRIMARY KEY (survey_id, respondent, item));
CREATE TABLE IF NOT EXISTS survey_devices (
    survey_id TEXT NOT NULL, device_hash TEXT NOT NULL, PRIMARY KEY (survey_id, device_hash));
"""
_SURVEY_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest of a token or device cookie (both carry ≥ 128 random bits, so no salt)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _today() -> str:
    return dt.datetime.now(_TZ).strftime("%Y-%m-%d")


class SurveyDB:
    """A survey database file; use as a context manager or call :meth:`close`.

    Parameters
    ----------
    path
        The SQLite file (created with its tables when absent).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE
        self._con = sqlite3.connect(
            str(self.path), timeout=30, isolation_level=None, check_same_thread=False
        )
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA foreign_keys=ON")
        self._con.executescript(_SCHEMA)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> SurveyDB:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- surveys ------------------------------------------------------------------------------
    def create_survey(
        self,
        survey_id: str,
        areas: pd.DataFrame | Sequence[Option],
        *,
        questionnaire: str | Path | None = None,
        replace: bool = False,
    ) -> Questionnaire:
        """Register a survey: its questionnaire (YAML file, default the standard one) and areas.

        ``areas`` is the area table of the sample design (``area, name_zh, name_en``) or a
        list of options. The questionnaire text is stored, so later edits of the file do not
        change a running survey.
        """
        import re

        if not re.match(_SURVEY_ID, survey_id) or survey_id == "assets":
            raise TokenError(
                f"survey id {survey_id!r} must be 1–64 ASCII letters, digits, _ . - "
                "and not 'assets' (it appears in the form's address)"
            )
        if questionnaire is None:
            from importlib import resources

            text = (resources.files("citycheckup.survey") / "questionnaire.yaml").read_text(
                encoding="utf-8"
            )
            q = _from_text(text, "builtin/questionnaire.yaml", None)
        else:
            text = Path(questionnaire).read_text(encoding="utf-8")
            q = _from_text(text, str(questionnaire), None)
        opts = _area_options(areas)
        if not opts:
            raise TokenError(
                "a survey needs at least one area (sub-district or community) for the form"
            )
        exists = self._con.execute(
            "SELECT 1 FROM surveys WHERE survey_id=?", (survey_id,)
        ).fetchone()
        if exists and not replace:
            raise TokenError(
                f"survey {survey_id!r} already exists in {self.path}; choose another id "
                "(or replace=True / --replace before any response)"
            )
        if (
            exists
            and self._con.execute(
                "SELECT 1 FROM survey_responses WHERE survey_id=? LIMIT 1", (survey_id,)
            ).fetchone()
        ):
            raise TokenError(
                f"survey {survey_id!r} already has responses; its questionnaire and areas can no "
                "longer be replaced — start a new survey id"
            )
        payload = json.dumps(
            [{"code": o.code, "zh": o.label_zh, "en": o.label_en} for o in opts], ensure_ascii=False
        )
        self._con.execute(
            "INSERT OR REPLACE INTO surveys(survey_id, questionnaire, areas, created_at, closed) "
            "VALUES (?,?,?,?,0)",
            (survey_id, text, payload, _today()),
        )
        return q.with_areas(opts)

    def surveys(self) -> list[str]:
        return [r[0] for r in self._con.execute("SELECT survey_id FROM surveys ORDER BY survey_id")]

    def _row(self, survey_id: str) -> tuple[str, str, int]:
        row = self._con.execute(
            "SELECT questionnaire, areas, closed FROM surveys WHERE survey_id=?", (survey_id,)
        ).fetchone()
        if row is None:
            known = ", ".join(self.surveys()) or "none"
            raise TokenError(
                f"no survey {survey_id!r} in {self.path} (surveys: {known})",
                reason="unknown_survey",
            )
        return row[0], row[1], int(row[2])

    def questionnaire(self, survey_id: str) -> Questionnaire:
        """The survey's questionnaire with its areas as the options of the area question."""
        text, _, _ = self._row(survey_id)
        return _from_text(text, f"survey {survey_id}", None).with_areas(self.areas(survey_id))

    def areas(self, survey_id: str) -> list[Option]:
        _, areas, _ = self._row(survey_id)
        return [Option(a["code"], a["zh"], a["en"]) for a in json.loads(areas)]

    def is_closed(self, survey_id: str) -> bool:
        return bool(self._row(survey_id)[2])

    def close_survey(self, survey_id: str, closed: bool = True) -> None:
        """Stop (or reopen) accepting responses."""
        self._row(survey_id)
        self._con.execute("UPDATE surveys SET closed=? WHERE survey_id=?", (int(closed), survey_id))

    # -- tokens -----------------------------------------------------------------------------------
    def create_tokens(self, survey_id: str, n: int, *, area: str | None = None) -> list[str]:
        """Create ``n`` one-time tokens (128 random bits each); only their hashes are stored.

        The tokens are returned once: hand them out (e.g. as links or QR codes) and keep no
        list that ties a token to a person.
        """
        self._row(survey_id)
        if not isinstance(n, int) or n <= 0 or n > 1_000_000:
            raise TokenError(
                f"the number of tokens must be a whole number from 1 to 1,000,000, got {n!r}"
            )
        if area is not None and area not in {o.code for o in self.areas(survey_id)}:
            raise TokenError(f"area {area!r} is not an area of survey {survey_id!r}")
        tokens = [secrets.token_urlsafe(16) for _ in range(n)]
        day = _today()
        self._con.execute("BEGIN IMMEDIATE")
        try:
            self._con.executemany(
                "INSERT INTO survey_tokens(token_hash, survey_id, area, created_at) VALUES (?,?,?,?)",
                [(hash_secret(t), survey_id, area, day) for t in tokens],
            )
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        return tokens

    def token_counts(self, survey_id: str) -> dict[str, int]:
        """``issued`` and ``used`` tokens of the survey."""
        self._row(survey_id)
        issued, used = self._con.execute(
            "SELECT COUNT(*), COUNT(used_on) FROM survey_tokens WHERE survey_id=?", (survey_id,)
        ).fetchone()
        return {"issued": int(issued), "used": int(used)}

    def check_token(self, survey_id: str, token: str) -> None:
        """Raise :class:`TokenError` (with ``reason``) unless ``token`` may still answer."""
        _, _, closed = self._row(survey_id)
        if closed:
            raise _refusal("closed", f"survey {survey_id!r} is closed")
        row = self._con.execute(
            "SELECT used_on FROM survey_tokens WHERE token_hash=? AND survey_id=?",
            (hash_secret(token), survey_id),
        ).fetchone()
        if row is None:
            raise _refusal("unknown_token", "the token is not valid for this survey")
        if row[0] is not None:
            raise _refusal("token_used", "a response was already submitted with this token")

    # -- responses ----------------------------------------------------------------------------------
    def submit(
        self,
        survey_id: str,
        token: str,
        answers: Mapping[str, Any],
        *,
        lang: str = "zh",
        device: str | None = None,
        channel: str = "web",
    ) -> str:
        """Store one response; the token is used up and the device recorded, all or nothing.

        Raises
        ------
        TokenError
            ``reason`` is one of ``unknown_survey``, ``closed``, ``unknown_token``,
            ``token_used``, ``device_used``.
        ResponseError
            The answers do not fit the questionnaire (every problem listed).
        """
        q = self.questionnaire(survey_id)
        self.check_token(survey_id, token)
        dev = hash_secret(device) if device else None
        if (
            dev
            and self._con.execute(
                "SELECT 1 FROM survey_devices WHERE survey_id=? AND device_hash=?", (survey_id, dev)
            ).fetchone()
        ):
            raise _refusal("device_used", "a response was already submitted from this device")
        items = clean_answers(q, answers)
        respondent = secrets.token_hex(8)
        day = _today()
        self._con.execute("BEGIN IMMEDIATE")
        try:
            cur = self._con.execute(
                "UPDATE survey_tokens SET used_on=? WHERE token_hash=? AND survey_id=? "
                "AND used_on IS NULL",
                (day, hash_secret(token), survey_id),
            )
            if cur.rowcount != 1:  # another request used it between the check and now
                raise _refusal("token_used", "a response was already submitted with this token")
            if dev:
                try:
                    self._con.execute(
                        "INSERT INTO survey_devices(survey_id, device_hash) VALUES (?,?)",
                        (survey_id, dev),
                    )
                except sqlite3.IntegrityError:
                    raise _refusal(
                        "device_used", "a response was already submitted from this device"
                    ) from None
            self._con.execute(
                "INSERT INTO survey_responses(survey_id, respondent, submitted, lang, channel) "
                "VALUES (?,?,?,?,?)",
                (survey_id, respondent, day, lang, channel),
            )
            self._con.executemany(
                "INSERT INTO survey_answers(survey_id, respondent, item, answer) VALUES (?,?,?,?)",
                [(survey_id, respondent, k, v) for k, v in items.items()],
            )
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        return respondent

    def responses(self, survey_id: str) -> pd.DataFrame:
        """All responses of the survey in the importer's layout (one row per respondent)."""
        q = self.questionnaire(survey_id)
        cols = ["respondent", "age_group", "sex", "area", "submitted", *q.question_ids]
        base = pd.read_sql_query(
            "SELECT respondent, submitted FROM survey_responses WHERE survey_id=? "
            "ORDER BY submitted, rowid",
            self._con,
            params=(survey_id,),
        )
        ans = pd.read_sql_query(
            "SELECT respondent, item, answer FROM survey_answers WHERE survey_id=?",
            self._con,
            params=(survey_id,),
        )
        wide = (
            ans.pivot(index="respondent", columns="item", values="answer")
            if len(ans)
            else pd.DataFrame()
        )
        out = base.set_index("respondent").join(wide, how="left").reset_index()
        for c in cols:
            if c not in out.columns:
                out[c] = None
        return out[cols].astype(object).where(out[cols].notna(), None)


def _refusal(reason: TokenRefusal, message: str) -> TokenError:
    return TokenError(message, reason=reason)


def _area_options(areas: pd.DataFrame | Sequence[Option]) -> list[Option]:
    if isinstance(areas, pd.DataFrame):
        out = []
        for rec in areas.to_dict("records"):
            code = str(rec["area"])
            zh = str(rec.get("name_zh") or code)
            en = str(rec.get("name_en") or zh)
            out.append(Option(code, zh, en))
        return out
    return list(areas)


def clean_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, str]:
    """Check a submitted answer mapping against the questionnaire; every problem at once.

    Demographics are required; a question may be left out (no answer). Keys must be
    demographic roles or question ids; values option codes.
    """
    problems: list[Problem] = []
    out: dict[str, str] = {}
    allowed = {o.code for o in q.scale}
    qids = set(q.question_ids)
    for d in q.demographics:
        v = answers.get(d.role)
        opts = {o.code for o in d.options or ()}
        if v is None or v == "":
            problems.append(Problem(f"{d.role} is required", d.role))
        elif not isinstance(v, str) or v not in opts:
            problems.append(Problem(f"{v!r} is not an option of {d.role}", d.role))
        else:
            out[d.role] = v
    for k, v in answers.items():
        if k in {d.role for d in q.demographics}:
            continue
        if k not in qids:
            problems.append(Problem(f"{k!r} is not a question of this survey", str(k)[:40]))
        elif v is None or v == "":
            continue
        elif not isinstance(v, str) or v not in allowed:
            problems.append(
                Problem(f"{v!r} is not an answer option ({', '.join(sorted(allowed))})", k)
            )
        else:
            out[k] = v
    if problems:
        raise ResponseError(
            f"the response does not fit the questionnaire ({len(problems)} problem(s))",
            problems=problems,
        )
    return out
