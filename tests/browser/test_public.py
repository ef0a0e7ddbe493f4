"""The public front door in Chromium: home page, the POST lookup, the printable report."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.domain.idnumber import mask_id

pytestmark = pytest.mark.browser

# Screenshots for a person to look at; kept out of the repository.
SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_home_lookup_from_the_front_page_keeps_the_id_out_of_the_address(page, demo, app, monkeypatch, width):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)
    page.set_viewport_size({"width": width, "height": 900})
    real = demo["verifiable"][0]
    page.goto("/")
    expect(page.locator("h1")).to_have_text("职称信息管理服务平台")
    for box in ("#home-lookup", "#home-notices", "#home-documents", "#contact"):
        expect(page.locator(box)).to_be_visible()
    shot(page, f"public-home-{width}")
    home = page.locator("#home-lookup")
    home.locator("input[name=name]").fill(real["name"])
    home.locator("input[name=id_number]").fill(real["id_number"])
    home.locator("button[type=submit]").click()
    page.wait_for_url("**/verify")
    result = page.locator("#verify-result")
    expect(result.locator("h2")).to_contain_text("查到")
    assert mask_id(real["id_number"]) in result.inner_text()
    assert real["id_number"] not in page.url and real["id_number"] not in page.content()
    shot(page, f"lookup-result-{width}")
    history = page.evaluate("() => [location.href, document.referrer]")
    assert all(real["id_number"] not in entry for entry in history)

    # The printable report: a PDF behind a plain link (the QR token), not the ID number.
    href = result.locator("a", has_text="打印核验报告").first.get_attribute("href")
    assert href.startswith("/v/") and href.endswith("/report.pdf")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


def test_header_collapses_into_a_menu_on_a_phone(page, demo):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/notices")
    nav = page.locator("nav.main-nav")
    expect(nav).to_be_hidden()
    page.click("label.nav-toggle-button")
    expect(nav).to_be_visible()
    nav.locator("a", has_text="证书查询").click()
    page.wait_for_url("**/verify")
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(page.locator("nav.main-nav")).to_be_visible()
    expect(page.locator("label.nav-toggle-button")).to_be_hidden()


def test_a_bad_qr_code_gets_its_own_message(page):
    page.goto("/v/" + "Z" * 43)
    expect(page.locator("#verify-result h2")).to_have_text("二维码无效")
