"""Publishing notices, reading them publicly, and the state of each listed record."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, or_, select

from portal import clock
from portal.access import scoped
from portal.audit import record
from portal.clock import in_china
from portal.documents.notice_pdf import NoticeDocument, NoticeRow, build_notice_pdf
from portal.documents.xlsx_list import MAX_ROWS
from portal.domain.evaluation import HeldNotice, notice_problems
from portal.domain.problems import Problem
from portal.domain.workdays import is_workday, notice_period, working_days_between
from portal.domain.workflow import REVIEW_STATUS_BY_ORG_TYPE, REVIEW_STATUSES
from portal.extensions import db
from portal.models import (
    Application,
    Certificate,
    CodeItem,
    NoticeEntry,
    Objection,
    Organization,
    Person,
    PublicNotice,
    Region,
)
from portal.models.notice import APPLICATION_KINDS, NOTICE_KINDS
from portal.notices.workdays import load_overrides

MIN_DAYS = 5
MAX_DAYS = 30
MAX_ENTRIES = 5000
PREVIEW_ROWS = 200
PUBLIC_PAGE_SIZE = 20
PUBLISHER_ROLES = ("unit", "department", "county_office", "city_office", "province_office")

# 序号 is the order of this list: by unit, then the level from the highest down.
LEVEL_RANK = {"正高级": 0, "副高级": 1, "中级": 2, "初级": 3, "助理级": 3, "员级": 4}


def china_date(moment: datetime) -> date:
    return in_china(moment).date()


def can_publish(user) -> bool:
    return (user.is_authenticated and user.role in PUBLISHER_ROLES and user.org is not None
            and user.org.type in REVIEW_STATUS_BY_ORG_TYPE)


def publishing_statuses(org: Organization) -> tuple[str, ...]:
    """Statuses of records this organisation has approved at its own level (and beyond).

    A notice comes after the publisher's own review and before the level above acts on the
    record, so what can be listed is what has left the publisher's queue upwards.
    """
    own = REVIEW_STATUS_BY_ORG_TYPE[org.type]
    later = REVIEW_STATUSES[REVIEW_STATUSES.index(own) + 1:]
    return (*later, "approved")


# ---------------------------------------------------------------- periods and states


@dataclass(frozen=True)
class Phase:
    key: str  # upcoming | open | closed
    label: str
    remaining: int  # working days left, today included when it is one
    counts_today: bool = False  # today is a working day of the period

    @property
    def is_closed(self) -> bool:
        return self.key == "closed"


def phase_of(notice: PublicNotice, on: date | None = None) -> Phase:
    on = on or clock.today()
    if on < notice.start_date:
        return Phase("upcoming", "尚未开始", notice.days)
    if on > notice.end_date:
        return Phase("closed", "公示期满", 0)
    overrides = load_overrides()
    return Phase("open", "公示中", working_days_between(on, notice.end_date, overrides), is_workday(on, overrides))


ENTRY_STATES = {
    "listed": "公示中",
    "objected": "异议处理中",
    "upheld": "异议成立",
    "cleared": "公示期满无异议",
    "cleared_after_objection": "公示期满，异议不成立",
}


def entry_states(notice: PublicNotice, on: date | None = None) -> dict[int, str]:
    """The state key of every line of the notice, from its objections and the date."""
    closed = phase_of(notice, on).is_closed
    by_entry: dict[int, set[str]] = {}
    for entry_id, status in db.session.execute(
            select(Objection.entry_id, Objection.status).where(Objection.notice_id == notice.id)):
        by_entry.setdefault(entry_id, set()).add(status)
    states = {}
    for entry_id in db.session.scalars(select(NoticeEntry.id).where(NoticeEntry.notice_id == notice.id)):
        statuses = by_entry.get(entry_id, set())
        if "open" in statuses:
            states[entry_id] = "objected"
        elif "upheld" in statuses:
            states[entry_id] = "upheld"
        elif not closed:
            states[entry_id] = "listed"
        else:
            states[entry_id] = "cleared_after_objection" if statuses else "cleared"
    return states


def _superseded_ids():
    return select(PublicNotice.corrects_id).where(PublicNotice.corrects_id.is_not(None))


def correction_of(notice: PublicNotice) -> PublicNotice | None:
    """The notice that corrects this one, if any."""
    return db.session.scalar(select(PublicNotice).where(PublicNotice.corrects_id == notice.id)
                             .order_by(PublicNotice.id).limit(1))


# ---------------------------------------------------------------- publishing


def _series_names() -> dict[str, str]:
    return dict(db.session.execute(
        select(CodeItem.key, CodeItem.name).where(CodeItem.kind == "title_series")).all())


def correctable_notices(user) -> list[PublicNotice]:
    """The publisher's own notices that no correction has replaced yet."""
    return list(db.session.scalars(
        select(PublicNotice).where(PublicNotice.org_id == user.org_id, PublicNotice.id.not_in(_superseded_ids()))
        .order_by(PublicNotice.id.desc())))


