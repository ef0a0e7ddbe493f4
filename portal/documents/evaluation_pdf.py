"""The printable documents of an application (职称申报): the unit's recommendation sheet (推荐表)
and the 评审表 with the materials' list, built from plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from portal.documents.pdf import render_pdf, template_environment


@dataclass(frozen=True)
class HeldNoticeLine:
    title: str
    start: date
    end: date
    result: str


@dataclass(frozen=True)
class RecommendationSheet:
    """The unit's signed recommendation: the opinion on five aspects, the interview, the notice."""

    plan_title: str
    person_name: str
    unit_name: str
    series: str
    level: str
    specialty: str
    route: str
    recommender_kind: str  # 用人单位 / 人才服务/档案托管机构
    opinion: list[tuple[str, str]]  # (aspect, text); empty when a freelancer's body skipped it
    interview_date: date | None
    interview_experts: str
    notices: list[HeldNoticeLine]
    signer_name: str
    signer_org: str
    signed_at: datetime
    trail_hash: str


@dataclass(frozen=True)
class ReviewFormStep:
    at: datetime
    org: str
    actor: str
    action: str
    note: str


@dataclass(frozen=True)
class ReviewForm:
    """The application's 评审表: who applies for what, on what grounds, with which materials."""

    plan_title: str
    committee: str
    person_name: str
    sex: str
    birth_date: date | None
    id_number_masked: str
    unit_name: str
    series: str
    level: str
    specialty: str
    route: str
    current_title: str
    education: str
    chsi_no: str
    work_history: str
    hours: str
    social_insurance: str
    status: str
    achievements: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, title, year, file
    materials: list[tuple[str, str, str]] = field(default_factory=list)  # name, requirement, provided
    opinion: list[tuple[str, str]] = field(default_factory=list)
    steps: list[ReviewFormStep] = field(default_factory=list)
    commitment: str = ""


def recommendation_html(doc: RecommendationSheet) -> str:
    return template_environment().get_template("evaluation/recommendation_pdf.html").render(doc=doc)


def build_recommendation_pdf(doc: RecommendationSheet) -> bytes:
    return render_pdf(recommendation_html(doc))


def review_form_html(doc: ReviewForm) -> str:
    return template_environment().get_template("evaluation/review_form_pdf.html").render(doc=doc)


def build_review_form_pdf(doc: ReviewForm) -> bytes:
    return render_pdf(review_form_html(doc))
