"""Commitment letters and the reviewer sign-off sheet: what they cover, who may issue and read them."""
from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, select

from portal import audit
from portal.documents.signing import ensure_ca, verify_pdf
from portal.extensions import db
from portal.letters import services
from portal.models import AuditEntry, Certificate, IssuedDocument, Organization, Person, SigningCredential, User
from tests.conftest import csrf_token_of

UNIT_NAME = "日照市东港区人民医院"
# A unit's batch: what it has approved and passed up, i.e. every status after 待单位审核.
REPORTED = ("department_review", "county_review", "city_review", "province_review", "approved")


@pytest.fixture(autouse=True)
def signing_dirs(app, tmp_path_factory, monkeypatch):
    """One throw-away portal CA for the whole run, never the developer's instance/ca."""
    ca_dir = tmp_path_factory.getbasetemp() / "letters-ca"
    monkeypatch.setitem(app.config, "CA_DIR", str(ca_dir))
    monkeypatch.setitem(app.config, "TRUSTED_ROOTS_DIR", None)
    return ca_dir


def portal_ca_certificate(app):
    with app.app_context():
        return ensure_ca(Path(app.config["CA_DIR"])).certificate


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdfsig(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "sig.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True).stdout


def issue(client, path: str, data: dict | None = None):
    """POST an issuing form; returns the document's number from the redirect."""
    response = client.post(path, data={"csrf_token": csrf_token_of(client, "/letters"), **(data or {})})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/letters/documents/([A-Z0-9-]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def unit_letter(client, **extra) -> str:
    return issue(client, "/letters/unit", {"contact_person": "李经办", "contact_phone": "13906331234",
                                           "office_phone": "0633-8221234", **extra})


def reported_counts(app, org_code: str, level: str | None = None) -> tuple[int, int]:
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        stmt = select(func.count(), func.count(func.distinct(Certificate.person_id))).where(
            Certificate.org_id == org.id, Certificate.status.in_(REPORTED))
        if level:
            stmt = stmt.where(Certificate.level == level)
        certs, persons = db.session.execute(stmt).one()
    return certs, persons


def test_unit_letter_is_signed_by_the_unit_and_states_its_batch(client, auth, app, demo, tmp_path):
    auth.login("unit_demo")
    number = unit_letter(client)
    page = client.get(f"/letters/documents/{number}").get_data(as_text=True)
    assert "数据上报承诺书" in page and number in page

    response = client.get(f"/letters/documents/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    pdf = response.data
    text = compact(pdf_text(tmp_path, pdf))
    certs, persons = reported_counts(app, "DG-RMYY")
    assert certs > 0
    assert "职称信息数据统计和上报工作承诺书" in text
    assert "对上传所有文件内容和数据信息真实性负责" in text
    for expected in (UNIT_NAME, "unit_demo", "李经办", "13906331234", "0633-8221234", number):
        assert expected in text
    assert f"合计{persons}{certs}" in text, "the head count and certificate count of the batch"
    assert re.search(r"第1页共1页", text)
    (tmp_path / "fonts.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "fonts.pdf")], capture_output=True, text=True).stdout
    portal_fonts = [line for line in fonts.splitlines() if "PortalSans" in line]
    assert portal_fonts and all(" yes " in line for line in portal_fonts), "Chinese fonts are embedded"

    # Signed over the whole file by the unit's certificate, chained to the portal CA.
    result = verify_pdf(pdf, [portal_ca_certificate(app)])
    assert result.signed and result.intact and result.covers_whole_document and result.trusted
    assert result.signer_name == UNIT_NAME
    report = pdfsig(tmp_path, pdf)
    assert "Signature is Valid." in report and "Total document signed" in report
    assert UNIT_NAME in report

    with app.app_context():
        doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number))
        assert doc.kind == "unit_letter" and doc.org.name == UNIT_NAME
        assert doc.sha256 == hashlib.sha256(pdf).hexdigest()
        assert doc.covers["total_certificates"] == certs and doc.covers["total_persons"] == persons
        assert (Path(app.config["UPLOAD_DIR"]) / "documents" / f"{number}.pdf").read_bytes() == pdf
        org = doc.org
        assert (org.contact_person, org.contact_phone, org.office_phone) == ("李经办", "13906331234", "0633-8221234")
        steps = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.actor_name == "李经办"))]
        assert "document_issue" in steps and "contact_update" in steps
        credential = db.session.scalar(select(SigningCredential).where(SigningCredential.org_id == org.id))
        assert credential.source == "portal_ca", "a unit without a certificate gets one from the portal CA"


