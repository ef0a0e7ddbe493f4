"""The committee's documents (评委会投票汇总表、评审结果记录单) and the office's report of the passed list
(报送评审通过人员名单的报告), built from plain data. Ballots appear as counts only: the vote is anonymous.

The builders return unsigned PDF bytes; portal.evaluation.committee signs them with the issuing
organisation's certificate, as letters are signed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.documents.pdf import qr_svg_data_uri, render_pdf, template_environment

VOTE_SUMMARY_TITLE = "评委会投票汇总表"
RESULT_RECORD_TITLE = "评审结果记录单"
REPORT_TITLE = "报送评审通过人员名单的报告"
ROSTER_TITLE = "评审专业技术职务资格报批名册表"


@dataclass(frozen=True)
class VoteLine:
    position: int
    person_name: str
    unit_name: str
    level: str
    specialty: str
    eligible: int  # experts present who were not recused
    recused: int
    yes: int
    no: int
    abstain: int
    passed: bool
    reason: str


@dataclass(frozen=True)
class MeetingDocument:
    """What both committee documents print: the meeting, its members and each applicant's ballots."""

    number: str
    url: str
    title: str
    committee_name: str
    plan_title: str
    meeting_date: date
    minutes_date: date
    place: str
    member_names: list[str]
    present_names: list[str]
    lines: list[VoteLine]
    pass_rate_limit: int
    pass_rate: float
    pass_rate_reason: str | None
    issued_on: date

    @property
    def passed_count(self) -> int:
        return sum(1 for line in self.lines if line.passed)


@dataclass(frozen=True)
class ReportLine:
    position: int
    person_name: str
    unit_name: str
    series: str
    level: str
    title_name: str
    specialty: str


@dataclass(frozen=True)
class ReportDocument:
    number: str
    url: str
    office_name: str
    addressee: str
    committee_name: str
    plan_title: str
    year: int
    meeting_date: date
    minutes_date: date
    notice_start: date | None
    notice_end: date | None
    evaluated: int
    lines: list[ReportLine] = field(default_factory=list)
    issued_on: date | None = None


def _render(template: str, doc) -> str:
    return template_environment().get_template(template).render(doc=doc, qr=qr_svg_data_uri(doc.url))


def vote_summary_html(doc: MeetingDocument) -> str:
    return _render("evaluation/pdf_vote_summary.html", doc)


def result_record_html(doc: MeetingDocument) -> str:
    return _render("evaluation/pdf_result_record.html", doc)


def report_html(doc: ReportDocument) -> str:
    return _render("evaluation/pdf_report.html", doc)


def build_vote_summary_pdf(doc: MeetingDocument) -> bytes:
    return render_pdf(vote_summary_html(doc))


def build_result_record_pdf(doc: MeetingDocument) -> bytes:
    return render_pdf(result_record_html(doc))


def build_report_pdf(doc: ReportDocument) -> bytes:
    return render_pdf(report_html(doc))
