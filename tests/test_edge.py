"""The request-target checks both servers share (citycheckup._edge), at their boundaries."""

from __future__ import annotations

import re

from citycheckup._edge import CONTROL, MAX_PATH_CHARS, declared_too_large, target_problem
from citycheckup.hotline import open311


def test_path_length_at_the_limit() -> None:
    assert target_problem("/" + "a" * (MAX_PATH_CHARS - 1), b"", max_query_bytes=10) is None  # at
    assert target_problem("/" + "a" * MAX_PATH_CHARS, b"", max_query_bytes=10) == (
        414,
        f"the path is longer than {MAX_PATH_CHARS} characters",
    )  # one above


def test_query_length_at_the_limit() -> None:
    assert target_problem("/", b"q=" + b"x" * 8, max_query_bytes=10) is None  # 10 bytes: at
    assert target_problem("/", b"q=" + b"x" * 9, max_query_bytes=10)[0] == 414  # type: ignore[index]


def test_controls_in_path_and_query() -> None:
    assert target_problem("/a\x00b", b"", max_query_bytes=99) == (
        400,
        "the path contains control characters",
    )
    got = target_problem("/", b"name=a%07b", max_query_bytes=99)
    assert got == (400, "query parameter 'name' contains control characters")
    assert (
        target_problem("/", b"name=a%09b%0Ac", max_query_bytes=99) is None
    )  # tab, newline allowed


def test_declared_length() -> None:
    def scope(v: bytes) -> dict[str, object]:
        return {"headers": [(b"content-length", v)]}

    assert not declared_too_large(scope(b"100"), 100)  # at the limit
    assert declared_too_large(scope(b"101"), 100)  # one above
    assert declared_too_large(scope(b"1e3"), 100)  # not a number
    assert not declared_too_large({"headers": []}, 100)


def test_open311_core_refuses_the_same_characters() -> None:
    """The Open311 core keeps its own copy (it runs without Starlette): the same pattern."""
    assert open311._CONTROL.pattern == CONTROL.pattern
    assert isinstance(CONTROL, re.Pattern)
