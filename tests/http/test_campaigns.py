"""Campaign management (采集任务): offices set the scope window and per-level deadlines."""
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.campaigns.demo import DEMO_NAME
from portal.extensions import db
from portal.models import AuditEntry, Campaign, Certificate, Organization
from portal import workflow as review
from tests.conftest import csrf_token_of

DEADLINES = {
    "deadline_person": "2027-04-30",
    "deadline_unit_review": "2027-05-10",
    "deadline_department_review": "2027-05-20",
    "deadline_county_review": "2027-05-31",
    "deadline_city_review": "2027-06-10",
    "deadline_province_review": "2027-06-20",
}


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def _form(client, path="/campaigns/new", **changes):
    data = {"csrf_token": csrf_token_of(client, path), "name": "东港区2018年以来职称信息采集",
            "description": "按县职改办通知采集。", "window_start": "2018-01-01", "window_end": "2020-12-31",
            "exclude_exam_only": "y", "exclude_electronic": "y", "notice_days": "5", "is_open": "y"} | DEADLINES
    data |= changes
    return {key: value for key, value in data.items() if value is not None}


def _create(client, **changes):
    """Create a campaign as the user already logged in; returns its id."""
    response = client.post("/campaigns/new", data=_form(client, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _campaign_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Campaign))


def _trail(app, campaign_id):
    with app.app_context():
        return [(e.action, e.actor_name, e.diff) for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "campaign", AuditEntry.object_id == campaign_id).order_by(AuditEntry.id))]


def test_county_office_creates_a_campaign_that_its_units_then_work_under(client, auth, app, demo):
    auth.login("county_demo")
    page = client.get("/campaigns/new").get_data(as_text=True)
    for label in ("个人", "用人单位", "主管部门", "县级职改办", "市级职改办", "省级职改办"):
        assert f"{label}（" in page
    campaign_id = _create(client)

    shown = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "东港区2018年以来职称信息采集" in shown and "2018-01-01 至 2020-12-31" in shown
    assert "用人单位（单位审核报送）</dt>\n    <dd><span class=\"\">2027-05-10" in shown
    assert "外省取得的职称</dt><dd>收集" in shown
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.org.code == "DG-ZGB" and campaign.is_open and not campaign.exclude_other_province
        assert {d.level: d.due_date.isoformat() for d in campaign.deadlines} == {
            key.removeprefix("deadline_"): value for key, value in DEADLINES.items()}
        # The hospital under the county office now works under the county's campaign, not the province's.
        assert review.campaign_for_org(_org("DG-RMYY")).id == campaign_id
        assert review.campaign_for_org(_org("JX-NJZ")).name == DEMO_NAME
    [(action, actor, diff)] = _trail(app, campaign_id)
    assert action == "campaign_create" and actor == "吴审核"
    assert diff["window_start"] == [None, "2018-01-01"] and diff["deadline_county_review"] == [None, "2027-05-31"]


def test_editing_records_what_changed_and_can_clear_a_deadline(client, auth, app, demo):
    auth.login("county_demo")
    campaign_id = _create(client)
    path = f"/campaigns/{campaign_id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert 'value="2027-05-31"' in form and 'value="东港区2018年以来职称信息采集"' in form
    response = client.post(path, data=_form(client, path, window_start="2010-01-01", deadline_department_review="",
                                            exclude_other_province="y"))
    assert response.status_code == 302
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.window_start == date(2010, 1, 1) and campaign.exclude_other_province
        assert "department_review" not in {d.level for d in campaign.deadlines}
    action, _, diff = _trail(app, campaign_id)[-1]
    assert action == "campaign_update"
    assert diff == {"window_start": ["2018-01-01", "2010-01-01"], "exclude_other_province": [False, True],
                    "deadline_department_review": ["2027-05-20", None]}
    history = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "修改采集任务" in history and "采集范围起始日期：2018-01-01 → 2010-01-01" in history
    assert "主管部门截止日期：2027-05-20 → （空）" in history

    unchanged = client.post(path, data=_form(client, path, window_start="2010-01-01", deadline_department_review="",
                                             exclude_other_province="y"), follow_redirects=True)
    assert "没有修改任何内容" in unchanged.get_data(as_text=True)
    assert len(_trail(app, campaign_id)) == 2


