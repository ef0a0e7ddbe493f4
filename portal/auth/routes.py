import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.auth.services import authenticate, change_password, end_sessions
from portal.extensions import db, limiter
from portal.clock import china_time

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user) -> None:
    """A fresh session (nothing set before authentication survives: fixation) bound to the
    account's current session version."""
    session.clear()
    session["sid"] = secrets.token_urlsafe(16)
    session["login_at"] = time.time()
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data, request.remote_addr,
                              request.user_agent.string)
        if result.user is not None:
            next_url = _safe_next(request.args.get("next"))
            start_session(result.user)
            if result.previous is not None:
                flash(f"上次登录：{china_time(result.previous.at)}（北京时间），地址 {result.previous.address}。"
                      "如非本人操作，请立即修改密码。", "info")
            else:
                flash("这是您的账户首次登录。", "info")
            if result.user.must_change_password:
                flash("您的密码是系统生成的初始密码，请先修改密码。", "warning")
                return redirect(url_for("auth.password"))
            return redirect(next_url or url_for("main.home"))
        error = result.message
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
@login_required
def logout():
    # A copied cookie must not outlive the logout: the account's other sessions end as well.
    end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    problems = []
    if form.validate_on_submit():
        user = current_user._get_current_object()
        problems = change_password(user, form.current.data, form.new.data)
        if not problems:
            # This session carries on under the new version; every other one has ended.
            start_session(user)
            flash("密码已修改，其他设备上的登录已全部退出。", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form, problems=problems,
                           forced=current_user.must_change_password)
