"""Portal CA, organisation certificates, PAdES signing and verification."""
from __future__ import annotations

import codecs
import re
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from portal.documents import fonts
from portal.documents.pdf import render_pdf
from portal.clock import in_china
from portal.documents.signing import (
    CA_COMMON_NAME,
    SigningError,
    ensure_ca,
    issue_org_certificate,
    load_signer,
    sign_pdf,
    verify_pdf,
)

ORG_NAME = "某某市第一人民医院"
ORG_CODE = "12330100470000000X"
PASSPHRASE = "口令-2024".encode()


@pytest.fixture(scope="session")
def font_files() -> dict[str, Path]:
    # Uses the shared font cache: building it costs ~20 s, so only the first run pays.
    return fonts.ensure_fonts()


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return ensure_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def org_p12(ca) -> bytes:
    return issue_org_certificate(ca, ORG_NAME, ORG_CODE, PASSPHRASE)


@pytest.fixture(scope="module")
def signer(org_p12):
    return load_signer(org_p12, PASSPHRASE)


def letter(pages: int = 1) -> bytes:
    paragraphs = "<p>本人承诺所提交的职称证书信息真实、准确、完整，如有虚假，愿承担相应责任。</p>"
    breaks = '<p style="break-before: page">（续）</p>' * (pages - 1)
    return render_pdf(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>承诺书</title>'
        f"</head><body><h1>承诺书</h1>{paragraphs}{breaks}</body></html>"
    )


@pytest.fixture(scope="module")
def signed_letter(font_files, signer) -> bytes:
    return sign_pdf(letter(2), signer, reason="职称证书信息确认", location="杭州")


def pdfsig(tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True)
    return result.stdout


def stamp_texts(pdf: bytes, field_name: str = "Signature1"):
    """A signature appearance's ActualText strings and glyph-id runs, its page and the last page."""
    reader = PdfFileReader(BytesIO(pdf))
    fields = [ref.get_object() for ref in reader.root["/AcroForm"].raw_get("/Fields")]
    field = next(f for f in fields if f["/T"] == field_name)
    data = field["/AP"]["/N"].data
    literals = re.findall(rb"/ActualText \((.*?)\)\s*>> BDC", data, re.DOTALL)
    texts = [codecs.escape_decode(literal)[0].decode("utf-16") for literal in literals]
    glyph_runs = [run.decode() for run in re.findall(rb"\[<([0-9a-f]+)>\] TJ", data)]
    kids = reader.root["/Pages"]["/Kids"]
    last_page = kids.raw_get(len(kids) - 1)
    return texts, glyph_runs, field.raw_get("/P"), last_page


def test_ca_is_created_once_with_private_key_file(tmp_path):
    first = ensure_ca(tmp_path / "ca")
    key_file = tmp_path / "ca" / "ca-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    common_name = first.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0]
    assert common_name.value == CA_COMMON_NAME
    assert first.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    again = ensure_ca(tmp_path / "ca")
    assert again.certificate == first.certificate
    assert first.certificate_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(first.certificate_pem()) == first.certificate


def test_org_certificate_is_chained_to_the_ca(ca, org_p12):
    key, cert, extra = pkcs12.load_key_and_certificates(org_p12, PASSPHRASE)
    assert key is not None and cert is not None
    assert extra == [ca.certificate]
    cert.verify_directly_issued_by(ca.certificate)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ORG_NAME
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORG_NAME
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == ORG_CODE
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3 * 365) <= lifetime <= timedelta(days=3 * 366 + 1)


def test_issue_rejects_empty_passphrase(ca):
    with pytest.raises(ValueError, match="口令"):
        issue_org_certificate(ca, ORG_NAME, ORG_CODE, b"")


@pytest.mark.parametrize("data, passphrase", [
    ("p12", b"wrong passphrase"),
    (b"not a pkcs12 file", PASSPHRASE),
])
def test_load_signer_reports_bad_passphrase_or_file(org_p12, data, passphrase):
    with pytest.raises(SigningError, match="口令错误|证书"):
        load_signer(org_p12 if data == "p12" else data, passphrase)


def test_signer_is_opened_once_per_archive_and_passphrase(org_p12):
    assert load_signer(org_p12, PASSPHRASE) is load_signer(bytearray(org_p12), PASSPHRASE)
    # The passphrase is part of the key: an archive opened once is not opened by a wrong one.
    with pytest.raises(SigningError, match="口令错误"):
        load_signer(org_p12, b"wrong passphrase")


def test_signed_pdf_is_valid_for_pdfsig(signed_letter, tmp_path):
    report = pdfsig(tmp_path, signed_letter)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Not total document signed" not in report
    assert ORG_NAME in report
    assert "ETSI.CAdES.detached" in report


def test_signed_pdf_verifies_against_the_portal_ca(signed_letter, ca):
    result = verify_pdf(signed_letter, [ca.certificate])
    assert result.signed and result.intact and result.covers_whole_document and result.trusted
    assert result.signer_name == ORG_NAME
    assert result.signing_time is not None
    assert abs(datetime.now(UTC) - result.signing_time) < timedelta(minutes=10)
    assert result.problems == []
    # DER bytes are accepted as trust roots too.
    assert verify_pdf(signed_letter, [ca.certificate_der()]).trusted


def test_stamp_on_last_page_shows_name_and_beijing_time(signed_letter, ca):
    texts, glyph_runs, page, last_page = stamp_texts(signed_letter)
    assert page == last_page
    signing_time = verify_pdf(signed_letter, [ca.certificate]).signing_time
    shown_time = in_china(signing_time).strftime("%Y-%m-%d %H:%M:%S")
    assert texts == [ORG_NAME, f"签章时间：{shown_time}"]
    # Glyph id 0 is .notdef, the empty box drawn for characters the font lacks.
    for run in glyph_runs:
        assert "0000" not in [run[i:i + 4] for i in range(0, len(run), 4)]


