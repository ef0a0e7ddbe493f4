"""The electronic certificate end to end: an office issues it, the holder downloads it and makes a use
copy, and a visitor opens the certificate's QR address on the public check page."""
import subprocess
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import clock
from portal.domain.idnumber import mask_id
from portal.extensions import db
from portal.models import Certificate, Person, User
from tests.browser.conftest import confirm, login

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def key_dirs(app, tmp_path_factory, monkeypatch):
    monkeypatch.setitem(app.config, "CA_DIR", str(tmp_path_factory.getbasetemp() / "letters-ca"))
    monkeypatch.setitem(app.config, "ECERT_KEY_DIR", str(tmp_path_factory.getbasetemp() / "ecert-key"))


def _link_targets(pdf: bytes) -> list[str]:
    """The URI links of a PDF's pages: the QR code links to the address it encodes."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    targets = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page, _ = reader.find_page_for_modification(index)
        for annot in page.get_object().get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets


def _logout(page):
    page.click("header >> button:has-text('退出')")
    page.wait_for_load_state()


def test_holder_downloads_the_e_certificate_and_a_visitor_checks_its_qr(page, app, demo, tmp_path):
    with app.app_context():
        holder = db.session.scalar(select(User).where(User.username == "person_demo"))
        person = db.session.get(Person, holder.person_id)
        cert = db.session.scalar(select(Certificate).where(Certificate.person_id == person.id,
                                                           Certificate.status == "approved").order_by(Certificate.id))
        cert_id, name, id_number, title_name = cert.id, person.name, person.id_number, cert.title_name

    # The county office issues it from the record's page.
    login(page, "county_demo")
    page.wait_for_url("**/home")
    page.goto(f"/certificates/{cert_id}")
    page.click("#ecert-issue-form button")
    confirm(page, "签发职称电子证书")
    expect(page.locator(".flash-success")).to_contain_text("已签发职称电子证书")
    _logout(page)

    # The holder finds it under 电子证书 and downloads it.
    login(page, "person_demo")
    page.wait_for_url("**/home")
    page.click("nav.main-nav >> text=电子证书")
    page.wait_for_url("**/ecert/mine")
    with page.expect_download() as download_info:
        page.locator("a[id^=download-DZ]").first.click()
    path = tmp_path / "ecert.pdf"
    download_info.value.save_as(path)
    pdf = path.read_bytes()
    report = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert name in text and id_number in text
    qr_urls = sorted({url for url in _link_targets(pdf) if "/v/E1." in url})
    assert len(qr_urls) == 1

    # A use copy for a stated purpose.
    page.fill("input[name=purpose]", "应聘日照市人民医院")
    page.fill("input[name=valid_until]", (clock.today() + timedelta(days=30)).isoformat())
    page.click("form.use-copy-form button")
    expect(page.locator(".flash-success")).to_contain_text("已制作使用件")
    expect(page.locator("table.use-copies")).to_contain_text("应聘日照市人民医院")
    _logout(page)

    # A visitor scans the QR code: the signed claims with the ID masked, then the live status.
    page.goto(urlsplit(qr_urls[0]).path)
    claims = page.locator("#ecert-claims")
    expect(claims).to_contain_text("签名核验通过")
    expect(claims).to_contain_text(name)
    expect(claims).to_contain_text(title_name)
    assert page.locator("#ecert-masked-id").inner_text() == mask_id(id_number)
    assert id_number not in page.content()
    expect(page.locator("#ecert-live-status")).to_have_text("有效")

    # The holder sees that check.
    login(page, "person_demo")
    page.wait_for_url("**/home")
    page.goto("/ecert/mine")
    expect(page.locator("details")).to_contain_text("原件被核验 1 次")
