"""The one shape in which every rule reports what is wrong with a value."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    field: str  # the field key, e.g. "id_number"
    severity: str  # ERROR or WARNING
    code: str  # stable machine code, e.g. "id_checksum"
    message: str  # Chinese text shown to the user

    def as_dict(self) -> dict:
        return asdict(self)


def error(field: str, code: str, message: str) -> Problem:
    return Problem(field, ERROR, code, message)


def warning(field: str, code: str, message: str) -> Problem:
    return Problem(field, WARNING, code, message)


def has_errors(problems) -> bool:
    return any(p.severity == ERROR for p in problems)