def candidate_query(user, *, series: str | None = None, level: str | None = None,
                    corrects: PublicNotice | None = None):
    """Records the user's organisation may list: in its scope, approved at its level, not frozen
    by an objection, and not already on one of its notices (other than the one being corrected)."""
    org = user.org
    listed = (select(NoticeEntry.certificate_id)
              .join(PublicNotice, PublicNotice.id == NoticeEntry.notice_id)
              .where(PublicNotice.org_id == org.id, PublicNotice.kind == "certificates",
                     NoticeEntry.certificate_id.is_not(None), PublicNotice.id.not_in(_superseded_ids())))
    if corrects is not None:
        listed = listed.where(PublicNotice.id != corrects.id)
    stmt = (scoped(Certificate, user)
            .where(Certificate.status.in_(publishing_statuses(org)), Certificate.objection_open.is_(False),
                   Certificate.id.not_in(listed)))
    if series:
        stmt = stmt.where(Certificate.series == series)
    if level:
        stmt = stmt.where(Certificate.level == level)
    return stmt


def candidate_count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def candidate_preview(stmt, limit: int = PREVIEW_ROWS) -> list[tuple[Certificate, Person]]:
    rows = db.session.execute(
        stmt.add_columns(Person).join(Person, Person.id == Certificate.person_id)
        .order_by(Certificate.org_id, Certificate.id).limit(limit)).all()
    return [(cert, person) for cert, person in rows]


@dataclass
class PublishRequest:
    title: str
    body: str
    contact: str
    start_date: date
    days: int
    corrects: PublicNotice | None = None


def publish(user, request: PublishRequest, stmt, picked_ids: list[int] | None = None) -> PublicNotice:
    """Publish a notice listing the candidates of `stmt` (or only `picked_ids` among them).

    The list is copied into notice entries at once; the caller has checked the size.
    """
    if picked_ids is not None:
        stmt = stmt.where(Certificate.id.in_(picked_ids))
    rows = db.session.execute(
        select(Certificate.id, Certificate.org_id, Certificate.series, Certificate.title_name, Certificate.level,
               Person.name.label("person_name"), Person.employer_name, Organization.name.label("org_name"))
        .join(Person, Person.id == Certificate.person_id)
        .join(Organization, Organization.id == Certificate.org_id, isouter=True)
        .where(Certificate.id.in_(stmt.with_only_columns(Certificate.id).order_by(None)))).all()
    if not rows:
        raise ValueError("没有可列入公示的记录")
    rows.sort(key=lambda r: (r.org_id or 0, LEVEL_RANK.get(r.level, 9), r.id))
    period = notice_period(request.start_date, request.days, load_overrides())
    org = user.org
    notice = PublicNotice(
        org_id=org.id, region_code=org.region_code, kind="certificates", title=request.title, body=request.body,
        contact=request.contact, start_date=period.start, days=period.days, end_date=period.end,
        provisional=period.provisional, corrects_id=request.corrects.id if request.corrects else None,
        entry_count=len(rows), published_by_id=user.id)
    db.session.add(notice)
    db.session.flush()
    series = _series_names()
    db.session.execute(insert(NoticeEntry), [
        {"notice_id": notice.id, "certificate_id": r.id, "position": n, "person_name": r.person_name,
         "employer_name": r.employer_name or r.org_name or "", "series_name": series.get(r.series, r.series),
         "title_name": r.title_name, "level": r.level}
        for n, r in enumerate(rows, start=1)])
    record("notice_publish", "notice", notice.id, actor=user, diff={
        "title": notice.title, "entries": len(rows), "start": period.start.isoformat(),
        "end": period.end.isoformat(), "days": period.days, "provisional": period.provisional,
        "corrects": notice.corrects_id})
    db.session.commit()
    return notice


