"""The administrator's holiday table: provisional end dates, their correction, and the reminder banner."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, PublicNotice, User, WorkdayOverride
from portal import clock
from portal.notices import services
from tests.conftest import csrf_token_of

# 2030 is far beyond any schedule the holiday package ships, so it stays a fallback year.
FAR_START = date(2030, 3, 4)  # a Monday


def _publish_far(title: str = "2030年公示") -> int:
    user = db.session.scalar(select(User).where(User.username == "county_demo"))
    return services.publish(user, services.PublishRequest(
        title=title, body="现予公示。", contact="吴审核", start_date=FAR_START, days=5),
        services.candidate_query(user)).id


def _end_cell(page: str) -> str:
    match = re.search(r'<span class="notice-end">([^<]+)</span>( <span class="provisional"[^>]*>暂定</span>)?', page)
    assert match
    return match.group(0)


def _add(client, year: int, **data):
    token = csrf_token_of(client, f"/admin/workdays?year={year}")
    return client.post(f"/admin/workdays?year={year}", data={"csrf_token": token, "kind": "holiday"} | data)


def test_end_date_in_an_unannounced_year_is_marked_provisional_everywhere(client, app, demo):
    with app.app_context():
        notice_id = _publish_far()
    for path in (f"/notices/{notice_id}", "/notices"):
        cell = _end_cell(client.get(path).get_data(as_text=True))
        assert "2030-03-08" in cell and "暂定" in cell


def test_entering_the_schedule_moves_the_end_date_and_completing_the_year_drops_the_mark(
        client, auth, app, demo):
    with app.app_context():
        notice_id = _publish_far()
    auth.login("admin")
    # A holiday on Wed 2030-03-06 pushes the fifth working day from Fri 03-08 to Mon 03-11.
    response = _add(client, 2030, first="2030-03-06", note="假设的节日")
    assert response.status_code == 302
    with app.app_context():
        notice = db.session.get(PublicNotice, notice_id)
        assert notice.end_date == date(2030, 3, 11) and notice.provisional
    cell = _end_cell(client.get(f"/notices/{notice_id}").get_data(as_text=True))
    assert "2030-03-11" in cell and "暂定" in cell

    token = csrf_token_of(client, "/admin/workdays?year=2030")
    client.post("/admin/workdays/2030/complete", data={"csrf_token": token, "complete": "1"})
    cell = _end_cell(client.get(f"/notices/{notice_id}").get_data(as_text=True))
    assert "2030-03-11" in cell and "暂定" not in cell

    with app.app_context():
        override_id = db.session.scalar(select(WorkdayOverride.id))
        trail = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "workday_table")))
        assert trail == ["workday_set", "workday_year_complete"]
    token = csrf_token_of(client, "/admin/workdays?year=2030")
    fragment = client.post(f"/admin/workdays/{override_id}/delete", data={"csrf_token": token},
                           headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已删除 2030-03-06" in fragment and "<html" not in fragment
    with app.app_context():
        assert db.session.get(PublicNotice, notice_id).end_date == date(2030, 3, 8)


def test_a_make_up_working_day_counts(client, auth, app, demo):
    with app.app_context():
        notice_id = _publish_far()
    auth.login("admin")
    # Wed 03-06 off and a make-up Saturday 03-09: the fifth working day is that Saturday.
    _add(client, 2030, first="2030-03-06", note="节日")
    _add(client, 2030, first="2030-03-09", kind="workday", note="调休上班")
    with app.app_context():
        assert db.session.get(PublicNotice, notice_id).end_date == date(2030, 3, 9)


def test_a_range_is_entered_in_one_go_through_htmx(client, auth, app):
    from portal import demo as demo_module

    with app.app_context():
        demo_module.run(0)
    auth.login("admin")
    token = csrf_token_of(client, "/admin/workdays?year=2030")
    fragment = client.post("/admin/workdays?year=2030", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "first": "2030-02-02", "last": "2030-02-08", "kind": "holiday", "note": "春节"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "已录入 7 天" in text and "<html" not in text
    assert text.count("春节") >= 7
    backwards = client.post("/admin/workdays?year=2030", headers={"HX-Request": "true"}, data={
        "csrf_token": token, "first": "2030-02-08", "last": "2030-02-02", "kind": "holiday"})
    assert backwards.status_code == 200 and "结束日期不能早于开始日期" in backwards.get_data(as_text=True)
    with app.app_context():
        assert len(list(db.session.scalars(select(WorkdayOverride.id)))) == 7


def test_only_administrators_edit_the_table_and_only_with_csrf(client, auth, app, demo):
    auth.login("city_demo")
    assert client.get("/admin/workdays").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get("/admin/workdays").status_code == 200
    no_token = client.post("/admin/workdays?year=2030", data={"first": "2030-03-06", "kind": "holiday"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(WorkdayOverride.id)) is None


def _banner(client) -> str | None:
    match = re.search(r'<div class="flash flash-banner"[^>]*>([^<]+)</div>', client.get("/home").get_data(as_text=True))
    return match.group(1) if match else None


def test_banner_from_november_until_next_years_schedule_is_complete(client, auth, app, demo, monkeypatch):
    auth.login("admin")
    monkeypatch.setattr(clock, "today", lambda: date(2030, 6, 10))
    assert _banner(client) is None
    monkeypatch.setattr(clock, "today", lambda: date(2030, 11, 3))
    banner = _banner(client)
    assert banner and "2031年" in banner
    assert _banner(client) == banner, "shown on every page, once"
    token = csrf_token_of(client, "/admin/workdays?year=2031")
    client.post("/admin/workdays/2031/complete", data={"csrf_token": token, "complete": "1"})
    client.get("/home")  # the confirmation page may still carry the last reminder
    assert _banner(client) is None
    auth.logout()
    auth.login("city_demo")
    assert _banner(client) is None, "only administrators are reminded"


def test_banner_when_an_open_notice_is_provisional(client, auth, app, demo, monkeypatch):
    with app.app_context():
        _publish_far()
    auth.login("admin")
    monkeypatch.setattr(clock, "today", lambda: date(2030, 3, 5))
    banner = _banner(client)
    assert banner and "2030年" in banner and "2031年" not in banner
    monkeypatch.setattr(clock, "today", lambda: date(2030, 4, 1))
    assert _banner(client) is None, "the notice has ended"


def test_publish_form_previews_the_end_date_with_its_provisional_mark(client, auth, demo):
    auth.login("county_demo")
    known = client.get("/notices/manage/end-date?start_date=2025-09-29&days=5",
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2025-10-11" in known and "暂定" not in known
    far = client.get("/notices/manage/end-date?start_date=2030-03-04&days=5",
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "2030-03-08" in far and "暂定" in far
    too_short = client.get("/notices/manage/end-date?start_date=2030-03-04&days=3").get_data(as_text=True)
    assert "notice-end" not in too_short
