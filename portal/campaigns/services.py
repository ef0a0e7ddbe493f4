"""Collection campaigns (采集任务): the scope window and the per-level deadlines an office sets.

The review and entry features find the open campaign of the nearest body up the organisation
chain (portal.workflow.campaign_for_org); this module is where offices create and change
those campaigns. Every change is appended to the signed trail ("campaign_create"/"campaign_update").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.clock import china_time
from portal.access import scoped
from portal.domain.dates import format_iso
from portal.domain.problems import Problem, error
from portal.domain.workflow import REVIEW_STATUSES
from portal.extensions import db
from portal.models import Campaign, CampaignDeadline, Organization
from portal.models.org import OFFICE_TYPES
from portal.workflow import DEADLINE_LEVELS, LEVEL_NAMES, campaign_for_org

MANAGER_ROLES = ("county_office", "city_office", "province_office", "admin")

# DEADLINE_LEVELS is listed bottom up (逐级审核): each level reports before the one above it,
# so deadlines must follow this order.
LEVEL_ORDER: tuple[str, ...] = tuple(DEADLINE_LEVELS)
LEVEL_SHORT_NAMES = {"person": "个人"} | {status: LEVEL_NAMES[status] for status in REVIEW_STATUSES}

# Names of the keys a campaign's trail diff carries.
FIELD_LABELS = {
    "org_id": "负责机构",
    "name": "任务名称",
    "description": "说明",
    "window_start": "采集范围起始日期",
    "window_end": "采集范围截止日期",
    "exclude_exam_only": "不收集以考代评的初、中级职称",
    "exclude_electronic": "不收集已发电子证书的职称",
    "exclude_other_province": "不收集外省取得的职称",
    "notice_days": "公示期（工作日）",
    "is_open": "开启",
} | {f"deadline_{level}": f"{LEVEL_SHORT_NAMES[level]}截止日期" for level in LEVEL_ORDER}


class CampaignError(Exception):
    """A refused change; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class CampaignInput:
    """What the form (or the demo) asks a campaign to be; deadlines maps level → last day."""

    org_id: int
    name: str
    description: str | None = None
    window_start: date | None = None
    window_end: date | None = None
    exclude_exam_only: bool = True
    exclude_electronic: bool = True
    exclude_other_province: bool = True
    notice_days: int = 5
    is_open: bool = True
    deadlines: dict[str, date] = field(default_factory=dict)


# --- who may do what -----------------------------------------------------------------------------

def may_manage(user) -> bool:
    return user.role in MANAGER_ROLES and (user.org is not None or user.role == "admin")


def _sees_everything(user) -> bool:
    # A system administrator without an organisation looks after every office's campaigns.
    return user.role == "admin" and user.org is None


def may_edit(campaign: Campaign, user) -> bool:
    return _sees_everything(user) or (user.org_id is not None and campaign.org_id == user.org_id)


def _visible_org_ids(user) -> list[int] | None:
    """The bodies whose campaigns the user may read (own and every body above); None means all."""
    if _sees_everything(user):
        return None
    return [body.id for body in user.org.chain()]


def campaigns_for(user) -> list[Campaign]:
    stmt = (select(Campaign).options(selectinload(Campaign.org), selectinload(Campaign.deadlines))
            .order_by(Campaign.is_open.desc(), Campaign.id.desc()))
    org_ids = _visible_org_ids(user)
    if org_ids is not None:
        stmt = stmt.where(Campaign.org_id.in_(org_ids))
    return list(db.session.scalars(stmt))


CAMPAIGN_EXPORT_HEADERS = ("任务名称", "负责机构", "采集范围开始", "采集范围结束", "各级截止日期", "状态")


def campaign_export_rows(user):
    """The campaign list as shown, for Excel."""
    for c in campaigns_for(user):
        due = {d.level: d.due_date for d in c.deadlines}
        deadlines = "；".join(f"{LEVEL_SHORT_NAMES[level]} {china_time(due[level], '%Y-%m-%d')}"
                             for level in LEVEL_ORDER if due.get(level)) or "未设截止日期"
        yield (c.name, c.org.name, china_time(c.window_start, "%Y-%m-%d") or "不限",
               china_time(c.window_end, "%Y-%m-%d") or "不限", deadlines, "开启中" if c.is_open else "已关闭")


def visible_campaign(campaign_id: int, user, lock: bool = False) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.id == campaign_id)
    org_ids = _visible_org_ids(user)
    if org_ids is not None:
        stmt = stmt.where(Campaign.org_id.in_(org_ids))
    if lock:
        # Serialises concurrent edits of one campaign, so its trail entries chain one after another.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def applying_campaign(user) -> Campaign | None:
    """The campaign the user's own organisation and the bodies below it currently work under."""
    return campaign_for_org(user.org) if user.org is not None else None


def office_choices(user) -> list[tuple[int, str]]:
    """Offices a system administrator may create a campaign for."""
    stmt = scoped(Organization, user).where(Organization.type.in_(OFFICE_TYPES)).order_by(Organization.path)
    return [(org.id, f"{org.name}（{org.type_label}）") for org in db.session.scalars(stmt)]


# --- rules -----------------------------------------------------------------------------------------

def window_problems(start: date | None, end: date | None) -> list[Problem]:
    if start is not None and end is not None and end < start:
        return [error("window_end", "window_reversed",
                      f"采集范围截止日期（{format_iso(end)}）不能早于起始日期（{format_iso(start)}）")]
    return []


