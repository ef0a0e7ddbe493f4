"""A certificate from entry to province approval in Chromium, with one return and correction."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import confirm, login
from tests.http.test_uploads import make_pdf

pytestmark = pytest.mark.browser

CERT_NO = "鲁2018W00777"


def switch_to(page, username):
    if page.locator(".user-box").count():
        page.click("text=退出")
        page.wait_for_url("**/login")
    login(page, username)
    page.wait_for_url("**/home")


def open_in_queue(page):
    """Find the record with the queue's active search (typing, no button) and open it."""
    page.goto("/review/")
    page.fill("#q", CERT_NO[:8])
    row = page.locator("#queue-rows tr", has_text=CERT_NO)
    expect(row).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E9%B2%81"))  # the search is in the address bar
    row.locator("a").first.click()
    page.wait_for_url("**/review/certificates/*")


def approve(page, expected_flash):
    page.click("button:has-text('审查确认')")
    confirm(page, "的名义签字确认")
    expect(page.locator(".flash-success")).to_contain_text(expected_flash)


def test_entry_return_correction_and_approval_up_to_the_province(page, demo):
    # The professional enters a certificate; the form checks fields while typing.
    switch_to(page, "person_demo")
    page.click("nav.main-nav >> text=我的填报")
    page.click("text=新增职称信息")
    page.fill("#cert_no", CERT_NO)
    page.select_option("#series", label="卫生技术人员")
    page.select_option("#level", "中级")
    page.fill("#title_name", "主治医师")
    page.select_option("#obtain_method", label="评审")
    page.fill("#issue_date", "2018-02-30")
    expect(page.locator("#err-issue_date")).to_contain_text("2018年2月只有28天")
    page.fill("#issue_date", "2018-02-28")
    expect(page.locator("#err-issue_date")).to_have_text("")
    page.fill("#issuing_authority", "日照市人力资源和社会保障局")
    page.fill("#evaluation_region_code", "371100")
    page.click("button:has-text('保存')")
    expect(page.locator(".flash-success")).to_contain_text("已保存为草稿")

    page.set_input_files("#file-certificate_scan", files=[
        {"name": "证书扫描件.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)}])
    page.click("#evidence li:has-text('证书扫描件') button")
    expect(page.locator(".flash-success")).to_contain_text("已上传证书扫描件")

    page.click("text=返回张明华的填报页")
    item = page.locator(".cert-item", has_text=CERT_NO)
    item.locator("button:has-text('提交审核')").click()
    confirm(page, "尚未上传")  # only the scan is uploaded
    expect(page.locator(".flash-error")).to_contain_text("请先阅读并勾选诚信承诺")
    item = page.locator(".cert-item", has_text=CERT_NO)
    item.locator("input[name=commitment]").check()
    item.locator("button:has-text('提交审核')").click()
    confirm(page)
    expect(page.locator(".flash-success")).to_contain_text("待单位审核")

    # The unit and the county approve; the evidence is a download on the detail page.
    switch_to(page, "unit_demo")
    open_in_queue(page)
    expect(page.locator("a.evidence-download")).to_have_count(1)
    approve(page, "待县级职改办审核")
    switch_to(page, "county_demo")
    open_in_queue(page)
    approve(page, "待市级职改办审核")

    # The city returns it to the professional with a reason and the field to fix.
    switch_to(page, "city_demo")
    open_in_queue(page)
    page.select_option("#target", "returned")
    page.fill("#reason", "发证日期与证书扫描件不一致，请核对")
    page.click("summary:has-text('勾选需要修改的项目')")
    page.check("input[name=fix_fields][value=issue_date]")
    page.click("button:has-text('退回')")
    confirm(page, "的名义签字退回")
    expect(page.locator(".flash-success")).to_contain_text("已退回")

    # The professional sees why, corrects the date and submits again.
    switch_to(page, "person_demo")
    page.click("nav.main-nav >> text=我的填报")
    item = page.locator(".cert-item", has_text=CERT_NO)
    expect(item.locator(".badge")).to_have_text("已退回")
    expect(item.locator(".return-note")).to_contain_text("发证日期与证书扫描件不一致，请核对")
    expect(item.locator(".return-note")).to_contain_text("发证日期")
    item.locator("text=修改 / 上传材料").click()
    expect(page.locator(".field.needs-fix #issue_date")).to_have_count(1)
    page.fill("#issue_date", "2018-03-01")
    page.click("button:has-text('保存')")
    expect(page.locator(".flash-success")).to_contain_text("职称信息已保存")
    page.click("text=返回张明华的填报页")
    item = page.locator(".cert-item", has_text=CERT_NO)
    item.locator("input[name=commitment]").check()
    item.locator("button:has-text('提交审核')").click()
    confirm(page)
    expect(page.locator(".flash-success")).to_contain_text("待单位审核")

    # Up again, level by level, to the province.
    for username, flash in (("unit_demo", "待县级职改办审核"), ("county_demo", "待市级职改办审核"),
                            ("city_demo", "待省级职改办审核"), ("province_demo", "已通过全部审核")):
        switch_to(page, username)
        open_in_queue(page)
        approve(page, flash)

    # The professional sees the approval and the signed trail of every step.
    switch_to(page, "person_demo")
    page.click("nav.main-nav >> text=我的填报")
    item = page.locator(".cert-item", has_text=CERT_NO)
    expect(item.locator(".badge")).to_have_text("审核通过")
    item.locator("text=查看详情与审核记录").click()
    timeline = page.locator("#timeline")
    expect(timeline.locator(".step-approve")).to_have_count(6)
    expect(timeline.locator(".step-return")).to_have_count(1)
    expect(timeline.locator(".step-submit")).to_have_count(2)
    expect(timeline).to_contain_text("陈审核")
    expect(timeline).to_contain_text("发证日期：2018-02-28 → 2018-03-01")


def test_bulk_approval_of_a_searched_selection(page, demo):
    switch_to(page, "unit_demo")
    page.goto("/review/")
    rows = page.locator("#queue-rows tr:has(input.bulk-item)")
    expect(rows.first).to_be_visible()
    waiting = rows.count()
    page.check("input[data-select-all]")
    expect(page.locator("input.bulk-item:checked")).to_have_count(waiting)
    page.click("button:has-text('批量审查确认所选记录')")
    confirm(page, f"逐条签字确认下列 {waiting} 条记录")
    expect(page.locator(".flash-success")).to_contain_text(f"已批量审查确认{waiting}条记录")
    expect(page.locator("#queue-rows input.bulk-item")).to_have_count(0)
    expect(page.locator(".empty")).to_have_text("没有符合条件的记录。")
