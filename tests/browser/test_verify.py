from urllib.parse import urlsplit

import pytest

from portal.domain.idnumber import mask_id
from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_public_lookup_then_the_holders_qr_link(page, demo, app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)
    real = demo["verifiable"][0]
    page.goto("/verify")
    page.fill("input[name=name]", real["name"])
    page.fill("input[name=id_number]", real["id_number"])
    page.click("button[type=submit]")
    result = page.locator("#verify-result")
    assert "查到" in result.locator("h2").inner_text()
    text = result.inner_text()
    assert real["cert_no"] in text and mask_id(real["id_number"]) in text and real["id_number"] not in text

    page.fill("input[name=name]", "王不存")
    page.fill("input[name=id_number]", real["id_number"])
    page.click("button[type=submit]")
    assert page.locator("#verify-result h2").inner_text() == "未查到符合条件的职称证书信息"

    login(page, "person_demo")
    page.wait_for_url("**/home")
    page.goto("/certificates?status=approved")
    page.locator("table a[href^='/certificates/']").first.click()
    panel = page.locator("#verify-qr")
    assert panel.locator("svg.verify-qr").is_visible()
    qr_url = panel.locator("a.verify-link").get_attribute("href")
    # The printed URL names the public host; the QR path is what this test server answers.
    page.goto(urlsplit(qr_url).path)
    card = page.locator("#verify-result .verify-cert")
    assert card.count() == 1 and "有效" in card.inner_text()

    page.goto("/verify/history")
    assert "扫码核验" in page.locator("#verify-history").inner_text()
