"""``citycheckup.hotline.privacy.redact``: what is masked, and what is left alone."""

from __future__ import annotations

import pytest

from citycheckup.hotline.privacy import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13912345678", "电话***"),
        ("电话 +86 139-1234-5678", "电话 ***"),
        ("１３９１２３４５６７８", "***"),  # full-width digits
        ("座机 010-12345678", "座机 ***"),
        ("座机 (0571) 8765 4321", "座机 ***"),
        ("身份证11010519491231002X", "身份证***"),
        ("邮箱 zhang.san@example.com", "邮箱 ***"),
        ("编号1234567", "编号***"),  # 7 digits: masked
        ("编号123456", "编号123456"),  # 6 digits: kept (dates, house numbers)
        ("预计2024-06-15完成", "预计2024-06-15完成"),
        ("已联系王女士", "已联***女士"),
        ("联系人：李四，已处理", "联系人：***，已处理"),
        ("name: Jane Doe called", "name: *** called"),
        ("Called Mr. John Smith", "Called Mr. ***"),
        ("市民反映路灯坏了", "市民反映路灯坏了"),
        ("", ""),
        (None, None),
    ],
)
def test_redact(text: str | None, expected: str | None) -> None:
    assert redact(text) == expected