def test_a_lower_level_deadline_after_a_higher_one_is_refused_and_nothing_is_saved(client, auth, app, demo):
    before = _campaign_count(app)
    auth.login("county_demo")
    response = client.post("/campaigns/new", data=_form(client, deadline_unit_review="2027-05-25"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "用人单位的截止日期（2027-05-25）晚于主管部门的截止日期（2027-05-20）" in page
    assert "未保存" in page and 'value="2027-05-25"' in page
    assert _campaign_count(app) == before

    reversed_window = client.post("/campaigns/new", data=_form(client, window_start="2021-01-01"))
    assert "采集范围截止日期（2020-12-31）不能早于起始日期（2021-01-01）" in reversed_window.get_data(as_text=True)
    assert _campaign_count(app) == before


def test_a_bad_edit_leaves_the_campaign_as_it_was(client, auth, app, demo):
    auth.login("county_demo")
    campaign_id = _create(client)
    path = f"/campaigns/{campaign_id}/edit"
    page = client.post(path, data=_form(client, path, deadline_person="2027-07-01")).get_data(as_text=True)
    assert "个人的截止日期（2027-07-01）晚于用人单位的截止日期（2027-05-10）" in page
    with app.app_context():
        due = {d.level: d.due_date for d in db.session.get(Campaign, campaign_id).deadlines}
    assert due["person"] == date(2027, 4, 30)
    assert [action for action, _, _ in _trail(app, campaign_id)] == ["campaign_create"]


def test_another_office_cannot_see_or_change_a_campaign(client, auth, app, demo):
    auth.login("county_demo")
    campaign_id = _create(client)
    for username in ("county2_demo", "city_demo"):
        auth.logout()
        auth.login(username)
        assert client.get(f"/campaigns/{campaign_id}").status_code == 404
        assert client.get(f"/campaigns/{campaign_id}/edit").status_code == 404
        path = "/campaigns/"
        assert client.post(f"/campaigns/{campaign_id}/edit", data=_form(client, path, name="改名")).status_code == 404
        assert client.post(f"/campaigns/{campaign_id}/open",
                           data={"csrf_token": csrf_token_of(client, path), "is_open": "0"}).status_code == 404
        assert "东港区2018年以来职称信息采集" not in client.get(path).get_data(as_text=True)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.name == "东港区2018年以来职称信息采集" and campaign.is_open
    assert len(_trail(app, campaign_id)) == 1


def test_a_campaign_of_a_body_above_is_read_only(client, auth, app, demo):
    with app.app_context():
        province_id = db.session.scalar(select(Campaign.id).where(Campaign.name == DEMO_NAME))
    auth.login("county_demo")
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert DEMO_NAME in listing and "上级机构，仅可查看" in listing and "当前适用" in listing
    assert f"/campaigns/{province_id}/edit" not in listing
    shown = client.get(f"/campaigns/{province_id}").get_data(as_text=True)
    assert "仅可查看" in shown and "2010-01-01 至 2025-12-31" in shown
    assert client.get(f"/campaigns/{province_id}/edit").status_code == 404


@pytest.mark.parametrize("username", ["person_demo", "unit_demo", "dept_demo", "committee_demo"])
@pytest.mark.parametrize("path", ["/campaigns/", "/campaigns/new"])
def test_people_units_and_departments_get_403(client, auth, demo, username, path):
    auth.login(username)
    assert client.get(path).status_code == 403
    assert "采集任务</a>" not in client.get("/home").get_data(as_text=True)


def test_only_one_open_campaign_per_office_and_closing_is_recorded(client, auth, app, demo):
    with app.app_context():
        province_id = db.session.scalar(select(Campaign.id).where(Campaign.name == DEMO_NAME))
    auth.login("province_demo")
    assert "采集任务</a>" in client.get("/home").get_data(as_text=True)
    refused = client.post("/campaigns/new", data=_form(client, name="第二个任务")).get_data(as_text=True)
    assert f"本机构已有开启中的采集任务“{DEMO_NAME}”" in refused
    closed_id = _create(client, name="第二个任务", is_open=None)

    opening = client.post(f"/campaigns/{closed_id}/open",
                          data={"csrf_token": csrf_token_of(client, "/campaigns/"), "is_open": "1"},
                          follow_redirects=True).get_data(as_text=True)
    assert "同一机构同时只能开启一个采集任务" in opening
    client.post(f"/campaigns/{province_id}/open",
                data={"csrf_token": csrf_token_of(client, "/campaigns/"), "is_open": "0"})
    client.post(f"/campaigns/{closed_id}/open",
                data={"csrf_token": csrf_token_of(client, "/campaigns/"), "is_open": "1"})
    with app.app_context():
        assert review.campaign_for_org(_org("DG-RMYY")).id == closed_id
    assert _trail(app, province_id)[-1][0::2] == ("campaign_update", {"is_open": [True, False]})
    assert _trail(app, closed_id)[-1][0::2] == ("campaign_update", {"is_open": [False, True]})


def test_admin_creates_a_campaign_for_an_office_of_its_choice(client, auth, app, demo):
    with app.app_context():
        city_id = _org("RZ-ZGB").id
    auth.login("admin")
    assert "日照市职称改革领导小组办公室（市级职改办）" in client.get("/campaigns/new").get_data(as_text=True)
    campaign_id = _create(client, org_id=str(city_id))
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).org_id == city_id
    auth.logout()
    auth.login("city_demo")
    assert client.get(f"/campaigns/{campaign_id}/edit").status_code == 200


def test_the_demo_campaign_is_created_once_and_nothing_is_overdue(app, demo):
    from portal import demo as demo_module

    with app.app_context():
        demo_module.run(120)
        [campaign] = db.session.scalars(select(Campaign).where(Campaign.name == DEMO_NAME))
        assert campaign.org.code == "SD-ZGB" and campaign.is_open
        assert (campaign.window_start, campaign.window_end) == (date(2010, 1, 1), date(2025, 12, 31))
        due = review.deadlines_of(campaign)
        assert set(due) == set(review.DEADLINE_LEVELS)
        assert sorted(due.values()) == [due[level] for level in review.DEADLINE_LEVELS]
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(review.overdue_condition())) == 0
