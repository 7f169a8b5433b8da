"""What both web servers (results API, 12345 hotline) check at their edge, before any route.

* the request target: bounded path and query string, no control characters;
* the body: counted as it arrives (:class:`BodyGuard` raises :class:`BodyLimitExceeded`
  the moment it passes the limit), so memory never holds more than the limit of one
  request, whatever ``Content-Length`` claimed;
* whether the response has started, so that a fault after the first byte is not
  answered twice.

Each server words its own error bodies (JSON error object, Open311 error list). Both servers
are Starlette applications, the only dependency here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException

__all__ = [
    "CONTROL",
    "MAX_PATH_CHARS",
    "BodyGuard",
    "BodyLimitExceeded",
    "declared_too_large",
    "target_problem",
]

MAX_PATH_CHARS = 2048
#: Control characters (C0 except tab/newline/CR, DEL, C1), non-characters and lone surrogates.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


class BodyLimitExceeded(HTTPException):
    """The request body passed ``limit`` bytes while it arrived (raised inside ``receive``).

    An HTTP 413, so that a framework reading the body inside the app answers it as such.
    """

    def __init__(self, limit: int, message: str | None = None) -> None:
        super().__init__(413, message or f"request body too large; at most {limit} bytes")
        self.limit = limit


def target_problem(path: str, raw_query: bytes, *, max_query_bytes: int) -> tuple[int, str] | None:
    """``(status, message)`` when the request target is refused, else ``None``."""
    if len(path) > MAX_PATH_CHARS:
        return (414, f"the path is longer than {MAX_PATH_CHARS} characters")
    if len(raw_query) > max_query_bytes:
        return (414, f"the query string is longer than {max_query_bytes} bytes")
    if CONTROL.search(path):
        return (400, "the path contains control characters")
    if raw_query:
        for k, v in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True):
            if CONTROL.search(k) or CONTROL.search(v):
                return (400, f"query parameter {k[:64]!r} contains control characters")
    return None


def declared_too_large(scope: dict[str, Any], limit: int) -> bool:
    """A ``Content-Length`` header that is not a number or is over ``limit``."""
    for name, value in scope.get("headers") or ():
        if name == b"content-length" and (not value.isdigit() or int(value) > limit):
            return True
    return False


class BodyGuard:
    """``receive`` that counts body bytes and ``send`` that records the response start."""

    def __init__(self, receive: Any, send: Any, limit: int, message: str | None = None) -> None:
        self._receive, self._send, self.limit, self.message = receive, send, limit, message
        self.received = 0
        self.started = False

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyLimitExceeded(self.limit, self.message)
        return message

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
