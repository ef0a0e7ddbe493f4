"""Password login with lockout after repeated failures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from portal.clock import in_china
from portal.extensions import db
from portal.models import User


@dataclass
class LoginResult:
    user: User | None
    message: str | None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def authenticate(username: str, password: str) -> LoginResult:
    now = datetime.now(timezone.utc)
    user = db.session.scalar(select(User).where(User.username == username.strip()).with_for_update())
    # The same words whether or not the account exists, so the form reveals no usernames.
    generic = "用户名或密码错误。连续5次输错密码，账户将被锁定30分钟。"
    if user is None:
        return LoginResult(None, generic)
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        local = in_china(locked_until)
        return LoginResult(None, f"连续登录失败次数过多，账户已锁定，请于 {local:%H:%M}（北京时间）后再试。")
    if not user.check_password(password):
        user.failed_logins = (user.failed_logins or 0) + 1
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        if user.failed_logins >= limit:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
            db.session.commit()
            return LoginResult(None, f"连续{limit}次登录失败，账户已锁定{current_app.config['LOGIN_LOCK_MINUTES']}分钟。")
        db.session.commit()
        return LoginResult(None, generic)
    if not user.active:
        db.session.commit()
        return LoginResult(None, "该账户已停用，请联系管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.session.commit()
    return LoginResult(user, None)
