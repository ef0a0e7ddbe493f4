import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.documents.signing import ensure_ca, verify_pdf
from tests.browser.conftest import confirm, login

pytestmark = pytest.mark.browser

UNIT_NAME = "日照市东港区人民医院"


def verified(pdf: bytes, ca_dir: Path):
    """verify_pdf off the test thread: pyHanko runs its own event loop, Playwright's already runs here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: verify_pdf(pdf, [ensure_ca(ca_dir).certificate])).result()


@pytest.fixture(autouse=True)
def ca_dir(app, tmp_path_factory, monkeypatch):
    directory = tmp_path_factory.getbasetemp() / "letters-ca"
    monkeypatch.setitem(app.config, "CA_DIR", str(directory))
    return directory


def test_unit_issues_downloads_and_checks_a_signed_letter(page, demo, ca_dir, tmp_path):
    login(page, "unit_demo")
    page.wait_for_url("**/home")
    page.click("nav.main-nav >> text=承诺书")
    page.wait_for_url("**/letters")
    total = int(page.locator("#batch-certificates").inner_text())
    assert total > 0

    # Narrowing the batch to one level swaps the counts in place (htmx), and the letter follows.
    counts = page.locator("#batch-certificates")
    page.select_option("#filter-level", "中级")
    expect(counts).not_to_have_text(str(total))
    middle = int(counts.inner_text())
    assert 0 < middle < total

    page.fill("input[name=contact_person]", "李经办")
    page.fill("input[name=contact_phone]", "13906331234")
    page.fill("input[name=office_phone]", "0633-8221234")
    page.click("button:has-text('出具承诺书')")
    confirm(page, "出具数据上报承诺书")
    page.wait_for_url(re.compile(r".*/letters/documents/DW\d{8}-[0-9A-Z]{8}$"))
    assert "已出具数据上报承诺书" in page.locator(".flash-success").inner_text()
    number = page.url.rsplit("/", 1)[1]
    sha256 = page.locator("dd.sha").inner_text().strip()
    covers = page.locator("section.covers").inner_text()
    assert "职称级别：中级" in covers and re.search(rf"合计\s+\d+\s+{middle}\b", covers)

    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename.endswith(f"{number}.pdf")
    path = tmp_path / "letter.pdf"
    download.save_as(path)
    pdf = path.read_bytes()

    result = verified(pdf, ca_dir)
    assert result.signed and result.intact and result.covers_whole_document and result.trusted
    assert result.signer_name == UNIT_NAME
    report = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report

    # Anyone can check the copy: the public page behind the QR code, and the upload check.
    page.goto(f"/documents/{number}")
    assert page.locator("#doc-sha256").inner_text().strip() == sha256
    page.goto("/documents/verify")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('核验')")
    assert page.locator(".verdict").inner_text().startswith("签章有效")
    assert page.locator("#signer").inner_text() == UNIT_NAME
    assert number in page.locator("#report").inner_text()


def test_person_confirms_and_downloads_the_individual_letter(page, demo, ca_dir, tmp_path):
    login(page, "person_demo")
    page.wait_for_url("**/home")
    page.goto("/letters")
    page.check("input[name=committed]")
    page.click("button:has-text('出具个人承诺书')")
    confirm(page, "真实性承诺书")
    page.wait_for_url(re.compile(r".*/letters/documents/GR\d{8}-[0-9A-Z]{8}$"))
    with page.expect_download() as download_info:
        page.click("#download")
    path = Path(download_info.value.path())
    result = verified(path.read_bytes(), ca_dir)
    assert result.intact and result.trusted and result.signer_name == "职称信息管理服务平台"
