"""Importing responses: Chinese or English headers, labels or codes, every error with row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citycheckup.survey import Option, ResponseError, builtin_questionnaire, read_responses

Q = builtin_questionnaire().with_areas(
    [Option("A1", "东城街道", "Dongcheng"), Option("A2", "西城街道", "Xicheng")]
)


def _frame(n: int = 3, *, zh: bool = True) -> pd.DataFrame:
    rows = []
    for k in range(n):
        r = {
            "受访者编号" if zh else "Respondent ID": f"T{k}",
            "年龄段" if zh else "Age group": "30–39岁" if zh else "30-39",
            "性别" if zh else "Sex": "女" if zh else "Female",
            "街道（社区）" if zh else "Area": "东城街道" if zh else "A1",
            "提交日期" if zh else "Date": "2025-06-0" + str(k + 1),
        }
        for x in Q.questions:
            r[f"{x.id} {x.label_zh}" if zh else x.id] = "满意" if zh else "4"
        rows.append(r)
    return pd.DataFrame(rows)


def test_chinese_headers_and_labels(tmp_path: Path) -> None:
    df = _frame()
    df.loc[1, "H3 楼道安全与整洁"] = "不清楚"
    df.loc[2, "H3 楼道安全与整洁"] = ""
    p = tmp_path / "r.csv"
    df.to_csv(p, index=False, encoding="utf-8-sig")
    rs = read_responses(p, Q)
    assert rs.n == 3
    assert rs.data["H3"].tolist() == ["4", "dk", None]
    assert rs.data["age_group"].tolist() == ["30-39"] * 3
    assert rs.data["sex"].tolist() == ["female"] * 3
    assert rs.data["area"].tolist() == ["A1"] * 3
    assert rs.period == ("2025-06-01", "2025-06-03")


def test_english_headers_from_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "r.xlsx"
    df = _frame(zh=False)
    df["H1"] = [5, 1, "na"]  # numbers as Excel stores them
    df.to_excel(p, index=False)
    rs = read_responses(p, Q)
    assert rs.data["H1"].tolist() == ["5", "1", "na"]


def test_every_error_is_listed_with_row_and_column(tmp_path: Path) -> None:
    df = _frame(4)
    df.loc[0, "H1 房屋结构安全"] = "6"
    df.loc[1, "年龄段"] = "120岁"
    df.loc[2, "性别"] = ""
    df.loc[3, "街道（社区）"] = "北京"
    df.loc[3, "受访者编号"] = ""
    df.loc[2, "提交日期"] = "昨天"
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    with pytest.raises(ResponseError) as ei:
        read_responses(p, Q)
    msgs = [str(x) for x in ei.value.problems]
    expect = [
        f"{p} row 2, column 'H1 房屋结构安全': '6' is not an answer",
        f"{p} row 3, column '年龄段': '120岁' is not a age_group option",
        f"{p} row 4, column '性别': sex is empty",
        f"{p} row 5, column '街道（社区）': '北京' is not a area option; use one of A1, A2",
        f"{p} row 5, column '受访者编号': the respondent ID (token) is empty",
        f"{p} row 4, column '提交日期': '昨天' is not a date",
    ]
    for e in expect:
        assert any(m.startswith(e) for m in msgs), (e, msgs)
    assert len(msgs) == len(expect)


def test_unknown_and_missing_columns_are_listed(tmp_path: Path) -> None:
    df = _frame(1).drop(columns=["U15 智慧停车与出行信息", "性别"])
    df["备注"] = "x"
    p = tmp_path / "cols.csv"
    df.to_csv(p, index=False)
    with pytest.raises(ResponseError) as ei:
        read_responses(p, Q)
    msg = str(ei.value)
    assert "columns ['备注'] match no question" in msg
    assert "no column for 'sex'" in msg
    assert "no column for question(s) U15" in msg
    df2 = _frame(1)
    df2["备注"] = "x"
    df2.to_csv(p, index=False)
    assert read_responses(p, Q, extra_columns="ignore").n == 1


def test_duplicate_tokens_are_removed_and_kept_aside(tmp_path: Path) -> None:
    df = pd.concat([_frame(3), _frame(2)], ignore_index=True)
    df.loc[3, "H1 房屋结构安全"] = "不满意"  # the second T0 answers differently
    p = tmp_path / "dup.csv"
    df.to_csv(p, index=False)
    rs = read_responses(p, Q)
    assert rs.n == 3 and rs.data["H1"].tolist() == ["4", "4", "4"]
    assert rs.duplicates["row"].tolist() == [5, 6]
    last = read_responses(p, Q, duplicates="last")
    assert last.data.set_index("respondent").loc["T0", "H1"] == "2"
    with pytest.raises(ResponseError, match="respondent 'T0' appears in rows \\[2, 5\\]"):
        read_responses(p, Q, duplicates="raise")


def test_blank_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    df = _frame(2)
    df = pd.concat([df, pd.DataFrame([dict.fromkeys(df.columns, "")])], ignore_index=True)
    p = tmp_path / "blank.csv"
    df.to_csv(p, index=False)
    rs = read_responses(p, Q)
    assert rs.n == 2 and rs.n_blank_rows == 1
