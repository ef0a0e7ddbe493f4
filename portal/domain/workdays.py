"""Working days (工作日) under the State Council's holiday schedule, and notice periods counted in them.

Sources, in order of precedence: days an administrator has entered (``Overrides``), the
chinese-calendar package for the years it covers, and for any other year a fallback of weekends
plus the statutory holidays that fall on fixed Gregorian dates. Lunar holidays, 清明 and make-up
days (调休) are only known once the year's schedule is announced, so a fallback year is
*provisional* until an administrator marks it complete.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)

# 国务院令第795号 made 5月2日 a statutory holiday from 2025 on.
_LABOUR_DAY_SECOND_DAY_FROM = 2025


@dataclass(frozen=True)
class Overrides:
    """Holidays and make-up days an administrator has entered; they win over every other source."""

    days: Mapping[date, bool] = field(default_factory=dict)  # True = working day, False = day off
    complete_years: frozenset[int] = frozenset()  # years whose whole schedule has been entered

    @classmethod
    def empty(cls) -> Overrides:
        return cls()


@dataclass(frozen=True)
class NoticePeriod:
    start: date  # the day the notice opens, as given
    end: date  # the last counted working day
    days: int  # working days the notice runs
    provisional: bool  # some date in the period relies on the fallback schedule


@cache
def covered_years() -> range:
    """Years chinese-calendar has the announced schedule for (the same bounds it validates against)."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def is_provisional_year(year: int, overrides: Overrides | None = None) -> bool:
    if year in covered_years():
        return False
    return overrides is None or year not in overrides.complete_years


def _fixed_statutory_holiday(d: date) -> bool:
    if (d.month, d.day) in {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}:
        return True
    return (d.month, d.day) == (5, 2) and d.year >= _LABOUR_DAY_SECOND_DAY_FROM


def _as_date(d: date) -> date:
    # A datetime would never match the date keys of an override table.
    return d.date() if isinstance(d, datetime) else d


def is_workday(d: date, overrides: Overrides | None = None) -> bool:
    d = _as_date(d)
    if overrides is not None and d in overrides.days:
        return bool(overrides.days[d])
    if d.year in covered_years():
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5 and not _fixed_statutory_holiday(d)


def _any_provisional(start: date, end: date, overrides: Overrides | None) -> bool:
    return any(is_provisional_year(y, overrides) for y in range(start.year, end.year + 1))


def notice_period(start: date, days: int = 5, overrides: Overrides | None = None) -> NoticePeriod:
    """The notice opens on ``start`` and runs ``days`` working days; ``start`` counts if it is one."""
    if days < 1:
        raise ValueError(f"公示期至少为 1 个工作日，收到 {days}")
    start = _as_date(start)
    current = start
    counted = 0
    while True:
        if is_workday(current, overrides):
            counted += 1
            if counted == days:
                break
        current += _ONE_DAY
    return NoticePeriod(start, current, days, _any_provisional(start, current, overrides))


def working_days_between(start: date, end: date, overrides: Overrides | None = None) -> int:
    """Working days from ``start`` to ``end``, both included; 0 when ``end`` is before ``start``."""
    start, end = _as_date(start), _as_date(end)
    count = 0
    current = start
    while current <= end:
        if is_workday(current, overrides):
            count += 1
        current += _ONE_DAY
    return count
