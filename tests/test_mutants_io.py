"""``citycheckup._io`` writers (mutation run: ``write_csv`` and ``write_text_atomic`` had no test
of their own, docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citycheckup._io import atomic_file, write_csv, write_text_atomic


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
