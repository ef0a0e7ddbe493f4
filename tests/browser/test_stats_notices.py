"""Statistics with charts and drill-down, internal notices with read receipts, and messages, in Chromium."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import confirm
from tests.browser.test_review_flow import switch_to
from tests.http.test_review import _approve_as, _new_cert, _submit
from tests.http.test_uploads import make_pdf

pytestmark = pytest.mark.browser

SHOTS = Path("/work/briefs/shots")


def test_an_office_publishes_a_notice_a_unit_reads_it_and_the_office_sees_it_read(page, demo):
    switch_to(page, "city_demo")
    page.click("nav.main-nav >> text=通知公告")
    page.click("text=发布通知")
    page.fill("#title", "关于做好职称信息采集审核工作的通知")
    page.fill("#body", "请各用人单位于6月底前完成本单位人员职称信息的审核报送。")
    page.check("input[name=org_types][value=unit]")
    page.set_input_files("#attachments", files=[
        {"name": "采集说明.pdf", "mimeType": "application/pdf", "buffer": make_pdf(1)}])
    page.click("button:has-text('发送')")
    expect(page.locator(".flash-success")).to_contain_text("已发送")
    expect(page.locator("#read-count")).to_have_text("0")
    notice_url = page.url

    switch_to(page, "unit_demo")
    notices = page.locator("#home-notices")
    expect(notices).to_contain_text("关于做好职称信息采集审核工作的通知")
    notices.locator("a").first.click()
    expect(page.locator("text=采集说明.pdf")).to_be_visible()
    page.click("#confirm-read")
    expect(page.locator("#read-receipt")).to_contain_text("李经办确认阅知")
    page.goto("/home")
    expect(page.locator("#home-notices")).to_have_count(0)

    switch_to(page, "city_demo")
    page.goto(notice_url)
    expect(page.locator("#read-count")).to_have_text("1")
    expect(page.locator("#recipients tr[data-org=DG-RMYY]")).to_contain_text("已阅")
    expect(page.locator("#recipients tr[data-org=RZ-YZ]")).to_contain_text("未阅")


def test_a_returned_record_brings_a_message_to_the_unit(page, app, demo):
    cert_id = _new_cert(app, name="吕退回")
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo")

    switch_to(page, "county_demo")
    page.goto(f"/review/certificates/{cert_id}")
    page.select_option("#target", "returned")
    page.fill("#reason", "资格文件缺少盖章页，请补充")
    page.click("button:has-text('退回')")
    confirm(page, "退回")
    expect(page.locator(".flash-success")).to_contain_text("已退回")

    switch_to(page, "unit_demo")
    badge = page.locator("#message-count .count-badge")
    expect(badge).to_be_visible()
    page.click("#message-count")
    message = page.locator(".message.unread", has_text="吕退回")
    expect(message).to_contain_text("退回原因：资格文件缺少盖章页，请补充")
    message.locator("button:has-text('查看')").click()
    page.wait_for_url(f"**/certificates/{cert_id}")
    page.goto("/messages/")
    expect(page.locator(".message", has_text="吕退回")).not_to_have_class(re.compile(r"unread"))


def _chart_point(page, name: str, index: int) -> tuple[float, float]:
    """Where on the page ECharts drew data item `index` of chart `name`."""
    return page.evaluate("""([name, index]) => {
        const element = document.querySelector(`[data-chart="${name}"]`);
        const chart = echarts.getInstanceByDom(element);
        const [x, y] = chart.convertToPixel({seriesIndex: 0}, [index, 0]);
        const box = element.getBoundingClientRect();
        return [box.left + x, box.top + y - 4];
    }""", [name, index])


def test_statistics_show_charts_and_open_the_filtered_queue(page, demo):
    # The charts must draw under the portal's CSP (no inline script or style): collect any refusal.
    refusals = []
    page.on("console", lambda message: refusals.append(message.text)
            if "Content Security Policy" in message.text else None)
    switch_to(page, "province_demo")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("nav.main-nav >> text=统计分析")
    for name in ("status", "series", "level", "year", "method", "org"):
        expect(page.locator(f'[data-chart="{name}"] svg')).to_have_count(1)
    # The demo's records have no review steps yet: a chart of zeros is left out, its table stays.
    expect(page.locator('[data-chart="waits"]')).to_have_class(re.compile("stats-chart-empty"))
    expect(page.locator("#table-waits")).to_be_visible()
    total = page.locator("#stats-total").inner_text()
    expect(page.locator("#table-status tfoot")).to_contain_text(total)
    assert refusals == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "stats-1366.png"), full_page=True)

    # A bar of the status chart opens the queue listing that status.
    approved = page.locator("#table-status tr", has_text="审核通过").locator("a")
    count = int(approved.inner_text())
    page.mouse.click(*_chart_point(page, "status", 7))  # the eighth status is 审核通过
    page.wait_for_url(re.compile(r"/review/\?.*status=approved"))
    expect(page.locator("#status")).to_have_value("approved")
    expect(page.locator("#queue-rows a[href*='/review/certificates/']")).to_have_count(min(count, 50))

    # A figure in a table does the same, narrowed by the page's filters.
    page.goto("/stats/?level=中级")
    link = page.locator("#table-series tbody a").first
    figure = int(link.inner_text())
    link.click()
    page.wait_for_url(re.compile(r"/review/\?.*level=%E4%B8%AD%E7%BA%A7.*series="))
    expect(page.locator("#level")).to_have_value("中级")
    expect(page.locator("#queue-rows a[href*='/review/certificates/']")).to_have_count(min(figure, 50))

    # Printed, the page drops the header, filters and buttons and states the filters in words.
    page.goto("/stats/?level=中级")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".stats-filters")).to_be_hidden()
    expect(page.locator("p.print-only")).to_contain_text("级别 中级")
    page.screenshot(path=str(SHOTS / "stats-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/stats/")
    expect(page.locator('[data-chart="status"] svg')).to_have_count(1)
    page.screenshot(path=str(SHOTS / "stats-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
