"""Rules of electronic certificates (职称电子证书): the issuing deadline, use copies (使用件), public status.

Pure functions: the settings (90 days, 3 live copies, 5 working days) come in as arguments from
portal.config through portal.ecert.services.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from portal.domain.dates import parse_date
from portal.domain.problems import Problem, error
from portal.domain.text import clean
from portal.domain.workdays import Overrides, notice_period

PURPOSE_MAX = 30
STATUS_LABELS = {
    "valid": "有效",
    "revoked": "已撤销",
    "corrected": "信息已更正",
    "superseded": "已换发新证",
    "expired": "已过有效期",
    "withdrawn": "已作废",
}


def issue_deadline(approved_on: date, workdays: int, overrides: Overrides | None = None) -> date:
    """The last day to issue the e-certificate: `workdays` working days after the approval day."""
    return notice_period(approved_on + timedelta(days=1), workdays, overrides).end


def latest_overdue_approval(today: date, workdays: int, overrides: Overrides | None = None) -> date:
    """The latest approval day whose deadline has passed by `today`: approvals on or before it are overdue.

    Deadlines never move backwards as the approval day moves forwards, so one day splits the
    approvals in two and a query compares dates instead of counting working days per row.
    """
    day = today - timedelta(days=1)
    while issue_deadline(day, workdays, overrides) >= today:
        day -= timedelta(days=1)
    return day


def check_use_copy(purpose, valid_until, *, today: date, live_copies: int, max_days: int,
                   max_live: int) -> tuple[str, date | None, list[Problem]]:
    """(cleaned purpose, end date, problems) of a new use copy; `valid_until` is a date or typed text."""
    problems: list[Problem] = []
    text = clean(purpose)
    if not text:
        problems.append(error("purpose", "purpose_missing", "请填写用途，例如“应聘××单位”“职称评审申报”。"))
    elif len(text) > PURPOSE_MAX:
        problems.append(error("purpose", "purpose_long", f"用途最多 {PURPOSE_MAX} 个字。"))
    end = valid_until if isinstance(valid_until, date) else None
    if end is None and clean(valid_until):
        parsed = parse_date(valid_until, "valid_until")
        end = parsed.value
        problems += parsed.problems
    if end is None:
        if not any(p.field == "valid_until" for p in problems):
            problems.append(error("valid_until", "valid_until_missing", "请填写有效期截止日期。"))
    elif end < today:
        problems.append(error("valid_until", "valid_until_past", "有效期截止日期不能早于今天。"))
    elif end > today + timedelta(days=max_days):
        last = today + timedelta(days=max_days)
        problems.append(error("valid_until", "valid_until_long",
                              f"使用件有效期最长 {max_days} 天，截止日期不能晚于{last.year}年{last.month}月{last.day}日。"))
    if live_copies >= max_live:
        problems.append(error("purpose", "too_many_live",
                              f"同一证书最多同时保留 {max_live} 份有效的使用件，请先作废不再需要的使用件。"))
    return text, end, problems


def is_live_copy(valid_until: date | None, withdrawn_at: datetime | None, today: date) -> bool:
    return withdrawn_at is None and valid_until is not None and valid_until >= today


def public_status(*, certificate_status: str, corrected_since_issue: bool, superseded: bool, kind: str,
                  valid_until: date | None, withdrawn: bool, today: date) -> str:
    """What a check of an e-certificate says now; revocation of the title outranks everything else."""
    if certificate_status == "revoked":
        return "revoked"
    if kind == "use_copy" and withdrawn:
        return "withdrawn"
    if kind == "use_copy" and valid_until is not None and valid_until < today:
        return "expired"
    if superseded:
        return "superseded"
    if corrected_since_issue:
        return "corrected"
    return "valid"
