from urllib.parse import parse_qs

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from portal import clock, workflow
from portal.access import get_scoped_or_404, scoped
from portal.domain.dates import parse_date
from portal.domain.scope import HANDLING_STATUSES
from portal.domain.titles import LEVELS
from portal.domain.workflow import STATUSES
from portal.labels import CERT_LABELS, FIX_LABELS, PERSON_LABELS
from portal.extensions import db
from portal.exports import xlsx_response
from portal.htmx import wants_fragment
from portal.models import Certificate, Organization
from portal.models.evidence import EVIDENCE_KINDS
from portal.reference import code_names
from portal.review import blacklist as blacklist_service
from portal.evidence import PHOTO_FIX, gaps_of, photo_locked_by_others
from portal.review.forms import ApproveForm, BlacklistForm, LiftForm, ReturnForm
from portal.review.queue import (PROGRESS_EXPORT_HEADERS, QUEUE_EXPORT_HEADERS, QueueFilters, progress_export_rows,
                                 queue_export_rows, queue_page)
from portal.review.queue import progress as progress_of
from portal.workflow import WorkflowError

bp = Blueprint("review", __name__, url_prefix="/review")

PROGRESS_ROLES = ("department", "county_office", "city_office", "province_office")


def _reviewer_required():
    if workflow.user_level(current_user) is None:
        abort(403)


def _queue_url(filters: QueueFilters, **changes) -> str:
    return url_for("review.queue", **filters.as_args(**changes))


@bp.get("/")
@login_required
def queue():
    _reviewer_required()
    filters = QueueFilters.from_args(request.args)
    campaign = workflow.campaign_for_org(current_user.org)
    page = queue_page(current_user, filters)
    person_ids = {p.id for _, p in page.rows}
    org_ids = {c.org_id for c, _ in page.rows if c.org_id}
    flagged_persons, flagged_orgs = workflow.flagged_ids(person_ids, org_ids)
    level = workflow.user_level(current_user)
    deadlines = workflow.deadlines_of(campaign)
    narrowed_org = db.session.scalar(scoped(Organization).where(Organization.id == filters.org)) if filters.org else None
    context = dict(
        page=page, filters=filters, statuses=STATUSES, levels=LEVELS, series=code_names("title_series"),
        methods=code_names("obtain_method"),
        narrowed_org=narrowed_org,
        level=level, due=deadlines.get(level), today=clock.today(), queue_url=_queue_url,
        flagged_persons=flagged_persons, flagged_orgs=flagged_orgs, can_act=lambda c: c.status == level,
        back=request.query_string.decode("utf-8", "replace"),
    )
    if wants_fragment("queue-results"):
        return render_template("review/_queue_results.html", **context)
    if wants_fragment():
        return render_template("review/_queue_rows.html", **context)
    return render_template("review/queue.html", **context)


@bp.get("/export.xlsx")
@login_required
def export():
    _reviewer_required()
    filters = QueueFilters.from_args(request.args)
    return xlsx_response("审核队列", QUEUE_EXPORT_HEADERS, queue_export_rows(
        current_user, filters, code_names("title_series")))


