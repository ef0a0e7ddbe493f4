"""Conditions of an application checked besides its own form: the social-insurance record the
unit enters and an office confirms (社保缴纳), and a talent centre's consent to take on a
freelancer's application (人才服务/档案托管机构同意受理). The rules are portal/domain/evaluation.py's."""
from __future__ import annotations

from datetime import date

from portal import audit, clock
from portal.domain.evaluation import (InsuranceFacts, InsurancePeriod, consent_problems, insurance_problems,
                                      insurance_rule, parse_insurance_periods)
from portal.domain.problems import Problem, error
from portal.extensions import db
from portal.evaluation.applications import store_material
from portal.models import Application, SocialInsuranceRecord
from portal.models._types import utcnow
from portal.models.org import OFFICE_TYPES
from portal.workflow import WorkflowError, user_level

# While the unit still holds the application it may enter or correct the record.
UNIT_STAGES = ("draft", "returned", "unit_review")


def is_freelancer(app: Application) -> bool:
    """Applying through a talent centre (人才服务/档案托管机构) rather than an employer."""
    return app.org is not None and app.org.type == "talent_center"


def unit_nature(app: Application) -> str | None:
    return app.person.unit_nature or (app.org.nature if app.org is not None else None)


def rule_of(app: Application) -> str | None:
    return insurance_rule(unit_nature(app), is_freelancer(app))


def periods_of(record: SocialInsuranceRecord | None) -> list[InsurancePeriod]:
    if record is None:
        return []
    out = []
    for p in record.periods or []:
        (sy, sm), (ey, em) = (map(int, p["start"].split("-")), map(int, p["end"].split("-")))
        out.append(InsurancePeriod(date(sy, sm, 1), date(ey, em, 1), p["unit"]))
    return out


def insurance_facts(app: Application) -> InsuranceFacts | None:
    rule = rule_of(app)
    if rule is None:
        return None
    record = app.insurance
    return InsuranceFacts(rule=rule, applied_on=app.applied_on or clock.today(), periods=periods_of(record),
                          applying_unit=app.org.name if app.org is not None else "",
                          statement=record is not None and record.evidence_id is not None,
                          confirmed=record is not None and record.confirmed_at is not None)


def unit_problems(app: Application) -> list[Problem]:
    """What the unit must have done before recommending: the talent centre's consent, the record."""
    return (consent_problems(is_freelancer(app), app.consent_at is not None)
            + insurance_problems(insurance_facts(app), need_confirmation=False))


def may_enter(app: Application, user) -> bool:
    return (user_level(user) == "unit_review" and user.org_id is not None and user.org_id == app.org_id
            and app.status in UNIT_STAGES)


def may_confirm(app: Application, user) -> bool:
    """An office holding the application at its level confirms the record."""
    from portal.evaluation.review import can_act

    return user.org is not None and user.org.type in OFFICE_TYPES and can_act(app, user)


def enter_insurance(app: Application, text: str, filename: str | None, data: bytes | None, user) -> list[Problem]:
    """The unit enters the months and the paying unit, with the statement (checked as any evidence)."""
    if not may_enter(app, user):
        raise WorkflowError("只有申报单位可以在推荐前录入社保缴纳记录")
    periods, problems = parse_insurance_periods(text)
    if problems:
        return problems
    if not periods:
        return [error("insurance_periods", "insurance_empty", "请填写社保缴纳记录，每行一段：起始年月 至 截止年月 缴费单位")]
    record = app.insurance or SocialInsuranceRecord(application_id=app.id, periods=[])
    diff = {"periods": [record.periods or None, [f"{p.start:%Y-%m}～{p.end:%Y-%m} {p.unit}" for p in periods]]}
    if data:
        evidence = store_material(app, filename or "", data, user, default_name="社保缴费记录.pdf")
        record.evidence_id = evidence.id
        diff |= {"filename": evidence.filename, "sha256": evidence.sha256}
    record.periods = [{"start": f"{p.start:%Y-%m}", "end": f"{p.end:%Y-%m}", "unit": p.unit} for p in periods]
    record.entered_by_id, record.entered_at = user.id, utcnow()
    record.confirmed_by_id = record.confirmed_at = None  # a changed record is confirmed anew
    if app.insurance is None:
        app.insurance = record
    audit.record("evaluation_insurance", "evaluation_application", app.id, actor=user, diff=diff)
    db.session.commit()
    return []


def confirm_insurance(app: Application, user) -> list[Problem]:
    if not may_confirm(app, user):
        raise WorkflowError("该申报不在您的审核环节，不能确认社保缴纳记录")
    problems = insurance_problems(insurance_facts(app), need_confirmation=False)
    if app.insurance is None:
        raise WorkflowError("申报单位尚未录入社保缴纳记录")
    if problems:
        return problems
    app.insurance.confirmed_by_id, app.insurance.confirmed_at = user.id, utcnow()
    audit.record("evaluation_insurance_confirm", "evaluation_application", app.id, actor=user,
                 diff={"periods": [None, [f"{p['start']}～{p['end']} {p['unit']}" for p in app.insurance.periods]]})
    db.session.commit()
    return []


def record_consent(app: Application, user) -> None:
    """The talent centre takes the freelancer's application on (its archive holds the person)."""
    if not (is_freelancer(app) and user_level(user) == "unit_review" and user.org_id == app.org_id):
        raise WorkflowError("只有受理该申报的人才服务/档案托管机构可以确认同意受理")
    if app.consent_at is not None:
        return
    app.consent_at, app.consent_by_id = utcnow(), user.id
    audit.record("evaluation_consent", "evaluation_application", app.id, actor=user,
                 reason="申报人档案由本机构托管，同意受理其职称申报并出具推荐")
    db.session.commit()
