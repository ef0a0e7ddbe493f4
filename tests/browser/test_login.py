import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("username,role_label,org_name", [
    ("unit_demo", "用人单位", "日照市东港区人民医院"),
    ("city_demo", "市级职改办", "日照市职称改革领导小组办公室"),
    ("person_demo", "专业技术人员", "日照市东港区人民医院"),
])
def test_login_shows_the_roles_home_page(page, demo, username, role_label, org_name):
    login(page, username)
    page.wait_for_url("**/home")
    assert page.locator("h1").inner_text() == "工作台"
    header = page.locator(".user-box").inner_text()
    assert role_label in header and org_name in header
    counts = page.locator("#status-counts .stat-count").all_inner_texts()
    assert len(counts) == 9 and sum(int(c) for c in counts) > 0


def test_wrong_password_is_refused_in_chinese(page, demo):
    login(page, "unit_demo", "wrong-password")
    assert page.url.endswith("/login")
    assert "用户名或密码错误" in page.locator(".flash-error").inner_text()


def test_logout_ends_the_session(page, demo):
    login(page, "unit_demo")
    page.wait_for_url("**/home")
    page.click("text=退出")
    page.wait_for_url("**/login")
    page.goto("/home")
    assert "/login" in page.url
