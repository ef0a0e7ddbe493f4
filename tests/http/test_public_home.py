"""The public front door: home page, shared header, favicon, document lookup, signed report."""
from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Certificate, PublicNotice, VerificationLookup
from tests.conftest import csrf_token_of

PUBLIC_PAGES = ["/", "/verify", "/notices", "/documents/verify", "/notices/objections/receipt"]


@pytest.fixture(autouse=True)
def inline_log(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)


def test_anonymous_home_is_the_public_portal(client, app, demo):
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'action="/verify"' in body and 'method="post"' in body and 'name="id_number"' in body
    assert 'id="home-notices"' in body and 'action="/documents/lookup"' in body and 'href="/documents/verify"' in body
    assert app.config["OFFICE_PHONE"] in body and 'href="/login"' in body


def test_home_lists_open_notices_with_remaining_working_days(client, app, demo):
    from portal.notices.services import phase_of

    with app.app_context():
        notice = db.session.scalar(select(PublicNotice).order_by(PublicNotice.id))
        if notice is None:
            pytest.fail("the demo publishes notices")
        phase = phase_of(notice)
        title, is_open = notice.title, phase.key == "open"
        remaining = phase.remaining
    body = client.get("/").get_data(as_text=True)
    if is_open:
        assert title in body and f'<strong class="remaining-days">{remaining}</strong>' in body
    else:
        assert title not in body


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_shares_the_header_and_favicon(client, demo, path):
    body = client.get(path).get_data(as_text=True)
    nav = body.split('aria-label="公众服务"')[1].split("</nav>")[0]
    for href in ('href="/"', 'href="/verify"', 'href="/notices"', 'href="/documents/verify"', 'href="/#contact"'):
        assert href in nav, f"{href} missing from the header of {path}"
    assert 'href="/login"' in body
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in body


def test_favicon_is_a_static_file(client):
    with client.get("/static/favicon.svg") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert client.get("/favicon.ico").headers["Location"].endswith("/static/favicon.svg")


def test_document_number_from_paper_opens_its_public_record(client, app, demo, auth):
    from portal.letters import services
    from portal.models import Organization, User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "unit_demo"))
        org = db.session.get(Organization, user.org_id)
        number = services.issue_unit_letter(org, user).number
    response = client.get("/documents/lookup", query_string={"number": " " + number.lower() + " "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documents/{number}")
    missing = client.get("/documents/lookup", query_string={"number": "DW20260101-XXXXXXXX"})
    assert missing.status_code == 404 and "未找到该文书" in missing.get_data(as_text=True)


def _report_link(client, name: str, id_number: str) -> str:
    body = client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), "name": name,
                                         "id_number": id_number}).get_data(as_text=True)
    return re.search(r'href="(/v/[^"]+/report\.pdf)"', body).group(1)


def test_printable_report_is_a_signed_pdf_with_lookup_time_and_live_qr(client, app, demo, tmp_path):
    real = demo["verifiable"][0]
    link = _report_link(client, real["name"], real["id_number"])
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "职称证书核验报告" in text and "核验时间" in text and "（北京时间）" in text
    assert real["cert_no"] in text and real["id_number"] not in text and "有效" in text
    token = link.split("/")[2]
    assert f"/v/{token}" in text.replace(" ", "").replace("\n", ""), "the QR's address is printed under it"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(" yes yes " in line for line in fonts.splitlines()[2:]), "every font embedded and subset"
    sig = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in sig and "Total document signed" in sig and "职称信息管理服务平台" in sig
    with app.app_context():
        channels = [row.channel for row in db.session.scalars(select(VerificationLookup))]
    assert channels == ["web", "report"], "printing a report is logged for the holder"


def test_report_of_an_unknown_token_is_a_not_found_page(client):
    response = client.get("/v/" + "B" * 43 + "/report.pdf")
    assert response.status_code == 404 and "二维码无效" in response.get_data(as_text=True)


def test_report_of_a_revoked_certificate_says_revoked(client, app, demo):
    with app.app_context():
        cert = db.session.scalar(select(Certificate).where(Certificate.status == "approved").limit(1))
        cert.status, cert.revoke_reason, cert.revoked_at = "revoked", "材料造假", datetime(2026, 3, 2, 8, tzinfo=UTC)
        db.session.commit()
        token = cert.verify_token
    text = subprocess.run(["pdftotext", "-", "-"], input=client.get(f"/v/{token}/report.pdf").data,
                          capture_output=True, check=True).stdout.decode()
    assert "已撤销" in text and "2026年03月02日撤销" in text and "材料造假" in text


def test_report_is_an_issued_document_found_by_its_number_and_by_upload(client, app, demo, tmp_path):
    from portal.models import IssuedDocument

    real = demo["verifiable"][0]
    data = client.get(_report_link(client, real["name"], real["id_number"])).data
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    number = re.search(r"报告编号：\s*(HY\d{8}-[0-9A-Z]{8})", text).group(1)
    with app.app_context():
        doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number))
        assert doc.kind == "verification_report" and doc.person_id is not None
    page = client.get(f"/documents/{number}").get_data(as_text=True)
    assert "职称证书核验报告" in page and real["cert_no"] in page and "有效" in page
    assert real["name"] not in page and real["id_number"] not in page, "the number shows only masked identity"
    assert client.get("/documents/lookup", query_string={"number": number.lower()}).headers["Location"].endswith(
        f"/documents/{number}")
    check = client.post("/documents/verify", data={"file": (io.BytesIO(data), "report.pdf")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert f'class="mono">{number}</a>' in check and "职称证书核验报告" in check