# ---------------------------------------------------------------- applications (annual evaluation)


def _aware(moment: datetime | None) -> datetime | None:
    return in_china(moment) if moment is not None else None


# How a rule's message names the notice an application waits for.
NOTICE_NAMES = {"applications": "单位公示", "results": "评审结果公示"}


def held_notices(application_id: int, kind: str) -> list[HeldNotice]:
    """Every notice of this kind that listed the application (a corrected one counts no more),
    with whether an objection to its line is still open."""
    rows = db.session.execute(
        select(PublicNotice, NoticeEntry.id)
        .join(NoticeEntry, NoticeEntry.notice_id == PublicNotice.id)
        .where(NoticeEntry.application_id == application_id, PublicNotice.kind == kind,
               PublicNotice.id.not_in(_superseded_ids()))).all()
    open_entries = set(db.session.scalars(select(Objection.entry_id).where(
        Objection.application_id == application_id, Objection.status == "open")))
    return [HeldNotice(published_at=_aware(n.published_at), start_date=n.start_date, end_date=n.end_date,
                       days=n.days, open_objection=entry_id in open_entries) for n, entry_id in rows]


def application_notice_problems(app: Application, kind: str = "applications",
                                on: date | None = None) -> list[Problem]:
    """Why the application cannot move on yet as far as its notices of `kind` go (empty: it may)."""
    return notice_problems(held_notices(app.id, kind), _aware(app.content_changed_at), on or clock.today(),
                           name=NOTICE_NAMES.get(kind, NOTICE_KINDS.get(kind, "公示")))


def notice_cleared(app: Application, kind: str = "applications", on: date | None = None) -> bool:
    """The notice of `kind` has been held for the application and closed with no open objection,
    and nothing changed since it was published."""
    return not application_notice_problems(app, kind, on)


def needs_notice(app: Application, kind: str = "applications") -> bool:
    """Not yet listed on a notice of `kind`, or changed since the latest one was published."""
    held = held_notices(app.id, kind)
    if not held:
        return True
    changed = _aware(app.content_changed_at)
    return changed is not None and changed > max(n.published_at for n in held)


def application_candidates(user, kind: str = "applications", plan_id: int | None = None) -> list[Application]:
    """Applications the user's organisation may list now: its own, waiting at its level, not frozen
    by an objection, and not yet listed (or changed since they were)."""
    org = user.org
    if org is None or org.type not in REVIEW_STATUS_BY_ORG_TYPE:
        return []
    stmt = scoped(Application, user).where(Application.status == REVIEW_STATUS_BY_ORG_TYPE[org.type],
                                           Application.objection_open.is_(False))
    if kind == "applications":
        stmt = stmt.where(Application.org_id == org.id)
    if plan_id is not None:
        stmt = stmt.where(Application.plan_id == plan_id)
    return [a for a in db.session.scalars(stmt.order_by(Application.id)) if needs_notice(a, kind)]


