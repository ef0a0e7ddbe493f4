"""The record workflow shared by entry, review, campaigns and imports: who may change or act on a
record, the campaign and deadlines that apply to it, and the signed steps of level-by-level
review (逐级审核) that move it.

Every step locks the record (SELECT … FOR UPDATE on PostgreSQL), checks the version the
reviewer saw, changes the status and appends a signed trail entry in the same transaction.
Of two reviewers acting on the same version only one succeeds; the other gets `Conflict`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, clock
from portal.access import visibility
from portal.clock import in_china
from portal.domain.dates import format_iso
from portal.domain.scope import ScopeRules, check_scope
from portal.domain.workflow import REVIEW_STATUS_BY_ORG_TYPE, status_label
from portal.extensions import db
from portal.labels import action_label
from portal.evidence import PHOTO_FIX, last_return, photo_locked_by_others
from portal.models import (AuditEntry, BlacklistEntry, Campaign, CampaignDeadline, Certificate, EvidenceFile,
                           Organization, Person)
from portal.models._types import utcnow

ENTRY_STATUSES = ("draft", "returned")
REVIEWER_ROLES = ("unit", "department", "county_office", "city_office", "province_office")

# The deadline levels of a campaign: "person" for individuals' own submissions, then the
# review statuses, each the last day on which that level may report upwards.
DEADLINE_LEVELS = {
    "person": "个人填报提交",
    "unit_review": "单位审核报送",
    "department_review": "主管部门审核报送",
    "county_review": "县级职改办审核报送",
    "city_review": "市级职改办审核报送",
    "province_review": "省级职改办审核确认",
}
LEVEL_NAMES = {
    "returned": "填报人（本人或单位经办人）",
    "unit_review": "用人单位",
    "department_review": "主管部门",
    "county_review": "县级职改办",
    "city_review": "市级职改办",
    "province_review": "省级职改办",
}
# Names of the other keys a trail entry's diff may carry (uploads, accounts, blacklist).
TRAIL_KEYS = {
    "kind": "材料类型",
    "filename": "文件名",
    "sha256": "SHA-256",
    "size": "大小（字节）",
    "replaced_sha256": "替换的原文件SHA-256",
    "username": "账户",
    "period": "期限",
    "subject": "对象",
    "person_id": "人员编号",
    "org_id": "单位编号",
    "objection_open": "有未处理的异议",
    "objection": "异议编号",
    "outcome": "处理结果",
    "ecert_number": "电子证书编号",
    "purpose": "用途",
    "valid_until": "有效期至",
}
COMMITMENT_TEXT = "本人（本单位）承诺：所填报的职称信息及上传的佐证材料真实、准确、完整，如有虚假，愿承担相应责任并接受列入诚信黑名单的处理。"


class WorkflowError(Exception):
    """A refused step; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(WorkflowError):
    """Someone else changed the record since the user loaded it."""


# --- who acts where -----------------------------------------------------------------------

def review_path(org: Organization | None) -> list[tuple[str, Organization]]:
    """The review levels a record of `org` climbs, bottom up, with the body acting at each."""
    path: list[tuple[str, Organization]] = []
    seen: set[str] = set()
    for body in (org.chain() if org is not None else []):
        status = REVIEW_STATUS_BY_ORG_TYPE.get(body.type)
        if status and status not in seen:
            path.append((status, body))
            seen.add(status)
    return path


def user_level(user) -> str | None:
    """The review status this user acts on, or None for people who do not review."""
    if user is None or user.role not in REVIEWER_ROLES or user.org is None:
        return None
    return REVIEW_STATUS_BY_ORG_TYPE.get(user.org.type)


def pending_count(user) -> int:
    """How many records wait at this user's review level (shown on the home and staff pages)."""
    level = user_level(user)
    if level is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Certificate).where(
        visibility(Certificate, user), Certificate.status == level)) or 0


def is_entrant(cert: Certificate, user) -> bool:
    """The person themself, or the unit holding the record, may enter and correct it."""
    if user.role == "person":
        return user.person_id is not None and user.person_id == cert.person_id
    return user.role == "unit" and user.org_id is not None and user.org_id == cert.org_id


def edit_refusal(cert: Certificate, user) -> str | None:
    """Why `user` may not change `cert` now, or None if they may."""
    if not is_entrant(cert, user):
        return "只有本人或所在单位可以修改该记录"
    if cert.status in ENTRY_STATUSES:
        return None
    if cert.status == "unit_review" and user.role == "unit":
        return None  # the unit may still correct what it is about to approve
    return f"该记录当前为“{status_label(cert.status)}”，已提交审核并锁定，不能修改"


