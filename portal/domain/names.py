"""姓名 rules: no spaces between Chinese characters, one standard middle dot for minority and
foreign names."""
from __future__ import annotations

import re
import unicodedata

from .problems import Problem, error, has_errors, warning
from .text import clean

MIDDLE_DOT = "\u00b7"
MAX_LENGTH = 50

# Dots that IMEs and fonts produce instead of U+00B7; "．" (U+FF0E) becomes "." in clean().
_DOT_LOOKALIKES = "\u2022\u30fb\uff65\uff0e\u2027.\u2219\u22c5\u0387"
_ANY_DOT = _DOT_LOOKALIKES + MIDDLE_DOT
_LATIN_WORDS_SPACE = re.compile(r"(?<=[A-Za-z\u00c0-\u024f])\s+(?=[A-Za-z\u00c0-\u024f])")
_DOTS_REPEATED = re.compile(f"[{re.escape(_ANY_DOT)}]{{2,}}")
# Only the characters _is_han accepts: such a name passes every rule below unchanged.
_HAN_ONLY = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0003134f\u3007]+")


def _is_han(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3134F
        or ch == "\u3007"  # 〇, used as a character in some names
    )


def _is_latin_letter(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("a" <= ch <= "z") or (
        "\u00c0" <= ch <= "\u024f" and unicodedata.category(ch).startswith("L")
    )


def check_person_name(raw, field: str = "name") -> tuple[str | None, list[Problem]]:
    """Return the normalised name when it has no errors, else ``None``; problems either way."""
    text = clean(raw)
    if not text:
        return None, [error(field, "name_required", "姓名不能为空")]

    if len(text) <= MAX_LENGTH and _HAN_ONLY.fullmatch(text):
        return text, []

    problems: list[Problem] = []
    if len(text) > MAX_LENGTH:
        problems.append(error(
            field, "name_too_long", f"姓名不能超过{MAX_LENGTH}个字符，实际为{len(text)}个字符"
        ))

    if text[0] in _ANY_DOT or text[-1] in _ANY_DOT:
        problems.append(error(
            field, "name_dot_position", "间隔号“·”只能出现在姓名中间，不能在开头或结尾"
        ))
    elif _DOTS_REPEATED.search(text):
        problems.append(error(field, "name_dot_repeated", "姓名中不能连续出现两个间隔号“·”"))
    else:
        found = sorted({ch for ch in text if ch in _DOT_LOOKALIKES})
        if found:
            text = "".join(MIDDLE_DOT if ch in _DOT_LOOKALIKES else ch for ch in text)
            shown = "、".join(f"“{ch}”" for ch in found)
            problems.append(warning(
                field, "name_dot_normalized", f"姓名中的{shown}已统一为标准间隔号“·”"
            ))

    # Foreign names keep their word spacing; spaces anywhere else are typing errors.
    collapsed = _LATIN_WORDS_SPACE.sub(" ", text)
    if collapsed != text:
        problems.append(warning(
            field, "name_spaces_collapsed", "外文姓名单词之间的空白已统一为一个空格"
        ))
        text = collapsed
    without_latin_gaps = _LATIN_WORDS_SPACE.sub("", text)
    if re.search(r"\s", without_latin_gaps):
        problems.append(error(field, "name_inner_space", "姓名字与字之间不能有空格"))

    digits = sorted({ch for ch in text if ch.isdigit()})
    if digits:
        problems.append(error(
            field, "name_digit", f"姓名不能包含数字：{'、'.join(f'“{d}”' for d in digits)}"
        ))
    symbols = sorted({
        ch for ch in text
        if not (_is_han(ch) or _is_latin_letter(ch) or ch.isdigit() or ch.isspace()
                or ch in _ANY_DOT)
    })
    if symbols:
        problems.append(error(
            field, "name_symbol",
            f"姓名不能包含符号{'、'.join(f'“{s}”' for s in symbols)}，只能使用汉字、字母和间隔号“·”",
        ))

    if has_errors(problems):
        return None, problems
    return text, problems
