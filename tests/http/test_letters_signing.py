"""Organisations' signing certificates, the public signature check and tampered files."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.documents.pdf import render_pdf
from portal.documents.signing import verify_pdf
from portal.extensions import db
from portal.models import AuditEntry, Organization, SigningCredential
from tests.conftest import csrf_token_of
from tests.http.test_letters import pdfsig, portal_ca_certificate, signing_dirs, unit_letter  # noqa: F401

LEAF_NAME = "日照市东港区人民医院（自有电子印章）"
PASSPHRASE = "上传口令-2026"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, signing: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=not (signing or ca),
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool, days: int = 365, start_days: int = -1,
                 signing: bool = True):
    now = datetime.now(UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + timedelta(days=start_days)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_usage(signing=signing and not ca, ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256()))


@pytest.fixture(scope="module")
def foreign_pki():
    """An outside CA (as a provincial e-seal authority would be) and a unit certificate it issued."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("某省电子认证服务中心根证书", root_key, "某省电子认证服务中心根证书", root_key, ca=True, days=3650)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate(LEAF_NAME, leaf_key, "某省电子认证服务中心根证书", root_key, ca=False)
    return {"root": root, "root_key": root_key, "leaf": leaf, "leaf_key": leaf_key}


def _p12(key, cert, cas=(), passphrase: str = PASSPHRASE) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        b"seal", key, cert, list(cas), serialization.BestAvailableEncryption(passphrase.encode()))


def upload(client, data: bytes, passphrase: str = PASSPHRASE):
    token = csrf_token_of(client, "/letters/credential")
    return client.post("/letters/credential", data={
        "csrf_token": token, "passphrase": passphrase, "file": (BytesIO(data), "seal.p12")},
        content_type="multipart/form-data")


def check(client, data: bytes) -> str:
    # Encoded here in memory: the test client would spool a large body to a temporary file
    # and leave it open when the view refuses the upload without reading it.
    boundary, body = encode_multipart({"file": FileStorage(BytesIO(data), "letter.pdf")})
    response = client.post("/documents/verify", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def verdict(html: str) -> str:
    match = re.search(r'<p class="verdict[^"]*">([^<]+)</p>', html)
    return match.group(1) if match else ""


def test_uploaded_certificate_signs_letters_and_its_passphrase_is_not_kept(
        client, auth, app, demo, foreign_pki, tmp_path, monkeypatch):
    auth.login("unit_demo")
    p12 = _p12(foreign_pki["leaf_key"], foreign_pki["leaf"], [foreign_pki["root"]])
    wrong = upload(client, p12, "not the passphrase").get_data(as_text=True)
    assert "口令错误" in wrong
    assert "不是 PKCS#12" in upload(client, b"-----BEGIN CERTIFICATE-----", PASSPHRASE).get_data(as_text=True)

    response = upload(client, p12)
    assert response.status_code == 302
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        stored = db.session.scalar(select(SigningCredential).where(SigningCredential.org_id == org.id))
        assert stored.source == "uploaded" and stored.subject_name == LEAF_NAME
        assert PASSPHRASE.encode() not in stored.pkcs12
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(stored.pkcs12, PASSPHRASE.encode())
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signing_credential_set")) is not None
    page = client.get("/letters/credential").get_data(as_text=True)
    assert LEAF_NAME in page and "不受信任" in page

    number = unit_letter(client)
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    portal_only = verify_pdf(pdf, [portal_ca_certificate(app)])
    assert portal_only.intact and not portal_only.trusted and portal_only.signer_name == LEAF_NAME
    assert verify_pdf(pdf, [foreign_pki["root"]]).trusted
    assert "Signature is Valid." in pdfsig(tmp_path, pdf)

    # Until the operator trusts the outside root, the check page says the signer is unknown.
    assert verdict(check(client, pdf)).startswith("签章完好，但签章证书不受信任")
    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "province-root.pem").write_bytes(foreign_pki["root"].public_bytes(serialization.Encoding.PEM))
    (roots / "broken.pem").write_text("not a certificate")
    monkeypatch.setitem(app.config, "TRUSTED_ROOTS_DIR", str(roots))
    html = check(client, pdf)
    assert verdict(html).startswith("签章有效") and "运营方配置的受信任根证书" in verdict(html)
    assert LEAF_NAME in html and number in html
    assert "某省电子认证服务中心根证书" in client.get("/letters/credential").get_data(as_text=True)


def _encryption_only_p12(foreign_pki) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("加密证书", key, "某省电子认证服务中心根证书", foreign_pki["root_key"], ca=False, signing=False)
    return _p12(key, cert)


def _expired_p12(foreign_pki) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("过期证书", key, "某省电子认证服务中心根证书", foreign_pki["root_key"], ca=False,
                        start_days=-400, days=-30)
    return _p12(key, cert)


def _weak_p12(foreign_pki) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return _p12(key, _certificate("弱密钥", key, "弱密钥", key, ca=False))


