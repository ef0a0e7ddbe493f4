"""Review of applications level by level up to the plan's office, with 一次性告知 returns."""
from datetime import date, timedelta

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Application, AuditEntry, BlacklistEntry, User
from portal.notices import services as notices
from tests.conftest import csrf_token_of
from tests.http.test_evaluation_applications import (  # noqa: F401  (plan_id is a fixture)
    _item_id, _new, _submit, _upload, plan_id)

OPINION = {f"opinion_{key}": "好" for key in ("morality", "performance", "expertise", "ability", "attitude")}


def _submitted(client, auth, app, plan_id) -> int:
    auth.login("person_demo")
    application_id = _new(client, app, plan_id)
    _upload(client, application_id, f"item-{_item_id(app, plan_id)}")
    assert _submit(client, application_id).status_code == 302
    auth.logout()
    return application_id


def hold_notice(app, monkeypatch, *application_ids, unit="unit_demo", kind="applications") -> int:
    """The unit publishes its applicants for five working days from today; the clock then moves past
    the end of the notice. Returns the notice's id."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == unit))
        notice = notices.publish_application_notice(
            user.org, [db.session.get(Application, i) for i in application_ids], kind,
            notices.PublishRequest(title="申报人员公示", body="现予公示。", contact="人事科 0633-8888888",
                                   start_date=clock.today(), days=5), actor=user)
        notice_id, end = notice.id, notice.end_date
    monkeypatch.setattr(clock, "today", lambda: end + timedelta(days=1))
    return notice_id


def _version(app, application_id):
    with app.app_context():
        return str(db.session.get(Application, application_id).version)


def _status(app, application_id):
    with app.app_context():
        return db.session.get(Application, application_id).status


def _approve(client, app, application_id, **fields):
    path = f"/evaluation/applications/{application_id}"
    client.post(f"{path}/approve", data={"csrf_token": csrf_token_of(client, path),
                                         "version": _version(app, application_id)} | fields)
    return client.get(path).get_data(as_text=True)


def _return(client, app, application_id, items, reason="", days="10"):
    path = f"/evaluation/applications/{application_id}"
    client.post(f"{path}/return", data={"csrf_token": csrf_token_of(client, path), "version": _version(
        app, application_id), "items": [str(i) for i in items], "reason": reason, "days": days})
    return client.get(path).get_data(as_text=True)


def test_unit_county_and_city_review_with_one_return_and_resubmission(client, auth, app, plan_id, monkeypatch):
    application_id = _submitted(client, auth, app, plan_id)
    auth.login("unit_demo")
    assert "张明华" in client.get("/evaluation/review").get_data(as_text=True)
    page = _approve(client, app, application_id)
    assert "请填写单位对“思想品德”的推荐意见" in page and "须先组织面试答辩" in page
    assert "尚未进行单位公示" in page
    assert _status(app, application_id) == "unit_review"
    hold_notice(app, monkeypatch, application_id)
    _approve(client, app, application_id, **OPINION, interview_date="2027-06-12", interview_experts="王工、李工、赵工")
    assert _status(app, application_id) == "county_review"
    auth.logout()

    auth.login("county_demo")
    item = _item_id(app, plan_id)
    assert "退回须勾选" in _return(client, app, application_id, [])
    _return(client, app, application_id, [item], reason="评审表缺单位盖章", days="10")
    assert _status(app, application_id) == "returned"
    auth.logout()

    auth.login("person_demo")
    page = client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert "一次性告知" in page and "缺少或不符合要求：职称申报评审表" in page and "评审表缺单位盖章" in page
    assert (clock.today() + timedelta(days=10)).isoformat() in page
    _upload(client, application_id, f"item-{item}", "评审表（盖章）.pdf")
    assert _submit(client, application_id).status_code == 302
    assert _status(app, application_id) == "unit_review"
    auth.logout()

    auth.login("unit_demo")  # changed after its notice: a supplementary notice must run first
    page = _approve(client, app, application_id, **OPINION, interview_date="2027-06-12", interview_experts="王工、李工、赵工")
    assert "须进行不少于5个工作日的补充公示" in page
    assert _status(app, application_id) == "unit_review"
    supplementary = hold_notice(app, monkeypatch, application_id)
    with app.app_context():
        assert db.session.get(notices.PublicNotice, supplementary).supplementary is True
    _approve(client, app, application_id, **OPINION, interview_date="2027-06-12", interview_experts="王工、李工、赵工")
    assert _status(app, application_id) == "county_review"
    auth.logout()
    auth.login("county_demo")
    _approve(client, app, application_id)
    auth.logout()
    auth.login("city_demo")
    page = _approve(client, app, application_id)
    assert _status(app, application_id) == "to_committee"
    assert "已报送评审委员会" in page and "王工、李工、赵工" in page
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "evaluation_application", AuditEntry.object_id == application_id)
            .order_by(AuditEntry.id)))
    assert actions.count("evaluation_recommend") == 4 and actions.count("evaluation_return") == 1


def test_only_the_level_holding_the_application_acts(client, auth, app, plan_id):
    application_id = _submitted(client, auth, app, plan_id)
    auth.login("county_demo")  # waits at the unit, not here
    _approve(client, app, application_id)
    assert _status(app, application_id) == "unit_review"
    auth.logout()
    auth.login("unit2_demo")  # another unit: out of scope
    path = f"/evaluation/applications/{application_id}"
    assert client.post(f"{path}/approve", data={"csrf_token": csrf_token_of(client, "/home"),
                                                "version": "1"}).status_code == 404


def test_a_stale_version_changes_nothing(client, auth, app, plan_id):
    application_id = _submitted(client, auth, app, plan_id)
    auth.login("unit_demo")
    path = f"/evaluation/applications/{application_id}"
    client.post(f"{path}/approve", data={"csrf_token": csrf_token_of(client, path), "version": "0"} | OPINION
                | {"interview_date": "2027-06-12", "interview_experts": "王工"})
    assert "已被他人处理" in client.get(path).get_data(as_text=True)
    assert _status(app, application_id) == "unit_review"


def test_past_the_resubmission_deadline_the_application_counts_as_withdrawn(client, auth, app, plan_id, monkeypatch):
    application_id = _submitted(client, auth, app, plan_id)
    auth.login("unit_demo")
    _return(client, app, application_id, [_item_id(app, plan_id)], days="3")
    auth.logout()
    monkeypatch.setattr(clock, "today", lambda: date(2027, 6, 14))
    auth.login("person_demo")
    _submit(client, application_id)
    assert "补正期限（2027-06-13）已过，本申报视为撤回" in client.get(
        f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert _status(app, application_id) == "withdrawn"


def test_the_plan_office_cannot_pass_an_application_failing_the_basic_conditions(client, auth, app, plan_id,
                                                                                  monkeypatch):
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    for username, extra in (("unit_demo", OPINION | {"interview_date": "2027-06-12", "interview_experts": "王工"}),
                            ("county_demo", {})):
        auth.login(username)
        _approve(client, app, application_id, **extra)
        auth.logout()
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == "person_demo")).person
        db.session.add(BlacklistEntry(person_id=person.id, region_code="371102", reason="论文造假",
                                      start_date=date(2027, 6, 1)))
        db.session.commit()
    auth.login("city_demo")
    page = _approve(client, app, application_id)
    assert "不能报送评审委员会：您在诚信黑名单期限内" in page
    assert _status(app, application_id) == "city_review"


def _at_city(client, auth, app, plan_id, monkeypatch) -> int:
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    for username, extra in (("unit_demo", OPINION | {"interview_date": "2027-06-12", "interview_experts": "王工"}),
                            ("county_demo", {})):
        auth.login(username)
        _approve(client, app, application_id, **extra)
        auth.logout()
    assert _status(app, application_id) == "city_review"
    return application_id


def test_the_plan_office_checks_the_recommendation_procedure_and_completeness(client, auth, app, plan_id,
                                                                                monkeypatch):
    from datetime import datetime, timezone

    from portal.models import ApplicationMaterial, NoticeEntry

    application_id = _at_city(client, auth, app, plan_id, monkeypatch)
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.opinion = None
        application.interview_experts = None
        application.content_changed_at = datetime(2099, 1, 1, tzinfo=timezone.utc)
        db.session.execute(ApplicationMaterial.__table__.delete().where(
            ApplicationMaterial.application_id == application_id))
        db.session.commit()
    auth.login("city_demo")
    page = _approve(client, app, application_id)
    for message in ("不能报送评审委员会：申报材料在单位公示发布后有变更", "不能报送评审委员会：请填写单位对“思想品德”的推荐意见",
                    "不能报送评审委员会：申报副高级职称须先组织面试答辩", "不能报送评审委员会：尚未提供清单材料：职称申报评审表"):
        assert message in page
    assert _status(app, application_id) == "city_review"
    with app.app_context():  # no notice at all
        db.session.execute(NoticeEntry.__table__.delete().where(NoticeEntry.application_id == application_id))
        db.session.commit()
    assert "不能报送评审委员会：尚未进行单位公示" in _approve(client, app, application_id)


def test_the_plan_office_judges_the_basic_conditions_on_the_day_of_application(client, auth, app, plan_id,
                                                                                monkeypatch):
    application_id = _at_city(client, auth, app, plan_id, monkeypatch)
    # The office acts in its own stage, after the application window closed: that is no reason to refuse.
    monkeypatch.setattr(clock, "today", lambda: date(2027, 7, 25))
    auth.login("city_demo")
    page = _approve(client, app, application_id)
    assert "不在申报时间内" not in page
    assert _status(app, application_id) == "to_committee"
