"""Applications (申报) under a published plan: a person applies through their unit.

The rules are portal/domain/evaluation.py's; this module gathers the facts they need from the
database (approved certificates, blacklist, other applications this year, uploaded proofs) and
saves, signs and submits. Files are checked as every evidence file is (portal/uploads.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from portal import audit, clock, uploads
from portal.access import scoped
from portal.domain.evaluation import (ACHIEVEMENT_KINDS, EXAM_ONLY_LEVELS, ApplicationFacts, ProcedureFacts,
                                      application_problems, eligibility_problems, missing_items,
                                      past_resubmit_deadline)
from portal.domain.problems import Problem, error, has_errors
from portal.domain.regions import SUBTREE_DIGITS
from portal.extensions import db
from portal.models import (Achievement, Application, ApplicationMaterial, Certificate, CodeItem, EvaluationPlan,
                           EvidenceFile, Person)
from portal.models._types import utcnow
from portal.workflow import COMMITMENT_TEXT, WorkflowError, blacklist_flags, review_path

EDITABLE = ("draft", "returned")
# The application's own proofs, besides the plan's checklist items.
SLOTS = {
    "current_title": "现有职称证书材料",
    "education_scan": "学历证书或学历认证材料（学信网查询不到时）",
    "exceptional_evidence": "达到破格条件的证明材料",
    "entrusting_letter": "委托评审函",
}


@dataclass
class ApplicationInput:
    level: str
    specialty: str
    route: str
    exceptional_condition: str | None
    current_certificate_id: int | None
    current_level: str | None
    current_title_name: str | None
    education: str | None
    chsi_no: str | None
    work_history: str | None
    public_hours: int | None
    professional_hours: int | None
    title_name: str | None = None


def title_choices(series: str, level: str) -> list[str]:
    """The code table's titles of a series at a level, in the table's order."""
    return list(db.session.scalars(select(CodeItem.name).where(
        CodeItem.kind == "title_name", CodeItem.series == series, CodeItem.level == level, CodeItem.active)
        .order_by(CodeItem.sort, CodeItem.id)))


def open_plans(person: Person) -> list[EvaluationPlan]:
    """Published plans of the offices over the person's unit region."""
    region = person.unit_region_code or ""
    plans = db.session.scalars(select(EvaluationPlan).where(EvaluationPlan.published_at.is_not(None))
                               .order_by(EvaluationPlan.year.desc(), EvaluationPlan.id))
    return [p for p in plans
            if region[:SUBTREE_DIGITS.get(p.org.type, 6)] == p.region_code[:SUBTREE_DIGITS.get(p.org.type, 6)]]


def my_applications(user) -> list[Application]:
    return list(db.session.scalars(scoped(Application, user).order_by(Application.id.desc())))


def approved_certificates(person: Person) -> list[Certificate]:
    """The person's own approved certificates: picking one needs no paper (在线审验、查询共享)."""
    return list(db.session.scalars(select(Certificate).where(
        Certificate.person_id == person.id, Certificate.status == "approved").order_by(Certificate.issue_date)))


def _slots_provided(app: Application) -> set[str]:
    return {m.slot for m in app.materials if m.slot}


def checklist_status(app: Application) -> list[tuple]:
    """The plan's checklist for the applied level, item by item: (item, material or None)."""
    provided = {m.checklist_item_id: m for m in app.materials if m.checklist_item_id}
    return [(item, provided.get(item.id)) for item in app.plan.checklist if item.level == app.level]


def missing_checklist(app: Application) -> list:
    items = [item for item in app.plan.checklist if item.level == app.level]
    return missing_items(items, {m.checklist_item_id for m in app.materials if m.checklist_item_id})


def _same_level_count(person_id: int, year: int, level: str, except_id: int | None) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.person_id == person_id, Application.year == year, Application.level == level,
        Application.id != (except_id or 0))) or 0


def facts(plan: EvaluationPlan, person: Person, values: ApplicationInput, app: Application | None,
          on=None) -> ApplicationFacts:
    """The facts of the rules; `on` is the day they are judged on (today, or the day of application
    when an office checks the basic conditions later)."""
    stages = plan.stage_dates()
    slots = _slots_provided(app) if app is not None else set()
    current = db.session.get(Certificate, values.current_certificate_id) if values.current_certificate_id else None
    unit = person.org
    return ApplicationFacts(
        today=on or clock.today(), plan_year=plan.year, plan_levels=plan.level_list,
        application_window=stages.get("application", (None, None)), level=values.level, route=values.route,
        birth_date=person.birth_date, sex=person.sex,
        retirement_ages=current_app.config["EVALUATION_RETIREMENT_AGES"], unit_nature=person.unit_nature,
        transition_exception=bool(unit is not None and unit.civil_service_transition),
        blacklisted=bool(blacklist_flags(person.id, None)),
        same_level_applications=_same_level_count(person.id, plan.year, values.level, app.id if app else None),
        exam_only_level=(plan.series, values.level) in EXAM_ONLY_LEVELS,
        current_level=current.level if current is not None else values.current_level,
        current_title_has_proof=current is not None or "current_title" in slots,
        exceptional_condition=values.exceptional_condition,
        exceptional_evidence="exceptional_evidence" in slots, entrusting_letter="entrusting_letter" in slots,
        chsi_no=values.chsi_no, education_scan="education_scan" in slots,
        public_hours=values.public_hours, professional_hours=values.professional_hours,
        title_name=values.title_name, title_choices=title_choices(plan.series, values.level))


