"""At 390 px (a phone) no page is wider than the screen: the main pages of every demo role."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_public import shot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PUBLIC = ["/", "/verify", "/notices", "/notices/1", "/documents/verify", "/notices/objections/receipt", "/login",
          "/v/" + "Q" * 43, "/stats/public"]
COMMON = ["/home", "/certificates", "/letters", "/messages/", "/account/password", "/account/logins"]
REVIEWER = ["/review/", "/review/?status=all", "/notices/manage", "/excel/import", "/oplog", "/accounts",
            "/stats/", "/internal-notices/"]
ROLES = {
    "person_demo": COMMON + ["/entry/", "/verify/history"],
    "unit_demo": COMMON + REVIEWER + ["/entry/staff", "/entry/staff/accounts", "/verify/batch"],
    "dept_demo": COMMON + REVIEWER + ["/review/progress"],
    "county_demo": COMMON + REVIEWER + ["/review/progress", "/review/blacklist", "/campaigns/"],
    "city_demo": COMMON + REVIEWER + ["/review/progress", "/campaigns/"],
    "province_demo": COMMON + REVIEWER + ["/review/progress", "/excel/export"],
}
# Detail pages reached from a list: (list page, link to follow).
DETAILS = {
    "person_demo": [("/certificates", "table a[href^='/certificates/']")],
    "unit_demo": [("/review/?status=all", "#queue-rows a[href^='/review/certificates/']"),
                  ("/entry/staff", "a[href^='/entry/persons/']")],
    "county_demo": [("/review/?status=all", "#queue-rows a[href^='/review/certificates/']"),
                    ("/certificates", "table a[href^='/certificates/']"),
                    ("/campaigns/", "a[href^='/campaigns/'][href$='0'], a[href^='/campaigns/'][href*='/']")],
}


def _overflow(page) -> int:
    """How many CSS pixels the document is wider than the viewport (0 when it fits)."""
    width, viewport = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return width - viewport


def _check(page, path: str, failures: list) -> None:
    page.goto(path)
    extra = _overflow(page)
    if extra > 0:
        failures.append(f"{path}: {extra}px too wide")


def test_public_pages_fit_a_phone(page, demo):
    page.set_viewport_size(PHONE)
    failures = []
    for path in PUBLIC:
        _check(page, path, failures)
    assert not failures, failures


@pytest.mark.parametrize("username", sorted(ROLES))
def test_main_pages_of_each_role_fit_a_phone(page, demo, username):
    page.set_viewport_size(PHONE)
    login(page, username)
    page.wait_for_url("**/home")
    failures = []
    for path in ROLES[username]:
        _check(page, path, failures)
    for list_path, link in DETAILS.get(username, []):
        page.goto(list_path)
        href = page.locator(link).first.get_attribute("href")
        _check(page, href, failures)
    assert not failures, failures


def test_review_detail_on_a_phone_keeps_the_actions_within_reach(page, demo):
    """Defect 7: the review detail page was 436 px wide on a 390 px phone."""
    login(page, "unit_demo")
    page.wait_for_url("**/home")
    page.goto("/review/")
    href = page.locator("#queue-rows a[href^='/review/certificates/']").first.get_attribute("href")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(href)
    shot(page, "review-detail-1366")
    page.set_viewport_size(PHONE)
    page.goto(href)
    assert _overflow(page) <= 0
    shot(page, "review-detail-390")
    page.click("a[href='#actions']")
    expect(page.locator("#actions button:has-text('审查确认')")).to_be_in_viewport()


@pytest.mark.parametrize("username", ["city_demo", "province_demo"])
def test_progress_table_needs_no_sideways_scrolling_at_1366(page, demo, username):
    """Defect 9: the 应报尽报 table needed sideways scrolling on a 1366 px screen."""
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, username)
    page.wait_for_url("**/home")
    page.goto("/review/progress")
    table, box = page.evaluate("""() => [document.querySelector('#progress-table').scrollWidth,
                                         document.querySelector('.progress-wrap').clientWidth]""")
    assert table <= box
