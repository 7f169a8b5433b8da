"""Unit names in reader text: the gazetteer's names, never a Chinese-only name in English."""

from __future__ import annotations

import pytest

from citycheckup.report.labels import unit_label


@pytest.mark.parametrize(
    ("code", "name", "lang", "expected"),
    [
        ("420500", "宜昌市", "zh", "宜昌市"),  # known code: the gazetteer's name
        ("420500", "宜昌市", "en", "Yichang"),
        ("429901", "合成市", "zh", "合成市"),  # unknown code (synthetic): the name given ...
        ("429901", "合成市", "en", "429901"),  # ... but never a Chinese name in English
        ("429901", "Synthetic City", "en", "Synthetic City"),  # an English name is kept
        ("429901", None, "zh", "429901"),  # no name at all: the code
        ("", "合成市", "en", "合成市"),  # nothing else to show
    ],
)
def test_unit_label(code: str, name: str | None, lang: str, expected: str) -> None:
    assert unit_label(code, name, lang) == expected


@pytest.mark.parametrize(
    ("stamp", "zh"),
    [
        ("2026-11-29T15:59:59+00:00", "2026-11-29 23:59 北京时间"),  # just before midnight
        ("2026-11-29T16:00:00+00:00", "2026-11-30 00:00 北京时间"),  # midnight in Beijing
        ("2026-11-29T16:00:00", "2026-11-30 00:00 北京时间"),  # no offset: UTC, as runs record
        ("2026-11-30T00:00:00+08:00", "2026-11-30 00:00 北京时间"),  # already Beijing time
        ("2026-12-31T23:30:00-01:00", "2027-01-01 08:30 北京时间"),
        ("", ""),
        ("yesterday", "yesterday"),  # not ISO 8601: shown as it is, not guessed at
    ],
)
def test_local_time_of_a_run_stamp(stamp: str, zh: str) -> None:
    from citycheckup.report.labels import local_time

    assert local_time(stamp, "zh") == zh
    en = zh.replace(" 北京时间", " China Standard Time (UTC+8)")
    assert local_time(stamp, "en") == en


def test_a_stamp_without_offset_is_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from citycheckup.report.labels import local_time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert local_time("2026-11-29T16:00:00", "zh") == "2026-11-30 00:00 北京时间"
    finally:
        monkeypatch.undo()
        time.tzset()
