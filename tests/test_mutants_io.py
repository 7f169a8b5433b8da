"""``citycheckup._io`` writers (mutation run: ``write_csv`` and ``write_text_atomic`` had no test
of their own, docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup._io import atomic_dir, atomic_file, safe_child, write_csv, write_text_atomic
from citycheckup.errors import OutputError


def test_write_csv_quotes_text_keeps_precision_and_leaves_missing_empty(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "unit_code": ["110000", "130600"],
            "name": ["北京市", 'a "quoted", name'],
            "value": [1 / 3, np.nan],
            "mixed": ["x", 7],  # text and a number in one column: both written as text
            "n": [1, 2],
        },
        index=[10, 11],  # the index is not written
    )
    out = write_csv(df, tmp_path / "t.csv")
    assert out == tmp_path / "t.csv"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"unit_code","name","value","mixed","n"'
    # full precision of 1/3, text quoted where needed, NaN as an empty cell
    assert lines[1] == '"110000","北京市",0.3333333333333333,"x",1'
    assert lines[2] == '"130600","a ""quoted"", name",,"7",2'
    back = pd.read_csv(out, dtype={"unit_code": str})
    assert back["unit_code"].tolist() == ["110000", "130600"]
    assert back["value"].iloc[0] == 1 / 3


def test_write_csv_accepts_records(tmp_path: Path) -> None:
    out = write_csv([{"a": 1, "b": "x"}], tmp_path / "r.csv")
    assert out.read_text(encoding="utf-8").splitlines() == ['"a","b"', '1,"x"']


def test_write_text_atomic_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("old", encoding="utf-8")
    write_text_atomic(p, "新的 text\n")
    assert p.read_bytes() == "新的 text\n".encode()
    assert [x.name for x in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_file_failure_keeps_the_old_file(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(p, "w", encoding="utf-8") as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert p.read_text(encoding="utf-8") == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.txt"]


# -- survivors of the mutation run (issue 18): write_csv's mixed-column rule ---------------------
# All frames below are synthetic, built by hand for these tests.


def test_write_csv_mixed_column_keeps_missing_cells_empty(tmp_path: Path) -> None:
    """A column holding text, a number, ``None`` and ``NaN``: text and the number are written as
    (quoted) text, and both missing values stay empty cells -- never the strings ``"None"`` or
    ``"nan"`` (pandas' own ``to_csv`` writes them empty too).

    Expected lines, by hand: header ``"c"``; ``"a"``; ``"7"`` (the int 7 turned into text, so
    quoted); an empty line for ``None``; an empty line for ``NaN``.
    """
    df = pd.DataFrame({"c": pd.Series(["a", 7, None, float("nan")], dtype=object)})
    out = write_csv(df, tmp_path / "m.csv")
    assert out.read_text(encoding="utf-8").splitlines() == ['"c"', '"a"', '"7"', "", ""]


def test_write_csv_object_column_of_numbers_only_stays_numeric(tmp_path: Path) -> None:
    """An ``object`` column holding only integers is not "text and numbers": it is written as
    numbers, unquoted (``1`` and ``2``), not as the quoted text ``"1"``/``"2"``."""
    df = pd.DataFrame({"n": pd.Series([1, 2], dtype=object), "t": ["x", "y"]})
    out = write_csv(df, tmp_path / "n.csv")
    assert out.read_text(encoding="utf-8").splitlines() == ['"n","t"', '1,"x"', '2,"y"']


def test_write_csv_object_column_of_ints_and_floats_stays_numeric(tmp_path: Path) -> None:
    """Two kinds of numbers (int and float) and no text in an ``object`` column: still numbers
    (``1``, ``2.5``, an empty cell for ``None``), unquoted -- only text mixed with numbers turns
    the column into text."""
    df = pd.DataFrame({"n": pd.Series([1, 2.5, None], dtype=object)})
    out = write_csv(df, tmp_path / "f.csv")
    assert out.read_text(encoding="utf-8").splitlines() == ['"n"', "1", "2.5", ""]


def test_write_text_atomic_is_utf8_whatever_the_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write_text_atomic`` names its encoding. Simulate a machine whose locale encoding is
    ASCII (``LANG=C`` without UTF-8 mode): an ``open`` without an explicit encoding would fail on
    Chinese text; with ``encoding="utf-8"`` the bytes are the UTF-8 encoding of the text."""
    import builtins

    import citycheckup._io as io_mod

    real_open = builtins.open

    def ascii_locale_open(file: object, mode: str = "r", *args: object, **kw: object) -> object:
        if "b" not in mode and kw.get("encoding") is None:
            kw["encoding"] = "ascii"
        return real_open(file, mode, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(io_mod, "open", ascii_locale_open, raising=False)
    p = tmp_path / "zh.txt"
    write_text_atomic(p, "城市体检 check-up\n")
    assert p.read_bytes() == "城市体检 check-up\n".encode()
    assert p.read_bytes()[:3] == b"\xe5\x9f\x8e"  # 城 = U+57CE = E5 9F 8E in UTF-8


# -- safe_child's refusal names the offending name and the fix ------------------------------------


def test_safe_child_error_names_the_joined_parts_and_the_fix(tmp_path: Path) -> None:
    """The parts ``("sub", "../../x.html")`` resolve outside ``out``; the message quotes them
    joined by ``/`` exactly as given and tells the reader to fix the name or the link."""
    out = tmp_path / "out"
    with pytest.raises(OutputError) as err:
        safe_child(out, "sub", "../../x.html")
    msg = str(err.value)
    assert "output name 'sub/../../x.html' leads to " in msg
    assert f"outside the output folder {out.resolve()}" in msg
    assert msg.endswith("with '/' or '..') or remove the symbolic link")


# -- atomic_dir: a file in the way, and the ``keep`` entries carried over --------------------------


def test_atomic_dir_refuses_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    """``--out`` naming an existing *file*: OutputError, the file untouched, no partial folder."""
    target = tmp_path / "out"
    target.write_bytes(b"not a folder")
    msg = "exists and is not a directory; choose another --out"
    with pytest.raises(OutputError, match=msg), atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("new", encoding="utf-8")
    assert target.read_bytes() == b"not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_dir_carries_over_kept_entries_unless_rewritten(tmp_path: Path) -> None:
    """Old output: ``spatial/`` (folder), ``extra.txt`` (file), ``notes.txt``, ``old.csv``.
    ``keep=("spatial", "extra.txt", "notes.txt")``; the new run writes ``notes.txt`` and
    ``new.csv``. Expected afterwards: ``spatial/`` and ``extra.txt`` copied from the old output,
    ``notes.txt`` the *new* one (the run wrote its own), ``new.csv``; ``old.csv`` is gone (not in
    ``keep``), and no ``.out.old`` or partial folder is left beside it."""
    out = tmp_path / "out"
    (out / "spatial").mkdir(parents=True)
    (out / "spatial" / "cov.csv").write_text("old spatial", encoding="utf-8")
    (out / "extra.txt").write_text("old extra", encoding="utf-8")
    (out / "notes.txt").write_text("old notes", encoding="utf-8")
    (out / "old.csv").write_text("old", encoding="utf-8")
    with atomic_dir(out, keep=("spatial", "extra.txt", "notes.txt")) as tmp:
        (tmp / "notes.txt").write_text("new notes", encoding="utf-8")
        (tmp / "new.csv").write_text("new", encoding="utf-8")
    files = {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
    assert files == {
        "extra.txt": "old extra",
        "new.csv": "new",
        "notes.txt": "new notes",
        "spatial/cov.csv": "old spatial",
    }
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