def own_certificate_problems(person: Person, values: ApplicationInput) -> list[Problem]:
    if values.current_certificate_id is None:
        return []
    if values.current_certificate_id not in {c.id for c in approved_certificates(person)}:
        return [error("current_certificate_id", "not_own_certificate", "请从本人已审核通过的职称证书中选择")]
    return []


def check_draft(plan, person, values, app=None) -> list[Problem]:
    """Saving a draft: who may apply, for what. The rest is asked only when submitting."""
    return eligibility_problems(facts(plan, person, values, app)) + own_certificate_problems(person, values)


def check_submission(app: Application) -> list[Problem]:
    values = input_of(app)
    problems = application_problems(facts(app.plan, app.person, values, app, on=application_day(app)))
    problems += own_certificate_problems(app.person, values)
    for item in missing_checklist(app):
        problems.append(error(f"checklist_{item.id}", "checklist_missing", f"尚未提供清单材料：{item.name}"))
    return problems


def application_day(app: Application):
    """The day of application (its first submission): the basic conditions are judged on it."""
    return app.applied_on or clock.today()


def procedure_facts(app: Application) -> ProcedureFacts:
    """Everything the plan's office checks, gathered from the database (notices, checklist, rules)."""
    from portal.evaluation import conditions
    from portal.notices.services import held_notices

    return ProcedureFacts(
        today=clock.today(), level=app.level, freelancer=app.org is not None and app.org.type == "talent_center",
        notices=held_notices(app.id, "applications"),
        changed_at=clock.in_china(app.content_changed_at) if app.content_changed_at else None,
        opinion=app.opinion, interview_date=app.interview_date, interview_experts=app.interview_experts,
        missing_checklist=[item.name for item in missing_checklist(app)],
        basic=facts(app.plan, app.person, input_of(app), app, on=application_day(app)),
        insurance=conditions.insurance_facts(app), consent=not conditions.is_freelancer(app) or app.consent_at is not None,
        commitment=commitment_current(app))


def input_of(app: Application) -> ApplicationInput:
    return ApplicationInput(**{key: getattr(app, key) for key in ApplicationInput.__dataclass_fields__})


def _apply(app: Application, values: ApplicationInput) -> dict:
    diff = {}
    for key in ApplicationInput.__dataclass_fields__:
        before, after = getattr(app, key), getattr(values, key)
        if before != after:
            diff[key] = [before, after]
            setattr(app, key, after)
    if app.current_certificate_id is not None:
        # A portal certificate speaks for itself: the typed title is not kept beside it.
        app.current_level = app.current_title_name = None
    if diff:
        app.content_changed_at = utcnow()
    return diff


def create(plan: EvaluationPlan, person: Person, values: ApplicationInput, user) -> Application:
    app = Application(plan=plan, person_id=person.id, org_id=person.org_id, unit_region_code=person.unit_region_code,
                      committee_id=plan.committee_id, year=plan.year, status="draft", achievements=[], materials=[])
    diff = _apply(app, values)
    db.session.add(app)
    db.session.flush()
    audit.record("evaluation_apply_create", "evaluation_application", app.id,
                 diff={key: [None, change[1]] for key, change in diff.items()}, actor=user)
    db.session.commit()
    return app


def edit_refusal(app: Application, user) -> str | None:
    if user.role != "person" or app.person_id != user.person_id:
        return "只有申报人本人可以修改申报材料"
    if app.status not in EDITABLE:
        return "申报已提交，不能修改；如需修改，请联系单位退回"
    return None


def update(app: Application, values: ApplicationInput, user) -> dict:
    diff = _apply(app, values)
    if diff:
        audit.record("evaluation_apply_update", "evaluation_application", app.id, diff=diff, actor=user)
    db.session.commit()
    return diff


