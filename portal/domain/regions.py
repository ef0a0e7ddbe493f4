"""Region codes (GB/T 2260): the subtree an office answers for, and the template's padded form."""
import re

from portal.domain.problems import Problem, error

# How many leading digits of its region code an office's subtree shares.
SUBTREE_DIGITS = {"province_office": 2, "city_office": 4, "county_office": 6}

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