@pytest.mark.parametrize("make, message", [
    (_encryption_only_p12, "密钥用途不包括数字签名"),
    (_expired_p12, "过期"),
    (_weak_p12, "至少需要 2048 位"),
])
def test_unusable_certificates_are_refused_with_the_reason(client, auth, app, demo, foreign_pki, make, message):
    auth.login("unit_demo")
    html = upload(client, make(foreign_pki)).get_data(as_text=True)
    assert message in html
    with app.app_context():
        assert db.session.scalar(select(SigningCredential)) is None


def test_portal_ca_issues_a_certificate_on_request(client, auth, app, demo):
    auth.login("dept_demo")
    token = csrf_token_of(client, "/letters/credential")
    assert client.post("/letters/credential/issue", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        credential = db.session.scalar(select(SigningCredential))
        assert credential.source == "portal_ca" and credential.org.code == "RZ-JYJ"
        assert credential.subject_name == "日照市教育局" and credential.issuer_name == "职称信息平台 CA"
    page = client.get("/letters/credential").get_data(as_text=True)
    assert "链接到本平台 CA" in page


def test_a_new_signing_key_reissues_portal_certificates_but_asks_for_uploads_again(
        client, auth, app, demo, foreign_pki, monkeypatch):
    auth.login("unit_demo")
    unit_letter(client)
    with app.app_context():
        first = db.session.scalar(select(SigningCredential.fingerprint_sha256))
    monkeypatch.setitem(app.config, "SIGNING_KEY", "a-new-signing-key")
    unit_letter(client)
    with app.app_context():
        assert db.session.scalar(select(SigningCredential.fingerprint_sha256)) != first

    monkeypatch.setitem(app.config, "SIGNING_KEY", "key-at-upload")
    assert upload(client, _p12(foreign_pki["leaf_key"], foreign_pki["leaf"])).status_code == 302
    monkeypatch.setitem(app.config, "SIGNING_KEY", "key-after-rotation")
    response = client.post("/letters/unit", data={"csrf_token": csrf_token_of(client, "/letters"),
                                                  "contact_person": "李经办", "contact_phone": "13906331234"},
                           follow_redirects=True)
    assert "请重新上传证书" in response.get_data(as_text=True)


def test_any_change_after_signing_breaks_the_signature(client, auth, app, demo, tmp_path):
    auth.login("unit_demo")
    number = unit_letter(client)
    pdf = client.get(f"/letters/documents/{number}.pdf").data
    auth.logout()

    good = check(client, pdf)
    assert verdict(good).startswith("签章有效") and f">{number}</a> 完全一致" in good

    # One changed byte inside the signed range (the producer string of the signed revision).
    position = pdf.rindex(b"WeasyPrint")
    tampered = pdf[:position] + b"WeasyPrinT" + pdf[position + len(b"WeasyPrint"):]
    assert len(tampered) == len(pdf)
    assert "Signature is Valid." not in pdfsig(tmp_path, tampered)
    result = verify_pdf(tampered, [portal_ca_certificate(app)])
    assert result.signed and not result.intact
    html = check(client, tampered)
    assert verdict(html).startswith("签章无效") and "没有出具过与该文件逐字节相同的文件" in html
    # The portal's certificate did nothing wrong: the broken signature is not reported as untrusted.
    assert "<dt>证书受信任</dt><dd>否" not in html and "未判断：签章已因文件被修改而失效" in html

    # An update appended after signing leaves the signed revision intact but not the whole file.
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    writer.root["/PageMode"] = generic.NameObject("/UseNone")
    writer.update_root()
    appended = BytesIO()
    writer.write(appended)
    result = verify_pdf(appended.getvalue(), [portal_ca_certificate(app)])
    assert result.intact and not result.covers_whole_document
    assert "Not total document signed" in pdfsig(tmp_path, appended.getvalue())
    html = check(client, appended.getvalue())
    assert verdict(html).startswith("签章无效") and "签章之后文件又被追加修改" in html


def test_check_page_explains_files_it_cannot_check(client, app, monkeypatch):
    assert "文件中没有电子签章" in check(client, render_pdf("<p>未签章的文件</p>"))
    assert "不是 PDF" in check(client, b"PK\x03\x04 a zip file renamed to pdf")
    assert "文件不是有效的 PDF" in check(client, b"%PDF-1.7\n garbage without any structure")
    assert "请选择要核验的 PDF 文件" in check(client, b"")
    monkeypatch.setitem(app.config, "DOCUMENT_VERIFY_MAX_MB", 1)
    html = check(client, b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 200 * 1024))
    assert "文件过大" in html and "最大 1 MB" in html


def test_check_page_is_rate_limited(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_VERIFY_RATE_LIMIT", "2 per minute")
    for _ in range(2):
        check(client, b"not a pdf")
    response = client.post("/documents/verify", data={"file": (BytesIO(b"x"), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 429
    assert client.get("/documents/verify").status_code == 200, "reading the page is not limited"


def test_portal_ca_certificate_is_public(client, app):
    response = client.get("/documents/ca.pem")
    assert response.status_code == 200
    assert x509.load_pem_x509_certificate(response.data) == portal_ca_certificate(app)
    assert "portal-ca.pem" in response.headers["Content-Disposition"]
