"""The administrator's table of holidays and make-up days, turned into the domain's `Overrides`.

A change to the table moves the end dates of the notices whose period it touches, so every
write refreshes those notices in the same transaction.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import g, has_request_context
from sqlalchemy import select

from portal.audit import record
from portal.domain.workdays import Overrides, covered_years, is_provisional_year, notice_period
from portal.extensions import db
from portal.models import PublicNotice, WorkdayOverride, WorkdayYear

_CACHE_KEY = "_workday_overrides"
MAX_RANGE_DAYS = 31


def _build() -> Overrides:
    days = dict(db.session.execute(select(WorkdayOverride.date, WorkdayOverride.is_workday)).all())
    years = frozenset(db.session.scalars(select(WorkdayYear.year)))
    return Overrides(days=days, complete_years=years)


def load_overrides() -> Overrides:
    """The table as `Overrides`, read once per request."""
    if not has_request_context():
        return _build()
    if _CACHE_KEY not in g:
        setattr(g, _CACHE_KEY, _build())
    return getattr(g, _CACHE_KEY)


def _forget() -> None:
    if has_request_context():
        g.pop(_CACHE_KEY, None)


def year_rows(year: int) -> list[WorkdayOverride]:
    return list(db.session.scalars(
        select(WorkdayOverride).where(WorkdayOverride.date.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(WorkdayOverride.date)))


def year_is_complete(year: int) -> bool:
    return db.session.get(WorkdayYear, year) is not None


def year_source(year: int) -> str:
    """Where the schedule of `year` comes from, in words for the administrator."""
    if year_is_complete(year):
        return "已由管理员录入完整安排"
    if year in covered_years():
        return "国务院已公布，系统内置（可在此补充或更正）"
    return "尚未录入：暂按周末和元旦、劳动节、国庆节等固定日期推算，相关截止日期标注“暂定”"


def refresh_periods(first: date, last: date) -> int:
    """Recompute the end date of every notice whose period overlaps [first, last]."""
    _forget()
    overrides = load_overrides()
    changed = 0
    notices = db.session.scalars(select(PublicNotice).where(
        PublicNotice.start_date <= last, PublicNotice.end_date >= first))
    for notice in notices:
        period = notice_period(notice.start_date, notice.days, overrides)
        if (period.end, period.provisional) != (notice.end_date, notice.provisional):
            notice.end_date, notice.provisional = period.end, period.provisional
            changed += 1
    return changed


def add_days(first: date, last: date | None, is_workday: bool, note: str | None, actor) -> int:
    """Enter one day or a range (e.g. the whole Spring Festival holiday); replaces earlier entries."""
    last = last or first
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    existing = {row.date: row for row in db.session.scalars(
        select(WorkdayOverride).where(WorkdayOverride.date.between(first, last)))}
    for day in dates:
        row = existing.get(day)
        if row is None:
            db.session.add(WorkdayOverride(date=day, is_workday=is_workday, note=note, created_by_id=actor.id))
        else:
            row.is_workday, row.note = is_workday, note
    db.session.flush()
    moved = refresh_periods(first, last)
    record("workday_set", "workday_table", first.year, actor=actor, diff={
        "from": first.isoformat(), "to": last.isoformat(), "is_workday": is_workday, "note": note,
        "notices_moved": moved})
    db.session.commit()
    _forget()
    return len(dates)


def delete_day(override_id: int, actor) -> WorkdayOverride | None:
    row = db.session.get(WorkdayOverride, override_id)
    if row is None:
        return None
    day = row.date
    db.session.delete(row)
    db.session.flush()
    moved = refresh_periods(day, day)
    record("workday_delete", "workday_table", day.year, actor=actor, diff={
        "date": day.isoformat(), "was_workday": row.is_workday, "note": row.note, "notices_moved": moved})
    db.session.commit()
    _forget()
    return row


def set_year_complete(year: int, complete: bool, actor) -> None:
    marked = db.session.get(WorkdayYear, year)
    if complete and marked is None:
        db.session.add(WorkdayYear(year=year, marked_by_id=actor.id))
    elif not complete and marked is not None:
        db.session.delete(marked)
    else:
        return
    db.session.flush()
    refresh_periods(date(year, 1, 1), date(year, 12, 31))
    record("workday_year_complete" if complete else "workday_year_reopen", "workday_table", year, actor=actor)
    db.session.commit()
    _forget()


def missing_schedule_years(today: date) -> list[int]:
    """Years an administrator should enter now: next year from November on, and any year an open
    notice's period relies on the fallback for."""
    overrides = load_overrides()
    years = set()
    if today.month >= 11 and is_provisional_year(today.year + 1, overrides):
        years.add(today.year + 1)
    open_provisional = db.session.execute(select(PublicNotice.start_date, PublicNotice.end_date).where(
        PublicNotice.provisional.is_(True), PublicNotice.end_date >= today)).all()
    for start, end in open_provisional:
        years.update(y for y in range(start.year, end.year + 1) if is_provisional_year(y, overrides))
    return sorted(years)
