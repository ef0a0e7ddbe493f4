"""What the evaluation cycle prints and counts: the unit's recommendation sheet, each application's
评审表 (PDF with the materials' list), the applicants' register (申报人员汇总表, Excel) and the
progress per plan and unit. Everything is read within the user's scope."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from portal import clock
from portal.access import visibility
from portal.documents.evaluation_pdf import (HeldNoticeLine, RecommendationSheet, ReviewForm, ReviewFormStep,
                                             build_recommendation_pdf, build_review_form_pdf)
from portal.domain.evaluation import (ACHIEVEMENT_KINDS, PROGRESS_COLUMNS, RECOMMENDATION_ASPECTS, ROUTES,
                                      format_insurance_periods, progress_columns)
from portal.domain.idnumber import mask_id
from portal.evaluation import conditions
from portal.evaluation.applications import SLOTS, checklist_status
from portal.evaluation.review import unit_recommendation
from portal.evaluation.services import series_name
from portal.extensions import db
from portal.labels import action_label, code_label
from portal.models import Application, AuditEntry, NoticeEntry, Organization, PublicNotice
from portal.models.org import ORG_TYPES
from portal.notices.services import ENTRY_STATES, entry_states
from portal.workflow import trail

SIGNED_ACTIONS = ("evaluation_apply_submit", "evaluation_commitment", "evaluation_noticed", "evaluation_consent",
                  "evaluation_insurance", "evaluation_insurance_confirm", "evaluation_unit_recommend",
                  "evaluation_recommend", "evaluation_return", "objection_resolve")


def notice_lines(app: Application) -> list[HeldNoticeLine]:
    """The unit notices that listed the application, with how each ended (or that it runs)."""
    rows = db.session.execute(
        select(PublicNotice, NoticeEntry.id).join(NoticeEntry, NoticeEntry.notice_id == PublicNotice.id)
        .where(NoticeEntry.application_id == app.id, PublicNotice.kind == "applications")
        .order_by(PublicNotice.id)).all()
    lines = []
    for notice, entry_id in rows:
        state = entry_states(notice).get(entry_id, "listed")
        lines.append(HeldNoticeLine(title=notice.title + ("（补充公示）" if notice.supplementary else ""),
                                    start=notice.start_date, end=notice.end_date, result=ENTRY_STATES[state]))
    return lines


def recommendation_pdf(app: Application) -> bytes | None:
    """The unit's recommendation sheet, once its reviewer has signed the recommendation."""
    entry = unit_recommendation(app)
    if entry is None:
        return None
    opinion = (entry.diff or {}).get("opinion") or app.opinion or {}
    return build_recommendation_pdf(RecommendationSheet(
        plan_title=app.plan.title, person_name=app.person.name, unit_name=app.org.name if app.org else "",
        series=series_name(app.plan.series), level=app.level + (f"（{app.title_name}）" if app.title_name else ""),
        specialty=app.specialty,
        route=ROUTES.get(app.route, app.route),
        recommender_kind=ORG_TYPES.get(app.org.type, "") if app.org else "",
        opinion=[(name, opinion.get(key, "")) for key, name in RECOMMENDATION_ASPECTS.items() if opinion.get(key)],
        interview_date=app.interview_date, interview_experts=app.interview_experts or "",
        notices=notice_lines(app), signer_name=entry.actor_name, signer_org=entry.actor_org_name or "",
        signed_at=entry.at, trail_hash=f"#{entry.id} {entry.hash}"))


def _current_title(app: Application) -> str:
    cert = app.current_certificate
    if cert is not None:
        return f"{cert.level} {cert.title_name}（本平台证书 {cert.cert_no or '无编号'}，在线核验）"
    if app.current_level:
        return f"{app.current_level} {app.current_title_name or ''}（上传证书材料）"
    return "无"


