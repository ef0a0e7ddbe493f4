"""Login, growing delays, idle expiry, session renewal, CSRF and security headers."""
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import LoginEvent, User
from tests.conftest import DEMO_PASSWORD, csrf_token_of


def _user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_login_lands_on_home_with_role(client, auth, demo):
    response = auth.login("county_demo")
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    page = client.get("/home").get_data(as_text=True)
    assert "县级职改办" in page and "东港区职称改革领导小组办公室" in page


def _age_login_events(app, seconds: int) -> None:
    with app.app_context():
        db.session.execute(update(LoginEvent).values(at=LoginEvent.at - timedelta(seconds=seconds)))
        db.session.commit()


def test_failures_slow_a_username_down_instead_of_locking_it(client, auth, demo, app):
    for _ in range(3):
        assert "用户名或密码错误" in auth.login("unit_demo", "wrong").get_data(as_text=True)
    # The fourth try within a second is refused unread, even with the right password.
    page = auth.login("unit_demo", DEMO_PASSWORD).get_data(as_text=True)
    assert "请 1 秒后再试" in page and "锁定" not in page
    assert client.get("/home").status_code == 302
    _age_login_events(app, 2)
    assert auth.login("unit_demo", DEMO_PASSWORD).headers["Location"].endswith("/home")


def test_delays_double_up_to_a_ceiling(app, demo):
    from portal.auth.services import login_wait, truncate_address, username_digest

    with app.test_request_context():
        now = datetime.now(timezone.utc)
        digest = username_digest("unit_demo")
        waits = []
        for _ in range(14):
            db.session.add(LoginEvent(at=now, username_digest=digest, outcome="failure", address="10.9.8.*"))
            db.session.flush()
            waits.append(login_wait(digest, truncate_address("192.0.2.1"), now))
        assert waits[:8] == [0, 0, 1, 2, 4, 8, 16, 32] and waits[-1] == 300
        # Past the ceiling the holder gets in again: no stranger can lock the account.
        assert login_wait(digest, "192.0.2.*", now + timedelta(seconds=301)) == 0
        db.session.rollback()


def test_failures_from_one_network_slow_every_username_from_it(client, auth, demo):
    for number in range(10):
        auth.login(f"guess{number}", "wrong")
    assert "秒后再试" in auth.login("unit_demo", DEMO_PASSWORD).get_data(as_text=True)


def test_unknown_and_existing_accounts_answer_alike_even_when_slowed(client, auth, demo, app):
    answers = {}
    for username in ("nobody", "unit_demo"):
        answers[username] = [_flash(auth.login(username, "wrong").get_data(as_text=True)) for _ in range(5)]
        _age_login_events(app, 3600)
    assert answers["nobody"] == answers["unit_demo"]
    assert "用户名或密码错误" in answers["nobody"][0] and "秒后再试" in answers["nobody"][-1]


def test_an_unknown_username_still_costs_a_password_check(client, auth, demo, monkeypatch):
    from portal.auth import services

    calls = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    auth.login("nobody", "whatever")
    assert len(calls) == 1


def test_disabled_account_says_so_only_to_the_right_password(client, auth, demo, app):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "unit_demo")).active = False
        db.session.commit()
    assert "用户名或密码错误" in _flash(auth.login("unit_demo", "wrong").get_data(as_text=True))
    assert "已停用" in _flash(auth.login("unit_demo", DEMO_PASSWORD).get_data(as_text=True))


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
