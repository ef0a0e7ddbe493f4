"""Region codes (GB/T 2260): the subtree an office answers for, and the template's padded form."""
import csv
import re
from functools import lru_cache
from pathlib import Path

from portal.domain.problems import Problem, error

# How many leading digits of its region code an office's subtree shares.
SUBTREE_DIGITS = {"province_office": 2, "city_office": 4, "county_office": 6}

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "regions.csv"

_CELL = re.compile(r"^\s*(\d{6})(\d{6})?\s*(\D.*)?$")


def parse_region_cell(value, field: str = "region_code") -> tuple[str | None, list[Problem]]:
    """Read "370000" or the template's "370000000000山东省本级" as the 6-digit code."""
    text = str(value or "").strip()
    if not text:
        return None, []
    match = _CELL.match(text)
    if not match or (match.group(2) and match.group(2) != "000000"):
        return None, [error(field, "region_format",
                            f"行政区划代码应为6位数字（可补足至12位并附名称），实际为“{text}”")]
    return match.group(1), []


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    with open(DATA_FILE, newline="", encoding="utf-8") as handle:
        return frozenset(row["code"] for row in csv.DictReader(handle))


def is_province_prefix(prefix: str) -> bool:
    """Whether two digits name a province-level region (11 北京 … 82 澳门) in the shipped list."""
    return prefix + "0000" in _known_codes()
