"""What each role's home page shows: the records in its scope, counted by status."""
from flask import url_for
from sqlalchemy import func, select

from portal.access import visibility
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Certificate
from portal.notices import services as notices
from portal.workflow import pending_count, user_level

HOME_NOTICES = 5


def latest_notices(limit: int = HOME_NOTICES) -> list[tuple]:
    """The newest notices still open or about to open, with their phase (remaining working days)."""
    page = notices.public_page(q=None, region=None, state="open", page=1)
    return [(notice, notices.phase_of(notice)) for notice in page.items[:limit]]


def status_counts(user) -> list[tuple[str, str, int]]:
    rows = db.session.execute(
        select(Certificate.status, func.count()).where(visibility(Certificate, user)).group_by(Certificate.status)
    ).all()
    counts = dict(rows)
    return [(status, label, counts.get(status, 0)) for status, label in STATUSES.items()]


def tasks(user) -> list[tuple[str, str, int | None]]:
    """The role's to-do links on the home page: (label, url endpoint + args, count or None)."""
    out = []
    if user.role == "person" and user.person_id:
        returned = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.person_id == user.person_id, Certificate.status == "returned")) or 0
        out.append(("我的职称信息填报", url_for("entry.person", person_id=user.person_id), None))
        if returned:
            out.append(("被退回待修改", url_for("entry.person", person_id=user.person_id), returned))
    if user.role == "unit":
        out.append(("本单位人员与代为填报", url_for("entry.staff"), None))
    if user_level(user):
        out.append(("待本级审核", url_for("review.queue"), pending_count(user)))
    if user.role in ("department", "county_office", "city_office", "province_office"):
        out.append(("上报进度（应报尽报）", url_for("review.progress"), None))
    if user.role in ("county_office", "city_office", "province_office"):
        out.append(("诚信黑名单", url_for("review.blacklist"), None))
    return out
