"""Public notices: publishing, the public pages, objections and their outcome."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Certificate, NoticeEntry, Objection, Person, PublicNotice, User
from portal import clock
from portal.notices import services
from portal.notices.demo import CLOSED_TITLE, OPEN_TITLE
from tests.conftest import csrf_token_of


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _publish(username: str, start: date, days: int = 5, title: str = "测试公示") -> int:
    user = _user(username)
    notice = services.publish(user, services.PublishRequest(
        title=title, body="现予公示。", contact="联系人 0633-1234567", start_date=start, days=days),
        services.candidate_query(user))
    return notice.id


def _notice(title: str) -> PublicNotice:
    return db.session.scalar(select(PublicNotice).where(PublicNotice.title == title))


def _first_entry(notice_id: int) -> NoticeEntry:
    return db.session.scalar(select(NoticeEntry).where(NoticeEntry.notice_id == notice_id)
                             .order_by(NoticeEntry.position))


def _object(client, notice_id: int, entry_id: int, **overrides):
    data = {"entry_id": str(entry_id), "name": "王建国", "phone": "13905331234",
            "grounds": "该同志的职称证书发证日期与本人所知情况不符，请核实。",
            "csrf_token": csrf_token_of(client, f"/notices/{notice_id}")}
    data.update(overrides)
    return client.post(f"/notices/{notice_id}/objections/new", data=data, content_type="multipart/form-data")


def _receipt_code(client) -> str:
    page = client.get("/notices/objections/filed").get_data(as_text=True)
    match = re.search(r'id="receipt-code">([^<]+)<', page)
    assert match, "the receipt code is shown after filing"
    return match.group(1)


def test_demo_has_an_open_and_a_closed_notice(client, demo):
    page = client.get("/notices").get_data(as_text=True)
    assert OPEN_TITLE in page and CLOSED_TITLE in page
    open_only = client.get("/notices?state=open").get_data(as_text=True)
    assert OPEN_TITLE in open_only and CLOSED_TITLE not in open_only
    closed_only = client.get("/notices?state=closed").get_data(as_text=True)
    assert CLOSED_TITLE in closed_only and OPEN_TITLE not in closed_only


def test_public_search_by_organisation_and_region(client, demo):
    by_name = client.get("/notices?q=第一中学").get_data(as_text=True)
    assert CLOSED_TITLE in by_name and OPEN_TITLE not in by_name
    # 东港区 (371102) holds the hospital; the school is in the city's own district code 371100.
    by_county = client.get("/notices?region=371102").get_data(as_text=True)
    assert OPEN_TITLE in by_county and CLOSED_TITLE not in by_county
    by_city = client.get("/notices?region=371100").get_data(as_text=True)
    assert OPEN_TITLE in by_city and CLOSED_TITLE in by_city
    fragment = client.get("/notices?q=人民医院", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert OPEN_TITLE in fragment and "<html" not in fragment


def test_public_pages_need_no_login_and_never_show_id_or_phone_numbers(client, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        people = db.session.execute(
            select(Person.name, Person.id_number, Person.phone)
            .join(Certificate, Certificate.person_id == Person.id)
            .join(NoticeEntry, NoticeEntry.certificate_id == Certificate.id)
            .where(NoticeEntry.notice_id == notice.id)).all()
        notice_id = notice.id
    assert people
    pages = [client.get(f"/notices/{notice_id}"), client.get("/notices"),
             client.get(f"/notices/{notice_id}/objections/new")]
    for response in pages:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        for name, id_number, phone in people:
            assert id_number not in text
            assert id_number[-4:] + "<" not in text
            if phone:
                assert phone not in text
    detail = pages[0].get_data(as_text=True)
    for name, _, _ in people:
        assert name in detail
    for header in ("姓名", "工作单位", "职称系列", "职称名称", "级别"):
        assert f"<th>{header}</th>" in detail
    assert "证件号码" not in detail


def test_end_date_counts_working_days_across_national_day(client, app, demo):
    with app.app_context():
        # 2025: Mon 09-29, Tue 09-30, holiday 10-01..08, Thu 10-09, Fri 10-10, make-up Sat 10-11.
        notice_id = _publish("county_demo", date(2025, 9, 29))
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "2025-09-29 至 <span class=\"notice-end\">2025-10-11</span>" in page
    assert "暂定" not in page
    assert "公示期满" in page


def test_publisher_may_choose_more_days_never_fewer(client, auth, app, demo):
    auth.login("county_demo")
    start = clock.today() + timedelta(days=1)
    token = csrf_token_of(client, "/notices/manage/new")
    base = {"csrf_token": token, "title": "东港区职称信息公示", "body": "现予公示。", "contact": "吴审核 0633-1",
            "start_date": start.isoformat(), "series": "", "level": "", "corrects_id": "0", "selection": "all"}
    fewer = client.post("/notices/manage/new", data=base | {"days": "4"})
    assert fewer.status_code == 200
    assert "公示期不得少于5个工作日" in fewer.get_data(as_text=True)
    more = client.post("/notices/manage/new", data=base | {"days": "7"})
    assert more.status_code == 302
    with app.app_context():
        notice = _notice("东港区职称信息公示")
        assert notice.days == 7
        assert notice.end_date == services.notice_period(start, 7, services.load_overrides()).end
        assert notice.entry_count > 0


def test_start_date_cannot_be_in_the_past(client, auth, demo):
    auth.login("county_demo")
    token = csrf_token_of(client, "/notices/manage/new")
    response = client.post("/notices/manage/new", data={
        "csrf_token": token, "title": "补发公示", "body": "现予公示。", "contact": "吴审核",
        "start_date": (clock.today() - timedelta(days=3)).isoformat(), "days": "5", "series": "", "level": "",
        "corrects_id": "0", "selection": "all"})
    assert response.status_code == 200
    assert "公示开始日期不能早于今天" in response.get_data(as_text=True)


def test_published_records_are_not_offered_again_and_a_correction_references_the_old_notice(
        client, auth, app, demo):
    with app.app_context():
        old = _notice(OPEN_TITLE)
        old_id, old_count = old.id, old.entry_count
        assert services.candidate_count(services.candidate_query(_user("unit_demo"))) == 0
        assert services.candidate_count(services.candidate_query(_user("unit_demo"), corrects=old)) == old_count
    auth.login("unit_demo")
    token = csrf_token_of(client, "/notices/manage/new")
    response = client.post("/notices/manage/new", data={
        "csrf_token": token, "title": "更正公示", "body": "原公示名单有误，现予更正。", "contact": "李经办",
        "start_date": clock.today().isoformat(), "days": "5", "series": "", "level": "",
        "corrects_id": str(old_id), "selection": "all"})
    assert response.status_code == 302
    old_page = client.get(f"/notices/{old_id}").get_data(as_text=True)
    assert "本公示已被" in old_page and "更正公示" in old_page
    assert f"/notices/{old_id}/objections/new" not in old_page
    assert "请对更正后的公示提出异议" in old_page
    with app.app_context():
        correction = _notice("更正公示")
        assert correction.corrects_id == old_id
    assert "的更正" in client.get(f"/notices/{correction.id}").get_data(as_text=True)


def test_only_units_and_offices_publish(client, auth, demo):
    auth.login("committee_demo")
    assert client.get("/notices/manage").status_code == 200
    assert client.get("/notices/manage/new").status_code == 403
    auth.logout()
    auth.login("person_demo")
    assert client.get("/notices/manage").status_code == 403


def test_objection_freezes_the_record_until_an_upheld_outcome_returns_it(client, auth, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        entry = _first_entry(notice.id)
        notice_id, entry_id, cert_id = notice.id, entry.id, entry.certificate_id
        version_before = db.session.get(Certificate, cert_id).version
    response = _object(client, notice_id, entry_id)
    assert response.status_code == 302
    code = _receipt_code(client)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.objection_open is True
        # The freeze bumps the version, so a reviewer holding an older copy cannot advance it.
        assert cert.version == version_before + 1
        objection = db.session.scalar(select(Objection).where(Objection.certificate_id == cert_id))
        assert objection.receipt_hash != code and code not in objection.receipt_hash
        objection_id = objection.id
        status_before = cert.status

    public = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "异议处理中" in public

    lookup = client.post("/notices/objections/receipt", data={
        "code": code, "csrf_token": csrf_token_of(client, "/notices/objections/receipt")}).get_data(as_text=True)
    assert "待处理" in lookup

    auth.login("unit_demo")
    manage = client.get(f"/notices/manage/{notice_id}").get_data(as_text=True)
    assert "王建国" in manage and "13905331234" in manage
    token = csrf_token_of(client, f"/notices/manage/{notice_id}")
    missing_outcome = client.post(f"/notices/manage/objections/{objection_id}/resolve", data={
        "csrf_token": token, "decision": "upheld", "reason": "经核实，发证日期填报有误。"}, follow_redirects=True)
    assert "请选择退回修改或取消该记录" in missing_outcome.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Certificate, cert_id).objection_open is True

    client.post(f"/notices/manage/objections/{objection_id}/resolve", data={
        "csrf_token": token, "decision": "upheld", "outcome": "returned", "reason": "经核实，发证日期填报有误。"})
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.objection_open is False
        assert cert.status == "returned" and status_before != "returned"
        assert "发证日期填报有误" in cert.return_reason
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "certificate", AuditEntry.object_id == cert_id).order_by(AuditEntry.id)))
        assert actions[-2:] == ["objection_freeze", "objection_resolve"]
        objection_trail = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "objection", AuditEntry.object_id == objection_id).order_by(AuditEntry.id)))
        assert objection_trail == ["objection_file", "objection_upheld"]

    auth.logout()
    result = client.post("/notices/objections/receipt", data={
        "code": code, "csrf_token": csrf_token_of(client, "/notices/objections/receipt")}).get_data(as_text=True)
    assert "异议成立" in result and "退回修改" in result and "发证日期填报有误" in result


def test_dismissed_objection_unfreezes_and_upheld_cancel_revokes(client, auth, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        entries = list(db.session.scalars(select(NoticeEntry).where(NoticeEntry.notice_id == notice.id)
                                          .order_by(NoticeEntry.position).limit(2)))
        notice_id = notice.id
        (first, first_cert), (second, second_cert) = [(e.id, e.certificate_id) for e in entries]
    _object(client, notice_id, first)
    _object(client, notice_id, second)
    auth.login("unit_demo")
    with app.app_context():
        ids = {o.certificate_id: o.id for o in db.session.scalars(select(Objection))}
    token = csrf_token_of(client, f"/notices/manage/{notice_id}")
    client.post(f"/notices/manage/objections/{ids[first_cert]}/resolve", data={
        "csrf_token": token, "decision": "dismissed", "reason": "经核查，证书信息真实有效。"})
    client.post(f"/notices/manage/objections/{ids[second_cert]}/resolve", data={
        "csrf_token": token, "decision": "upheld", "outcome": "cancelled", "reason": "证书系伪造。"})
    with app.app_context():
        kept, cancelled = db.session.get(Certificate, first_cert), db.session.get(Certificate, second_cert)
        assert kept.objection_open is False and kept.status not in ("returned", "revoked")
        assert cancelled.objection_open is False and cancelled.status == "revoked"
        assert "证书系伪造" in cancelled.revoke_reason


def test_a_reviewer_of_another_organisation_cannot_decide(client, auth, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        notice_id, entry_id = notice.id, _first_entry(notice.id).id
    _object(client, notice_id, entry_id)
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id))
    auth.login("county_demo")  # sees the hospital's notice (its county) but did not publish it
    page = client.get(f"/notices/manage/{notice_id}").get_data(as_text=True)
    assert "记录处理结果" not in page
    token = csrf_token_of(client, f"/notices/manage/{notice_id}")
    response = client.post(f"/notices/manage/objections/{objection_id}/resolve", data={
        "csrf_token": token, "decision": "dismissed", "reason": "越权处理"})
    assert response.status_code == 403
    auth.logout()
    auth.login("unit2_demo")  # another unit: the notice is not in its scope at all
    assert client.get(f"/notices/manage/{notice_id}").status_code == 404
    assert client.get(f"/notices/manage/objections/{objection_id}/evidence").status_code == 404


def test_objections_are_rate_limited(client, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        notice_id, entry_id = notice.id, _first_entry(notice.id).id
    statuses = [_object(client, notice_id, entry_id).status_code for _ in range(6)]
    assert statuses[:5] == [302] * 5
    assert statuses[5] == 429
    blocked = _object(client, notice_id, entry_id)
    assert "请求过于频繁" in blocked.get_data(as_text=True)
    with app.app_context():
        assert len(list(db.session.scalars(select(Objection.id)))) == 5


def test_objection_requires_csrf_real_name_and_phone(client, app, demo):
    with app.app_context():
        notice = _notice(OPEN_TITLE)
        notice_id, entry_id = notice.id, _first_entry(notice.id).id
    no_token = client.post(f"/notices/{notice_id}/objections/new", data={
        "entry_id": str(entry_id), "name": "王建国", "phone": "13905331234", "grounds": "理由理由理由理由理由理由"})
    assert no_token.status_code == 400
    bad = _object(client, notice_id, entry_id, name="王 建国", phone="12345")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "姓名字与字之间不能有空格" in text and "有效的手机号码" in text
    with app.app_context():
        assert db.session.scalar(select(Objection.id)) is None


def test_objections_only_while_the_notice_is_open(client, app, demo):
    with app.app_context():
        closed = _notice(CLOSED_TITLE)
        closed_id, entry_id = closed.id, _first_entry(closed.id).id
    response = _object(client, closed_id, entry_id)
    assert response.status_code == 302
    assert "公示期满，不再受理异议" in client.get(f"/notices/{closed_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Objection.id)) is None


def test_closed_notice_shows_which_records_passed_it(client, app, demo):
    with app.app_context():
        notice_id = _publish("county_demo", clock.today() - timedelta(days=30), title="已结束的县级公示")
        entries = list(db.session.scalars(select(NoticeEntry).where(NoticeEntry.notice_id == notice_id)
                                          .order_by(NoticeEntry.position)))
        assert len(entries) >= 2
        # An objection still open after the end date keeps that one record from moving up.
        blocked = entries[0]
        db.session.add(Objection(notice_id=notice_id, entry_id=blocked.id, certificate_id=blocked.certificate_id,
                                 objector_name="王建国", objector_phone="13905331234", grounds="逾期前提交的异议",
                                 receipt_hash="0" * 64, status="open"))
        db.session.get(Certificate, blocked.certificate_id).objection_open = True
        db.session.commit()
        # The hospital's own notice is still open: nothing on it has passed yet.
        open_id = _notice(OPEN_TITLE).id
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert page.count("公示期满无异议") == len(entries) - 1
    assert "异议处理中" in page
    open_page = client.get(f"/notices/{open_id}").get_data(as_text=True)
    assert "公示期满无异议" not in open_page


def test_days_remaining_are_working_days(client, app, demo, monkeypatch):
    with app.app_context():
        notice_id = _publish("county_demo", date(2025, 9, 29), title="国庆前公示")
    # On Wed 2025-10-01 (holiday) the working days left are 10-09, 10-10 and 10-11.
    monkeypatch.setattr(clock, "today", lambda: date(2025, 10, 1))
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert re.search(r'剩余 <strong class="remaining-days">3</strong> 个工作日', page)
    assert "含今日" not in page
    monkeypatch.setattr(clock, "today", lambda: date(2025, 9, 30))
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert re.search(r'剩余 <strong class="remaining-days">4</strong> 个工作日（含今日）', page)


@pytest.mark.parametrize("path", ["/notices/manage", "/notices/manage/new", "/admin/workdays"])
def test_internal_notice_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_publisher_may_list_only_the_ticked_records(client, auth, app, demo):
    auth.login("county_demo")
    page = client.get("/notices/manage/new").get_data(as_text=True)
    ticked = re.findall(r'name="cert_id" value="(\d+)"', page)[:2]
    assert len(ticked) == 2
    response = client.post("/notices/manage/new", data={
        "csrf_token": csrf_token_of(client, "/notices/manage/new"), "title": "两人公示", "body": "现予公示。",
        "contact": "吴审核", "start_date": clock.today().isoformat(), "days": "5", "series": "", "level": "",
        "corrects_id": "0", "selection": "picked", "cert_id": ticked})
    assert response.status_code == 302
    with app.app_context():
        notice = _notice("两人公示")
        listed = set(db.session.scalars(select(NoticeEntry.certificate_id).where(NoticeEntry.notice_id == notice.id)))
        assert listed == {int(t) for t in ticked}
    nothing = client.post("/notices/manage/new", data={
        "csrf_token": csrf_token_of(client, "/notices/manage/new"), "title": "空公示", "body": "现予公示。",
        "contact": "吴审核", "start_date": clock.today().isoformat(), "days": "5", "series": "", "level": "",
        "corrects_id": "0", "selection": "picked"})
    assert nothing.status_code == 200 and "没有选中任何记录" in nothing.get_data(as_text=True)


def test_receipt_code_is_short_unambiguous_and_read_back_loosely(client, app, demo):
    from portal.domain.receipts import ALPHABET

    with app.app_context():
        notice = _notice(OPEN_TITLE)
        entry = _first_entry(notice.id)
        notice_id, entry_id, person = notice.id, entry.id, entry.person_name
    _object(client, notice_id, entry_id)
    page = client.get("/notices/objections/filed").get_data(as_text=True)
    code = re.search(r'id="receipt-code">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert set(code.replace("-", "")) <= set(ALPHABET) and not set("ILOU") & set(code)
    assert "data-print" in page and person in page and "/notices/objections/receipt" in page
    # Read over the phone and typed back: lower case, no dashes, O for 0 and l for 1.
    typed = code.replace("-", "").lower().replace("0", "o").replace("1", "l")
    lookup = client.post("/notices/objections/receipt", data={
        "code": typed, "csrf_token": csrf_token_of(client, "/notices/objections/receipt")}).get_data(as_text=True)
    assert "待处理" in lookup
