"""The residents' survey web form: a mobile page and its JSON endpoints (FastAPI router).

Wire it into an application with ``app.include_router(survey_router(db_path))``. Routes::

    GET  /survey/{survey_id}?t=TOKEN&lang=zh|en     the form page (sets the device cookie)
    GET  /survey/assets/{form.js|form.css}           its script and style (no CDN)
    GET  /api/v1/surveys/{survey_id}/form            questionnaire and areas as JSON (both languages)
    POST /api/v1/surveys/{survey_id}/responses       {"token", "lang", "answers": {id: code}}

A response needs a valid one-time token (created with ``citycheckup survey tokens``); a
second submission with the same token, or from the same device (an HttpOnly cookie), is
refused with 409 and a message the respondent understands. Nothing is stored beyond the
answers the questionnaire asks for: no IP address, no user agent, no time of day; the
device cookie is kept only as a hash, unlinked to the response. Errors share the body
``{"error": {status, code, message, messages: {zh, en}, details}}``.
"""

from __future__ import annotations

import json
import re
import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from citycheckup.survey import ResponseError, SurveyDB, TokenError

__all__ = ["DEVICE_COOKIE", "MAX_BODY_BYTES", "survey_router"]

DEVICE_COOKIE = "cc_survey_device"
MAX_BODY_BYTES = 16 * 1024
_SURVEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_ASSETS = {"form.js": "text/javascript; charset=utf-8", "form.css": "text/css; charset=utf-8"}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # the token is in the page address: never send it on in a Referer
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
}

#: Respondent-facing messages (status, zh, en) by error code.
MESSAGES: dict[str, tuple[int, str, str]] = {
    "token_used": (
        409,
        "这个问卷链接已经提交过答卷，每个链接只能提交一次。感谢您的参与！",
        "A response has already been submitted with this survey link; each link can be used once. "
        "Thank you for taking part!",
    ),
    "device_used": (
        409,
        "这台设备已经提交过本次问卷，每台设备只能提交一次。感谢您的参与！",
        "This device has already submitted a response to this survey; each device can answer once. "
        "Thank you for taking part!",
    ),
    "unknown_token": (
        403,
        "问卷链接无效：请使用收到的完整链接或邀请码。",
        "This survey link is not valid: please use the complete link or invitation code you received.",
    ),
    "missing_token": (
        400,
        "缺少邀请码：请使用收到的问卷链接，或在页面顶部输入邀请码。",
        "The invitation code is missing: open the survey link you received or enter the code at the top.",
    ),
    "unknown_survey": (
        404,
        "找不到这项调查，请检查链接是否完整。",
        "This survey was not found; please check that the link is complete.",
    ),
    "closed": (
        410,
        "本次调查已经结束，感谢您的关注。",
        "This survey has closed. Thank you for your interest.",
    ),
    "invalid_answers": (
        422,
        "部分回答不符合问卷要求，请检查标出的题目后再提交。",
        "Some answers do not fit the questionnaire; please check the marked questions and submit "
        "again.",
    ),
    "invalid_body": (
        400,
        "提交的内容无法识别，请刷新页面后重试。",
        "The submission could not be read; please reload the page and try again.",
    ),
    "payload_too_large": (
        413,
        "提交的内容过大，请刷新页面后重试。",
        "The submission is too large; please reload the page and try again.",
    ),
}


def _lang(request: Request, body_lang: Any = None) -> str:
    for v in (body_lang, request.query_params.get("lang")):
        if v in ("zh", "en"):
            return str(v)
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "zh"


def _error(code: str, lang: str, details: list[Any] | None = None) -> JSONResponse:
    status, zh, en = MESSAGES[code]
    body = {
        "error": {
            "status": status,
            "code": code,
            "message": zh if lang == "zh" else en,
            "messages": {"zh": zh, "en": en},
            "details": details or [],
        }
    }
    return JSONResponse(body, status_code=status, headers=dict(_HEADERS))


def _static(name: str) -> bytes:
    return (resources.files("citycheckup.api") / "static" / "survey" / name).read_bytes()