@bp.get("/certificates/<int:cert_id>")
@login_required
def detail(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    person = cert.person
    can_act = workflow.can_act(cert, current_user)
    campaign = workflow.campaign_of(cert)
    return_form = ReturnForm(version=cert.version)
    return_form.target.choices = workflow.return_targets(cert, current_user)
    return_form.fix_fields.choices = [(key, label) for key, label in FIX_LABELS.items()
                                      if key != PHOTO_FIX or not photo_locked_by_others(cert)]
    evidence = workflow.evidence_of(person)
    return render_template(
        "review/detail.html", cert=cert, person=person, can_act=can_act,
        path=workflow.review_path(cert.org), flags=workflow.blacklist_flags(person.id, cert.org_id),
        approve_form=ApproveForm(version=cert.version), return_form=return_form,
        photo=evidence.get((None, "photo")),
        evidence=[(kind, label, evidence.get((cert.id, kind))) for kind, label in EVIDENCE_KINDS.items()
                  if kind != "photo"],
        trail=workflow.trail("certificate", cert.id),
        labels=CERT_LABELS | PERSON_LABELS | workflow.TRAIL_KEYS,
        fix_labels=FIX_LABELS, deadlines=workflow.deadlines_of(campaign), campaign=campaign,
        series=code_names("title_series"), methods=code_names("obtain_method"),
        handling=HANDLING_STATUSES, level_names=workflow.LEVEL_NAMES, today=clock.today(),
        fixes=[FIX_LABELS.get(f, f) for f in workflow.fix_fields_of_last_return(cert.id)] if cert.return_reason else [],
        gaps=gaps_of(cert),
    )


@bp.post("/certificates/<int:cert_id>/approve")
@login_required
def approve(cert_id: int):
    _reviewer_required()
    form = ApproveForm()
    try:
        cert = workflow.approve(cert_id, current_user, form.version.data)
    except WorkflowError as refused:
        flash(refused.message, "error")
        return redirect(url_for("review.detail", cert_id=cert_id))
    if cert.status == "approved":
        flash("已审查确认，该证书信息已通过全部审核，可供网上核验。", "success")
    else:
        flash(f"已审查确认，记录已报送至“{cert.status_label}”。", "success")
    return redirect(url_for("review.queue"))


@bp.post("/certificates/<int:cert_id>/return")
@login_required
def send_back(cert_id: int):
    _reviewer_required()
    form = ReturnForm()
    fix_fields = [f for f in request.form.getlist("fix_fields") if f in FIX_LABELS]
    try:
        cert = workflow.send_back(cert_id, current_user, form.version.data, form.reason.data,
                                  form.target.data, fix_fields)
    except WorkflowError as refused:
        flash(refused.message, "error")
        return redirect(url_for("review.detail", cert_id=cert_id))
    flash(f"已退回，记录当前为“{cert.status_label}”。", "success")
    return redirect(url_for("review.queue"))


@bp.post("/bulk-approve")
@login_required
def bulk_approve():
    _reviewer_required()
    back = QueueFilters.from_args(MultiDict(
        [(k, v) for k, values in parse_qs(request.form.get("back", "")).items() for v in values]))
    items, malformed = [], 0
    for raw in request.form.getlist("item"):
        cert_id, _, version = raw.partition(":")
        if cert_id.isdigit() and version.isdigit():
            items.append((int(cert_id), version))
        else:
            malformed += 1
    if not items and not malformed:
        flash("请先勾选要审查确认的记录。", "warning")
        return redirect(_queue_url(back))
    result = workflow.bulk_approve(items, current_user)
    if result.done:
        flash(f"已批量审查确认{len(result.done)}条记录。", "success")
    for cert_id, message in result.refused[:10]:
        flash(f"记录 {cert_id} 未处理：{message}", "error")
    if len(result.refused) > 10:
        flash(f"另有{len(result.refused) - 10}条记录未处理。", "error")
    if malformed:
        flash(f"{malformed}条选择的数据格式不正确，未处理。", "error")
    return redirect(_queue_url(back, after=None))


# --- progress (应报尽报) -----------------------------------------------------------------------

def _progress_node() -> Organization:
    if current_user.role not in PROGRESS_ROLES or current_user.org is None:
        abort(403)
    node = current_user.org
    node_id = request.args.get("org", type=int)
    if node_id and node_id != node.id:
        candidate = get_scoped_or_404(Organization, node_id)
        if not candidate.path.startswith(node.path):
            abort(404)
        node = candidate
    return node


@bp.get("/progress")
@login_required
def progress():
    node = _progress_node()
    report = progress_of(current_user, node)
    campaign = workflow.campaign_for_org(current_user.org)
    return render_template("review/progress.html", report=report,
                           deadlines=workflow.deadlines_of(campaign), campaign=campaign,
                           deadline_levels=workflow.DEADLINE_LEVELS, today=clock.today())


@bp.get("/progress.xlsx")
@login_required
def progress_export():
    node = _progress_node()
    return xlsx_response(f"上报进度-{node.name}", PROGRESS_EXPORT_HEADERS,
                         progress_export_rows(progress_of(current_user, node)))


# --- integrity blacklist -------------------------------------------------------------------------

def _keeper_required():
    if not blacklist_service.may_keep(current_user):
        abort(403)


@bp.get("/blacklist.xlsx")
@login_required
def blacklist_export():
    _keeper_required()
    return xlsx_response("诚信黑名单", blacklist_service.EXPORT_HEADERS,
                         blacklist_service.export_rows(current_user, clock.today()))


@bp.route("/blacklist", methods=["GET", "POST"])
@login_required
def blacklist():
    _keeper_required()
    form = BlacklistForm()
    if request.method == "GET":
        form.start_date.data = clock.today().isoformat()
    if form.validate_on_submit():
        start = parse_date(form.start_date.data, field="start_date")
        end = parse_date(form.end_date.data, field="end_date")
        problems = start.problems + end.problems
        if start.value is None and not problems:
            problems = ["请填写开始日期"]
        if problems:
            flash("；".join(getattr(p, "message", p) for p in problems), "error")
        else:
            try:
                blacklist_service.add(current_user, kind=form.kind.data, id_number=form.id_number.data or "",
                                      org_id=request.form.get("org_id", type=int), reason=form.reason.data,
                                      start=start.value, end=end.value)
            except WorkflowError as refused:
                flash(refused.message, "error")
            else:
                flash("已列入诚信黑名单，期间不能提交或报送职称信息。", "success")
                return redirect(url_for("review.blacklist"))
    elif form.errors:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return render_template("review/blacklist.html", form=form, entries=blacklist_service.entries(current_user),
                           units=blacklist_service.units_in_scope(current_user), lift_form=LiftForm(),
                           today=clock.today(), selected_org=request.form.get("org_id", type=int))


@bp.post("/blacklist/<int:entry_id>/lift")
@login_required
def lift_blacklist(entry_id: int):
    _keeper_required()
    form = LiftForm()
    try:
        blacklist_service.lift(current_user, entry_id, form.reason.data)
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        flash("已解除。", "success")
    return redirect(url_for("review.blacklist"))



@bp.app_context_processor
def record_panel():
    """`review_panel(cert)` for the plain certificate page: the trail and where to act on it."""
    def review_panel(cert):
        return {
            "trail": workflow.trail("certificate", cert.id),
            "can_act": workflow.can_act(cert, current_user),
            "can_edit": workflow.edit_refusal(cert, current_user) is None,
            "labels": CERT_LABELS | PERSON_LABELS | workflow.TRAIL_KEYS,
            "fix_labels": FIX_LABELS,
        }
    return {"review_panel": review_panel}