def can_act(cert: Certificate, user) -> bool:
    level = user_level(user)
    if level is None or cert.status != level:
        return False
    acting = dict(review_path(cert.org)).get(level)
    return acting is not None and acting.id == user.org_id


def return_targets(cert: Certificate, user) -> list[tuple[str, str]]:
    """Where this reviewer may send the record back: the entrant or any lower review level."""
    if not can_act(cert, user):
        return []
    targets = [("returned", LEVEL_NAMES["returned"])]
    for status, body in review_path(cert.org):
        if status == cert.status:
            break
        targets.append((status, f"{LEVEL_NAMES[status]}（{body.name}）"))
    return targets


# --- campaign: scope and deadlines ----------------------------------------------------------

def campaign_for_org(org: Organization | None) -> Campaign | None:
    """The open campaign run by the nearest body above `org` (its own first): the campaign a
    record of `org` joins when it is created or submitted."""
    if org is None:
        return None
    chain_ids = [body.id for body in org.chain()]
    campaigns = list(db.session.scalars(
        select(Campaign).where(Campaign.org_id.in_(chain_ids), Campaign.is_open).order_by(Campaign.id.desc())))
    for body_id in chain_ids:
        for campaign in campaigns:
            if campaign.org_id == body_id:
                return campaign
    return None


def campaign_of(cert: Certificate) -> Campaign | None:
    """The campaign whose scope and deadlines apply to a record: the one it joined, else the one
    open for its unit. `record_campaign_id` says the same in SQL."""
    if cert.campaign_id:
        return db.session.get(Campaign, cert.campaign_id)
    return campaign_for_org(cert.org)


def record_campaign_id():
    """SQL for campaign_of(certificate) of each row: its own campaign, else the open campaign of
    the nearest body on its unit's chain (the longest organisation path that prefixes its own)."""
    unit, runner = aliased(Organization), aliased(Organization)
    fallback = (select(Campaign.id)
                .join(runner, runner.id == Campaign.org_id)
                .join(unit, unit.id == Certificate.org_id)
                .where(Campaign.is_open, unit.path.like(runner.path + "%"))
                .order_by(func.length(runner.path).desc(), Campaign.id.desc())
                .limit(1).correlate(Certificate).scalar_subquery())
    return func.coalesce(Certificate.campaign_id, fallback)


def overdue_condition():
    """SQL: the record still sits at a level whose deadline in its own campaign has passed; the
    deadline that submit() and approve() enforce."""
    level = case((Certificate.status.in_(ENTRY_STATUSES), literal("person")), else_=Certificate.status)
    return exists().where(CampaignDeadline.campaign_id == record_campaign_id(),
                          CampaignDeadline.level == level, CampaignDeadline.due_date < clock.today())


def scope_rules(campaign: Campaign | None) -> ScopeRules:
    return ScopeRules.of_campaign(campaign, campaign.org.region_code if campaign is not None else None)


def deadlines_of(campaign: Campaign | None) -> dict[str, date]:
    if campaign is None:
        return {}
    return {d.level: d.due_date for d in db.session.scalars(
        select(CampaignDeadline).where(CampaignDeadline.campaign_id == campaign.id))}


def deadline_refusal(campaign: Campaign | None, level: str) -> str | None:
    due = deadlines_of(campaign).get(level)
    if due is not None and clock.today() > due:
        return f"{DEADLINE_LEVELS.get(level, level)}的截止日期为{format_iso(due)}，已过截止时间，不再受理"
    return None


# --- integrity blacklist ----------------------------------------------------------------------

@dataclass
class BlacklistFlag:
    party: str  # "本人" or the unit's name
    reason: str
    period: str


def blacklist_flags(person_id: int | None, org_id: int | None) -> list[BlacklistFlag]:
    """Active blacklist entries against a person or their unit (a rule, not a scoped listing)."""
    conditions = []
    if person_id is not None:
        conditions.append(BlacklistEntry.person_id == person_id)
    if org_id is not None:
        conditions.append(BlacklistEntry.org_id == org_id)
    if not conditions:
        return []
    now = clock.today()
    flags = []
    for entry in db.session.scalars(select(BlacklistEntry).where(
            db.or_(*conditions), BlacklistEntry.lifted_at.is_(None))):
        if entry.active_on(now):
            party = entry.org.name if entry.org_id else "本人"
            # The banner adds its own "；": a reason typed as a sentence loses its closing mark.
            flags.append(BlacklistFlag(party, entry.reason.rstrip("。；;，,.！! "), entry.period_label))
    return flags


