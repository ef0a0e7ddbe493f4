"""The demo's annual evaluation: the city office's published plan for senior health titles, with
applications at every stage so each page has something to show.

The application stage runs around today, so the demo applicant (person_demo) can still edit
their draft; later stages follow in order.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.models import (Application, ChecklistItem, EvaluationPlan, EvaluationStage, Organization, Person,
                           User)
from portal.models._types import utcnow

DEMO_OFFICE, DEMO_COMMITTEE, DEMO_UNIT = "RZ-ZGB", "RZ-GCPW", "DG-RMYY"
DEMO_SERIES = "health_technician"
# Statuses the demo's other applicants are at, one each.
DEMO_STATUSES = ("unit_review", "county_review", "city_review", "returned", "withdrawn", "to_committee")


def _plan(office: Organization, committee: Organization) -> EvaluationPlan:
    today = clock.today()
    start = today.replace(month=1, day=1) if today.month == 1 else today - timedelta(days=20)
    spans = [("application", 0, 40), ("unit_review", 41, 60), ("department_review", 61, 80),
             ("committee", 90, 110), ("result_notice", 111, 120), ("confirmation", 121, 150)]
    return EvaluationPlan(
        org_id=office.id, region_code=office.region_code, year=start.year,
        title=f"日照市{start.year}年度卫生系列高级职称评审工作安排", series=DEMO_SERIES, levels="正高级,副高级",
        committee_id=committee.id, pass_rate=30, published_at=utcnow(),
        deployment_text="根据《职称评审管理暂行规定》（人社部令第40号），现将本年度卫生系列高级职称评审工作安排如下。\n"
                        "申报人通过所在单位申报，单位公示不少于5个工作日后出具推荐意见。",
        stages=[EvaluationStage(stage=key, start_date=start + timedelta(days=a), end_date=start + timedelta(days=b))
                for key, a, b in spans],
        checklist=[ChecklistItem(level=level, position=n, name=name, requirement=req)
                   for level in ("正高级", "副高级")
                   for n, (name, req) in enumerate((("职称申报评审表", "required"), ("任现职以来专业技术工作总结", "required"),
                                                   ("学历证书（学信网可查的免交）", "online"),
                                                   ("现职称证书（本平台可查的免交）", "online"),
                                                   ("其他业绩证明", "optional")), start=1)])


def ensure_demo_evaluation() -> None:
    office, committee, unit = (db.session.scalar(select(Organization).where(Organization.code == code))
                               for code in (DEMO_OFFICE, DEMO_COMMITTEE, DEMO_UNIT))
    if office is None or committee is None or unit is None:
        return
    if db.session.scalar(select(EvaluationPlan.id).where(EvaluationPlan.org_id == office.id,
                                                         EvaluationPlan.series == DEMO_SERIES)):
        return
    plan = _plan(office, committee)
    db.session.add(plan)
    db.session.flush()
    applicant = db.session.scalar(select(User).where(User.username == "person_demo"))
    others = list(db.session.scalars(select(Person).where(
        Person.org_id == unit.id, Person.id != (applicant.person_id if applicant else 0))
        .order_by(Person.id).limit(len(DEMO_STATUSES))))
    people = ([(applicant.person, "draft")] if applicant else []) + list(zip(others, DEMO_STATUSES))
    for person, status in people:
        db.session.add(Application(
            plan_id=plan.id, person_id=person.id, org_id=unit.id, unit_region_code=unit.region_code,
            committee_id=committee.id, year=plan.year, level="副高级", specialty="临床医学", route="ordinary",
            education="bachelor_graduate", public_hours=30, professional_hours=60, status=status,
            submitted_at=None if status == "draft" else utcnow(),
            resubmit_by=clock.today() + timedelta(days=10) if status == "returned" else None,
            return_items=["职称申报评审表"] if status == "returned" else None,
            return_reason="评审表缺单位盖章" if status == "returned" else None))
    db.session.commit()


def summary() -> dict | None:
    plan = db.session.scalar(select(EvaluationPlan).where(EvaluationPlan.series == DEMO_SERIES)
                             .order_by(EvaluationPlan.id).limit(1))
    if plan is None:
        return None
    counts = dict(db.session.execute(select(Application.status, func.count()).where(Application.plan_id == plan.id)
                                     .group_by(Application.status)).all())
    return {"plan_id": plan.id, "status_counts": counts, "applicant_account": "person_demo"}
