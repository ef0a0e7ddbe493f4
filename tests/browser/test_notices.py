import re

import pytest

from tests.browser.conftest import confirm, login

pytestmark = pytest.mark.browser

TITLE = "东港区职称信息公示（第二批）"


@pytest.fixture
def public(browser, live_server):
    """A visitor without an account, in a browser context of their own."""
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_publish_view_object_and_resolve(page, public, demo):
    # The county office publishes the records it has approved.
    login(page, "county_demo")
    page.wait_for_url("**/home")
    page.click("nav.main-nav >> text=公示管理")
    page.click("text=发布公示")
    assert int(page.locator("#candidate-count").inner_text()) > 0
    page.fill("input[name=title]", TITLE)
    page.click("button:has-text('发布公示')")
    confirm(page, "的名义发布公示")
    page.wait_for_url(re.compile(r".*/notices/manage/\d+$"))
    assert page.locator("h1").inner_text() == TITLE
    assert "已发布公示" in page.locator(".flash-success").inner_text()

    # Anyone finds it without logging in, and objects to the first person on the list.
    public.goto("/notices")
    public.fill("#q", "第二批")
    public.wait_for_selector(f"#notice-list >> text={TITLE}")
    public.click(f"#notice-list >> text={TITLE}")
    assert "公示中" in public.locator(".notice-head").inner_text()
    first_row = public.locator("table.notice-entries tbody tr").first
    person = first_row.locator("td").nth(1).inner_text()
    first_row.locator("text=异议").click()
    assert person in public.locator("select[name=entry_id] option:checked").inner_text()
    public.fill("input[name=name]", "王建国")
    public.fill("input[name=phone]", "13905331234")
    public.fill("textarea[name=grounds]", "该同志的职称取得时间与本人了解的情况不符，请核实。")
    public.click("button:has-text('提交异议')")
    code = public.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", code)

    # The county office sees the objection and upholds it: the record goes back to the unit.
    page.reload()
    objection = page.locator("article.objection").first
    assert "王建国" in objection.inner_text() and "待处理" in objection.inner_text()
    objection.locator("input[name=decision][value=upheld]").check()
    objection.locator("input[name=outcome][value=returned]").check()
    objection.locator("textarea[name=reason]").fill("经核实，取得时间填报有误，退回单位更正。")
    objection.locator("button:has-text('记录处理结果')").click()
    page.wait_for_selector(".flash-success")
    assert "异议成立" in page.locator(".flash-success").inner_text()
    assert "异议成立" in page.locator("table.notice-entries tbody tr").first.inner_text()

    # The objector reads the outcome with the receipt code.
    public.goto("/notices/objections/receipt")
    public.fill("input[name=code]", code)
    public.click("button:has-text('查询')")
    result = public.locator(".objection-result").inner_text()
    assert "异议成立" in result and "退回修改" in result and "取得时间填报有误" in result
    assert person in result
