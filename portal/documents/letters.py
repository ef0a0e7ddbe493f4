"""Commitment letters (承诺书) and the reviewer sign-off sheet (审核签字表), built from plain data.

The builders return unsigned PDF bytes; portal.letters signs them with the organisation's
certificate. Every document prints its number and a QR code to the public page that shows what
it covers and the SHA-256 of the signed file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


from portal.documents.pdf import qr_svg_data_uri, render_pdf, template_environment


UNIT_LETTER_TITLE = "职称信息数据统计和上报工作承诺书"
INDIVIDUAL_LETTER_TITLE = "专业技术人员职称信息真实性承诺书"
REVIEW_SHEET_TITLE = "职称信息审核签字表"

# Shaanxi annex 3 (数据上报承诺书), with the portal in place of the provincial 证书管理系统.
UNIT_PROMISE = (
    "为切实做好职称信息统计数据的上报工作，我们将严格按照有关要求，严格职称信息管理服务平台账号的管理和使用，"
    "及时认真核查上报的数据，按规定时限通过职称信息管理服务平台上传相关数据，"
    "并对上传所有文件内容和数据信息真实性负责。"
)


@dataclass(frozen=True)
class LevelCount:
    level: str
    persons: int
    certificates: int


@dataclass(frozen=True)
class UnitLetter:
    number: str
    url: str  # the public page of this document, behind the QR code
    org_name: str
    credit_code: str | None
    account: str
    contact_person: str | None
    contact_phone: str | None
    office_phone: str | None
    batch_label: str
    levels: list[LevelCount]
    total_persons: int
    total_certificates: int
    issued_on: date
    promise: str = UNIT_PROMISE


@dataclass(frozen=True)
class SubmittedCertificate:
    position: int
    cert_no: str
    series: str
    level: str
    title_name: str
    issue_date: date | None
    submitted_at: datetime | None
    submitted_by: str
    status: str


@dataclass(frozen=True)
class IndividualLetter:
    number: str
    url: str
    person_name: str
    id_number_masked: str
    employer: str
    commitment: str
    certificates: list[SubmittedCertificate]
    confirmed_at: datetime
    application: str | None = None  # the 职称申报 the letter also covers


@dataclass(frozen=True)
class SignedStep:
    action: str
    org_name: str
    signer: str
    role: str
    at: datetime
    opinion: str
    trail_ref: str  # audit entry id and hash prefix: the step's place in the hash chain


@dataclass(frozen=True)
class SheetRecord:
    position: int
    person_name: str
    title: str
    cert_no: str
    steps: list[SignedStep] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewSheet:
    number: str
    url: str
    org_name: str
    batch_label: str
    records: list[SheetRecord]
    total_steps: int
    issued_at: datetime





def _render(template: str, doc) -> str:
    return template_environment().get_template(template).render(doc=doc, qr=qr_svg_data_uri(doc.url))


def unit_letter_html(doc: UnitLetter) -> str:
    return _render("letters/pdf_unit_letter.html", doc)


def individual_letter_html(doc: IndividualLetter) -> str:
    return _render("letters/pdf_individual_letter.html", doc)


def review_sheet_html(doc: ReviewSheet) -> str:
    return _render("letters/pdf_review_sheet.html", doc)


def build_unit_letter_pdf(doc: UnitLetter) -> bytes:
    return render_pdf(unit_letter_html(doc))


def build_individual_letter_pdf(doc: IndividualLetter) -> bytes:
    return render_pdf(individual_letter_html(doc))


def build_review_sheet_pdf(doc: ReviewSheet) -> bytes:
    return render_pdf(review_sheet_html(doc))