def publish_application_notice(org: Organization, applications: list[Application], kind: str,
                               request: PublishRequest, *, actor) -> PublicNotice:
    """Publish a notice of `kind` ("applications" for a unit's applicants, "results" for a
    committee's results) listing these applications; one call, committed.

    The notice is supplementary (补充公示) when any of them was already listed on a notice of
    the same kind. Each application's trail records that it was listed.
    """
    if kind not in APPLICATION_KINDS:
        raise ValueError(f"公示类型不正确：{kind}")
    if not applications:
        raise ValueError("没有可列入公示的申报")
    if request.days < MIN_DAYS:
        raise ValueError(f"公示期不得少于{MIN_DAYS}个工作日")
    frozen = [a for a in applications if a.objection_open]
    if frozen:
        raise ValueError(f"{frozen[0].person.name}的申报有尚未处理的异议，不能列入公示")
    supplementary = any(held_notices(a.id, kind) for a in applications)
    series = _series_names()
    ordered = sorted(applications, key=lambda a: (a.org_id or 0, LEVEL_RANK.get(a.level, 9), a.id))
    period = notice_period(request.start_date, request.days, load_overrides())
    notice = PublicNotice(
        org_id=org.id, region_code=org.region_code, kind=kind, supplementary=supplementary, title=request.title,
        body=request.body, contact=request.contact, start_date=period.start, days=period.days,
        end_date=period.end, provisional=period.provisional,
        corrects_id=request.corrects.id if request.corrects else None, entry_count=len(ordered),
        published_by_id=actor.id)
    db.session.add(notice)
    db.session.flush()
    for n, app in enumerate(ordered, start=1):
        db.session.add(NoticeEntry(
            notice_id=notice.id, application_id=app.id, position=n, person_name=app.person.name,
            employer_name=app.org.name if app.org is not None else (app.person.employer_name or ""),
            series_name=series.get(app.plan.series, app.plan.series), title_name="", level=app.level,
            specialty=app.specialty, route=app.route))
        record("evaluation_noticed", "evaluation_application", app.id, actor=actor, diff={
            "notice": notice.id, "supplementary": supplementary,
            "start": period.start.isoformat(), "end": period.end.isoformat()})
    record("notice_publish", "notice", notice.id, actor=actor, diff={
        "title": notice.title, "kind": kind, "supplementary": supplementary, "entries": len(ordered),
        "start": period.start.isoformat(), "end": period.end.isoformat(), "days": period.days,
        "provisional": period.provisional, "corrects": notice.corrects_id})
    db.session.commit()
    return notice


# ---------------------------------------------------------------- reading


def entries_of(notice: PublicNotice) -> list[NoticeEntry]:
    return list(db.session.scalars(
        select(NoticeEntry).where(NoticeEntry.notice_id == notice.id).order_by(NoticeEntry.position)))


def public_page(*, q: str | None, region: str | None, state: str | None, page: int):
    """One page of the public notice list, newest first."""
    stmt = select(PublicNotice).join(Organization, Organization.id == PublicNotice.org_id)
    if q:
        stmt = stmt.where(or_(Organization.name.contains(q, autoescape=True),
                              PublicNotice.title.contains(q, autoescape=True)))
    prefix = _region_prefix(region) if region else None
    if prefix:
        stmt = stmt.where(PublicNotice.region_code.startswith(prefix, autoescape=True))
    on = clock.today()
    if state == "open":
        stmt = stmt.where(PublicNotice.end_date >= on)
    elif state == "closed":
        stmt = stmt.where(PublicNotice.end_date < on)
    stmt = stmt.order_by(PublicNotice.start_date.desc(), PublicNotice.id.desc())
    return db.paginate(stmt, page=page, per_page=PUBLIC_PAGE_SIZE, error_out=False)


REGION_PREFIX_DIGITS = {"province": 2, "prefecture": 4, "county": 6}


def _region_prefix(code: str) -> str | None:
    """The code prefix shared by a region and everything under it; None for an unknown code."""
    region = db.session.get(Region, code)
    return code[:REGION_PREFIX_DIGITS.get(region.level, 6)] if region is not None else None


def region_choices() -> list[tuple[str, str]]:
    """Regions that have notices, with every region above them, as (code prefix, name)."""
    wanted: dict[str, Region] = {}
    for code in db.session.scalars(select(PublicNotice.region_code).distinct()):
        region = db.session.get(Region, code)
        while region is not None and region.code not in wanted:
            wanted[region.code] = region
            region = db.session.get(Region, region.parent_code) if region.parent_code else None
    return [(code, wanted[code].name) for code in sorted(wanted)]


