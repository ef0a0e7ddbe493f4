"""The demo's annual evaluation: the city office's published plan for senior health titles, with
applications at every stage so each page has something to show.

The application stage runs around today, so the demo applicant (person_demo) can still edit
their draft; later stages follow in order. The hospital's applicants past the unit were listed on
a closed unit notice and carry the unit's signed recommendation; the one waiting at the unit is on
an open notice. A school doctor of the first middle school waits at the education bureau.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from portal import audit, clock, uploads
from portal.domain.idnumber import build_resident_id
from portal.extensions import db
from portal.models import (Application, ApplicationMaterial, Certificate, ChecklistItem, EvaluationPlan,
                           EvaluationStage, EvidenceFile, Expert, Organization, Person, User)
from portal.models._types import utcnow

DEMO_OFFICE, DEMO_COMMITTEE, DEMO_UNIT, DEMO_SCHOOL = "RZ-ZGB", "RZ-GCPW", "DG-RMYY", "RZ-YZ"
DEMO_SERIES = "health_technician"
# Statuses the demo's other applicants of the hospital are at, one each; a school doctor of the
# city's first middle school waits at the education bureau (主管部门).
DEMO_STATUSES = ("unit_review", "county_review", "city_review", "returned", "withdrawn", "to_committee")
OPINION = {"morality": "拥护党的路线方针政策，恪守医德", "performance": "近五年年度考核均为合格以上",
           "expertise": "熟练掌握本专业理论知识", "ability": "能独立处理本专业复杂疑难问题", "attitude": "认真负责，服务热情"}


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


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


APPLICANT_NAMES = ("刘思远", "陈晓东", "杨雪梅", "黄立新", "周佳怡", "吴浩然", "郑春林")


def _applicant(org: Organization, name: str, n: int) -> Person:
    birth = date(1982 + n % 6, 1 + n, 10 + n)
    id_number = build_resident_id(org.region_code, birth, 800 + 2 * n + 1)
    person = db.session.scalar(select(Person).where(Person.id_type == "resident_id", Person.id_number == id_number))
    if person is None:
        person = Person(name=name, sex="男", id_type="resident_id", id_number=id_number, id_tail=id_number[-4:],
                        birth_date=birth, org_id=org.id, unit_region_code=org.region_code, employer_name=org.name,
                        unit_nature=org.nature)
        db.session.add(person)
        db.session.flush()
    return person


def _blank_pdf() -> bytes:
    """A one-page blank PDF standing for a scanned material."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _materials(app: Application, plan: EvaluationPlan) -> None:
    """The required checklist items and, without a portal certificate, the current title's scan."""
    data = _blank_pdf()
    checked = uploads.check_file("application_material", "材料.pdf", data)
    stored = uploads.store(data, checked)
    wanted = [(item.id, None, f"{item.name}.pdf") for item in plan.checklist
              if item.level == app.level and item.requirement == "required"]
    if app.current_certificate_id is None:
        wanted.append((None, "current_title", "主治医师资格证书.pdf"))
    for item_id, slot, name in wanted:
        evidence = EvidenceFile(person_id=app.person_id, kind="application_material", filename=name,
                                content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                                storage_path=stored)
        db.session.add(evidence)
        db.session.flush()
        app.materials.append(ApplicationMaterial(checklist_item_id=item_id, slot=slot, evidence_id=evidence.id))


def _submitted(app: Application, status: str) -> None:
    """What a submitted application carries: the day of application, and past the unit its signed
    recommendation (opinion, interview)."""
    app.applied_on = clock.today() - timedelta(days=15)
    app.submitted_at = utcnow()
    if status not in ("unit_review", "draft"):
        app.opinion = dict(OPINION)
        app.interview_date = clock.today() - timedelta(days=12)
        app.interview_experts = "王立新、刘建华、陈思远"


def _notice(unit: Organization, apps: list[Application], start, title: str) -> None:
    from portal.notices import services as notices

    reviewer = _user("unit_demo" if unit.code == DEMO_UNIT else "unit2_demo")
    if reviewer is None or not apps:
        return
    notices.publish_application_notice(unit, apps, "applications", notices.PublishRequest(
        title=title, body=f"经{unit.name}审核，现将以下人员的职称申报情况予以公示。",
        contact=f"{unit.name}人事科 0633-8221234", start_date=start, days=5), actor=reviewer)


