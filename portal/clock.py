"""The time in China: the one place that knows it. Stored times are UTC (SQLite hands them back
naive); people read them, and dates such as deadlines are decided, in China time."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current moment in China time."""
    return datetime.now(CHINA)


def today() -> date:
    return now().date()


def in_china(moment: datetime) -> datetime:
    """A stored time as China time; a naive value is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def china_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The template filter for every shown time: a datetime in China time, a date as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = in_china(value)
    return value.strftime(fmt)


def china_midnight_utc(day: date) -> datetime:
    """The moment (UTC) the day `day` begins in China: stored times compare against it."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)
