"""Evidence uploads: checked by content, stored outside static/ by SHA-256, served only in scope."""
import hashlib
import io
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, Certificate, EvidenceFile, User
from portal.uploads import UploadRejected, check_file
from tests.conftest import csrf_token_of


def make_pdf(pages: int = 1, padding: int = 0, catalog: bytes = b"", extra: tuple[bytes, ...] = ()) -> bytes:
    """A small, well-formed PDF with a correct cross-reference table; `catalog` adds entries to
    the catalog, `extra` adds objects after the pages."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
               f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    objects += list(extra)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    if padding:
        out += b"%" + b"x" * padding + b"\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_image(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 40)).save(buffer, fmt)
    return buffer.getvalue()


# --- the content check itself -----------------------------------------------------------------------

def test_a_real_pdf_and_real_images_pass():
    checked = check_file("certificate_scan", "证书.pdf", make_pdf(2))
    assert checked.format == "pdf" and checked.content_type == "application/pdf"
    assert checked.sha256 == hashlib.sha256(make_pdf(2)).hexdigest()
    assert check_file("photo", "me.jpg", make_image("JPEG")).content_type == "image/jpeg"
    assert check_file("photo", "me.png", make_image("PNG")).content_type == "image/png"


@pytest.mark.parametrize("kind,name,data,words", [
    ("certificate_scan", "scan.pdf", make_image("PNG"), ["PNG图片", "仅修改扩展名"]),
    ("certificate_scan", "scan.pdf", b"PK\x03\x04" + b"\x00" * 100, ["Word/Excel文档或压缩包"]),
    ("certificate_scan", "scan.pdf", b"%PDF-1.4\nthis is not a pdf at all", ["无法打开"]),
    ("certificate_scan", "scan.pdf", make_pdf()[:150], ["无法打开"]),
    ("review_form", "form.pdf", make_pdf(padding=2 * 1024 * 1024), ["超过2 MB"]),
    ("photo", "me.png", make_pdf(), ["JPEG图片或PNG图片", "PDF文件"]),
    ("photo", "me.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, ["图片文件已损坏"]),
    ("qualification_doc", "empty.pdf", b"", ["没有收到文件内容"]),
])
def test_bad_files_are_refused_with_the_reason(kind, name, data, words):
    with pytest.raises(UploadRejected) as refused:
        check_file(kind, name, data)
    for word in words:
        assert word in str(refused.value)


# --- through the web ------------------------------------------------------------------------------

def _own_draft(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "person_demo"))
        cert = db.session.scalar(select(Certificate).where(Certificate.person_id == user.person_id,
                                                           Certificate.status == "draft"))
        return cert.id, user.person_id


def _upload(client, cert_id, data, filename="scan.pdf", kind="certificate_scan"):
    token = csrf_token_of(client, f"/entry/certificates/{cert_id}/edit")
    return client.post(f"/entry/certificates/{cert_id}/evidence", follow_redirects=True,
                       content_type="multipart/form-data",
                       data={"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), filename)})


def test_upload_is_stored_outside_static_by_hash_and_signed(client, auth, demo, app):
    cert_id, person_id = _own_draft(app)
    auth.login("person_demo")
    pdf = make_pdf(3)
    page = _upload(client, cert_id, pdf, "证书扫描件.pdf").get_data(as_text=True)
    assert "已上传证书扫描件" in page
    digest = hashlib.sha256(pdf).hexdigest()
    with app.app_context():
        item = db.session.scalar(select(EvidenceFile).where(EvidenceFile.certificate_id == cert_id))
        assert item.sha256 == digest and item.size == len(pdf) and item.filename == "证书扫描件.pdf"
        stored = Path(app.config["UPLOAD_DIR"]) / item.storage_path
        assert stored.read_bytes() == pdf
        assert Path(app.static_folder).resolve() not in stored.resolve().parents
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evidence_upload"))
        assert step.object_id == cert_id and step.diff["sha256"] == digest and step.actor_name == "张明华"
        evidence_id = item.id
    response = client.get(f"/entry/evidence/{evidence_id}")
    assert response.status_code == 200 and response.data == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


# The demo's evaluation applications come with their materials: these tests look at the rest.
NOT_DEMO_MATERIAL = EvidenceFile.kind != "application_material"


@pytest.mark.parametrize("data,filename,message", [
    (make_pdf(padding=5 * 1024 * 1024), "big.pdf", "文件大小为5.0 MB，超过2 MB"),
    (b"%PDF-1.7\n" + b"garbage" * 50, "fake.pdf", "不是有效的PDF"),
    (make_image("PNG"), "renamed.pdf", "所选文件的内容是PNG图片"),
    (b"MZ\x90\x00" + b"\x00" * 300, "virus.pdf", "无法识别的格式"),
])
def test_bad_upload_gets_a_clear_message_and_changes_nothing(client, auth, demo, app, data, filename, message):
    cert_id, _ = _own_draft(app)
    with app.app_context():
        trail_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    auth.login("person_demo")
    page = _upload(client, cert_id, data, filename).get_data(as_text=True)
    assert message in page and "未上传" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile).where(NOT_DEMO_MATERIAL)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == trail_before
    assert not any(Path(app.config["UPLOAD_DIR"]).rglob("*" + hashlib.sha256(data).hexdigest()))


def test_a_second_upload_replaces_the_first(client, auth, demo, app):
    cert_id, _ = _own_draft(app)
    auth.login("person_demo")
    _upload(client, cert_id, make_pdf(1))
    _upload(client, cert_id, make_pdf(2))
    with app.app_context():
        files = list(db.session.scalars(select(EvidenceFile).where(EvidenceFile.certificate_id == cert_id)))
        assert [f.sha256 for f in files] == [hashlib.sha256(make_pdf(2)).hexdigest()]
        steps = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "evidence_upload")
                                        .order_by(AuditEntry.id)))
        assert steps[1].diff["replaced_sha256"] == hashlib.sha256(make_pdf(1)).hexdigest()
    assert not (Path(app.config["UPLOAD_DIR"]) / hashlib.sha256(make_pdf(1)).hexdigest()[:2]
                / hashlib.sha256(make_pdf(1)).hexdigest()).exists()


def _new_person(app) -> int:
    from datetime import date

    from portal.domain.idnumber import build_resident_id
    from portal.models import Organization, Person

    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        number = build_resident_id("371102", date(1990, 5, 6), 123)
        person = Person(name="钱新来", sex="男", id_type="resident_id", id_number=number, id_tail=number[-4:],
                        birth_date=date(1990, 5, 6), org_id=org.id, unit_region_code=org.region_code)
        db.session.add(person)
        db.session.commit()
        return person.id


def _photo(client, person_id, data, filename):
    token = csrf_token_of(client, f"/entry/persons/{person_id}")
    return client.post(f"/entry/persons/{person_id}/photo", follow_redirects=True, content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename)}).get_data(as_text=True)


def test_photo_must_be_an_image(client, auth, demo, app):
    person_id = _new_person(app)
    auth.login("unit_demo")
    assert "应为JPEG图片或PNG图片" in _photo(client, person_id, make_pdf(), "photo.jpg")
    assert "已上传照片" in _photo(client, person_id, make_image("JPEG"), "photo.jpg")
    with app.app_context():
        photo = db.session.scalar(select(EvidenceFile).where(EvidenceFile.person_id == person_id))
        assert photo.kind == "photo" and photo.certificate_id is None and photo.content_type == "image/jpeg"


def test_photo_is_locked_once_a_certificate_has_gone_up(client, auth, demo, app):
    _, person_id = _own_draft(app)  # person_demo already has approved certificates
    auth.login("person_demo")
    assert "照片已随证书上报并锁定" in _photo(client, person_id, make_image("PNG"), "me.png")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile).where(NOT_DEMO_MATERIAL)) == 0


def test_evidence_is_served_only_to_the_person_and_reviewers_in_scope(client, auth, demo, app):
    cert_id, _ = _own_draft(app)
    auth.login("person_demo")
    _upload(client, cert_id, make_pdf())
    with app.app_context():
        evidence_id = db.session.scalar(select(EvidenceFile.id).where(NOT_DEMO_MATERIAL))
    url = f"/entry/evidence/{evidence_id}"
    auth.logout()
    for username, status in [("unit_demo", 200), ("county_demo", 200), ("city_demo", 200), ("province_demo", 200),
                             ("county2_demo", 404), ("unit2_demo", 404), ("dept_demo", 404)]:
        auth.login(username)
        response = client.get(url)
        assert response.status_code == status, username
        response.close()
        auth.logout()
    assert client.get(url).status_code == 302  # anonymous: to the login page


def test_a_locked_record_takes_no_new_evidence(client, auth, demo, app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "person_demo"))
        approved = db.session.scalar(select(Certificate.id).where(Certificate.person_id == user.person_id,
                                                                  Certificate.status == "approved"))
    auth.login("person_demo")
    token = csrf_token_of(client, "/home")
    page = client.post(f"/entry/certificates/{approved}/evidence", follow_redirects=True,
                       content_type="multipart/form-data",
                       data={"csrf_token": token, "kind": "certificate_scan",
                             "file": (io.BytesIO(make_pdf()), "scan.pdf")}).get_data(as_text=True)
    assert "已提交审核并锁定" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvidenceFile).where(NOT_DEMO_MATERIAL)) == 0


def _object_stream(body: bytes) -> bytes:
    packed = zlib.compress(b"10 0 " + body)
    return (f"<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode()
            + packed + b"\nendstream")


@pytest.mark.parametrize("catalog,extra", [
    (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ", ()),
    (b"/OpenAction 4 0 R ", (b"<< /S /Launch /F (cmd.exe) >>",)),
    (b"/Names << /JavaScript 4 0 R >> ", (b"<< /Names [(a) << /S /J#61vaScript /J#53 (x) >>] >>",)),
    (b"/OpenAction 10 0 R ", (_object_stream(b"<< /S /JavaScript /JS (this.exportDataObject()) >>"),)),
], ids=["open-action-script", "launch", "hex-escaped-names", "hidden-in-object-stream"])
def test_pdfs_with_scripts_or_launch_actions_are_refused(catalog, extra):
    with pytest.raises(UploadRejected, match="JavaScript/Launch"):
        check_file("certificate_scan", "scan.pdf", make_pdf(catalog=catalog, extra=extra))


def test_a_pdf_opening_at_a_page_is_accepted():
    check_file("certificate_scan", "scan.pdf", make_pdf(catalog=b"/OpenAction [3 0 R /Fit] "))


def test_a_pdf_is_served_as_a_download_and_an_image_inline(client, auth, demo, app):
    cert_id, person_id = _own_draft(app)
    auth.login("person_demo")
    _upload(client, cert_id, make_pdf(), "证书扫描件.pdf")
    with app.app_context():
        evidence_id = db.session.scalar(select(EvidenceFile.id).where(EvidenceFile.certificate_id == cert_id))
    response = client.get(f"/entry/evidence/{evidence_id}")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    response.close()


def test_a_refused_upload_says_so_where_the_page_lands(client, auth, demo, app):
    """The upload redirects to #evidence; a message at the top of the page was scrolled out of view."""
    cert_id, _ = _own_draft(app)
    auth.login("person_demo")
    response = client.post(f"/entry/certificates/{cert_id}/evidence", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token_of(client, f"/entry/certificates/{cert_id}/edit"),
                                 "kind": "certificate_scan", "file": (io.BytesIO(make_image("PNG")), "x.pdf")})
    assert response.headers["Location"].endswith("#evidence")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    before, section = page.split('id="evidence"', 1)
    assert "未上传" not in before
    assert 'class="flash flash-error" role="alert" id="upload-result">“x.pdf”未上传' in section
