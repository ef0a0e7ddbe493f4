"""Text clean-up shared by every rule, so that spreadsheets typed with a Chinese IME compare
equal to their half-width form."""
from __future__ import annotations

import re

_FULL_TO_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_TO_HALF[0x3000] = 0x20  # ideographic space
_FULL_TO_HALF[0x00A0] = 0x20  # no-break space, common in text pasted from web pages
# Any character _FULL_TO_HALF changes; translate() looks up every character of non-ASCII text,
# so text without any is only stripped.
_TRANSLATED = re.compile("[\uff01-\uff5e\u3000\u00a0]")


def clean(value) -> str:
    """Return ``value`` as text with full-width ASCII made half-width and outer blanks removed."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii() or _TRANSLATED.search(text) is None:
        return text.strip()
    return text.translate(_FULL_TO_HALF).strip()


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control_characters(value) -> bool:
    """NUL, line breaks and other C0/C1 controls: never part of a name or number, and NUL is
    refused by PostgreSQL in any text it is asked to compare."""
    return value is not None and _CONTROL.search(str(value)) is not None
