"""The project's single tolerant date parser: every form, import and API goes through it so that
the same inputs are accepted everywhere."""
from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime, timedelta

from .problems import Problem, error
from .text import clean

# Excel's day 1 is 1900-01-01 but it counts a non-existent 1900-02-29, so from day 61 on the
# usual base 1899-12-30 is exact; earlier serials never occur for certificate dates.
EXCEL_BASE = date(1899, 12, 30)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

YEAR_ALONE = (1900, 2100)

ACCEPTED_FORMATS = "YYYYMMDD、YYYY-MM-DD、YYYY/M/D、YYYY.M.D、YYYY年M月D日"

# re.ASCII: \d must not accept other scripts' digits, which date() would silently read.
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_SEPARATED = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})", re.ASCII)
_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII)
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass
class DateResult:
    value: date | None
    note: str | None  # what the parser changed, in Chinese; None when nothing was reinterpreted
    problems: list[Problem] = dc_field(default_factory=list)


def format_compact(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def format_iso(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _invalid(field: str, shown: str, year: int, month: int, day: int) -> DateResult:
    if not 1 <= year <= 9999:
        reason = "年份超出范围"
    elif not 1 <= month <= 12:
        reason = f"月份应为1–12，没有{month}月"
    else:
        last = calendar.monthrange(year, month)[1]
        reason = f"{year}年{month}月只有{last}天，没有{day}日"
    return DateResult(None, None, [error(field, "date_invalid", f"日期“{shown}”不存在：{reason}")])


def _from_serial(serial: int, field: str, shown: str) -> DateResult:
    if not 1 <= serial <= EXCEL_MAX_SERIAL:
        return _format_error(field, shown)
    value = EXCEL_BASE + timedelta(days=serial)
    return DateResult(value, f"已将Excel日期序号{shown}识别为{format_iso(value)}", [])


def _year_only(field: str, shown: str) -> DateResult:
    return DateResult(None, None, [error(
        field, "date_year_only", f"“{shown}”只有年份，请填写完整日期（年月日），例如{shown}1119",
    )])


def _from_number(serial: int, field: str, shown: str) -> DateResult:
    # A year typed alone ("2012") would be a valid serial (1905-07-04); no certificate date is that old.
    if len(shown) == 4 and YEAR_ALONE[0] <= serial <= YEAR_ALONE[1]:
        return _year_only(field, shown)
    return _from_serial(serial, field, shown)


def _format_error(field: str, shown: str) -> DateResult:
    return DateResult(None, None, [error(
        field, "date_format", f"日期“{shown}”格式无法识别，应为{ACCEPTED_FORMATS}之一，例如20191119",
    )])


def _parse(value, field: str) -> DateResult:
    if isinstance(value, datetime):
        return DateResult(value.date(), None, [])
    if isinstance(value, date):
        return DateResult(value, None, [])
    if isinstance(value, bool):
        return _format_error(field, str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return DateResult(None, None, [])
        shown = str(int(value)) if value.is_integer() else str(value)
        if value.is_integer() and len(shown) == 8:
            value = shown  # an 8-digit number is a YYYYMMDD date typed into a number cell
        else:
            # A fraction is the time of day in an Excel serial; the date is its whole part.
            return _from_number(math.floor(value), field, shown)
    elif isinstance(value, int):
        if len(str(value)) == 8:
            value = str(value)
        else:
            return _from_number(value, field, str(value))

    text = clean(value)
    if not text:
        return DateResult(None, None, [])
    if text.isascii() and text.isdigit() and len(text) <= 5:
        return _from_number(int(text), field, text)

    match = (
        _COMPACT.fullmatch(text)
        or _SEPARATED.fullmatch(text)
        or _CHINESE.fullmatch(text)
    )
    if match is None:
        return _format_error(field, text)
    groups = [g for g in match.groups() if g.isdigit()]
    year, month, day = (int(g) for g in groups)
    try:
        parsed = date(year, month, day)
    except ValueError:
        return _invalid(field, text, year, month, day)
    note = None if _CANONICAL.fullmatch(text) else f"已将“{text}”识别为{format_iso(parsed)}"
    return DateResult(parsed, note, [])


def parse_date(value, field: str = "date", not_after: date | None = None,
               not_before: date | None = None) -> DateResult:
    """Parse any accepted date input; empty input gives no value and no problem."""
    result = _parse(value, field)
    if result.value is None:
        return result
    if not_after is not None and result.value > not_after:
        result.problems.append(error(
            field, "date_future",
            f"日期{format_iso(result.value)}晚于允许的最晚日期{format_iso(not_after)}",
        ))
    if not_before is not None and result.value < not_before:
        result.problems.append(error(
            field, "date_too_early",
            f"日期{format_iso(result.value)}早于允许的最早日期{format_iso(not_before)}",
        ))
    return result
