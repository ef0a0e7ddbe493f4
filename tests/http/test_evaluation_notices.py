"""The unit's notice of applicants (申报人员公示) on the shared notices: public list, objections that
freeze an application, the supplementary notice after a change, and the generic query part 2 uses."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import clock
from portal.extensions import db
from portal.models import Application, AuditEntry, NoticeEntry, Objection, PublicNotice, User
from portal.notices import services as notices
from tests.conftest import csrf_token_of
from tests.http.test_evaluation_applications import (  # noqa: F401  (plan_id is a fixture)
    _item_id, _upload, plan_id)
from tests.http.test_evaluation_review import OPINION, _approve, _status, _submitted, hold_notice

INTERVIEW = {"interview_date": "2027-06-12", "interview_experts": "王工、李工、赵工"}


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _publish_via_page(client, auth, ids, days="5"):
    auth.login("unit_demo")
    page = client.get("/evaluation/notice").get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(client, "/evaluation/notice"), "title": "东港区人民医院职称申报人员公示",
            "body": "现予公示。", "contact": "人事科 0633-8888888", "start_date": clock.today().isoformat(),
            "days": days, "application_id": [str(i) for i in ids]}
    response = client.post("/evaluation/notice", data=data)
    auth.logout()
    return page, response


def _object(client, notice_id, entry_id):
    return client.post(f"/notices/{notice_id}/objections/new", data={
        "entry_id": str(entry_id), "name": "王建国", "phone": "13905331234", "grounds": "该申报人的论文系他人代写。",
        "csrf_token": csrf_token_of(client, f"/notices/{notice_id}")}, content_type="multipart/form-data")


def test_the_unit_publishes_its_applicants_and_the_public_page_shows_them_without_id_numbers(
        client, auth, app, plan_id):  # noqa: F811
    application_id = _submitted(client, auth, app, plan_id)
    page, response = _publish_via_page(client, auth, [application_id], days="4")
    assert "张明华" in page and "首次公示" in page
    assert response.status_code == 200 and "公示期不得少于5个工作日" in response.get_data(as_text=True)
    _, response = _publish_via_page(client, auth, [application_id])
    assert response.status_code == 302
    notice_id = int(re.search(r"/notices/manage/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        notice = db.session.get(PublicNotice, notice_id)
        assert notice.kind == "applications" and notice.supplementary is False and notice.entry_count == 1
        entry = db.session.scalar(select(NoticeEntry).where(NoticeEntry.notice_id == notice_id))
        assert entry.application_id == application_id and entry.certificate_id is None
        person = db.session.get(Application, application_id).person
        id_number = person.id_number
        trail = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "evaluation_application", AuditEntry.object_id == application_id)))
    assert "evaluation_noticed" in trail
    public = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    for shown in ("张明华", "东港区人民医院", "副高级", "电气工程", "正常申报", "申报人员公示"):
        assert shown in public
    for header in ("申报级别", "申报专业", "申报方式"):
        assert f"<th>{header}</th>" in public
    assert id_number not in public and id_number[-6:] not in public
    form = client.get(f"/notices/{notice_id}/objections/new").get_data(as_text=True)
    assert "张明华（日照市东港区人民医院，申报副高级 电气工程）" in form and id_number not in form
    pdf = client.get(f"/notices/{notice_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # Already listed and unchanged: nothing left to publish.
    auth.login("unit_demo")
    assert "没有待公示的申报" in client.get("/evaluation/notice").get_data(as_text=True)


def test_an_objection_freezes_the_application_until_the_unit_decides(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    application_id = _submitted(client, auth, app, plan_id)
    with app.app_context():
        version_before = db.session.get(Application, application_id).version
    notice_id = hold_notice(app, monkeypatch, application_id)
    # The period is over in hold_notice; objections are filed while it runs.
    monkeypatch.setattr(clock, "today", lambda: db.session.get(PublicNotice, notice_id).start_date)
    with app.app_context():
        entry_id = db.session.scalar(select(NoticeEntry.id).where(NoticeEntry.notice_id == notice_id))
    assert _object(client, notice_id, entry_id).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.objection_open is True and application.version == version_before + 1
        objection = db.session.scalar(select(Objection).where(Objection.application_id == application_id))
        assert objection.certificate_id is None
        objection_id = objection.id
        end = db.session.get(PublicNotice, notice_id).end_date
        assert notices.notice_cleared(application, "applications", on=end + timedelta(days=1)) is False
    assert "异议处理中" in client.get(f"/notices/{notice_id}").get_data(as_text=True)

    monkeypatch.setattr(clock, "today", lambda: end + timedelta(days=1))
    auth.login("unit_demo")
    page = _approve(client, app, application_id, **OPINION, **INTERVIEW)
    assert "该申报有尚未处理完毕的公示异议" in page
    assert _status(app, application_id) == "unit_review"
    token = csrf_token_of(client, f"/notices/manage/{notice_id}")
    client.post(f"/notices/manage/objections/{objection_id}/resolve", data={
        "csrf_token": token, "decision": "dismissed", "reason": "经核查，论文系本人撰写。"})
    with app.app_context():
        assert db.session.get(Application, application_id).objection_open is False
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "evaluation_application", AuditEntry.object_id == application_id)))
        assert actions[-2:] == ["objection_freeze", "objection_resolve"]
    _approve(client, app, application_id, **OPINION, **INTERVIEW)
    assert _status(app, application_id) == "county_review"


@pytest.mark.parametrize("outcome, status", [("returned", "returned"), ("cancelled", "cancelled")])
def test_an_upheld_objection_returns_or_cancels_the_application(client, auth, app, plan_id, monkeypatch,
                                                                 outcome, status):  # noqa: F811
    application_id = _submitted(client, auth, app, plan_id)
    _, response = _publish_via_page(client, auth, [application_id])
    notice_id = int(re.search(r"/notices/manage/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        entry_id = db.session.scalar(select(NoticeEntry.id).where(NoticeEntry.notice_id == notice_id))
    _object(client, notice_id, entry_id)
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id).where(Objection.application_id == application_id))
    auth.login("unit_demo")
    client.post(f"/notices/manage/objections/{objection_id}/resolve", data={
        "csrf_token": csrf_token_of(client, f"/notices/manage/{notice_id}"), "decision": "upheld",
        "outcome": outcome, "reason": "论文系他人代写，经核实属实。"})
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == status and application.objection_open is False
        assert "论文系他人代写" in application.return_reason


def test_a_change_after_the_notice_needs_a_supplementary_notice(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    with app.app_context():
        assert notices.notice_cleared(db.session.get(Application, application_id)) is True
    auth.login("unit_demo")
    path = f"/evaluation/applications/{application_id}"
    from tests.http.test_evaluation_review import _return
    _return(client, app, application_id, [_item_id(app, plan_id)], reason="评审表缺单位盖章")
    auth.logout()
    auth.login("person_demo")
    _upload(client, application_id, f"item-{_item_id(app, plan_id)}", "评审表（盖章）.pdf")
    client.post(f"{path}/submit", data={"csrf_token": csrf_token_of(client, path), "commitment": "1"})
    auth.logout()
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == "unit_review"
        assert notices.notice_cleared(application) is False
        assert [p.code for p in notices.application_notice_problems(application)] == ["supplementary_required"]
    page, _ = _publish_via_page(client, auth, [application_id])
    assert "补充公示（材料已变更）" in page


def test_certificate_candidates_are_unaffected_by_application_lines(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    with app.app_context():
        before = notices.candidate_count(notices.candidate_query(_user("unit_demo")))
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    with app.app_context():
        assert notices.candidate_count(notices.candidate_query(_user("unit_demo"))) == before


def test_a_results_notice_is_one_call_and_has_its_own_query(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    """Part 2 publishes the committee's results as a notice of kind "results" with the same call."""
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert notices.notice_cleared(application, "applications") is True
        assert notices.notice_cleared(application, "results") is False
        assert [p.code for p in notices.application_notice_problems(application, "results")] == ["notice_missing"]
    notice_id = hold_notice(app, monkeypatch, application_id, unit="city_demo", kind="results")
    with app.app_context():
        assert db.session.get(PublicNotice, notice_id).kind == "results"
        assert notices.notice_cleared(db.session.get(Application, application_id), "results") is True
    assert "评审结果公示" in client.get(f"/notices/{notice_id}").get_data(as_text=True)


def test_a_notice_line_names_exactly_one_subject(app, demo):
    with app.app_context():
        notice = db.session.scalar(select(PublicNotice).limit(1))
        db.session.add(NoticeEntry(notice_id=notice.id, position=99, person_name="某", employer_name="某单位",
                                   series_name="工程", title_name="", level="中级"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