def flagged_ids(person_ids, org_ids) -> tuple[set[int], set[int]]:
    """Which of these persons and units are blacklisted today (one query for a whole page)."""
    person_ids, org_ids = set(person_ids), set(org_ids)
    if not person_ids and not org_ids:
        return set(), set()
    now = clock.today()
    rows = db.session.scalars(select(BlacklistEntry).where(
        db.or_(BlacklistEntry.person_id.in_(person_ids), BlacklistEntry.org_id.in_(org_ids)),
        BlacklistEntry.lifted_at.is_(None)))
    persons, orgs = set(), set()
    for entry in rows:
        if entry.active_on(now):
            if entry.person_id:
                persons.add(entry.person_id)
            if entry.org_id:
                orgs.add(entry.org_id)
    return persons, orgs


def _blacklist_refusal(cert: Certificate) -> str | None:
    flags = blacklist_flags(cert.person_id, cert.org_id)
    if not flags:
        return None
    flag = flags[0]
    who = "该人员" if flag.party == "本人" else f"单位“{flag.party}”"
    return f"{who}已被列入诚信黑名单（原因：{flag.reason}；期限：{flag.period}），不能提交或报送"


# --- the steps ----------------------------------------------------------------------------------

def _lock(cert_id: int, user) -> Certificate:
    """The record, freshly read and locked for this transaction, if the user may see it."""
    cert = db.session.scalar(
        select(Certificate).where(Certificate.id == cert_id, visibility(Certificate, user))
        .with_for_update(of=Certificate).execution_options(populate_existing=True))
    if cert is None:
        raise WorkflowError("记录不存在或不在您的管辖范围内")
    return cert


def last_step(cert_id: int) -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "certificate", AuditEntry.object_id == cert_id)
        .order_by(AuditEntry.id.desc()).limit(1))


def _conflict(cert: Certificate) -> Conflict:
    step = last_step(cert.id)
    who = ""
    if step is not None:
        who = (f"已由{step.actor_org_name or ''}{step.actor_name}于{in_china(step.at):%Y-%m-%d %H:%M}"
               f"{action_label(step.action)}，")
    return Conflict(f"该记录在您打开之后已被他人处理：{who}当前状态为“{status_label(cert.status)}”。"
                    "您的操作未生效，请刷新页面查看最新情况后再操作。")


def _check_version(cert: Certificate, expected_version) -> None:
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise WorkflowError("请求缺少记录版本信息，请刷新页面后重试") from None
    if cert.version != expected:
        raise _conflict(cert)


def _sign_and_commit(cert: Certificate, action: str, user, **trail) -> None:
    """Append the signed step and commit; the UPDATE carries the version the step started from,
    so if someone else saved in between nothing is written and the user is told."""
    cert_id = cert.id
    try:
        audit.record(action, "certificate", cert_id, actor=user, **trail)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(Certificate, cert_id, populate_existing=True)
        raise _conflict(fresh) from None


def _fail(error: WorkflowError):
    db.session.rollback()
    raise error


def submit(cert_id: int, user, expected_version, committed: bool) -> Certificate:
    """The entrant submits a draft or returned record to the first review level."""
    cert = _lock(cert_id, user)
    try:
        _check_version(cert, expected_version)
        if not is_entrant(cert, user):
            raise WorkflowError("只有本人或所在单位可以提交该记录")
        if cert.status not in ENTRY_STATUSES:
            raise WorkflowError(f"该记录当前为“{status_label(cert.status)}”，不需要再次提交")
        if not committed:
            raise WorkflowError("请先阅读并勾选诚信承诺，再提交")
        if cert.objection_open:
            raise WorkflowError("该记录有尚未处理完毕的公示异议，异议处理完成前不能提交")
        refusal = _blacklist_refusal(cert)
        if refusal:
            raise WorkflowError(refusal)
        campaign = campaign_of(cert)
        refusal = deadline_refusal(campaign, "person" if user.role == "person" else "unit_review")
        if refusal:
            raise WorkflowError(refusal)
        problems = check_scope({c: getattr(cert, c) for c in SCOPE_FIELDS}, scope_rules(campaign))
        if problems:
            raise WorkflowError("不能提交：" + "；".join(p.message for p in problems))
        path = review_path(cert.org)
        if not path:
            raise WorkflowError("该记录没有关联可以审核的工作单位，请联系单位经办人")
    except WorkflowError as error:
        _fail(error)
    before = cert.status
    cert.status = path[0][0]
    cert.submitted_at = utcnow()
    cert.return_reason = None
    if campaign is not None:
        cert.campaign_id = campaign.id
    _sign_and_commit(cert, "submit", user, reason=COMMITMENT_TEXT, diff={"status": [before, cert.status]})
    return cert