def _commit_letters(apps: list[Application]) -> None:
    """Each submitted applicant's truthfulness letter over the application, as their own submission
    issues it (they confirm it under their real-name account; the demo stands in for them)."""
    from types import SimpleNamespace

    from portal.letters.services import LetterError, issue_individual_letter

    for app in apps:
        person = app.person
        stand_in = SimpleNamespace(id=None, is_authenticated=True, role="person", person_id=person.id,
                                   display_name=person.name, org_id=None, org=None)
        try:
            doc = issue_individual_letter(stand_in, application=app)
        except LetterError:
            db.session.rollback()
            continue
        app.commitment_document_id = doc.id
    db.session.commit()


def _sign_recommendations(apps: list[Application]) -> None:
    for app in apps:
        reviewer = _user("unit_demo" if app.org.code == DEMO_UNIT else "unit2_demo")
        audit.record("evaluation_unit_recommend", "evaluation_application", app.id, actor=reviewer,
                     reason=f"经本单位审核、公示，同意推荐（{reviewer.display_name}签署）",
                     diff={"opinion": app.opinion})
    db.session.commit()


def ensure_demo_evaluation() -> None:
    office, committee, unit, school = (db.session.scalar(select(Organization).where(Organization.code == code))
                                       for code in (DEMO_OFFICE, DEMO_COMMITTEE, DEMO_UNIT, DEMO_SCHOOL))
    if office is None or committee is None or unit is None:
        return
    if db.session.scalar(select(EvaluationPlan.id).where(EvaluationPlan.org_id == office.id,
                                                         EvaluationPlan.series == DEMO_SERIES)):
        return
    plan = _plan(office, committee)
    db.session.add(plan)
    db.session.flush()
    applicant = _user("person_demo")
    # The demo's certificate holders are near retirement: the applicants are people of their own.
    others = [_applicant(unit, name, n) for n, name in enumerate(APPLICANT_NAMES[:len(DEMO_STATUSES)])]
    people = ([(applicant.person, "draft")] if applicant else []) + list(zip(others, DEMO_STATUSES))
    if school is not None:
        people.append((_applicant(school, APPLICANT_NAMES[-1], len(APPLICANT_NAMES)), "department_review"))
    apps: list[Application] = []
    for person, status in people:
        org = person.org
        app = Application(
            plan_id=plan.id, person_id=person.id, org_id=org.id, unit_region_code=org.region_code,
            committee_id=committee.id, year=plan.year, level="副高级", title_name="副主任医师",
            specialty="临床医学" if org.id == unit.id else "全科医学（校医）", route="ordinary",
            education="bachelor_graduate", chsi_no="105611200905000123", public_hours=30, professional_hours=60,
            status=status, materials=[], achievements=[],
            resubmit_by=clock.today() + (timedelta(days=10) if status == "returned" else timedelta(days=-3))
            if status in ("returned", "withdrawn") else None,
            return_items=["职称申报评审表"] if status in ("returned", "withdrawn") else None,
            return_reason="评审表缺单位盖章" if status in ("returned", "withdrawn") else None)
        held = db.session.scalar(select(Certificate.id).where(
            Certificate.person_id == person.id, Certificate.status == "approved", Certificate.level == "中级")
            .limit(1))
        if held is not None:
            app.current_certificate_id = held
        else:
            app.current_level, app.current_title_name = "中级", "主治医师"
        db.session.add(app)
        if status != "draft":
            _submitted(app, status)
            _materials(app, plan)
        apps.append(app)
    db.session.commit()
    # The unit notices: closed ones for those the units recommended, an open one for the waiting applicant.
    past = [a for a in apps if a.status not in ("draft", "unit_review")]
    waiting = [a for a in apps if a.status == "unit_review"]
    start = clock.today() - timedelta(days=14)
    _notice(unit, [a for a in past if a.org_id == unit.id], start, f"{unit.name}{plan.year}年度卫生高级职称申报人员公示")
    if school is not None:
        _notice(school, [a for a in past if a.org_id == school.id], start,
                f"{school.name}{plan.year}年度卫生高级职称申报人员公示")
    _notice(unit, waiting, clock.today(), f"{unit.name}{plan.year}年度卫生高级职称申报人员公示（第二批）")
    _sign_recommendations([a for a in past if a.status != "withdrawn" or a.opinion])
    if current_app.config.get("DEMO_COMMITMENT_LETTERS", True):
        _commit_letters([a for a in apps if a.status != "draft"])


