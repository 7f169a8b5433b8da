"""The one error body of the API and the exception handlers that produce it."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from citycheckup.api import _queries as Q
from citycheckup.api._security import scrub_paths
from citycheckup.errors import CitycheckupError
from citycheckup.store import RunNotFoundError

__all__ = [
    "ERRORS",
    "WRITE_ERRORS",
    "ApiError",
    "ErrorBody",
    "error_body",
    "error_response",
    "install_error_handlers",
]


class ApiError(Exception):
    """An error with an HTTP status, a machine-readable code and a message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = (
            status,
            code,
            message,
            details,
            headers,
        )


def error_body(
    status: int, code: str, message: str, details: list[Any] | None = None
) -> dict[str, Any]:
    """``{"error": {status, code, message, details}}``."""
    return {"error": {"status": status, "code": code, "message": message, "details": details or []}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error body as a response."""
    return JSONResponse(
        error_body(status, code, message, details), status_code=status, headers=headers
    )


class ErrorBody(BaseModel):
    """Body of every error response."""

    error: dict[str, Any] = Field(
        examples=[{"status": 404, "code": "not_found", "message": "no run 'x'", "details": []}]
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request"},
    404: {"model": ErrorBody, "description": "Not found"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
    429: {"model": ErrorBody, "description": "Too many requests (see Retry-After)"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token"},
    403: {"model": ErrorBody, "description": "Writing is disabled on this server"},
    413: {"model": ErrorBody, "description": "Upload too large"},
}
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "too_many_requests",
}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into the common body.

    Messages of domain errors pass through :func:`scrub_paths`: a server path never
    reaches a client.
    """

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(
            exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "loc": list(e.get("loc", ())),
                "message": e.get("msg"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['message']}" for d in details[:5])
        return error_response(
            422, "invalid_parameters", f"invalid request: {where}", Q.clean(details)
        )

    @app.exception_handler(RunNotFoundError)
    async def _run_not_found(request: Request, exc: RunNotFoundError) -> JSONResponse:
        return error_response(404, "run_not_found", scrub_paths(str(exc)))

    @app.exception_handler(Q.NotFound)
    async def _not_found(request: Request, exc: Q.NotFound) -> JSONResponse:
        return error_response(404, "not_found", scrub_paths(str(exc)))

    @app.exception_handler(CitycheckupError)
    async def _domain_error(request: Request, exc: CitycheckupError) -> JSONResponse:
        problems = [scrub_paths(str(p)) for p in getattr(exc, "problems", [])]
        return error_response(
            400, type(exc).__name__, scrub_paths(getattr(exc, "headline", str(exc))), problems
        )
