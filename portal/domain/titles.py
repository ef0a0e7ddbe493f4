"""职称级别 and 职称系列 normalisation."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .problems import Problem, error, warning
from .text import clean

LEVELS = ("正高级", "副高级", "中级", "初级")
JUNIOR_SUBLEVELS = ("助理级", "员级")


def levels_within(level: str) -> tuple[str, ...]:
    """The stored levels a filter on ``level`` takes in: 初级 covers its sublevels (助理级, 员级)."""
    return ("初级", *JUNIOR_SUBLEVELS) if level == "初级" else (level,)

_LEVEL_ALIASES = {"正高": "正高级", "副高": "副高级", "中": "中级", "初": "初级"}
_LEADING_CODE = re.compile(r"([0-9]+)\s*(.*)", re.ASCII | re.DOTALL)


def normalize_level(raw, field: str = "title_level") -> tuple[str | None, list[Problem]]:
    """Return one of LEVELS or JUNIOR_SUBLEVELS; aliases are accepted with a warning."""
    text = clean(raw)
    if not text:
        return None, [error(
            field, "level_required", "请填写职称级别：正高级、副高级、中级、初级之一"
        )]
    if text in LEVELS or text in JUNIOR_SUBLEVELS:
        return text, []
    if text in _LEVEL_ALIASES:
        level = _LEVEL_ALIASES[text]
        return level, [warning(
            field, "level_alias", f"职称级别“{text}”已按“{level}”记录"
        )]
    if text == "高级":
        return None, [error(
            field, "level_ambiguous", "“高级”无法确定是正高级还是副高级，请填写正高级或副高级"
        )]
    return None, [error(
        field, "level_unknown", f"职称级别应为正高级、副高级、中级、初级之一，实际为“{text}”"
    )]


def base_level(level: str) -> str:
    """The four-level grade of a level: 助理级 and 员级 are both 初级."""
    return "初级" if level in JUNIOR_SUBLEVELS else level


def _fields(entry) -> tuple[str, str | None, str, tuple[str, ...]]:
    if hasattr(entry, "key"):
        return entry.key, entry.official_code, entry.name, tuple(entry.former_names or ())
    key, code, name, former = entry
    return key, code, name, tuple(former or ())


def _squeeze(text: str) -> str:
    # Spreadsheet cells often carry stray spaces inside series names.
    return re.sub(r"\s+", "", clean(text))


def _same_code(a: str, b: str) -> bool:
    return a == b or a.lstrip("0") == b.lstrip("0")


def normalize_series(raw, series: Iterable, field: str = "title_series") -> tuple[str | None, list[Problem]]:
    """Match a 职称系列 by current name, former name or official code; return its key."""
    text = clean(raw)
    if not text:
        return None, [error(field, "series_required", "请填写职称系列")]
    entries = [_fields(e) for e in series]

    code = None
    name = _squeeze(text)
    leading = _LEADING_CODE.fullmatch(text)
    if leading:
        code, rest = leading.group(1), _squeeze(leading.group(2))
        if not rest:
            for key, official, _, _ in entries:
                if official is not None and _same_code(code, official):
                    return key, []
            return None, [_unknown(field, text)]
        name = rest

    for key, official, current, _ in entries:
        if name == _squeeze(current):
            return key, _code_mismatch(field, code, official, current)
    for key, official, current, former in entries:
        if any(name == _squeeze(f) for f in former):
            problems = [warning(
                field, "series_renamed", f"职称系列“{name}”已更名为“{current}”，已按{current}记录"
            )]
            return key, problems + _code_mismatch(field, code, official, current)
    return None, [_unknown(field, text)]


def _code_mismatch(field: str, code: str | None, official: str | None, name: str) -> list[Problem]:
    if code is None or official is None or _same_code(code, official):
        return []
    return [warning(
        field, "series_code_mismatch",
        f"填写的系列代码“{code}”与“{name}”的代码“{official}”不一致，已按名称记录",
    )]


def _unknown(field: str, text: str) -> Problem:
    return error(field, "series_unknown", f"职称系列“{text}”不在职称系列目录中，请按目录填写系列名称")
