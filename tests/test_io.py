"""``citycheckup._io.safe_child``: every output path derived from data stays under ``--out``."""

from __future__ import annotations

from pathlib import Path

import pytest

from citycheckup._io import safe_child
from citycheckup.errors import OutputError


def test_a_plain_name_stays_inside(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert safe_child(out, "city_110000_zh.html") == (out / "city_110000_zh.html").resolve()
    assert safe_child(out, "sub", "a.csv") == (out / "sub" / "a.csv").resolve()
    # '..' that comes back inside is still inside
    assert safe_child(out, "sub/../b.csv") == (out / "b.csv").resolve()


@pytest.mark.parametrize(
    "name",
    [
        "x/../../../PWNED_zh.html",
        "../sibling.html",
        "/etc/passwd",
        "..",
        ".",
        "",
        "a\x00b.html",
    ],
)
def test_names_that_escape_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="output"):
        safe_child(tmp_path / "out", name)


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "reports").symlink_to(elsewhere)
    with pytest.raises(OutputError, match="outside the output folder"):
        safe_child(out, "reports", "city_1_zh.html")
