"""The printable notice list, and evidence PDFs attached to objections (checked by content)."""
from __future__ import annotations

import re
import subprocess
from datetime import date
from io import BytesIO

from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.documents.notice_pdf import NoticeDocument, NoticeRow, build_notice_pdf, notice_html
from portal.documents.pdf import render_pdf
from portal.extensions import db
from portal.models import NoticeEntry, Objection, Person, PublicNotice
from portal.notices.demo import OPEN_TITLE
from tests.conftest import csrf_token_of


def _poppler(tool: str, path, *args: str) -> str:
    return subprocess.run([tool, str(path), *args], capture_output=True, text=True, check=True).stdout


def _text(path) -> str:
    return _poppler("pdftotext", path, "-")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_notice_pdf_lists_the_names_with_an_embedded_chinese_font(client, app, demo, tmp_path):
    with app.app_context():
        notice = db.session.scalar(select(PublicNotice).where(PublicNotice.title == OPEN_TITLE))
        names = list(db.session.scalars(select(NoticeEntry.person_name).where(NoticeEntry.notice_id == notice.id)))
        id_numbers = list(db.session.scalars(select(Person.id_number)))
        notice_id = notice.id
    response = client.get(f"/notices/{notice_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.data)
    text = _compact(_text(path))
    assert _compact(OPEN_TITLE) in text
    assert "日照市东港区人民医院" in text
    for name in names:
        assert name in text
    for id_number in id_numbers:
        assert id_number not in text
    assert re.search(r"第1页共\d+页", text)
    assert f"/notices/{notice_id}" in text, "the address behind the QR code is printed next to it"
    fonts = _poppler("pdffonts", path)
    portal_fonts = [line for line in fonts.splitlines() if "PortalSans" in line]
    assert portal_fonts and all(" yes " in line for line in portal_fonts), fonts
    assert client.get(f"/notices/{notice_id}.pdf").data == response.data, "served again from the cache"


def test_long_list_repeats_its_header_and_numbers_every_page(tmp_path):
    rows = [NoticeRow(n, f"测试{n:03d}", "日照市东港区人民医院", "卫生技术人员", "主治医师", "中级")
            for n in range(1, 121)]
    doc = NoticeDocument(
        title="长名单公示", org_name="日照市东港区人民医院", start=date(2030, 3, 4), end=date(2030, 3, 8), days=5,
        provisional=True, body="现予公示。", contact="李经办", url="http://portal.example/notices/9",
        published_on=date(2030, 3, 1), rows=rows)
    assert 'class="qr" src="data:image/svg+xml' in notice_html(doc)
    path = tmp_path / "long.pdf"
    path.write_bytes(build_notice_pdf(doc))
    pages = int(re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", path)).group(1))
    assert pages >= 3
    text = _text(path)
    page_texts = text.split("\f")[:pages]
    for number, page in enumerate(page_texts, start=1):
        compact = _compact(page)
        assert "序号姓名工作单位职称系列职称名称级别" in compact, f"header missing on page {number}"
        assert f"第{number}页共{pages}页" in compact
    compact = _compact(text)
    assert "测试001" in compact and "测试120" in compact
    assert "2030年3月8日（暂定）" in compact


def _objection_post(client, notice_id, entry_id, evidence: bytes, filename="证明.pdf"):
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({
        "csrf_token": csrf_token_of(client, f"/notices/{notice_id}"), "entry_id": str(entry_id),
        "name": "王建国", "phone": "0633-8123456", "grounds": "证书编号与发证机构的公开信息不一致。",
        "evidence": FileStorage(BytesIO(evidence), filename=filename, content_type="application/pdf")})
    return client.post(f"/notices/{notice_id}/objections/new", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _open_entry(app):
    with app.app_context():
        notice = db.session.scalar(select(PublicNotice).where(PublicNotice.title == OPEN_TITLE))
        entry = db.session.scalar(select(NoticeEntry).where(NoticeEntry.notice_id == notice.id).limit(1))
        return notice.id, entry.id


def test_evidence_must_really_be_a_small_pdf(client, app, demo):
    notice_id, entry_id = _open_entry(app)
    fake = _objection_post(client, notice_id, entry_id, "这不是PDF".encode() * 10)
    assert fake.status_code == 200 and "证明材料必须是 PDF 文件" in fake.get_data(as_text=True)
    broken = _objection_post(client, notice_id, entry_id, b"%PDF-1.7\n" + b"0" * 2000)
    assert broken.status_code == 200 and "已损坏或无法读取" in broken.get_data(as_text=True)
    real = render_pdf("<p>证明材料</p>")
    big = real + b"\n%" + b"0" * (2 * 1024 * 1024)
    too_big = _objection_post(client, notice_id, entry_id, big)
    assert too_big.status_code == 200 and "不能超过 2 MB" in too_big.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Objection.id)) is None


def test_valid_evidence_is_kept_for_the_publisher_only(client, auth, app, demo):
    notice_id, entry_id = _open_entry(app)
    evidence = render_pdf("<p>证明材料</p>")
    assert _objection_post(client, notice_id, entry_id, evidence, filename="scan.jpg").status_code == 302
    with app.app_context():
        objection = db.session.scalar(select(Objection))
        objection_id = objection.id
        assert objection.evidence_size == len(evidence)
    assert client.get(f"/notices/manage/objections/{objection_id}/evidence").status_code == 302  # login first
    auth.login("unit_demo")
    download = client.get(f"/notices/manage/objections/{objection_id}/evidence")
    assert download.status_code == 200 and download.get_data() == evidence
    download.close()