def survey_router(
    db_path: str | Path, *, max_body_bytes: int = MAX_BODY_BYTES, secure_cookie: bool | None = None
) -> APIRouter:
    """The survey form's router, storing responses in the SQLite database ``db_path``.

    Parameters
    ----------
    db_path
        The survey database (:class:`~citycheckup.survey.SurveyDB`; created when absent).
    max_body_bytes
        Largest accepted request body (413 above it); a full questionnaire answer is ~1 KiB.
    secure_cookie
        Mark the device cookie ``Secure``; default: when the request came over HTTPS.
    """
    path = Path(db_path)
    SurveyDB(path).close()  # creates the file and its tables once, at start
    router = APIRouter(tags=["survey"])

    def device_cookie(request: Request, response: Response, value: str) -> None:
        secure = secure_cookie if secure_cookie is not None else request.url.scheme == "https"
        response.set_cookie(
            DEVICE_COOKIE,
            value,
            max_age=400 * 24 * 3600,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/",
        )

    @router.get("/survey/assets/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in _ASSETS:
            return JSONResponse(
                {
                    "error": {
                        "status": 404,
                        "code": "not_found",
                        "message": f"no asset {name!r}",
                        "details": [],
                    }
                },
                status_code=404,
            )
        return Response(_static(name), media_type=_ASSETS[name], headers=dict(_HEADERS))

    @router.get("/survey/{survey_id}", include_in_schema=False)
    def page(survey_id: str, request: Request) -> Response:
        resp = Response(
            _static("index.html"), media_type="text/html; charset=utf-8", headers=dict(_HEADERS)
        )
        if not request.cookies.get(DEVICE_COOKIE):
            device_cookie(request, resp, secrets.token_urlsafe(16))
        return resp

    @router.get(
        "/api/v1/surveys/{survey_id}/form",
        summary="The survey's questionnaire and areas (zh and en)",
    )
    def form(survey_id: str, request: Request) -> Response:
        lang = _lang(request)
        if not _SURVEY_ID.match(survey_id):
            return _error("unknown_survey", lang)

        def load() -> dict[str, Any]:
            with SurveyDB(path) as db:
                q = db.questionnaire(survey_id)
                closed = db.is_closed(survey_id)
            return {"survey_id": survey_id, "closed": bool(closed), **q.as_dict()}

        try:
            data = load()
        except TokenError as exc:
            return _error(exc.reason if exc.reason in MESSAGES else "unknown_survey", lang)
        return JSONResponse(data, headers=dict(_HEADERS))

    @router.post(
        "/api/v1/surveys/{survey_id}/responses",
        status_code=201,
        summary="Submit one response (one per token and per device)",
    )
    async def submit(survey_id: str, request: Request) -> Response:
        lang = _lang(request)
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            return _error("payload_too_large", lang)
        raw = bytearray()
        async for chunk in request.stream():
            raw.extend(chunk)
            if len(raw) > max_body_bytes:
                return _error("payload_too_large", lang)
        try:
            body = json.loads(bytes(raw).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error("invalid_body", lang, ["the body must be a JSON object (UTF-8)"])
        if not isinstance(body, dict):
            return _error("invalid_body", lang, ["the body must be a JSON object"])
        lang = _lang(request, body.get("lang"))
        unknown = sorted(set(body) - {"token", "lang", "answers"})
        answers = body.get("answers")
        token = body.get("token")
        if unknown or not isinstance(answers, dict) or (body.get("lang") not in (None, "zh", "en")):
            return _error(
                "invalid_body",
                lang,
                [
                    f"unknown fields {unknown}"
                    if unknown
                    else "'answers' must be an object of question id → answer code"
                ],
            )
        if not token:
            return _error("missing_token", lang)
        if not isinstance(token, str) or not _TOKEN.match(token):
            return _error("unknown_token", lang)
        if not _SURVEY_ID.match(survey_id):
            return _error("unknown_survey", lang)
        device = request.cookies.get(DEVICE_COOKIE)
        new_device = None
        if not device or len(device) > 128:
            new_device = device = secrets.token_urlsafe(16)

        def store() -> str:
            with SurveyDB(path) as db:
                return db.submit(survey_id, token, answers, lang=lang, device=device, channel="web")

        try:
            await run_in_threadpool(store)
        except TokenError as exc:
            return _error(exc.reason if exc.reason in MESSAGES else "unknown_token", lang)
        except ResponseError as exc:
            return _error(
                "invalid_answers",
                lang,
                [{"item": p.where, "message": p.message} for p in exc.problems],
            )
        zh, en = "提交成功，感谢您的参与！", "Thank you! Your answers have been submitted."
        resp = JSONResponse(
            {
                "status": "ok",
                "message": zh if lang == "zh" else en,
                "messages": {"zh": zh, "en": en},
            },
            status_code=201,
            headers=dict(_HEADERS),
        )
        if new_device:
            device_cookie(request, resp, new_device)
        return resp

    return router
