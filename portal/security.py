"""Cross-cutting protections: security headers, idle-session expiry, CSRF and error pages."""
from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)

PASSWORD_CHANGE_ENDPOINTS = {"auth.password", "auth.logout", "static"}

ERROR_PAGES = {
    403: ("无权访问", "您没有权限执行此操作。"),
    404: ("页面不存在", "您访问的页面或记录不存在，或不在您的管辖范围内。"),
    413: ("文件过大", "上传的内容超过了允许的大小。"),
    429: ("请求过于频繁", "您的请求过于频繁，请稍后再试。"),
    500: ("系统繁忙", "服务器处理请求时出错，您的数据没有被修改，请稍后重试。"),
}


def init_app(app) -> None:
    @app.before_request
    def expire_session():
        if not current_user.is_authenticated:
            return None
        now = time.time()
        idle_limit = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
        absolute_limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        last_seen, login_at = session.get("last_seen"), session.get("login_at")
        message = None
        if login_at is None or now - login_at > absolute_limit:
            message = "登录已超过有效期，请重新登录。"
        elif last_seen is not None and now - last_seen > idle_limit:
            message = f"登录已超时（超过{int(idle_limit // 60)}分钟无操作），请重新登录。"
        if message:
            logout_user()
            session.clear()
            flash(message, "warning")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        session["last_seen"] = now
        session.permanent = True
        return None

    @app.before_request
    def require_own_password():
        # A generated password (bulk accounts, reset) is known to whoever handed it over.
        if (current_user.is_authenticated and current_user.must_change_password
                and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS):
            return redirect(url_for("auth.password"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        # One URL serves the whole page and the htmx fragment; caches must keep them apart.
        response.vary.add("HX-Request")
        response.vary.add("HX-History-Restore-Request")
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/error.html", code=400, title="请求已失效",
                               message="页面已过期或请求来源无法验证（CSRF 校验失败），请刷新页面后重试。"), 400

    for code, (title, message) in ERROR_PAGES.items():
        app.register_error_handler(code, _error_page(code, title, message))


def _error_page(code: int, title: str, message: str):
    def handler(error):
        return render_template("errors/error.html", code=code, title=title, message=message), code
    return handler
