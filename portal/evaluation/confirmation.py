"""After the committee: the second notice of its results (评审结果公示), the office's confirmation
(确认：文号、日期) turning each passed application into an approved certificate, and the 报批 package
for the level above.

Only the plan's own office acts here. Certificates are checked by the one certificate validator
(portal.domain.records.check_certificate) before they are written, as every other door does.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from portal import audit, clock
from portal.documents.committee import (REPORT_TITLE, ROSTER_TITLE, ReportDocument, ReportLine,
                                        build_report_pdf)
from portal.documents.roster_xlsx import roster_workbook
from portal.domain.evaluation import ROUTES, applied_title, confirmation_problems
from portal.domain.problems import has_errors
from portal.domain.records import check_certificate
from portal.evaluation import committee
from portal.evaluation.applications import title_choices
from portal.extensions import db
from portal.models import (Application, Certificate, CommitteeMeeting, Confirmation, EvaluationPlan,
                           IssuedDocument, PublicNotice, VoteCount)
from portal.models._types import utcnow
from portal.models.org import OFFICE_TYPES
from portal.notices.services import (PublishRequest, held_notices, needs_notice, notice_cleared,
                                     publish_application_notice)
from portal.reference import record_context

PASSED = ("committee_passed", "result_notice", "confirmed")


class ConfirmationError(Exception):
    """Refused; `messages` are shown to the user as they are."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


def is_plan_office(plan: EvaluationPlan, user) -> bool:
    return user.is_authenticated and user.role in OFFICE_TYPES and user.org_id == plan.org_id


def passed_of(plan: EvaluationPlan, statuses=PASSED) -> list[Application]:
    return list(db.session.scalars(select(Application).where(
        Application.plan_id == plan.id, Application.status.in_(statuses)).order_by(Application.org_id,
                                                                                  Application.id)))


def confirmations_of(plan: EvaluationPlan) -> list[Confirmation]:
    return list(db.session.scalars(select(Confirmation).where(Confirmation.plan_id == plan.id)
                                   .order_by(Confirmation.id)))


# ---------------------------------------------------------------- confirmation


def title_name_for(app: Application, plan: EvaluationPlan) -> str:
    """The title a passed applicant receives: the one applied for (or the only one at the level)."""
    return applied_title(app.title_name, title_choices(plan.series, app.level)) or ""


def _certificate_values(app: Application, plan: EvaluationPlan, doc_no: str, doc_date: date) -> dict:
    committee_org, office = plan.committee, plan.org
    return {
        "cert_no": f"{plan.year}{committee_org.region_code}{app.id:06d}",
        "series": plan.series, "level": app.level,
        "title_name": title_name_for(app, plan),
        "issue_date": doc_date.isoformat(), "grant_date": doc_date.isoformat(), "review_year": str(plan.year),
        "has_review_specialty": "1", "review_specialty": app.specialty,
        "issuing_authority": office.name, "review_committee_name": committee_org.name,
        "evaluation_region_code": committee_org.region_code, "issuing_region_code": office.region_code,
        "approval_doc_no": doc_no.strip(), "approval_department": office.name, "obtain_method": "review",
        "employer_at_grant": app.org.name if app.org else (app.person.employer_name or ""),
    }


def confirmable(plan: EvaluationPlan) -> list[Application]:
    """Passed applications whose result notice closed with no objection open (and nothing changed since)."""
    return [a for a in passed_of(plan, ("result_notice",)) if result_cleared(a)]


