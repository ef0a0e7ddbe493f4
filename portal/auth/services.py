"""Password login that reveals nothing about which accounts exist, with growing delays instead
of a lockout, and the login log (登录日志) every attempt writes.

Unknown and existing usernames take the same path: a password hash is checked either way (a
dummy one for unknown names) and the answer is the same words. Repeated failures are slowed
per typed username and per client network, with delays that double up to a ceiling, so a
stranger can slow an account down but never lock its holder out.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal import audit
from portal.domain.passwords import check_password_policy, generate_password
from portal.domain.problems import error
from portal.extensions import db
from portal.models import LoginEvent, User
from portal.models._types import utcnow
# The public lookup log truncates addresses the same way.
from portal.logredact import truncate_address

WRONG = "用户名或密码错误。"


@dataclass
class LoginResult:
    user: User | None
    message: str | None
    previous: LoginEvent | None = None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def username_digest(username: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"login:" + username.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("unknown-account", method=method)


def _wait_seconds(condition, free: int, now: datetime) -> int:
    """Seconds still to wait after the failures matched by `condition` since its last success."""
    config = current_app.config
    since = now - timedelta(minutes=config["LOGIN_THROTTLE_WINDOW_MINUTES"])
    last_success = db.session.scalar(select(func.max(LoginEvent.at)).where(condition, LoginEvent.outcome == "success"))
    if last_success is not None:
        since = max(since, _aware(last_success))
    failures = db.session.scalars(
        select(LoginEvent.at).where(condition, LoginEvent.outcome == "failure", LoginEvent.at > since)
        .order_by(LoginEvent.at.desc()).limit(free + 16)
    ).all()
    if len(failures) < free:
        return 0
    delay = min(2 ** (len(failures) - free), config["LOGIN_MAX_DELAY_SECONDS"])
    remaining = delay - (now - _aware(failures[0])).total_seconds()
    return max(0, math.ceil(remaining))


def login_wait(digest: str, network: str, now: datetime) -> int:
    config = current_app.config
    return max(_wait_seconds(LoginEvent.username_digest == digest, config["LOGIN_FREE_FAILURES"], now),
               _wait_seconds(LoginEvent.address == network, config["LOGIN_FREE_FAILURES_PER_ADDRESS"], now))


def _log(outcome: str, digest: str, network: str, user_agent: str | None, user: User | None, now) -> None:
    db.session.add(LoginEvent(
        at=now, user_id=user.id if user else None, org_id=user.org_id if user else None,
        region_code=user.org.region_code if user and user.org else None,
        person_id=user.person_id if user else None, username_digest=digest, outcome=outcome,
        address=network, user_agent=(user_agent or "")[:255] or None))


def authenticate(username: str, password: str, address: str | None = None,
                 user_agent: str | None = None) -> LoginResult:
    now = utcnow()
    digest, network = username_digest(username), truncate_address(address)
    wait = login_wait(digest, network, now)
    if wait:
        _log("throttled", digest, network, user_agent, None, now)
        db.session.commit()
        return LoginResult(None, f"登录失败次数较多，请 {wait} 秒后再试。")
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    # An unknown name still costs one hash check, so the answer's timing tells nothing.
    valid = user.check_password(password) if user is not None else check_password_hash(_dummy_hash(method), password)
    if not valid:
        _log("failure", digest, network, user_agent, user, now)
        db.session.commit()
        return LoginResult(None, WRONG)
    if not user.active:
        _log("disabled", digest, network, user_agent, user, now)
        db.session.commit()
        return LoginResult(None, "该账户已停用，请联系上级管理员。")
    previous = db.session.scalar(select(LoginEvent).where(LoginEvent.user_id == user.id,
                                                          LoginEvent.outcome == "success")
                                 .order_by(LoginEvent.at.desc()).limit(1))
    _log("success", digest, network, user_agent, user, now)
    user.last_login_at = now
    db.session.commit()
    return LoginResult(user, None, previous)


def end_sessions(user: User) -> None:
    """Every session of `user` carries the old version in its cookie and ends on its next request."""
    user.session_version = (user.session_version or 1) + 1


def change_password(user: User, current: str, new: str) -> list:
    """Problems, or [] once the password is changed and every other session is ended."""
    if not user.check_password(current or ""):
        return [error("current", "password_wrong", "当前密码不正确")]
    problems = check_password_policy(new, user.username, "new")
    if not problems and user.check_password(new):
        problems = [error("new", "password_same", "新密码不能与当前密码相同")]
    if problems:
        return problems
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    end_sessions(user)
    audit.record("password_change", "user", user.id, actor=user)
    db.session.commit()
    return []


def reset_password(account: User, actor: User) -> str:
    """A new generated password the holder must change at first login; other sessions end."""
    password = generate_password()
    account.set_password(password)
    account.must_change_password = True
    account.password_changed_at = utcnow()
    end_sessions(account)
    audit.record("password_reset", "user", account.id, actor=actor)
    db.session.commit()
    return password