# The completed cycle: the committee's agriculture plan, its meeting, result notice and confirmation
# (part 2), so every later stage has something to show. Statuses of its applicants, one each.
DONE_SERIES = "agriculture"  # a series no test fixture plans, whatever the year
DONE_OUTCOMES = (("confirmed", (6, 0, 0)), ("confirmed", (5, 1, 1)), ("noticed", (5, 1, 0)),
                 ("cancelled", (5, 0, 2)), ("failed", (3, 3, 1)))
# Certificates the confirmation creates: `flask demo --certificates N` counts them among the N.
DEMO_CONFIRMED = sum(1 for outcome, _ in DONE_OUTCOMES if outcome == "confirmed")
DEMO_EXPERTS = (("陈立农", "莒县农业技术推广中心", "JX-NJZ"), ("林秀英", "日照市农业科学研究院", None),
                ("高志远", "日照市农业农村局", None), ("马春梅", "五莲县农业技术推广中心", None),
                ("胡国栋", "东港区农业技术推广站", None), ("郭文华", "岚山区农业农村局", None),
                ("何丽娟", "日照职业技术学院", None), ("罗永强", "日照市种子管理站", None),
                ("梁晓东", "莒县果树技术推广站", None))


def _done_plan(office: Organization, committee: Organization) -> EvaluationPlan:
    today = clock.today()
    spans = [("application", -200, -170), ("unit_review", -169, -140), ("department_review", -139, -110),
             ("committee", -60, -40), ("result_notice", -38, -30), ("confirmation", -29, -10)]
    return EvaluationPlan(
        org_id=office.id, region_code=office.region_code, year=(today - timedelta(days=40)).year,
        title=f"日照市{(today - timedelta(days=40)).year}年度农业技术中级职称评审工作安排", series=DONE_SERIES,
        levels="中级", committee_id=committee.id, pass_rate=30, published_at=utcnow() - timedelta(days=200),
        deployment_text="根据《职称评审管理暂行规定》（人社部令第40号），现将本年度农业技术中级职称评审工作安排如下。",
        stages=[EvaluationStage(stage=key, start_date=today + timedelta(days=a), end_date=today + timedelta(days=b))
                for key, a, b in spans],
        checklist=[ChecklistItem(level="中级", position=1, name="职称申报评审表", requirement="required")])


def demo_committee_pending() -> bool:
    """Whether ensure_demo_committee() has yet to run (and confirm DEMO_CONFIRMED certificates)."""
    return db.session.scalar(select(EvaluationPlan.id).where(EvaluationPlan.series == DONE_SERIES,
                                                             EvaluationPlan.org_id.in_(select(Organization.id).where(
                                                                 Organization.code == DEMO_OFFICE)))) is None


