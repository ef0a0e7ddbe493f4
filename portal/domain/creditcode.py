"""统一社会信用代码 (GB 32100) of employers and other units."""
from __future__ import annotations

from .problems import Problem, error
from .text import clean

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def check_credit_code(raw, field: str = "credit_code") -> tuple[str | None, list[Problem]]:
    """Return the upper-cased code when valid, else ``None`` with the problems found."""
    text = clean(raw).upper()
    if not text:
        return None, [error(field, "credit_code_required", "统一社会信用代码不能为空")]
    if len(text) != 18:
        return None, [error(
            field, "credit_code_length", f"统一社会信用代码应为18位，实际为{len(text)}位"
        )]
    bad = [f"第{pos}位“{ch}”" for pos, ch in enumerate(text, start=1) if ch not in _VALUE]
    if bad:
        return None, [error(
            field, "credit_code_characters",
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}；只能使用数字和除I、O、Z、S、V以外的大写字母",
        )]
    expected = _check_char(text[:17])
    if text[17] != expected:
        return None, [error(
            field, "credit_code_checksum",
            f"统一社会信用代码校验位错误：按前17位计算应为{expected}，实际为{text[17]}",
        )]
    return text, []


def build_credit_code(first17: str) -> str:
    """Append the check character to 17 characters of the code alphabet."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"first17 must be 17 characters of {ALPHABET}, got {first17!r}")
    return first17 + _check_char(first17)
