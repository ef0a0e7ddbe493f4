"""The published deployment text of an evaluation plan (年度评审部署文), built from plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.documents.pdf import render_pdf, template_environment


@dataclass(frozen=True)
class PlanDocument:
    title: str
    org_name: str
    year: int
    series: str
    levels: list[str]
    committee: str
    pass_rate: int
    body: str
    published_on: date
    stages: list[tuple[str, date, date]] = field(default_factory=list)
    # level → [(material, requirement label, note)]
    checklist: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


def plan_html(doc: PlanDocument) -> str:
    return template_environment().get_template("evaluation/pdf.html").render(doc=doc)


def build_plan_pdf(doc: PlanDocument) -> bytes:
    return render_pdf(plan_html(doc))