def confirm_results(plan: EvaluationPlan, doc_no: str, doc_date: date | None, actor) -> list[Certificate]:
    """确认: the office's document (文号, date) for every passed applicant whose result notice closed
    without open objection; each becomes an approved certificate, verifiable at once."""
    if not is_plan_office(plan, actor):
        raise ConfirmationError(["只有本部署的组织单位（职改部门）可以确认评审结果"])
    messages = [p.message for p in confirmation_problems(doc_no or "", doc_date, clock.today())]
    apps = confirmable(plan)
    if not apps:
        messages.append("没有评审结果公示期满且无异议的评审通过人员")
    if messages:
        raise ConfirmationError(messages)
    ctx = record_context(today=clock.today())
    values_of = {}
    for app in apps:
        values, problems = check_certificate(_certificate_values(app, plan, doc_no, doc_date), ctx,
                                             birth_date=app.person.birth_date)
        if has_errors(problems):
            messages += [f"{app.person.name}：{p.message}" for p in problems if p.severity == "error"]
        values_of[app.id] = values
    if messages:
        raise ConfirmationError(messages)
    confirmation = Confirmation(plan_id=plan.id, org_id=plan.org_id, region_code=plan.region_code,
                                committee_id=plan.committee_id, doc_no=doc_no.strip(), doc_date=doc_date,
                                created_by_id=actor.id)
    db.session.add(confirmation)
    db.session.flush()
    certificates = []
    now = utcnow()
    for app in apps:
        cert = Certificate(person_id=app.person_id, org_id=app.org_id, unit_region_code=app.unit_region_code,
                           committee_id=plan.committee_id, status="approved", submitted_at=app.submitted_at,
                           approved_at=now, **values_of[app.id])
        db.session.add(cert)
        db.session.flush()
        app.status, app.confirmation_id, app.certificate_id = "confirmed", confirmation.id, cert.id
        audit.record("evaluation_confirm", "evaluation_application", app.id, actor=actor,
                     diff={"status": ["result_notice", "confirmed"], "doc_no": confirmation.doc_no,
                           "doc_date": doc_date.isoformat(), "certificate": cert.id})
        audit.record("evaluation_certify", "certificate", cert.id, actor=actor,
                     reason=f"评审结果确认（{confirmation.doc_no}）",
                     diff={"status": [None, "approved"], "application": app.id, "cert_no": cert.cert_no})
        certificates.append(cert)
    db.session.commit()
    return certificates


# ---------------------------------------------------------------- the 报批 package


def _meeting(plan: EvaluationPlan) -> CommitteeMeeting:
    meeting = committee.meeting_of(plan)
    if meeting is None or meeting.status != "closed":
        raise ConfirmationError(["评审会议尚未结束，不能生成报批材料"])
    return meeting


def _report_lines(plan: EvaluationPlan, apps: list[Application]) -> list[ReportLine]:
    from portal.evaluation.services import series_name

    return [ReportLine(position=n, person_name=a.person.name, unit_name=a.org.name if a.org else "",
                       series=series_name(plan.series), level=a.level,
                       title_name=title_name_for(a, plan), specialty=a.specialty)
            for n, a in enumerate(apps, start=1)]


def _report(plan: EvaluationPlan, meeting: CommitteeMeeting, apps: list[Application], user) -> IssuedDocument:
    """The office's signed report; issued once per list and reused while the list stays the same."""
    from portal.letters.services import issue_document, stamp_lines

    ids = [a.id for a in apps]
    for doc in db.session.scalars(select(IssuedDocument).where(
            IssuedDocument.kind == "results_report", IssuedDocument.org_id == plan.org_id)
            .order_by(IssuedDocument.id.desc())):
        if doc.covers.get("plan_id") == plan.id and doc.covers.get("applications") == ids:
            return doc
    office = plan.org
    addressee = office.parent.name if office.parent is not None else "上级职称改革工作领导小组办公室"
    notice = result_notice_period(apps)
    evaluated = len(committee.applications_of(meeting))

    def build(number: str, url: str) -> bytes:
        return build_report_pdf(ReportDocument(
            number=number, url=url, office_name=office.name, addressee=addressee,
            committee_name=plan.committee.name, plan_title=plan.title, year=plan.year,
            meeting_date=meeting.meeting_date, minutes_date=meeting.minutes_date,
            notice_start=notice[0] if notice else None, notice_end=notice[1] if notice else None,
            evaluated=evaluated, lines=_report_lines(plan, apps), issued_on=clock.today()))

    return issue_document(kind="results_report", title=REPORT_TITLE, org=office, person=None,
                          covers={"plan_id": plan.id, "plan": plan.title, "applications": ids,
                                  "passed": len(ids), "evaluated": evaluated},
                          build=build, signer_org=office, stamp=stamp_lines(office.name),
                          reason="报送评审通过人员名单", user=user)


def _roster(plan: EvaluationPlan, meeting: CommitteeMeeting, apps: list[Application]) -> bytes:
    from portal.evaluation.services import code_choices, series_name

    education = dict(code_choices("education"))
    votes = {v.application_id: v for v in db.session.scalars(
        select(VoteCount).where(VoteCount.meeting_id == meeting.id))}
    rows = []
    for n, a in enumerate(apps, start=1):
        v = votes.get(a.id)
        birth = a.person.birth_date
        rows.append((n, a.person.name, a.person.sex or "", f"{birth.year}.{birth.month:02d}" if birth else "",
                     a.org.name if a.org else "", education.get(a.education or "", a.education or ""),
                     " ".join(x for x in (a.current_level, a.current_title_name) if x),
                     series_name(plan.series), a.level, title_name_for(a, plan), a.specialty,
                     ROUTES.get(a.route, a.route), v.yes if v else "", v.no if v else "", v.abstain if v else "",
                     "通过", "已确认" if a.status == "confirmed" else ""))
    caption = (f"{plan.committee.name} {plan.year}年度 评审会议 {meeting.meeting_date.isoformat()}，"
               f"会议纪要 {meeting.minutes_date.isoformat()}")
    return roster_workbook(ROSTER_TITLE, caption, rows)