def test_stamp_fonts_are_embedded(signed_letter, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_letter)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    stamp_rows = [row for row in rows.stdout.splitlines() if "PortalSans-Stamp" in row]
    assert stamp_rows and all(row.split()[-5] == "yes" for row in stamp_rows)


def test_custom_stamp_lines_and_rare_characters(font_files, ca):
    rare_org = "刘䶮中医诊所"
    signer = load_signer(issue_org_certificate(ca, rare_org, "92330100MA0000000X", b"pw"), b"pw")
    signed = sign_pdf(
        letter(), signer, reason="确认", location=None,
        stamp_text_lines=[rare_org, "（100% 电子签章）"], field_name="OrgSeal",
    )
    texts, glyph_runs, _, _ = stamp_texts(signed, "OrgSeal")
    assert texts[:2] == [rare_org, "（100% 电子签章）"]
    assert texts[2].startswith("签章时间：")
    for run in glyph_runs:
        assert "0000" not in [run[i:i + 4] for i in range(0, len(run), 4)]
    result = verify_pdf(signed, [ca.certificate])
    assert result.intact and result.trusted and result.signer_name == rare_org


def test_second_signature_keeps_both_valid(signed_letter, ca, signer):
    twice = sign_pdf(signed_letter, signer, reason="复核", field_name="Signature2")
    result = verify_pdf(twice, [ca.certificate])
    assert result.signed and result.intact and result.trusted and result.covers_whole_document
    with pytest.raises(SigningError):
        sign_pdf(twice, signer, reason="重复", field_name="Signature2")


def test_modified_byte_breaks_the_signature(signed_letter, ca, tmp_path):
    # Flip one byte inside the first page's compressed content stream.
    start = signed_letter.index(b"stream\n") + len(b"stream\n")
    position = start + 20
    tampered = bytearray(signed_letter)
    tampered[position] ^= 0x01
    tampered = bytes(tampered)

    result = verify_pdf(tampered, [ca.certificate])
    assert result.signed and not result.intact
    assert any("篡改" in problem for problem in result.problems)
    report = pdfsig(tmp_path, tampered)
    assert "Signature is Valid" not in report
    assert "Digest Mismatch" in report


def test_update_appended_after_signing_is_reported(signed_letter, ca, tmp_path):
    writer = IncrementalPdfFileWriter(BytesIO(signed_letter))
    overlay = generic.StreamObject(stream_data=b"q 1 0 0 rg 100 100 200 200 re f Q")
    writer.add_stream_to_page(0, writer.add_object(overlay))
    output = BytesIO()
    writer.write(output)
    updated = output.getvalue()

    result = verify_pdf(updated, [ca.certificate])
    assert result.signed and not result.covers_whole_document
    assert any("追加修改" in problem for problem in result.problems)
    assert "Not total document signed" in pdfsig(tmp_path, updated)


def test_other_ca_means_intact_but_untrusted(signed_letter, tmp_path):
    stranger = ensure_ca(tmp_path / "other-ca")
    result = verify_pdf(signed_letter, [stranger.certificate])
    assert result.signed and result.intact and not result.trusted
    assert any("受信任" in problem for problem in result.problems)


@pytest.mark.parametrize("data", [
    b"",
    b"garbage, not a PDF at all",
    b"%PDF-1.7\n",
    "truncated",
])
def test_malformed_input_is_reported_not_raised(signed_letter, ca, data):
    payload = signed_letter[: len(signed_letter) // 2] if data == "truncated" else data
    result = verify_pdf(payload, [ca.certificate])
    assert not result.signed and not result.intact and not result.trusted
    assert result.problems and all(re.search(r"[\u4e00-\u9fff]", p) for p in result.problems)


def test_unsigned_pdf_has_no_signature(font_files, ca):
    result = verify_pdf(letter(), [ca.certificate])
    assert not result.signed
    assert result.problems == ["文件中没有电子签章。"]


def test_signing_garbage_raises_signing_error(signer):
    with pytest.raises(SigningError, match="PDF"):
        sign_pdf(b"not a pdf", signer, reason="确认")


def _field_rect(pdf: bytes, field_name: str = "Signature1"):
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/T") == field_name:
                return index, [float(v) for v in annot["/Rect"]]
    raise AssertionError("no signature widget")


def test_stamp_sits_on_the_seal_line_not_in_the_footer(font_files, signer, tmp_path):
    """A document with an element id="seal" gets its visible stamp there (单位（盖章）)."""
    html = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>承诺书</title></head><body>'
            '<h1>承诺书</h1><p>正文。</p><div style="height: 60mm"></div>'
            '<p style="text-align: right">单位（盖章）：某某单位</p>'
            '<div id="seal" style="width: 67.1mm; height: 20.5mm; margin-left: auto"></div>'
            '<p style="break-before: page">附页</p></body></html>')
    signed = sign_pdf(render_pdf(html), signer, reason="测试")
    page, (llx, lly, urx, ury) = _field_rect(signed)
    assert page == 0, "on the page of the seal line, not the last page"
    path = tmp_path / "seal.pdf"
    path.write_bytes(signed)
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    word = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">单位（盖章）', bbox)
    assert word, bbox[:500]
    page_height = 841.89
    line_bottom = page_height - float(word.group(3))
    assert ury <= line_bottom + 2 and line_bottom - ury < 20, "directly under the 单位（盖章） line"
    assert lly > 28 / 25.4 * 72, "above the footer margin"
    assert urx - llx == 190 and ury - lly == 58
