"""Accounts and organisations level by level; the login log; the printable password slip."""
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Organization, User
from tests.conftest import Auth, csrf_token_of


def _id(app, model, **where):
    with app.app_context():
        column, value = next(iter(where.items()))
        return db.session.scalar(select(model.id).where(getattr(model, column) == value))


def _post(client, path, data=None, token_page="/accounts"):
    return client.post(path, data=(data or {}) | {"csrf_token": csrf_token_of(client, token_page)})


def test_an_office_lists_the_accounts_of_its_subtree_with_last_login(app, client, auth, demo):
    Auth(app.test_client()).login("unit_demo")
    auth.login("county_demo")
    page = client.get("/accounts").get_data(as_text=True)
    assert "unit_demo" in page and "李经办" in page and "张明华" in page
    assert "unit3_demo" not in page and "city_demo" not in page
    row = page[page.index("unit_demo"):]
    assert "从未登录" not in row[:row.index("</tr>")]


def test_disabling_ends_the_sessions_and_re_enabling_restores_login(app, client, auth, demo):
    holder = app.test_client()
    Auth(holder).login("unit_demo")
    auth.login("county_demo")
    unit_id = _id(app, User, username="unit_demo")
    assert _post(client, f"/accounts/{unit_id}/disable").status_code == 302
    assert holder.get("/home").status_code == 302
    assert "已停用" in Auth(holder).login("unit_demo").get_data(as_text=True)
    _post(client, f"/accounts/{unit_id}/enable")
    assert Auth(holder).login("unit_demo").headers["Location"].endswith("/home")
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "user")))
    assert {"account_disable", "account_enable"} <= actions


def test_accounts_outside_the_subtree_or_at_ones_own_level_are_not_managed(app, client, auth, demo):
    auth.login("county_demo")
    assert _post(client, f"/accounts/{_id(app, User, username='unit3_demo')}/disable").status_code == 404
    assert _post(client, f"/accounts/{_id(app, User, username='county_demo')}/disable").status_code == 403
    auth.logout()
    auth.login("unit_demo")
    assert _post(client, f"/accounts/{_id(app, User, username='county_demo')}/reset").status_code == 404


def test_a_unit_resets_a_staff_password_on_a_one_time_slip(app, client, auth, demo):
    holder = app.test_client()
    Auth(holder).login("person_demo")
    auth.login("unit_demo")
    page = _post(client, f"/accounts/{_id(app, User, username='person_demo')}/reset").get_data(as_text=True)
    assert "账户密码通知单" in page and "只能用于首次登录" in page
    password = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    assert holder.get("/home").status_code == 302
    assert Auth(holder).login("person_demo", password).headers["Location"].endswith("/account/password")
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "password_reset"))


def test_a_city_office_sets_up_a_lower_office_and_its_administrator(app, client, auth, demo):
    auth.login("city_demo")
    city_id = _id(app, Organization, code="RZ-ZGB")
    response = _post(client, "/accounts/orgs/new", {
        "code": "LS-ZGB", "name": "岚山区职称改革领导小组办公室", "type": "county_office", "region_code": "371103",
        "parent_id": city_id}, "/accounts/orgs/new")
    assert response.status_code == 302
    org_id = _id(app, Organization, code="LS-ZGB")
    page = _post(client, f"/accounts/orgs/{org_id}/admin", {"admin-username": "lanshan_admin",
                                                             "admin-display_name": "钱主任"},
                 f"/accounts/orgs/{org_id}").get_data(as_text=True)
    password = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    with app.app_context():
        account = db.session.scalar(select(User).where(User.username == "lanshan_admin"))
        assert account.role == "county_office" and account.must_change_password
        assert db.session.get(Organization, org_id).path.startswith(db.session.get(Organization, city_id).path)
    newcomer = app.test_client()
    assert Auth(newcomer).login("lanshan_admin", password).headers["Location"].endswith("/account/password")
    auth.logout()
    auth.login("county_demo")
    assert client.get(f"/accounts/orgs/{org_id}").status_code == 404


def test_an_office_cannot_create_above_itself_or_outside_its_region(app, client, auth, demo):
    auth.login("county_demo")
    county_id = _id(app, Organization, code="DG-ZGB")
    page = _post(client, "/accounts/orgs/new", {"code": "X1", "name": "某市职改办", "type": "city_office",
                                                "region_code": "371122", "parent_id": county_id},
                 "/accounts/orgs/new").get_data(as_text=True)
    assert "本级不能设立" in page
    page = _post(client, "/accounts/orgs/new", {"code": "X2", "name": "莒县某医院", "type": "unit",
                                                "region_code": "371122", "parent_id": county_id},
                 "/accounts/orgs/new").get_data(as_text=True)
    assert "不在本级管辖范围内" in page
    assert _id(app, Organization, code="X2") is None


def test_login_log_own_and_of_the_subtree(app, client, auth, demo):
    Auth(app.test_client()).login("unit_demo", "wrong")
    Auth(app.test_client()).login("unit_demo")
    Auth(app.test_client()).login("unit3_demo")
    auth.login("unit_demo")
    own = client.get("/account/logins").get_data(as_text=True)
    assert own.count("登录成功") == 2 and "用户名或密码错误" in own and "127.0.0.*" in own
    auth.logout()
    auth.login("county_demo")
    subtree = client.get("/accounts/logins").get_data(as_text=True)
    assert "李经办" in subtree and "赵经办" not in subtree


def test_an_administrator_account_needs_a_free_username(app, client, auth, demo):
    auth.login("county_demo")
    org_id = _id(app, Organization, code="DG-RMYY")
    page = _post(client, f"/accounts/orgs/{org_id}/admin", {"admin-username": "unit_demo",
                                                             "admin-display_name": "重名者"},
                 f"/accounts/orgs/{org_id}").get_data(as_text=True)
    assert "该用户名已被使用" in page and "日照市东港区人民医院" in page
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.display_name == "重名者")) is None