def test_the_public_page_behind_the_qr_code_shows_what_the_letter_covers(client, auth, app, demo):
    auth.login("unit_demo")
    number = unit_letter(client, level="中级")
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    auth.logout()

    page = client.get(f"/documents/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert hashlib.sha256(pdf).hexdigest() in html
    assert UNIT_NAME in html and "数据上报承诺书" in html
    certs, persons = reported_counts(app, "DG-RMYY", "中级")
    assert "职称级别：中级" in html
    assert re.search(rf"<th>合计</th><th class=\"num\">{persons}</th><th class=\"num\">{certs}</th>", html)
    assert f"/letters/documents/{number}.pdf" not in html, "the public page never hands out the file"
    assert client.get(f"/letters/documents/{number}.pdf").status_code == 302, "download needs a login"
    assert client.get("/documents/DW20990101-ABCDEFGH").status_code == 404
    assert client.get("/documents/not-a-number").status_code == 404


def test_records_not_passed_up_are_not_in_the_batch(client, auth, app, demo):
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        held_back = db.session.scalar(select(func.count()).where(
            Certificate.org_id == org.id, Certificate.status.in_(("draft", "unit_review", "returned", "revoked"))))
    assert held_back > 0
    auth.login("unit_demo")
    html = client.get("/letters").get_data(as_text=True)
    certs, persons = reported_counts(app, "DG-RMYY")
    assert f'id="batch-persons">{persons}<' in html and f'id="batch-certificates">{certs}<' in html
    fragment = client.get("/letters?level=%E4%B8%AD%E7%BA%A7", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="batch-summary">')
    middle, _ = reported_counts(app, "DG-RMYY", "中级")
    assert f'id="batch-certificates">{middle}<' in fragment


def test_letter_form_errors_are_shown_and_nothing_is_issued(client, auth, app, demo):
    auth.login("unit_demo")
    response = client.post("/letters/unit", data={"csrf_token": csrf_token_of(client, "/letters"),
                                                  "contact_person": "", "contact_phone": "12345"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "请填写经办人员姓名" in html and "请填写有效的手机号码" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0


def test_a_unit_with_nothing_reported_gets_a_clear_refusal(client, auth, app, demo):
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        for cert in db.session.scalars(select(Certificate).where(Certificate.org_id == org.id)):
            cert.status = "unit_review"
        db.session.commit()
    auth.login("unit_demo")
    response = client.post("/letters/unit", data={"csrf_token": csrf_token_of(client, "/letters"),
                                                  "contact_person": "李经办", "contact_phone": "13906331234"},
                           follow_redirects=True)
    assert "本次上报范围内没有记录" in response.get_data(as_text=True)


def _sign_steps(app) -> dict:
    """Real trail entries for two of the unit's reported records: submitted, approved, one returned once."""
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        users = {u.username: u for u in db.session.scalars(select(User))}
        certs = list(db.session.scalars(select(Certificate).where(
            Certificate.org_id == org.id, Certificate.status == "approved").order_by(Certificate.id).limit(2)))
        first, second = certs
        audit.record("submit", "certificate", first.id, reason="本人承诺……", actor=users["person_demo"])
        audit.record("approve", "certificate", first.id, actor=users["unit_demo"])
        audit.record("return", "certificate", first.id, reason="证书编号与扫描件不一致", actor=users["county_demo"])
        audit.record("approve", "certificate", second.id, actor=users["city_demo"])
        audit.record("update", "certificate", second.id, actor=users["unit_demo"], diff={"cert_no": ["a", "b"]})
        db.session.commit()
        entries = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "certificate", AuditEntry.object_id.in_([first.id, second.id]))
            .order_by(AuditEntry.id)))
        return {"first": first.cert_no, "second": second.cert_no,
                "refs": [f"#{e.id}{e.hash[:8]}" for e in entries if e.action != "update"]}


def test_review_sheet_lists_every_signed_step_of_the_batch(client, auth, app, demo, tmp_path):
    signed = _sign_steps(app)
    auth.login("unit_demo")
    number = issue(client, "/letters/review-sheet")
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    text = compact(pdf_text(tmp_path, pdf))
    assert "职称信息审核签字表" in text
    for expected in ("张明华", "李经办", "吴审核", "冯审核", "东港区职称改革领导小组办公室", "证书编号与扫描件不一致",
                     "审查确认", "退回", signed["first"], signed["second"]):
        assert expected in text, expected
    for ref in signed["refs"]:
        assert ref in text, "each signed step names its audit entry"
    assert "无审核留痕" in text, "records without a trail say so instead of disappearing"
    certs, _ = reported_counts(app, "DG-RMYY")
    assert f"共{certs}条记录、4个签字环节" in text
    result = verify_pdf(pdf, [portal_ca_certificate(app)])
    assert result.intact and result.trusted and result.signer_name == UNIT_NAME
    with app.app_context():
        doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number))
        assert doc.kind == "review_sheet" and doc.covers["signed_steps"] == 4


def test_review_sheet_refuses_a_batch_too_big_for_one_sheet(client, auth, app, demo, monkeypatch):
    monkeypatch.setattr(services, "SHEET_MAX_RECORDS", 3)
    auth.login("unit_demo")
    response = client.post("/letters/review-sheet", data={"csrf_token": csrf_token_of(client, "/letters")},
                           follow_redirects=True)
    assert "每次最多 3 条" in response.get_data(as_text=True)


