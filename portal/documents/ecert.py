"""The one-page electronic title certificate (职称电子证书) and its use copy (使用件), from plain data.

The builder returns unsigned PDF bytes; portal.ecert.services signs them with the issuing
office's key (portal.letters.services.issue_document). The QR code carries the SM2-signed
payload of portal.ecert.sm2 as a /v/<payload> address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.documents.pdf import qr_svg_data_uri, render_pdf, template_environment

TITLE = "专业技术职务任职资格电子证书"
USE_COPY_TITLE = "专业技术职务任职资格电子证书（使用件）"


@dataclass(frozen=True)
class ECertPage:
    number: str
    document_url: str  # /documents/<number>: what the signed file covers and its SHA-256
    qr_url: str  # /v/<payload>
    name: str
    id_number: str  # full on the holder's file
    sex: str | None
    series: str
    level: str
    title_name: str
    specialty: str | None
    committee: str
    issuing_office: str
    approval_doc_no: str
    approved_on: date | None
    grant_date: date | None
    cert_no: str
    issued_on: date
    purpose: str | None = None
    valid_until: date | None = None

    @property
    def title(self) -> str:
        return USE_COPY_TITLE if self.purpose else TITLE


def ecert_html(page: ECertPage) -> str:
    return template_environment().get_template("ecert/pdf_certificate.html").render(
        doc=page, qr=qr_svg_data_uri(page.qr_url))


def build_ecert_pdf(page: ECertPage) -> bytes:
    return render_pdf(ecert_html(page))
