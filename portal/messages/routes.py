"""站内消息: the list, marking read, and the unread count in every page's header."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.messages import events, services
from portal.messages.services import KINDS

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.record_once
def _wire(state) -> None:
    events.init_app(state.app)


@bp.app_context_processor
def unread_messages():
    def count() -> int:
        return services.unread_count(current_user) if current_user.is_authenticated else 0
    return {"unread_message_count": count}


@bp.get("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    messages, next_before = services.page_of(current_user, request.args.get("before", type=int), unread_only)
    return render_template("messages/index.html", messages=messages, next_before=next_before,
                           unread_only=unread_only, kinds=KINDS)


@bp.post("/<int:message_id>/read")
@login_required
def read(message_id: int):
    message = services.own_message(current_user, message_id)
    if message is None:
        abort(404)
    services.mark_read(current_user, message_id)
    # Opening a message's link reads it; the plain button returns to the list.
    if request.form.get("open") == "1" and message.link:
        return redirect(message.link)
    return redirect(url_for("messages.index"))


@bp.post("/read-all")
@login_required
def read_all():
    services.mark_read(current_user)
    return redirect(url_for("messages.index"))
