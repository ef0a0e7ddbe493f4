"""Login, lockout, idle expiry, session renewal, CSRF and security headers."""
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from tests.conftest import DEMO_PASSWORD, csrf_token_of


def _user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_login_lands_on_home_with_role(client, auth, demo):
    response = auth.login("county_demo")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    page = client.get("/home").get_data(as_text=True)
    assert "县级职改办" in page and "东港区职称改革领导小组办公室" in page


def test_five_failures_lock_the_account_for_thirty_minutes(client, auth, demo, app):
    for _ in range(4):
        page = auth.login("unit_demo", "wrong").get_data(as_text=True)
        assert "用户名或密码错误" in page and "账户已锁定" not in page
    page = auth.login("unit_demo", "wrong").get_data(as_text=True)
    assert "账户已锁定30分钟" in page
    # Even the right password is refused while locked.
    response = auth.login("unit_demo", DEMO_PASSWORD)
    assert response.status_code == 200 and "账户已锁定" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    user = _user(app, "unit_demo")
    locked_until = user.locked_until if user.locked_until.tzinfo else user.locked_until.replace(tzinfo=timezone.utc)
    assert timedelta(minutes=29) < locked_until - datetime.now(timezone.utc) <= timedelta(minutes=30)


def test_lock_expires_after_thirty_minutes(client, auth, demo, app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "unit_demo"))
        user.locked_until = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.commit()
    assert auth.login("unit_demo").status_code == 302


def _flash(page: str) -> str:
    start = page.index('class="flash flash-error"')
    return page[start:page.index("</div>", start)]


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, auth, demo):
    unknown = _flash(auth.login("nobody", "whatever").get_data(as_text=True))
    wrong = _flash(auth.login("unit_demo", "whatever").get_data(as_text=True))
    assert "用户名或密码错误" in unknown and unknown == wrong


def test_login_starts_a_new_session(client, auth, demo):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "attacker"
    auth.login("unit_demo")
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
    auth.logout()
    auth.login("unit_demo")
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_idle_session_expires_after_thirty_minutes(client, auth, demo):
    auth.login("unit_demo")
    assert client.get("/home").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = time.time() - 31 * 60
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/home").status_code == 302


def test_post_without_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"username": "unit_demo", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_htmx_request_carries_the_token_in_a_header(client, auth, demo):
    auth.login("unit_demo")
    token = csrf_token_of(client, "/home")
    assert client.post("/logout", headers={"HX-Request": "true"}).status_code == 400
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    assert client.get("/home").status_code == 302


def test_security_headers(client, auth, demo):
    auth.login("unit_demo")
    response = client.get("/home")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"


def test_open_redirect_after_login_is_refused(client, demo):
    token = csrf_token_of(client)
    response = client.post("/login?next=https://evil.example/", data={
        "username": "unit_demo", "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/home")


def test_password_is_hashed_not_stored(app, demo):
    user = _user(app, "unit_demo")
    assert DEMO_PASSWORD not in user.password_hash and user.check_password(DEMO_PASSWORD)
