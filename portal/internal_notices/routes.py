"""通知公告 pages: publish, list, read (and sign as read), read receipts, attachments."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.decorators import roles_required
from portal.extensions import db
from portal.internal_notices import services
from portal.internal_notices.forms import InternalNoticeForm
from portal.internal_notices.services import PUBLISHER_ROLES, Attachment, PublishError
from portal.models import NoticeAttachment
from portal.models.org import ORG_TYPES
from portal.uploads import MAX_BYTES, open_stored

bp = Blueprint("internal_notices", __name__, url_prefix="/internal-notices")


@bp.app_context_processor
def home_notices():
    return {"unread_internal_notices": lambda: services.home_notices(current_user)}


@bp.get("/")
@login_required
def index():
    published = services.published(current_user) if services.can_publish(current_user) else []
    return render_template("internal_notices/index.html", published=published,
                           received=services.received(current_user), can_publish=services.can_publish(current_user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*PUBLISHER_ROLES)
def new():
    form = InternalNoticeForm()
    form.org_types.choices = services.type_choices(current_user)
    form.regions.choices = services.region_choices(current_user)
    if form.validate_on_submit():
        files = [f for f in request.files.getlist(form.attachments.name) if f and f.filename]
        attachments = [Attachment(f.filename, f.read(MAX_BYTES + 1)) for f in files]
        try:
            notice = services.publish(current_user, title=form.title.data, body=form.body.data,
                                      deadline=form.deadline.date, org_types=form.org_types.data or [],
                                      regions=form.regions.data or [], attachments=attachments)
        except PublishError as error:
            form.attachments.errors = [*form.attachments.errors, error.message]
        else:
            flash(f"通知“{notice.title}”已发送。", "success")
            return redirect(url_for("internal_notices.show", notice_id=notice.id))
    return render_template("internal_notices/new.html", form=form)


def _notice_or_404(notice_id: int):
    notice = services.visible(current_user, notice_id)
    if notice is None:
        abort(404)
    return notice


@bp.get("/<int:notice_id>")
@login_required
def show(notice_id: int):
    notice = _notice_or_404(notice_id)
    manage = services.can_manage(current_user, notice)
    return render_template("internal_notices/show.html", notice=notice, org_types=ORG_TYPES,
                           receipt=services.recipient_of(current_user, notice),
                           recipients=services.recipients(notice) if manage else None)


@bp.post("/<int:notice_id>/read")
@login_required
def read(notice_id: int):
    notice = _notice_or_404(notice_id)
    if services.mark_read(current_user, notice):
        flash("已确认阅知。", "success")
    return redirect(url_for("internal_notices.show", notice_id=notice.id))


@bp.get("/<int:notice_id>/attachments/<int:attachment_id>")
@login_required
def attachment(notice_id: int, attachment_id: int):
    notice = _notice_or_404(notice_id)
    row = db.session.scalar(select(NoticeAttachment).where(
        NoticeAttachment.id == attachment_id, NoticeAttachment.notice_id == notice.id))
    if row is None:
        abort(404)
    return send_file(open_stored(row.stored_path), mimetype="application/pdf", as_attachment=True,
                     download_name=row.filename)
