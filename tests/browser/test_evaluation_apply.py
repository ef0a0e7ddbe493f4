"""The application (申报) in Chromium: a person fills it, sees the missing checklist item, provides it,
commits and submits; at a phone's width the form fits the screen."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.browser.test_public import shot
from tests.http.test_evaluation_applications import plan_id  # noqa: F401  (the published plan fixture)
from tests.http.test_uploads import make_pdf

pytestmark = pytest.mark.browser


def save_draft(page) -> None:
    """person_demo opens the 2027 engineering plan and saves a 副高级 draft on their 中级 certificate."""
    login(page, "person_demo")
    page.goto("/evaluation/apply")
    page.click("text=2027年度工程系列职称评审")
    page.select_option("#level", "副高级")
    page.fill("#specialty", "电气工程")
    page.select_option("#current_certificate_id", label=page.locator(
        "#current_certificate_id option", has_text="主管护师").inner_text())
    page.select_option("#education", "bachelor_graduate")
    page.fill("#chsi_no", "105611200905000123")
    page.fill("#public_hours", "30")
    page.fill("#professional_hours", "60")
    page.click("text=保存草稿")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_person_applies_and_submits_to_the_unit(page, app, plan_id, width, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    save_draft(page)
    expect(page.locator("#checklist-status")).to_contain_text("尚缺")
    shot(page, f"evaluation-application-{width}")
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0

    pdf = tmp_path / "评审表.pdf"
    pdf.write_bytes(make_pdf())
    row = page.locator("#checklist-status tr", has_text="职称申报评审表")
    row.locator("input[type=file]").set_input_files(str(pdf))
    row.locator("button", has_text="上传").click()
    expect(page.locator("#checklist-status")).not_to_contain_text("尚缺")
    page.check("input[name=commitment]")
    page.click("text=承诺并提交")
    # Submitting issues the signed truthfulness letter: the first PDF of a process takes a while.
    expect(page.locator("#application-status")).to_have_text("待单位审核", timeout=60000)
    expect(page.locator("#application-history")).to_contain_text("提交申报（承诺真实）")
