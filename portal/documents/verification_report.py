"""The printable verification report (核验报告) of a certificate found by a public lookup.

Built from the public view of the certificate only (masked ID number), so the report shows no more
than the lookup page did; portal.verify signs it with the portal's own certificate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


from portal.documents.pdf import qr_svg_data_uri, render_pdf, template_environment

REPORT_TITLE = "职称证书核验报告"


@dataclass(frozen=True)
class VerificationReport:
    name: str
    masked_id: str
    series: str
    title_name: str
    level: str
    issue_date: date | None
    cert_no: str | None
    issuing_authority: str | None
    review_committee: str | None
    status_label: str
    status_note: str | None  # revocation or correction, in a sentence
    looked_up_at: datetime  # Beijing time
    url: str  # the live result behind the QR code
    number: str = ""  # the issued document's number (文书编号), typed in at /documents/<number>
    document_url: str = ""  # where the registered copy is checked




def report_html(doc: VerificationReport) -> str:
    return template_environment().get_template("verify/pdf_report.html").render(doc=doc, qr=qr_svg_data_uri(doc.url))


def build_report_pdf(doc: VerificationReport) -> bytes:
    return render_pdf(report_html(doc))
