"""The integrity blacklist (诚信黑名单), kept by title offices for their own region."""
from __future__ import annotations

from datetime import date

from portal import audit
from portal.access import get_scoped_or_404, scoped
from portal.domain.idnumber import check_resident_id, mask_id
from portal.domain.text import clean
from portal.extensions import db
from portal.models import BlacklistEntry, Organization, Person
from portal.models._types import utcnow
from portal.review.queue import UNIT_TYPES
from portal.workflow import WorkflowError

KEEPER_ROLES = ("county_office", "city_office", "province_office")


def may_keep(user) -> bool:
    return user.role in KEEPER_ROLES and user.org is not None


def units_in_scope(user) -> list[Organization]:
    return list(db.session.scalars(scoped(Organization, user).where(
        Organization.type.in_(UNIT_TYPES)).order_by(Organization.name)))


def entries(user) -> list[BlacklistEntry]:
    return list(db.session.scalars(scoped(BlacklistEntry, user).order_by(BlacklistEntry.id.desc())))


EXPORT_HEADERS = ("对象", "证件号码", "原因", "期限", "列入机构", "状态")


def export_rows(user, on):
    """The blacklist as the page shows it (ID numbers masked), for Excel."""
    for e in entries(user):
        if e.lifted_at:
            state = f"已解除：{e.lift_reason}"
        else:
            state = "生效中" if e.active_on(on) else "不在期限内"
        yield (e.person.name if e.person else f"{e.org.name}（单位）", mask_id(e.person.id_number) if e.person else "",
               e.reason, e.period_label, e.created_by_org.name if e.created_by_org else "", state)


def find_person(user, raw_id: str) -> Person | None:
    text = clean(raw_id).upper()
    if not text:
        return None
    checked = check_resident_id(text)
    number = checked.value or text
    return db.session.scalar(scoped(Person, user).where(Person.id_number == number))


def add(user, *, kind: str, id_number: str, org_id: int | None, reason: str,
        start: date, end: date | None) -> BlacklistEntry:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("列入诚信黑名单必须写明原因")
    if end is not None and end < start:
        raise WorkflowError("截止日期不能早于开始日期")
    entry = BlacklistEntry(reason=reason, start_date=start, end_date=end,
                           created_by_id=user.id, created_by_org_id=user.org_id)
    if kind == "person":
        person = find_person(user, id_number)
        if person is None:
            raise WorkflowError(f"在您的管辖范围内找不到证件号码为“{clean(id_number)}”的人员")
        entry.person_id = person.id
        entry.region_code = person.unit_region_code or user.org.region_code
        subject = {"person_id": person.id, "subject": person.name}
    elif kind == "unit":
        org = db.session.scalar(scoped(Organization, user).where(
            Organization.id == (org_id or 0), Organization.type.in_(UNIT_TYPES)))
        if org is None:
            raise WorkflowError("所选单位不存在或不在您的管辖范围内，未作任何修改")
        entry.org_id = org.id
        entry.region_code = org.region_code
        subject = {"org_id": org.id, "subject": org.name}
    else:
        raise WorkflowError("请选择列入黑名单的是人员还是单位")
    db.session.add(entry)
    db.session.flush()
    audit.record("blacklist_add", "blacklist", entry.id, reason=reason, actor=user,
                 diff=subject | {"period": entry.period_label})
    db.session.commit()
    return entry


def lift(user, entry_id: int, reason: str) -> BlacklistEntry:
    entry = get_scoped_or_404(BlacklistEntry, entry_id, user)
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("解除诚信黑名单必须写明原因")
    if entry.lifted_at is not None:
        raise WorkflowError("该记录已经解除")
    entry.lifted_at = utcnow()
    entry.lifted_by_id = user.id
    entry.lift_reason = reason
    audit.record("blacklist_lift", "blacklist", entry.id, reason=reason, actor=user)
    db.session.commit()
    return entry