def managed_page(user, page: int):
    """Notices the user may see internally, with their count of open objections."""
    stmt = scoped(PublicNotice, user).order_by(PublicNotice.id.desc())
    pagination = db.paginate(stmt, page=page, per_page=PUBLIC_PAGE_SIZE, error_out=False)
    ids = [n.id for n in pagination.items]
    open_counts = dict(db.session.execute(
        select(Objection.notice_id, func.count()).where(Objection.notice_id.in_(ids), Objection.status == "open")
        .group_by(Objection.notice_id)).all()) if ids else {}
    return pagination, open_counts


MANAGED_EXPORT_HEADERS = ("标题", "公示单位", "公示开始", "公示截止", "工作日", "人数", "状态", "待处理异议")


def managed_export_rows(user):
    """Every notice of the management list (all pages, up to MAX_ROWS), for Excel."""
    notices = list(db.session.scalars(scoped(PublicNotice, user).order_by(PublicNotice.id.desc()).limit(MAX_ROWS)))
    ids = [n.id for n in notices]
    open_counts = dict(db.session.execute(
        select(Objection.notice_id, func.count()).where(Objection.notice_id.in_(ids), Objection.status == "open")
        .group_by(Objection.notice_id)).all()) if ids else {}
    for n in notices:
        yield (n.title, n.org.name, n.start_date, n.end_date, n.days, n.entry_count, phase_of(n).label,
               open_counts.get(n.id, 0))


def objections_of(notice: PublicNotice, user) -> list[Objection]:
    return list(db.session.scalars(
        scoped(Objection, user).where(Objection.notice_id == notice.id).order_by(Objection.id)))


OBJECTION_EXPORT_HEADERS = ("序号", "被异议人", "提交日期", "状态", "异议人", "联系电话", "事实和理由", "处理结果",
                            "处理意见", "处理人", "处理日期")


def objection_export_rows(notice: PublicNotice, user):
    """The objections of one notice as its management page shows them, for Excel."""
    for o in objections_of(notice, user):
        done = o.status != "open"
        yield (o.entry.position, o.entry.person_name, clock.china_time(o.filed_at, "%Y-%m-%d"), o.status_label,
               o.objector_name, o.objector_phone, o.grounds,
               (o.outcome_label or o.status_label) if done else "", (o.resolution or "") if done else "",
               o.resolved_by.display_name if done and o.resolved_by else "",
               clock.china_time(o.resolved_at, "%Y-%m-%d") if done else "")


def can_resolve(user, notice: PublicNotice) -> bool:
    """Only a reviewer of the publishing organisation decides objections to its notice."""
    return can_publish(user) and user.org_id == notice.org_id


# ---------------------------------------------------------------- printable list


def notice_document(notice: PublicNotice, url: str) -> NoticeDocument:
    corrected_by = correction_of(notice)
    return NoticeDocument(
        title=notice.title, org_name=notice.org.name, start=notice.start_date, end=notice.end_date,
        days=notice.days, provisional=notice.provisional, body=notice.body, contact=notice.contact, url=url,
        published_on=china_date(notice.published_at),
        rows=[NoticeRow(e.position, e.person_name, e.employer_name, e.series_name,
                        f"{e.specialty}（{e.route_label}）" if e.application_id else e.title_name, e.level)
              for e in entries_of(notice)],
        applications=notice.lists_applications,
        corrects_title=notice.corrects.title if notice.corrects else None,
        corrected_by_title=corrected_by.title if corrected_by else None)


def notice_pdf(notice: PublicNotice, url: str) -> bytes:
    """The notice as PDF, rendered once per version of what it prints and then served from disk.

    The list never changes; the end date (holiday table) and a later correction can, so they are
    part of the cache key.
    """
    corrected_by = correction_of(notice)
    key = hashlib.sha256(repr((
        notice.id, notice.published_at.isoformat(), notice.end_date.isoformat(), notice.provisional,
        corrected_by.id if corrected_by else None, url)).encode()).hexdigest()[:32]
    directory = Path(current_app.config["UPLOAD_DIR"]) / "notice_pdfs"
    path = directory / f"{notice.id}-{key}.pdf"
    if path.is_file():
        return path.read_bytes()
    data = build_notice_pdf(notice_document(notice, url))
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory / f".{path.name}.{secrets.token_hex(4)}.tmp"
    temp.write_bytes(data)
    os.replace(temp, path)
    return data
