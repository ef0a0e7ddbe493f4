"""The demo's campaign: the Shandong province office collects titles granted 2010–2025.

Deadlines are a few weeks apart in 2027 so that nothing in the demo is overdue yet.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.campaigns import services
from portal.extensions import db
from portal.models import Campaign, Organization

DEMO_NAME = "2010年以来职称信息采集"
DEMO_ORG = "SD-ZGB"
DEMO_DEADLINES = {
    "person": date(2027, 4, 30),
    "unit_review": date(2027, 5, 14),
    "department_review": date(2027, 5, 28),
    "county_review": date(2027, 6, 11),
    "city_review": date(2027, 6, 25),
    "province_review": date(2027, 7, 9),
}


def ensure_demo_campaign() -> None:
    org = db.session.scalar(select(Organization).where(Organization.code == DEMO_ORG))
    if org is None:
        return
    if db.session.scalar(select(Campaign.id).where(Campaign.org_id == org.id, Campaign.name == DEMO_NAME)):
        return
    values = services.CampaignInput(
        org_id=org.id, name=DEMO_NAME,
        description="根据职称信息采集工作通知，采集2010年1月1日以来评审、认定取得的各级职称信息，逐级审核后上报。",
        window_start=date(2010, 1, 1), window_end=date(2025, 12, 31), deadlines=dict(DEMO_DEADLINES))
    # Never a second open campaign beside one the office opened itself.
    values.is_open = services.open_campaign(org.id) is None
    services.create(values, actor=None)
