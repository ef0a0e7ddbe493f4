"""One application in Chromium from the applicant through the unit notice, the recommendation, the
county and city review, with one 一次性告知 return, the resubmission and the supplementary notice
(补充公示). The notice's working days pass by moving the portal's clock, as the notice tests do."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import PublicNotice
from tests.browser.conftest import confirm, login
from tests.browser.test_evaluation_apply import save_draft
from tests.browser.test_public import shot
from tests.http.test_evaluation_applications import plan_id  # noqa: F401  (the published plan fixture)
from tests.http.test_uploads import make_pdf

pytestmark = pytest.mark.browser


def _switch(page, username):
    # The logout button sits in the collapsed menu at a phone's width: submit its form directly.
    page.locator("button:has-text('退出')").evaluate("button => button.form.requestSubmit(button)")
    page.wait_for_url("**/login")
    login(page, username)
    page.wait_for_url("**/home")


def _no_sideways_scroll(page):
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0


def _publish_notice(page, app, monkeypatch, name: str) -> None:
    """The unit publishes its waiting applicants; then the clock moves past the notice's end."""
    page.goto("/evaluation/review")
    page.click("text=发布申报人员公示")
    expect(page.locator("#notice-candidates")).to_contain_text("张明华")
    shot(page, f"evaluation-notice-new-{name}")
    page.wait_for_load_state("load")  # confirm.js (deferred) asks before the notice is signed
    page.click("button:has-text('发布公示')")
    confirm(page, "公示")
    expect(page.locator(".flash-success")).to_contain_text("已发布公示")
    with app.app_context():
        notice = db.session.scalar(select(PublicNotice).order_by(PublicNotice.id.desc()).limit(1))
        notice_id, end = notice.id, notice.end_date
    page.goto(f"/notices/{notice_id}")
    expect(page.locator("table.notice-entries")).to_contain_text("电气工程")
    expect(page.locator("table.notice-entries")).to_contain_text("正常申报")
    shot(page, f"evaluation-public-notice-{name}")
    monkeypatch.setattr(clock, "today", lambda: end + timedelta(days=1))


def _recommend(page):
    page.goto("/evaluation/review")
    page.click("#application-queue a:has-text('张明华')")
    for key in ("morality", "performance", "expertise", "ability", "attitude"):
        page.fill(f"#opinion_{key}", "优秀")
    page.fill("#interview_date", "2027-06-12")
    page.fill("#interview_experts", "王工、李工、赵工")
    page.click("text=签署推荐意见，报送上一级")


def _approve_as(page, username):
    _switch(page, username)
    page.goto("/evaluation/review")
    page.click("#application-queue a:has-text('张明华')")
    page.click("text=审核通过，报送上一级")


def test_one_application_from_the_applicant_to_the_committee(page, app, plan_id, monkeypatch, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    pdf = tmp_path / "评审表.pdf"
    pdf.write_bytes(make_pdf())

    save_draft(page)
    row = page.locator("#checklist-status tr", has_text="职称申报评审表")
    row.locator("input[type=file]").set_input_files(str(pdf))
    row.locator("button", has_text="上传").click()
    expect(page.locator("#checklist-status")).not_to_contain_text("尚缺")
    page.check("input[name=commitment]")
    page.click("text=承诺并提交")
    # Submitting issues the signed truthfulness letter: the first PDF of a process takes a while.
    expect(page.locator("#application-status")).to_have_text("待单位审核", timeout=60000)
    expect(page.locator("#commitment-letter")).to_contain_text("GR")
    application_url = page.url

    # The unit cannot recommend before its notice has run.
    _switch(page, "unit_demo")
    _recommend(page)
    expect(page.locator(".flash-error").first).to_be_visible()
    expect(page.locator("body")).to_contain_text("尚未进行单位公示")
    _publish_notice(page, app, monkeypatch, "first")
    _recommend(page)
    expect(page.locator("#application-status")).to_have_text("待县级职改办审核")
    expect(page.locator("#application-history")).to_contain_text("单位签署推荐意见")
    shot(page, "evaluation-recommended")
    assert page.request.get(application_url + "/recommendation.pdf").body().startswith(b"%PDF")

    # The county returns it, telling everything at once.
    _switch(page, "county_demo")
    page.goto("/evaluation/review")
    page.click("#application-queue a:has-text('张明华')")
    page.locator("#return-form label", has_text="职称申报评审表").locator("input").check()
    page.fill("#return-reason", "评审表缺单位盖章")
    page.fill("#return-days", "10")
    page.click("text=退回申报人")
    expect(page.locator("#application-status")).to_have_text("已退回")

    _switch(page, "person_demo")
    page.goto(application_url)
    notice = page.locator("#return-notice")
    expect(notice).to_contain_text("缺少或不符合要求：职称申报评审表")
    expect(notice).to_contain_text("评审表缺单位盖章")
    expect(notice).to_contain_text((clock.today() + timedelta(days=10)).isoformat())
    shot(page, "evaluation-returned")
    row = page.locator("#checklist-status tr", has_text="职称申报评审表")
    row.locator("input[type=file]").set_input_files(str(pdf))
    row.locator("button", has_text="上传").click()
    expect(page.locator(".flash-success")).to_contain_text("材料已上传")
    page.check("input[name=commitment]")
    page.click("text=承诺并提交")
    # Submitting issues the signed truthfulness letter: the first PDF of a process takes a while.
    expect(page.locator("#application-status")).to_have_text("待单位审核", timeout=60000)

    # Changed after its notice: the unit publishes a supplementary notice before recommending again.
    _switch(page, "unit_demo")
    page.goto(application_url)
    expect(page.locator("#unit-notice")).to_contain_text("补充公示")
    page.goto("/evaluation/notice")
    expect(page.locator("#notice-candidates")).to_contain_text("补充公示（材料已变更）")
    _publish_notice(page, app, monkeypatch, "supplementary")
    _recommend(page)
    expect(page.locator("#application-status")).to_have_text("待县级职改办审核")

    _approve_as(page, "county_demo")
    expect(page.locator("#application-status")).to_have_text("待市级职改办审核")
    _approve_as(page, "city_demo")
    expect(page.locator("#application-status")).to_have_text("已报送评审委员会")
    expect(page.locator("#unit-notice")).to_contain_text("公示期满无异议")
    shot(page, "evaluation-to-committee")
    page.goto(application_url.rsplit("/applications", 1)[0] + f"/plans/{plan_id}#progress")
    expect(page.locator("#progress-table")).to_contain_text("日照市东港区人民医院")
    shot(page, "evaluation-progress-1366")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_new_evaluation_pages_fit_the_screen(page, app, demo, width):
    """The unit's notice form, an application under review with its notice and the plan's progress."""
    page.set_viewport_size({"width": width, "height": 900})
    plan_id = demo["evaluation"]["plan_id"]
    login(page, "unit_demo")
    page.goto("/evaluation/notice")
    expect(page.locator("h1")).to_have_text("发布申报人员公示")
    _no_sideways_scroll(page)
    shot(page, f"evaluation-notice-form-{width}")
    page.goto("/evaluation/review")
    page.click("#application-queue a >> nth=0")
    expect(page.locator("#unit-notice")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, f"evaluation-unit-review-{width}")
    _switch(page, "city_demo")
    page.goto(f"/evaluation/plans/{plan_id}")
    expect(page.locator("#progress-table")).to_contain_text("日照市第一中学")
    _no_sideways_scroll(page)
    shot(page, f"evaluation-progress-{width}")
