"""Demo notices: one open (东港区人民医院, from today) and one closed (日照市第一中学, weeks ago)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import PublicNotice, User
from portal.notices import services

OPEN_TITLE = "日照市东港区人民医院职称信息采集公示（第一批）"
CLOSED_TITLE = "日照市第一中学职称信息采集公示"

BODY = ("根据《关于开展职称信息采集工作的通知》要求，经{org}审核，现将以下人员的职称信息予以公示。\n"
        "公示期间，任何单位和个人对公示人员的职称信息有异议的，可通过网上公示页面以真实姓名和联系方式提出，"
        "或与我单位联系。")


def _publish_demo(username: str, title: str, start_offset_days: int) -> None:
    if db.session.scalar(select(PublicNotice.id).where(PublicNotice.title == title)) is not None:
        return
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not services.can_publish(user):
        return
    stmt = services.candidate_query(user)
    if services.candidate_count(stmt) == 0:
        return
    org = user.org
    services.publish(user, services.PublishRequest(
        title=title, body=BODY.format(org=org.name), contact=f"{user.display_name} {org.contact_phone or ''}".strip(),
        start_date=clock.today() + timedelta(days=start_offset_days), days=services.MIN_DAYS), stmt)


def ensure_demo_notices() -> None:
    _publish_demo("unit_demo", OPEN_TITLE, 0)
    _publish_demo("unit2_demo", CLOSED_TITLE, -40)
