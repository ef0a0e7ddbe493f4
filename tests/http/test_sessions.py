"""Sessions end on logout, password change and reset; absolute lifetime; first-login password change."""
import time

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, User
from tests.conftest import DEMO_PASSWORD, Auth, csrf_token_of

NEW_PASSWORD = "Fresh#Pass2027"


def _two_sessions(app, username="unit_demo"):
    first, second = app.test_client(), app.test_client()
    Auth(first).login(username)
    Auth(second).login(username)
    assert first.get("/home").status_code == 200 and second.get("/home").status_code == 200
    return first, second


def _change(client, current, new, confirm=None):
    token = csrf_token_of(client, "/account/password")
    return client.post("/account/password", data={"current": current, "new": new, "confirm": confirm or new,
                                                  "csrf_token": token})


def test_logout_ends_every_session_of_the_account(app, demo):
    first, second = _two_sessions(app)
    Auth(first).logout()
    assert second.get("/home").status_code == 302


def test_a_cookie_captured_before_logout_no_longer_works(app, client, auth, demo):
    auth.login("unit_demo")
    with client.session_transaction() as captured:
        stolen = dict(captured)
    auth.logout()
    with client.session_transaction() as session:
        session.update(stolen)
    assert client.get("/home").status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(app, demo):
    first, second = _two_sessions(app)
    response = _change(first, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert first.get("/home").status_code == 200
    assert second.get("/home").status_code == 302
    Auth(first).logout()
    assert Auth(first).login("unit_demo", NEW_PASSWORD).headers["Location"].endswith("/home")
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password_change")) is not None


def test_password_change_enforces_the_policy(client, auth, demo):
    auth.login("unit_demo")
    assert "当前密码不正确" in _change(client, "wrong", NEW_PASSWORD).get_data(as_text=True)
    assert "至少三类" in _change(client, DEMO_PASSWORD, "alllowercase").get_data(as_text=True)
    assert "至少8位" in _change(client, DEMO_PASSWORD, "Ab1#").get_data(as_text=True)
    assert "不能包含用户名" in _change(client, DEMO_PASSWORD, "Unit_Demo#1").get_data(as_text=True)
    assert "不一致" in _change(client, DEMO_PASSWORD, NEW_PASSWORD, "Other#Pass2027").get_data(as_text=True)
    assert "不能与当前密码相同" in _change(client, DEMO_PASSWORD, DEMO_PASSWORD).get_data(as_text=True)


def test_session_ends_after_its_absolute_lifetime_despite_activity(client, auth, demo):
    auth.login("unit_demo")
    with client.session_transaction() as session:
        session["login_at"] = time.time() - 12 * 3600 - 60
        session["last_seen"] = time.time()
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "超过有效期" in client.get("/login").get_data(as_text=True)


def test_after_login_the_previous_login_is_shown(client, auth, demo):
    auth.login("unit_demo")
    assert "首次登录" in client.get("/home").get_data(as_text=True)
    auth.logout()
    auth.login("unit_demo")
    page = client.get("/home").get_data(as_text=True)
    assert "上次登录：" in page and "北京时间" in page and "127.0.0.*" in page


def test_a_generated_password_must_be_changed_first(app, client, auth, demo):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "unit_demo"))
        user.must_change_password = True
        db.session.commit()
    assert auth.login("unit_demo").headers["Location"].endswith("/account/password")
    assert client.get("/certificates").headers["Location"].endswith("/account/password")
    assert "初始密码" in client.get("/account/password").get_data(as_text=True)
    _change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert client.get("/certificates").status_code == 200


def test_create_user_cli_applies_the_policy(app, demo):
    result = app.test_cli_runner().invoke(args=["create-user", "--username", "ops9", "--role", "city_office",
                                                "--org", "RZ-ZGB", "--password", "longbutsimple"])
    assert result.exit_code != 0 and "至少三类" in result.output