def deadline_problems(deadlines: Mapping[str, date | None]) -> list[Problem]:
    """A lower level's deadline must not be after a higher level's: it has to report first.

    Levels left blank have no deadline and are skipped; checking each set level against the next
    set level above it is enough, as the order is transitive.
    """
    problems: list[Problem] = []
    set_levels = [level for level in LEVEL_ORDER if deadlines.get(level) is not None]
    for lower, higher in zip(set_levels, set_levels[1:]):
        low_due, high_due = deadlines[lower], deadlines[higher]
        if low_due > high_due:
            low, high = LEVEL_SHORT_NAMES[lower], LEVEL_SHORT_NAMES[higher]
            problems.append(error(
                f"deadline_{lower}", "deadline_order",
                f"{low}的截止日期（{format_iso(low_due)}）晚于{high}的截止日期（{format_iso(high_due)}）："
                f"逐级审核自下而上，{low}须在{high}之前完成，其截止日期不能晚于{high}"))
    return problems


def open_campaign(org_id: int, except_id: int | None = None) -> Campaign | None:
    """An open campaign of this body other than `except_id`, if any."""
    return db.session.scalar(select(Campaign).where(
        Campaign.org_id == org_id, Campaign.is_open, Campaign.id != (except_id or 0)).limit(1))


def _open_refusal(org_id: int, campaign_id: int | None) -> str | None:
    # Only the newest open campaign of a body applies below it, so a second open one would
    # silently replace the first; make the office close the first one itself.
    other = open_campaign(org_id, campaign_id)
    if other is None:
        return None
    return f"本机构已有开启中的采集任务“{other.name}”，同一机构同时只能开启一个采集任务，请先关闭该任务"


def check(values: CampaignInput, campaign: Campaign | None = None) -> list[Problem]:
    """Every reason the campaign cannot be saved as asked; an empty list means it can."""
    problems = window_problems(values.window_start, values.window_end)
    problems += deadline_problems(values.deadlines)
    campaign_id = campaign.id if campaign is not None else None
    same_name = db.session.scalar(select(Campaign.id).where(
        Campaign.org_id == values.org_id, Campaign.name == values.name, Campaign.id != (campaign_id or 0)))
    if same_name is not None:
        problems.append(error("name", "name_taken", f"本机构已有名为“{values.name}”的采集任务，请换一个名称"))
    if values.is_open:
        refusal = _open_refusal(values.org_id, campaign_id)
        if refusal:
            problems.append(error("is_open", "another_open", refusal))
    return problems


# --- changes ---------------------------------------------------------------------------------------

def _shown(value):
    return format_iso(value) if isinstance(value, date) else value


def snapshot(campaign: Campaign) -> dict:
    """The campaign as plain JSON values, keyed like FIELD_LABELS (what the trail diff compares)."""
    out = {key: _shown(getattr(campaign, key)) for key in FIELD_LABELS if not key.startswith("deadline_")}
    due = {d.level: d.due_date for d in campaign.deadlines}
    out |= {f"deadline_{level}": _shown(due.get(level)) for level in LEVEL_ORDER}
    return out


def _apply(campaign: Campaign, values: CampaignInput) -> None:
    for key in ("name", "description", "window_start", "window_end", "exclude_exam_only", "exclude_electronic",
                "exclude_other_province", "notice_days", "is_open"):
        setattr(campaign, key, getattr(values, key))
    existing = {d.level: d for d in campaign.deadlines}
    for level in LEVEL_ORDER:
        due = values.deadlines.get(level)
        row = existing.get(level)
        if due is None and row is not None:
            campaign.deadlines.remove(row)
        elif due is not None and row is None:
            campaign.deadlines.append(CampaignDeadline(level=level, due_date=due))
        elif due is not None:
            # Changed in place: delete-then-insert of one level would trip the unique constraint.
            row.due_date = due


def create(values: CampaignInput, actor) -> Campaign:
    campaign = Campaign(org_id=values.org_id, deadlines=[])
    _apply(campaign, values)
    db.session.add(campaign)
    db.session.flush()
    diff = {key: [None, value] for key, value in snapshot(campaign).items() if value not in (None, "")}
    audit.record("campaign_create", "campaign", campaign.id, diff=diff, actor=actor)
    db.session.commit()
    return campaign


def update(campaign: Campaign, values: CampaignInput, actor) -> dict:
    """Save the changes and sign them; returns the diff (empty when nothing changed)."""
    before = snapshot(campaign)
    _apply(campaign, values)
    db.session.flush()
    after = snapshot(campaign)
    diff = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if diff:
        audit.record("campaign_update", "campaign", campaign.id, diff=diff, actor=actor)
    db.session.commit()
    return diff


def set_open(campaign: Campaign, is_open: bool, actor) -> None:
    if campaign.is_open == is_open:
        db.session.rollback()
        return
    if is_open:
        refusal = _open_refusal(campaign.org_id, campaign.id)
        if refusal:
            db.session.rollback()
            raise CampaignError(refusal)
    campaign.is_open = is_open
    audit.record("campaign_update", "campaign", campaign.id, diff={"is_open": [not is_open, is_open]}, actor=actor)
    db.session.commit()


def form_data(campaign: Campaign) -> dict:
    """The campaign as the edit form's initial values."""
    data = snapshot(campaign)
    return {key: ("" if value is None else value) for key, value in data.items()}