def ensure_demo_committee() -> None:
    """The committee's pool, a closed meeting with its ballots, a closed result notice and the office's
    confirmation: two certificates confirmed, one result cancelled as false, one failed, and one on a
    result notice still running. Written through the services, except the signed PDFs, which the
    committee office issues from the meeting page (rendering them would slow every demo start)."""
    from portal.evaluation import committee as committee_service
    from portal.evaluation import confirmation
    from portal.notices.services import PublishRequest, publish_application_notice

    office, committee = (db.session.scalar(select(Organization).where(Organization.code == code))
                         for code in (DEMO_OFFICE, DEMO_COMMITTEE))
    committee_user, office_user = (db.session.scalar(select(User).where(User.username == name))
                                   for name in ("committee_demo", "city_demo"))
    if None in (office, committee, committee_user, office_user) or db.session.scalar(
            select(EvaluationPlan.id).where(EvaluationPlan.org_id == office.id, EvaluationPlan.series == DONE_SERIES)):
        return
    taken = select(Application.person_id)
    people = list(db.session.scalars(select(Person).where(Person.org_id.is_not(None), Person.id.not_in(taken))
                                     .order_by(Person.id).limit(len(DONE_OUTCOMES))))
    if len(people) < len(DONE_OUTCOMES):
        return
    today = clock.today()
    plan = _done_plan(office, committee)
    db.session.add(plan)
    for name, unit_name, code in DEMO_EXPERTS:
        unit = db.session.scalar(select(Organization).where(Organization.code == code)) if code else None
        db.session.add(Expert(committee_id=committee.id, region_code=committee.region_code, name=name,
                              unit_name=unit_name, org_id=unit.id if unit else None, series=DONE_SERIES,
                              specialty="农学", title="正高级农艺师", active=True))
    db.session.flush()
    apps = []
    for person in people:
        unit = db.session.get(Organization, person.org_id)
        apps.append(Application(
            plan_id=plan.id, person_id=person.id, org_id=unit.id, unit_region_code=unit.region_code,
            committee_id=committee.id, year=plan.year, level="中级", title_name="农艺师", specialty="农学",
            route="ordinary",
            education="bachelor_graduate", public_hours=30, professional_hours=60, status="to_committee",
            submitted_at=utcnow() - timedelta(days=150)))
    db.session.add_all(apps)
    db.session.commit()

    experts = committee_service.experts_of(committee_user, committee.id)[:7]
    meeting, _ = committee_service.create_meeting(plan, today - timedelta(days=45), "日照市人社局三楼会议室",
                                                  [e.id for e in experts], committee_user)
    committee_service.set_attendance(meeting, [e.id for e in experts], committee_user)
    problems = []
    for app, (_, (yes, no, abstain)) in zip(apps, DONE_OUTCOMES):
        # An expert of the applicant's unit recuses: the ballots never exceed those who may vote.
        eligible = committee_service.eligible_count(meeting, app)
        yes = min(yes, eligible)
        no = min(no, eligible - yes)
        problems += committee_service.record_counts(meeting, app.id, yes, no, min(abstain, eligible - yes - no),
                                                    committee_user)
    problems += committee_service.close_meeting(meeting, today - timedelta(days=44),
                                                "申报人员均为市重点农业技术骨干，业绩突出", committee_user)
    if problems:
        raise RuntimeError("演示评审会议数据有误：" + "；".join(p.message for p in problems))
    outcome = {app.id: key for app, (key, _) in zip(apps, DONE_OUTCOMES)}
    request = dict(title=f"{committee.name}{plan.year}年度评审结果公示", contact="市职改办 0633-8777777",
                   body="经评审委员会评审，以下人员评审通过，现予以公示。")
    # The first result notice, closed: one result on it was found false, the others are confirmed.
    first = [a for a in apps if outcome[a.id] in ("confirmed", "cancelled")]
    for app in first:
        app.status = "result_notice"
    publish_application_notice(office, first, "results", PublishRequest(
        **request, start_date=today - timedelta(days=38), days=5), actor=office_user)
    cancelled = next(a for a in apps if outcome[a.id] == "cancelled")
    # As an upheld objection leaves it (the demo blacklists nobody).
    cancelled.status, cancelled.return_reason = "cancelled", "评审结果公示异议成立，评审结果作废：业绩材料不实"
    db.session.commit()
    confirmation.confirm_results(plan, "日人社职字〔%d〕35号" % plan.year, today - timedelta(days=25), office_user)
    # A later notice still running for the last one passed.
    confirmation.publish_results(plan, PublishRequest(**request, start_date=today - timedelta(days=1), days=5),
                                 office_user)


def summary() -> dict | None:
    plan = db.session.scalar(select(EvaluationPlan).where(EvaluationPlan.series == DEMO_SERIES)
                             .order_by(EvaluationPlan.id).limit(1))
    if plan is None:
        return None
    demo_plans = select(EvaluationPlan.id).where(EvaluationPlan.series.in_((DEMO_SERIES, DONE_SERIES)))
    counts = dict(db.session.execute(select(Application.status, func.count())
                                     .where(Application.plan_id.in_(demo_plans)).group_by(Application.status)).all())
    return {"plan_id": plan.id, "status_counts": counts, "applicant_account": "person_demo"}
