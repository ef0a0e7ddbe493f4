"""The printable list of a public notice (公示名单), built from plain data."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


from portal.documents.pdf import qr_svg_data_uri, render_pdf, template_environment



@dataclass(frozen=True)
class NoticeRow:
    position: int
    name: str
    employer: str
    series: str
    title_name: str
    level: str


@dataclass(frozen=True)
class NoticeDocument:
    title: str
    org_name: str
    start: date
    end: date
    days: int
    provisional: bool
    body: str
    contact: str
    url: str  # the online notice, for the QR code
    published_on: date
    rows: list[NoticeRow] = field(default_factory=list)
    corrects_title: str | None = None
    corrected_by_title: str | None = None
    applications: bool = False  # the rows are applicants: the title column holds specialty and route



def notice_html(doc: NoticeDocument) -> str:
    return template_environment().get_template("notices/pdf.html").render(doc=doc, qr=qr_svg_data_uri(doc.url))


def build_notice_pdf(doc: NoticeDocument) -> bytes:
    return render_pdf(notice_html(doc))