def review_form_pdf(app: Application) -> bytes:
    """The application's 评审表 with the materials' list and the signed steps so far."""
    person = app.person
    materials = []
    for item, material in checklist_status(app):
        if material is not None:
            provided = f"已提供：{material.evidence.filename}"
        elif item.requirement == "online":
            provided = "在线共享核验，免交"
        else:
            provided = "未提供"
        materials.append((item.name, item.requirement_label, provided))
    for m in app.materials:
        if m.slot:
            materials.append((SLOTS.get(m.slot, m.slot), "申报人证明材料", f"已提供：{m.evidence.filename}"))
    if app.insurance is not None and app.insurance.evidence is not None:
        materials.append(("社会保险缴费记录", "单位上传", f"已提供：{app.insurance.evidence.filename}"))
    if app.commitment_document is not None:
        materials.append(("个人真实性承诺书", "平台签章", f"编号 {app.commitment_document.number}"))
    facts = conditions.insurance_facts(app)
    if facts is None:
        insurance = "不适用"
    else:
        text = format_insurance_periods(facts.periods).replace("\n", "；") or "未录入"
        insurance = f"{text}（{'已经职改部门确认' if facts.confirmed else '待确认'}）"
    steps = [ReviewFormStep(at=e.at, org=e.actor_org_name or ("本人" if e.actor_role == "person" else ""),
                            actor=e.actor_name, action=action_label(e.action), note=e.reason or "")
             for e in trail("evaluation_application", app.id) if e.action in SIGNED_ACTIONS]
    hours = ""
    if app.public_hours is not None or app.professional_hours is not None:
        hours = f"公需科目{app.public_hours or 0}学时，专业科目{app.professional_hours or 0}学时"
    return build_review_form_pdf(ReviewForm(
        plan_title=app.plan.title, committee=app.plan.committee.name, person_name=person.name, sex=person.sex or "",
        birth_date=person.birth_date, id_number_masked=mask_id(person.id_number),
        unit_name=app.org.name if app.org else "", series=series_name(app.plan.series),
        level=app.level + (f"（{app.title_name}）" if app.title_name else ""), specialty=app.specialty, route=ROUTES.get(app.route, app.route), current_title=_current_title(app),
        education=code_label(app.education, "education") if app.education else "", chsi_no=app.chsi_no or "",
        work_history=app.work_history or "", hours=hours, social_insurance=insurance,
        status=code_label(app.status, "status"),
        achievements=[(ACHIEVEMENT_KINDS.get(a.kind, a.kind), a.title, str(a.year or ""),
                       a.evidence.filename if a.evidence else "") for a in app.achievements],
        materials=materials,
        opinion=[(name, (app.opinion or {}).get(key, "")) for key, name in RECOMMENDATION_ASPECTS.items()
                 if (app.opinion or {}).get(key)],
        steps=steps))


# ---------------------------------------------------------------- register (申报人员汇总表)

REGISTER_HEADERS = ("序号", "姓名", "性别", "出生日期", "证件号码", "申报单位", "申报系列", "申报级别", "申报专业",
                    "申报方式", "现职称", "学历", "学历证书编号", "继续教育学时", "社保缴纳", "单位公示", "状态",
                    "提交日期")


def register_rows(plan, user, *, committee_only: bool = False):
    """The applicants of a plan the user may see (not drafts); `committee_only`: those sent to the
    committee, the register the committee receives."""
    stmt = (select(Application).where(Application.plan_id == plan.id, visibility(Application, user),
                                      Application.status != "draft")
            .join(Organization, Organization.id == Application.org_id, isouter=True)
            .order_by(Organization.name, Application.level, Application.id))
    if committee_only:
        stmt = stmt.where(Application.status == "to_committee")
    for n, app in enumerate(db.session.scalars(stmt), start=1):
        person = app.person
        notices = notice_lines(app)
        facts = conditions.insurance_facts(app)
        yield (n, person.name, person.sex or "", person.birth_date, mask_id(person.id_number),
               app.org.name if app.org else "", series_name(plan.series), app.level, app.specialty,
               ROUTES.get(app.route, app.route), _current_title(app),
               code_label(app.education, "education") if app.education else "", app.chsi_no or "",
               (app.public_hours or 0) + (app.professional_hours or 0),
               "不适用" if facts is None else ("已确认" if facts.confirmed else "待确认"),
               notices[-1].result if notices else "未公示", code_label(app.status, "status"), app.applied_on)


# ---------------------------------------------------------------- progress


def progress(plan_id: int, user) -> tuple[list[tuple[str, str]], list[tuple[str, dict[str, int]]], dict[str, int]]:
    """Per applying unit within the user's scope: applied, noticed, recommended, at each level,
    returned, withdrawn (a return past its deadline counts as withdrawn). Returns the columns shown
    ((key, label)), the rows per unit and the totals."""
    apps = list(db.session.execute(
        select(Application.id, Application.status, Application.resubmit_by, Application.applied_on,
               Organization.name)
        .join(Organization, Organization.id == Application.org_id)
        .where(Application.plan_id == plan_id, visibility(Application, user))).all())
    ids = [a.id for a in apps]
    noticed = set(db.session.scalars(
        select(NoticeEntry.application_id).join(PublicNotice, PublicNotice.id == NoticeEntry.notice_id)
        .where(NoticeEntry.application_id.in_(ids), PublicNotice.kind == "applications"))) if ids else set()
    recommended = set(db.session.scalars(select(AuditEntry.object_id).where(
        AuditEntry.object_type == "evaluation_application", AuditEntry.object_id.in_(ids),
        AuditEntry.action == "evaluation_unit_recommend"))) if ids else set()
    today = clock.today()
    by_unit: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for a in apps:
        for column in progress_columns(a.status, a.resubmit_by, today, applied=a.applied_on is not None,
                                       noticed=a.id in noticed, recommended=a.id in recommended):
            by_unit[a.name][column] += 1
            totals[column] += 1
        by_unit[a.name]["all"] += 1
        totals["all"] += 1
    fixed = ("applied", "noticed", "recommended", "returned", "withdrawn")
    columns = [(key, label) for key, label in PROGRESS_COLUMNS.items() if key in fixed or totals.get(key)]
    return columns, sorted(((name, dict(counts)) for name, counts in by_unit.items())), dict(totals)
