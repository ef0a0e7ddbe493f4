"""Objection receipt codes (回执码): short, read aloud over the phone, typed back without doubt.

Crockford's base-32 alphabet has no I, L, O or U, so nothing looks or sounds like something
else; when typing, O is read as 0 and I / L as 1, case and separators do not matter.
Twelve characters (60 bits) in groups of four, e.g. 7KQ2-M9XD-4TRB.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise_receipt_code(typed: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    text = "".join(ch for ch in (typed or "").upper() if ch not in " -_\t").translate(_READ_AS)
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return "-".join(text[i:i + GROUP] for i in range(0, LENGTH, GROUP))