def store_material(app: Application, filename: str, data: bytes, user, default_name: str = "申报材料.pdf") -> EvidenceFile:
    """A file given for the application, checked as any evidence and stored under the applicant."""
    try:
        checked = uploads.check_file("application_material", filename, data)
    except uploads.UploadRejected as rejected:
        raise WorkflowError(f"“{filename or '所选文件'}”未上传：{rejected}") from None
    stored = uploads.store(data, checked)
    safe_name = re.sub(r'[\x00-\x1f"\\/]', "_", filename or "")[-120:] or default_name
    evidence = EvidenceFile(person_id=app.person_id, kind="application_material", filename=safe_name,
                            content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                            storage_path=stored, uploaded_by_id=user.id)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def attach(app: Application, target: str, filename: str, data: bytes, user) -> EvidenceFile:
    """Provide a file for a checklist item ("item-<id>") or one of SLOTS; it replaces the earlier one."""
    refusal = edit_refusal(app, user)
    if refusal:
        raise WorkflowError(refusal)
    item_id, slot = None, None
    if target.startswith("item-") and target[5:].isdigit():
        item_id = int(target[5:])
        if item_id not in {i.id for i in app.plan.checklist if i.level == app.level}:
            raise WorkflowError("该材料不在本级别的申报材料清单中")
    elif target in SLOTS:
        slot = target
    else:
        raise WorkflowError("材料类型不正确")
    evidence = store_material(app, filename, data, user)
    for old in [m for m in app.materials if m.checklist_item_id == item_id and m.slot == slot]:
        app.materials.remove(old)
    db.session.flush()
    app.materials.append(ApplicationMaterial(checklist_item_id=item_id, slot=slot, evidence_id=evidence.id))
    app.content_changed_at = utcnow()
    audit.record("evaluation_apply_material", "evaluation_application", app.id,
                 diff={"kind": target, "filename": evidence.filename, "sha256": evidence.sha256, "size": evidence.size},
                 actor=user)
    db.session.commit()
    return evidence


def add_achievement(app: Application, kind: str, title: str, year: int | None, filename: str, data: bytes,
                    user) -> Achievement:
    refusal = edit_refusal(app, user)
    if refusal:
        raise WorkflowError(refusal)
    if kind not in ACHIEVEMENT_KINDS:
        raise WorkflowError("请选择业绩成果类型：论文著作、科研项目、获奖或专业技术报告")
    if not title.strip():
        raise WorkflowError("请填写业绩成果名称")
    evidence = store_material(app, filename, data, user)
    achievement = Achievement(kind=kind, title=title.strip()[:200], year=year, evidence_id=evidence.id)
    app.achievements.append(achievement)
    app.content_changed_at = utcnow()
    audit.record("evaluation_apply_achievement", "evaluation_application", app.id,
                 diff={"kind": kind, "filename": evidence.filename, "sha256": evidence.sha256}, actor=user)
    db.session.commit()
    return achievement


def commitment_current(app: Application) -> bool:
    """A truthfulness commitment letter is linked and was signed after the last change."""
    doc = app.commitment_document
    if doc is None:
        return False
    return app.content_changed_at is None or clock.in_china(doc.created_at) >= clock.in_china(app.content_changed_at)


def sign_commitment(app: Application, user):
    """Issue the individual truthfulness letter (portal/letters) over this application and link it."""
    from portal.letters.services import LetterError, issue_individual_letter

    try:
        doc = issue_individual_letter(user, application=app)
    except LetterError as exc:
        raise WorkflowError(str(exc)) from None
    app = db.session.get(Application, app.id)
    app.commitment_document_id = doc.id
    audit.record("evaluation_commitment", "evaluation_application", app.id, actor=user,
                 reason=COMMITMENT_TEXT, diff={"number": doc.number, "sha256": doc.sha256})
    db.session.commit()
    return doc


def submit(app: Application, committed: bool, user) -> list[Problem]:
    """Submit to the unit with the signed truthfulness commitment; returns the problems that stop it.

    Ticking the commitment issues the individual letter over the application (unless a letter signed
    since the last change is linked already); without a current letter nothing is submitted.
    """
    refusal = edit_refusal(app, user)
    if refusal:
        raise WorkflowError(refusal)
    if app.status == "returned" and past_resubmit_deadline(app.resubmit_by, clock.today()):
        app.status = "withdrawn"
        audit.record("evaluation_withdrawn", "evaluation_application", app.id, actor=user,
                     diff={"status": ["returned", "withdrawn"], "resubmit_by": app.resubmit_by.isoformat()})
        db.session.commit()
        raise WorkflowError(f"补正期限（{app.resubmit_by.isoformat()}）已过，本申报视为撤回")
    problems = check_submission(app)
    if not committed:
        problems.append(error("commitment", "commitment_required", "请阅读并勾选真实性承诺后再提交"))
    elif not has_errors(problems) and not commitment_current(app):
        sign_commitment(app, user)
        app = db.session.get(Application, app.id)
    if not commitment_current(app):
        problems.append(error("commitment", "commitment_letter", "提交前须签署本次申报的真实性承诺书"))
    if has_errors(problems):
        db.session.rollback()
        return problems
    before = app.status
    app.status, app.submitted_at = review_path(app.org)[0][0], utcnow()
    app.applied_on = app.applied_on or clock.today()
    app.return_items = app.return_reason = app.resubmit_by = None
    audit.record("evaluation_apply_submit", "evaluation_application", app.id, reason=COMMITMENT_TEXT,
                 diff={"status": [before, app.status], "number": app.commitment_document.number}, actor=user)
    db.session.commit()
    return []
