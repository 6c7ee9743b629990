"""统一社会信用代码 (GB 32100-2015): the check digit, in one place.

An 18-character code: 登记管理部门码 (1) + 机构类别码 (1) + 登记管理机关行政区划码 (6) + 主体标识码
(组织机构代码, 9, GB 11714) + 校验码 (1). Characters come from ``CHARSET`` (digits and upper-case
letters without I, O, S, V, Z); the check character is ``31 - (Σ value(cᵢ)·wᵢ mod 31)``, with 31
written as ``0``.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_digit(first17: str) -> str:
    """The 18th character for the first 17; ``ValueError`` when they are not 17 valid characters."""
    if len(first17) != LENGTH - 1 or any(ch not in CHARSET for ch in first17):
        raise ValueError("统一社会信用代码前 17 位须为数字或大写字母（不含 I、O、S、V、Z）")
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Whether ``code`` is 18 characters of the charset with a correct check character."""
    if len(code) != LENGTH or any(ch not in CHARSET for ch in code):
        return False
    return check_digit(code[:17]) == code[17]


def normalise(code: str) -> str:
    """What people type: surrounding blanks and lower-case letters are accepted."""
    return code.strip().upper()


def problem(code: str) -> str | None:
    """The Chinese message for a code that is not valid, or ``None`` when it is."""
    if len(code) != LENGTH:
        return f"统一社会信用代码应为 18 位，当前为 {len(code)} 位"
    bad = sorted({ch for ch in code if ch not in CHARSET})
    if bad:
        return f"统一社会信用代码含无效字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）"
    if not is_valid(code):
        return "统一社会信用代码校验位不正确，请核对后重新填写"
    return None
