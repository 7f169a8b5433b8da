"""Redaction of personal data in every public representation of a request.

One function, :func:`redact`, masks what a citizen or an operator may have typed into
a description, a status note, a history note or a text attribute: e-mail addresses,
mobile and landline numbers, ID-card numbers (and any other run of 7 or more digits,
in any script), and personal names given with an honorific (张先生, 王女士, Mr. Smith)
or after a label (联系人：李四, name: Jane Doe). Operators (``operate`` keys) see the
text as written; the public sees it through this function.

Notes
-----
Names are recognised by pattern only: a name written without an honorific or label
("李四来电反映") is not found. Text fields are for the problem, not for the person:
the citizen's name and contact details belong in the contact fields, which are kept
apart and never served.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact"]

MASK = "***"

_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # e-mail addresses (before digit runs, which they may contain)
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), MASK),
    # 18-digit resident ID numbers (last character may be X)
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), MASK),
    # mainland mobiles, with or without +86 and separators
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), MASK),
    # landlines with an area code: 010-12345678, (0571) 8765 4321
    (re.compile(r"(?<!\d)\(?0\d{2,3}\)?[- ]?\d{3,4}[- ]?\d{4}(?!\d)"), MASK),
    # any other run of 7 or more digits (in any script: \d is Unicode)
    (re.compile(r"(?<!\d)\d{7,}(?!\d)"), MASK),
    # labelled names: 姓名：张三, 联系人:李四, name: Jane Doe
    (
        re.compile(
            r"((?:姓名|联系人|联系人姓名|来电人|反映人|投诉人|举报人|申请人|户主|业主|"
            r"[Nn]ame|[Cc]ontact)\s*[:：]\s*)[^\s,，。;；、:：()（）]{1,30}"
            r"(?:[ ][A-Z][\w'-]*)?"
        ),
        r"\1" + MASK,
    ),
    # Chinese names before an honorific: the surname (and one more character) is masked
    (
        re.compile(_CJK + r"{1,2}(?=先生|女士|小姐|老师|师傅|阿姨|大爷|大妈|大姐|大哥|同志)"),
        MASK,
    ),
    # English names after a title
    (
        re.compile(r"\b((?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"),
        r"\1" + MASK,
    ),
)


# a text without any of these cannot match a pattern above: most texts skip the passes
# (every number pattern spans at least seven digits, with separators between them)
_MAYBE = re.compile(
    r"\d[\d ()+\-]{5,}\d|@|[:：]|先生|女士|小姐|老师|师傅|阿姨|大爷|大妈|大姐|大哥|同志"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\b"
)


def redact(text: str | None) -> str | None:
    """``text`` with personal data masked as ``***`` (``None`` and ``""`` unchanged).

    Examples
    --------
    >>> redact("已电话联系张先生（13912345678），邮箱 zs@example.com")
    '已电话联***先生（***），邮箱 ***'
    >>> redact("联系人：李四，身份证11010519491231002X")
    '联系人：***，身份证***'
    """
    if not text or not _MAYBE.search(text):
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