@dataclass
class PackageFile:
    name: str
    data: bytes = field(repr=False)


def report_package(plan: EvaluationPlan, user) -> tuple[str, bytes]:
    """One zip: 报送评审通过人员名单的报告 (signed PDF), 报批名册表 (xlsx), 评审结果记录单 and
    评委会投票汇总表 (the committee's signed PDFs)."""
    from portal.letters.services import LetterError, read_document

    if not is_plan_office(plan, user):
        raise ConfirmationError(["只有本部署的组织单位（职改部门）可以生成报批材料"])
    meeting = _meeting(plan)
    if committee.documents_missing(meeting):
        raise ConfirmationError(["评审委员会尚未出具签章的评审结果记录单和评委会投票汇总表"])
    apps = passed_of(plan)
    if not apps:
        raise ConfirmationError(["本次评审没有评审通过的人员"])
    try:
        report = _report(plan, meeting, apps, user)
    except LetterError as exc:
        raise ConfirmationError([str(exc)]) from None
    files = [PackageFile(f"1-{REPORT_TITLE}.pdf", read_document(report)),
             PackageFile(f"2-{ROSTER_TITLE}.xlsx", _roster(plan, meeting, apps))]
    for n, doc in enumerate((meeting.record_document, meeting.summary_document), start=3):
        files.append(PackageFile(f"{n}-{doc.title}.pdf", read_document(doc)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.writestr(f.name, f.data)
    audit.record("evaluation_package", "evaluation_plan", plan.id, actor=user,
                 diff={"applications": [a.id for a in apps], "report": report.number})
    db.session.commit()
    return f"{plan.year}-报批材料-{plan.id}.zip", buffer.getvalue()


# ---------------------------------------------------------------- the office's view


@dataclass
class OfficeView:
    passed: list[Application]
    to_notice: list[Application]
    confirmable: list[Application]
    confirmations: list[Confirmation]
    meeting_closed: bool


def office_view(plan: EvaluationPlan, user) -> OfficeView | None:
    if not is_plan_office(plan, user):
        return None
    meeting = committee.meeting_of(plan)
    closed = meeting is not None and meeting.status == "closed"
    return OfficeView(passed=passed_of(plan), to_notice=result_candidates(plan) if closed else [],
                      confirmable=confirmable(plan), confirmations=confirmations_of(plan), meeting_closed=closed)


# ---------------------------------------------------------------- the second notice (评审结果公示)


def result_candidates(plan: EvaluationPlan) -> list[Application]:
    """Passed applications not yet on a result notice, or changed since the one that listed them."""
    return [a for a in passed_of(plan, ("committee_passed", "result_notice"))
            if not a.objection_open and needs_notice(a, "results")]


def publish_results(plan: EvaluationPlan, request: PublishRequest, actor) -> PublicNotice:
    """The office publishes the committee's passed list for at least five working days; the
    notices' own rules (period, objections freezing the application) apply."""
    if not is_plan_office(plan, actor):
        raise ConfirmationError(["只有本部署的组织单位（职改部门）可以发布评审结果公示"])
    meeting = committee.meeting_of(plan)
    if meeting is None or meeting.status != "closed":
        raise ConfirmationError(["评审会议尚未结束，不能公示评审结果"])
    apps = result_candidates(plan)
    if not apps:
        raise ConfirmationError(["没有待公示的评审通过人员"])
    for app in apps:
        app.status = "result_notice"
    try:
        return publish_application_notice(plan.org, apps, "results", request, actor=actor)
    except ValueError as exc:
        db.session.rollback()
        raise ConfirmationError([str(exc)]) from None


def result_cleared(app: Application) -> bool:
    return notice_cleared(app, "results")


def result_notice_period(apps: list[Application]) -> tuple[date, date] | None:
    held = [n for a in apps for n in held_notices(a.id, "results")]
    if not held:
        return None
    return min(n.start_date for n in held), max(n.end_date for n in held)
