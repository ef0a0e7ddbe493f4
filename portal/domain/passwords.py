"""Password rules (等保 2.0 身份鉴别): at least 8 characters, three of the four character classes
(upper case, lower case, digits, other), and not the username. Every door that sets a password
calls check_password_policy; generated passwords come from generate_password and pass it."""
from __future__ import annotations

import secrets

from .problems import Problem, error

MIN_LENGTH = 8
MAX_LENGTH = 128
# Look-alike characters (0/O, 1/l/I) are left out: generated passwords are read off a printed slip.
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_DIGITS = "23456789"
_OTHER = "@#%+=?"


def character_classes(password: str) -> int:
    return sum((
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))


def check_password_policy(password: str, username: str | None, field: str = "password") -> list[Problem]:
    password = password or ""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(error(field, "password_short", f"密码至少{MIN_LENGTH}位"))
    elif len(password) > MAX_LENGTH:
        problems.append(error(field, "password_long", f"密码不能超过{MAX_LENGTH}位"))
    if character_classes(password) < 3:
        problems.append(error(field, "password_classes", "密码须包含大写字母、小写字母、数字、其他符号中的至少三类"))
    name = (username or "").strip().lower()
    if name and (password.lower() == name or name in password.lower()):
        problems.append(error(field, "password_username", "密码不能包含用户名"))
    return problems


def generate_password(length: int = 12) -> str:
    """A random password with all four classes, never containing look-alike characters."""
    pools = (_UPPER, _LOWER, _DIGITS, _OTHER)
    chars = [secrets.choice(pool) for pool in pools]
    alphabet = "".join(pools)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
