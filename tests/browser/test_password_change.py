import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Fresh#Pass2027"


def test_changing_the_password_ends_a_session_holding_the_old_cookie(page, browser, live_server, demo):
    login(page, "unit_demo")
    page.wait_for_url("**/home")
    assert "首次登录" in page.locator(".flash-info").inner_text()

    # A second browser holding a copy of the session cookie, as a thief would.
    thief = browser.new_context(base_url=live_server, locale="zh-CN")
    thief.add_cookies(page.context.cookies())
    stolen = thief.new_page()
    stolen.goto("/home")
    assert stolen.url.endswith("/home") and "李经办" in stolen.locator(".user-box").inner_text()

    page.click("text=修改密码")
    page.fill("input[name=current]", "Demo@2026")
    page.fill("input[name=new]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    page.click("main button:has-text('修改密码')")
    page.wait_for_url("**/home")
    assert "其他设备上的登录已全部退出" in page.locator(".flash-success").inner_text()

    stolen.goto("/home")
    assert "/login" in stolen.url
    thief.close()

    # This browser carries on; the new password is the one that works from now on.
    page.goto("/certificates")
    assert page.url.endswith("/certificates")
    page.click("text=退出")
    page.wait_for_url("**/login")
    login(page, "unit_demo")
    assert "用户名或密码错误" in page.locator(".flash-error").inner_text()
    login(page, "unit_demo", NEW_PASSWORD)
    page.wait_for_url("**/home")
    assert "上次登录" in page.locator(".flash-info").inner_text()