SCOPE_FIELDS = ("issue_date", "grant_date", "level", "obtain_method", "handling_status",
                "evaluation_region_code", "issuing_region_code")


def approve(cert_id: int, user, expected_version) -> Certificate:
    """审查确认: pass the record to the next level, or finally approve it at the province."""
    cert = _lock(cert_id, user)
    try:
        _check_version(cert, expected_version)
        level = user_level(user)
        if not can_act(cert, user):
            raise WorkflowError(f"该记录当前为“{status_label(cert.status)}”，不在您的审核环节")
        if cert.objection_open:
            raise WorkflowError("该记录有尚未处理完毕的公示异议，异议处理完成前不能审查确认")
        refusal = deadline_refusal(campaign_of(cert), level)
        if refusal:
            raise WorkflowError(refusal)
        if level == "unit_review":
            refusal = _blacklist_refusal(cert)
            if refusal:
                raise WorkflowError(refusal)
    except WorkflowError as error:
        _fail(error)
    statuses = [status for status, _ in review_path(cert.org)]
    before = cert.status
    position = statuses.index(level)
    if position == len(statuses) - 1:
        cert.status = "approved"
        cert.approved_at = utcnow()
        cert.verify_token = secrets.token_urlsafe(32)
    else:
        cert.status = statuses[position + 1]
    cert.return_reason = None
    _sign_and_commit(cert, "approve", user, diff={"status": [before, cert.status]})
    return cert


RETURN_REASON_MAX = 500


def send_back(cert_id: int, user, expected_version, reason: str, target: str,
              fix_fields: list[str] | None = None) -> Certificate:
    """退回: back to the entrant or to any lower review level, always with a reason."""
    cert = _lock(cert_id, user)
    reason = (reason or "").strip()
    try:
        _check_version(cert, expected_version)
        if not can_act(cert, user):
            raise WorkflowError(f"该记录当前为“{status_label(cert.status)}”，不在您的审核环节")
        if not reason:
            raise WorkflowError("退回必须填写原因，说明需要修改的内容")
        if len(reason) > RETURN_REASON_MAX:
            raise WorkflowError(f"退回原因不能超过{RETURN_REASON_MAX}字")
        if target not in dict(return_targets(cert, user)):
            raise WorkflowError("退回对象不正确：只能退回给填报人或本级以下的审核层级")
        if PHOTO_FIX in (fix_fields or []) and photo_locked_by_others(cert):
            raise WorkflowError("该人员的照片已随其他证书上报并锁定，本人无法重新上传，不能要求补充照片")
    except WorkflowError as error:
        _fail(error)
    before = cert.status
    cert.status = target
    cert.return_reason = reason
    diff = {"status": [before, target]}
    if fix_fields:
        diff["fix_fields"] = list(fix_fields)
    _sign_and_commit(cert, "return", user, reason=reason, diff=diff)
    return cert


@dataclass
class BulkResult:
    done: list[int]
    refused: list[tuple[int, str]]


def bulk_approve(items: list[tuple[int, str]], user) -> BulkResult:
    """Approve each (id, version the reviewer saw) on its own; one refusal does not stop the rest."""
    result = BulkResult([], [])
    for cert_id, version in items:
        try:
            approve(cert_id, user, version)
        except WorkflowError as error:
            result.refused.append((cert_id, error.message))
        else:
            result.done.append(cert_id)
    return result


def fix_fields_of_last_return(cert_id: int) -> list[str]:
    step = last_return(cert_id)
    if step is None or not step.diff:
        return []
    return list(step.diff.get("fix_fields") or [])


def trail(object_type: str, object_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id).order_by(AuditEntry.id)))


def evidence_of(person: Person) -> dict:
    """Evidence files of a person: {(certificate id or None, kind): EvidenceFile}."""
    files = db.session.scalars(select(EvidenceFile).where(EvidenceFile.person_id == person.id)
                               .order_by(EvidenceFile.id))
    return {(f.certificate_id, f.kind): f for f in files}