def test_individual_letter_covers_what_the_person_submitted(client, auth, app, demo, tmp_path):
    with app.app_context():
        person_id = db.session.scalar(select(User.person_id).where(User.username == "person_demo"))
        person = db.session.get(Person, person_id)
        certs = list(db.session.scalars(select(Certificate).where(Certificate.person_id == person_id)))
        submitted = [c.cert_no for c in certs if c.status == "approved"]
        draft = [c.cert_no for c in certs if c.status == "draft"]
        full_id = person.id_number
    assert len(submitted) == 2 and len(draft) == 1
    auth.login("person_demo")
    page = client.get("/letters").get_data(as_text=True)
    assert "出具个人承诺书" in page

    refused = client.post("/letters/individual", data={"csrf_token": csrf_token_of(client, "/letters")})
    assert refused.status_code == 200 and "请阅读并勾选承诺" in refused.get_data(as_text=True)

    number = issue(client, "/letters/individual", {"committed": "y"})
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    text = compact(pdf_text(tmp_path, pdf))
    assert "专业技术人员职称信息真实性承诺书" in text and "张明华" in text
    assert all(no in text for no in submitted) and not any(no in text for no in draft)
    assert full_id not in text, "the letter shows the ID number masked"
    result = verify_pdf(pdf, [portal_ca_certificate(app)])
    assert result.intact and result.trusted and result.signer_name == "职称信息管理服务平台"

    # The unit collects its staff's letters; another unit cannot see them.
    auth.logout()
    auth.login("unit_demo")
    assert client.get(f"/letters/documents/{number}.pdf").data == pdf
    auth.logout()
    auth.login("unit2_demo")
    assert client.get(f"/letters/documents/{number}.pdf").status_code == 404
    assert client.get(f"/letters/documents/{number}").status_code == 404

    public = client.get(f"/documents/{number}").get_data(as_text=True)
    assert "张*华" in public and "张明华" not in public


def test_who_may_issue_what(client, auth, demo):
    assert client.get("/letters").status_code == 302
    auth.login("person_demo")
    token = csrf_token_of(client, "/letters")
    assert client.post("/letters/unit", data={"csrf_token": token, "contact_person": "张明华",
                                              "contact_phone": "13906331234"}).status_code == 403
    assert client.post("/letters/review-sheet", data={"csrf_token": token}).status_code == 403
    assert client.get("/letters/credential").status_code == 403
    auth.logout()
    auth.login("unit_demo")
    token = csrf_token_of(client, "/letters")
    assert client.post("/letters/individual", data={"csrf_token": token, "committed": "y"}).status_code == 403


def test_a_county_office_letter_covers_its_region(client, auth, app, demo, tmp_path):
    auth.login("county_demo")
    number = issue(client, "/letters/unit", {"contact_person": "吴审核", "contact_phone": "0633-8000001"})
    with app.app_context():
        doc = db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number))
        expected = db.session.scalar(select(func.count()).where(
            Certificate.unit_region_code.startswith("371102"),
            Certificate.status.in_(("city_review", "province_review", "approved"))))
        assert doc.covers["total_certificates"] == expected
        assert doc.signer_name == "东港区职称改革领导小组办公室"
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    assert "东港区职称改革领导小组办公室" in compact(pdf_text(tmp_path, pdf))


def test_cli_writes_the_current_unit_letter(app, demo, tmp_path):
    out = tmp_path / "letter.pdf"
    result = app.test_cli_runner().invoke(args=["commitment-letter", "--org", "DG-RMYY", "--out", str(out)])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert hashlib.sha256(pdf).hexdigest() in result.output
    text = compact(pdf_text(tmp_path, pdf))
    certs, persons = reported_counts(app, "DG-RMYY")
    assert f"合计{persons}{certs}" in text and "unit_demo" in text
    verdict = verify_pdf(pdf, [portal_ca_certificate(app)])
    assert verdict.intact and verdict.trusted and verdict.signer_name == UNIT_NAME

    missing = app.test_cli_runner().invoke(args=["commitment-letter", "--org", "NO-SUCH", "--out", str(out)])
    assert missing.exit_code != 0 and "没有代码为 NO-SUCH 的单位" in missing.output


def test_cli_creates_and_shows_the_portal_ca(app, signing_dirs):
    result = app.test_cli_runner().invoke(args=["signing-ca"])
    assert result.exit_code == 0, result.output
    certificate = portal_ca_certificate(app)
    assert certificate.fingerprint(hashes.SHA256()).hex() in result.output
    assert "/documents/ca.pem" in result.output
    assert (signing_dirs / "ca-key.pem").stat().st_mode & 0o077 == 0, "the CA key is readable by its owner only"


def test_signed_letters_name_the_latest_trail_checkpoint(client, auth, app, demo):
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    with app.app_context():
        checkpoint = audit.write_checkpoint()
    auth.login("unit_demo")
    number = unit_letter(client)
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    reason = str(PdfFileReader(BytesIO(pdf)).embedded_signatures[0].sig_object["/Reason"])
    assert f"留痕检查点 #{checkpoint['id']} {checkpoint['head'][:16]}" in reason
    assert verify_pdf(pdf, [portal_ca_certificate(app)]).intact
