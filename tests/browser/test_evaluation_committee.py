"""One applicant from the committee meeting (attendance, ballots) through the second notice and the
confirmation to downloading their signed electronic certificate, which anyone then checks by its QR
code, and their certificate found on the public lookup; the new pages at 1366 and 390 px wide."""
import re
import subprocess
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal import clock
from portal.extensions import db
from portal.domain.idnumber import mask_id
from portal.models import Application, PublicNotice, User
from tests.browser.conftest import confirm, login
from tests.browser.test_ecert import _link_targets, key_dirs  # noqa: F401  (key_dirs: an autouse fixture)
from tests.conftest import DEMO_PASSWORD
from tests.browser.test_public import shot
from tests.http.test_evaluation_applications import plan_id  # noqa: F401  (the published plan fixture)
from tests.http.test_evaluation_committee import seed_applications

pytestmark = pytest.mark.browser


def _context_page(browser, live_server, width):
    context = browser.new_context(base_url=live_server, locale="zh-CN", accept_downloads=True,
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _fits(page):
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [1366, 390])
def test_committee_vote_result_notice_confirmation_and_public_lookup(browser, live_server, app, plan_id,
                                                                     monkeypatch, tmp_path, width):  # noqa: F811
    apps = seed_applications(app, plan_id, per_unit=(0, 1, 1))
    monkeypatch.setattr(clock, "today", lambda: date(2027, 9, 10))
    with app.app_context():
        first = db.session.get(Application, apps[0])
        name, id_number = first.person.name, first.person.id_number
    committee_ctx, committee = _context_page(browser, live_server, width)
    office_ctx, office = _context_page(browser, live_server, width)
    public_ctx, public = _context_page(browser, live_server, width)
    contexts = [committee_ctx, office_ctx, public_ctx]
    try:
        # The committee office picks seven experts and records who came.
        login(committee, "committee_demo")
        committee.wait_for_url("**/home")
        committee.goto("/evaluation/committee")
        shot(committee, f"committee-home-{width}")
        _fits(committee)
        committee.click("#plans >> text=2027年度工程系列职称评审")
        committee.fill("#meeting_date", "2027-09-10")
        committee.fill("#place", "市人社局三楼会议室")
        for box in committee.locator("input[name=experts]").all()[:7]:  # the demo's pool has nine
            box.check()
        committee.click("button:has-text('建立评审会议')")
        expect(committee.locator(".flash-success")).to_contain_text("已建立评审会议")
        boxes = committee.locator("#attendance input[name=present]").all()
        for box in boxes[:5]:
            box.check()
        committee.click("button:has-text('登记出席')")
        expect(committee.locator("#present-count")).to_contain_text("5人 — 达到三分之二，可以表决")

        # Paper ballots, one applicant at a time: 4 of 5 and 3 of 5 in favour.
        for person_app, (yes, no, abstain) in zip(apps, ((4, 1, 0), (3, 2, 0))):
            form = committee.locator(f"form.ballot-form[action$='/ballots/{person_app}']")
            form.locator("input[name=yes]").fill(str(yes))
            form.locator("input[name=no]").fill(str(no))
            form.locator("input[name=abstain]").fill(str(abstain))
            form.locator("button").click()
            expect(committee.locator(".flash-success")).to_contain_text("已录入表决票数")
        expect(committee.locator(f"#application-{apps[0]}")).to_contain_text("达到三分之二")
        expect(committee.locator(f"#application-{apps[1]}")).to_contain_text("未达到三分之二")
        expect(committee.locator("#pass-rate")).to_contain_text("超过上限")
        shot(committee, f"committee-meeting-{width}")
        _fits(committee)
        committee.fill("#minutes_date", "2027-09-10")
        committee.fill("#pass_rate_reason", "申报人为市重点工程技术骨干，业绩突出")
        committee.click("button:has-text('结束会议并出具签章文书')")
        expect(committee.locator(".flash-success")).to_contain_text("已签章出具")
        expect(committee.locator("#close")).to_contain_text("评委会投票汇总表")
        expect(committee.locator("#meeting-status")).to_have_text("已结束")
        shot(committee, f"committee-closed-{width}")

        # The plan's office publishes the result for five working days.
        monkeypatch.setattr(clock, "today", lambda: date(2027, 9, 13))
        login(office, "city_demo")
        office.wait_for_url("**/home")
        office.goto(f"/evaluation/plans/{plan_id}/committee")
        expect(office.locator("#to-notice")).to_contain_text(name)
        office.click("text=发布评审结果公示")
        shot(office, f"result-notice-form-{width}")
        _fits(office)
        office.click("button:has-text('发布评审结果公示')")
        confirm(office, "评审结果公示")
        office.wait_for_url(re.compile(r".*/notices/manage/\d+$"))
        notice_id = int(office.url.rsplit("/", 1)[1])
        public.goto(f"/notices/{notice_id}")
        expect(public.locator("table.notice-entries")).to_contain_text(name)
        assert id_number not in public.content()

        # While it runs nothing is confirmed; once it closed without objection, the office confirms.
        office.goto(f"/evaluation/plans/{plan_id}/committee")
        expect(office.locator("#confirm-form")).to_have_count(0)
        with app.app_context():
            end = db.session.get(PublicNotice, notice_id).end_date
        monkeypatch.setattr(clock, "today", lambda: end + timedelta(days=1))
        office.reload()
        office.fill("#doc_no", "日人社职字〔2027〕35号")
        office.fill("#doc_date", (end + timedelta(days=1)).isoformat())
        shot(office, f"office-confirm-{width}")
        _fits(office)
        office.click("button:has-text('确认评审结果')")
        # Confirmation queues the electronic certificates; the office watches them being issued.
        expect(office.locator(".flash-success")).to_contain_text("1人取得职称")
        expect(office.locator("#bulk-result")).to_contain_text("已签发 1 张")
        office.goto(f"/evaluation/plans/{plan_id}/committee")
        cert_no = office.locator("#passed-table .mono").first.inner_text().strip()
        assert cert_no

        # The new title holder signs in and downloads the signed electronic certificate.
        holder_ctx, holder = _context_page(browser, live_server, width)
        contexts.append(holder_ctx)
        with app.app_context():
            person = db.session.get(Application, apps[0]).person
            account = User(username=f"holder{width}", role="person", display_name=person.name, person_id=person.id,
                           org_id=person.org_id)
            account.set_password(DEMO_PASSWORD)
            db.session.add(account)
            db.session.commit()
        login(holder, f"holder{width}")
        holder.wait_for_url("**/home")
        if width < 760:
            holder.click("text=菜单")  # the phone's menu opens first
        holder.click("nav.main-nav >> text=电子证书")
        holder.wait_for_url("**/ecert/mine")
        shot(holder, f"holder-ecert-{width}")
        _fits(holder)
        with holder.expect_download() as download_info:
            holder.locator("a[id^=download-DZ]").first.click()
        path = tmp_path / f"ecert-{width}.pdf"
        download_info.value.save_as(path)
        signature = subprocess.run(["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in signature and "Total document signed" in signature
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert name in text and cert_no in text and "日人社职字〔2027〕35号" in text
        qr_urls = {url for url in _link_targets(path.read_bytes()) if "/v/E1." in url}
        assert len(qr_urls) == 1

        # Anyone checks the printed certificate by its QR code: signed claims, masked ID, live status.
        public.goto(urlsplit(qr_urls.pop()).path)
        expect(public.locator("#ecert-claims")).to_contain_text("签名核验通过")
        expect(public.locator("#ecert-claims")).to_contain_text(cert_no)
        assert public.locator("#ecert-masked-id").inner_text() == mask_id(id_number)
        assert id_number not in public.content()
        expect(public.locator("#ecert-live-status")).to_have_text("有效")
        shot(public, f"result-qr-check-{width}")

        # Anyone finds the certificate at once on the public lookup.
        public.goto("/verify")
        public.fill("#name", name)
        public.fill("#id_number", id_number)
        public.click("button:has-text('查询')")
        expect(public.locator("body")).to_contain_text(cert_no)
        expect(public.locator("body")).to_contain_text("日照市工程技术中级评审委员会办事机构")
        shot(public, f"result-lookup-{width}")
    finally:
        for context in contexts:
            context.close()
