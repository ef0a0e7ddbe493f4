
from datetime import datetime

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session,
                   url_for)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import clock
from portal.access import get_scoped_or_404
from portal.auth.decorators import admin_required, staff_required
from portal.domain.dates import format_iso, parse_date
from portal.domain.problems import has_errors
from portal.domain.titles import LEVELS
from portal.domain.workdays import notice_period
from portal.exports import xlsx_response
from portal.extensions import db, limiter
from portal.htmx import wants_fragment
from portal.models import CodeItem, Objection, PublicNotice
from portal.notices import objections as objection_service
from portal.notices import services, workdays
from portal.notices.forms import NoticeForm, ObjectionForm, ReceiptForm, ResolveForm, WorkdayForm, choices

bp = Blueprint("notices", __name__)

PUBLIC_STATES = {"": "全部", "open": "公示中", "closed": "公示期满"}


def _objection_limit() -> str:
    return current_app.config.get("OBJECTION_RATE_LIMIT", "5 per hour;20 per day")


def _public_url(notice_id: int) -> str:
    # The configured address, not the request's Host header, goes into printed QR codes.
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("notices.show", notice_id=notice_id)


def _notice_or_404(notice_id: int) -> PublicNotice:
    return db.get_or_404(PublicNotice, notice_id)


# ---------------------------------------------------------------- public pages (no login)


@bp.get("/notices")
def index():
    q = (request.args.get("q") or "").strip()[:64] or None
    region = request.args.get("region") or None
    state = request.args.get("state") if request.args.get("state") in PUBLIC_STATES else ""
    pagination = services.public_page(q=q, region=region, state=state, page=request.args.get("page", 1, type=int))
    phases = {n.id: services.phase_of(n) for n in pagination.items}
    template = "notices/_list.html" if wants_fragment() else "notices/index.html"
    return render_template(template, pagination=pagination, phases=phases, q=q or "", region=region or "",
                           state=state, states=PUBLIC_STATES, regions=services.region_choices())


@bp.get("/notices/<int:notice_id>")
def show(notice_id: int):
    notice = _notice_or_404(notice_id)
    return render_template(
        "notices/show.html", notice=notice, phase=services.phase_of(notice), entries=services.entries_of(notice),
        states=services.entry_states(notice), state_labels=services.ENTRY_STATES,
        corrected_by=services.correction_of(notice), closed_reason=objection_service.can_object(notice))


@bp.get("/notices/<int:notice_id>.pdf")
@limiter.limit("30 per minute")
def pdf(notice_id: int):
    notice = _notice_or_404(notice_id)
    data = services.notice_pdf(notice, _public_url(notice.id))
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=notice-{notice.id}.pdf"
    return response


@bp.route("/notices/<int:notice_id>/objections/new", methods=["GET", "POST"])
@limiter.limit(_objection_limit, methods=["POST"])
def object_to(notice_id: int):
    notice = _notice_or_404(notice_id)
    closed_reason = objection_service.can_object(notice)
    if closed_reason:
        flash(closed_reason, "warning")
        return redirect(url_for("notices.show", notice_id=notice.id))
    entries = services.entries_of(notice)
    form = ObjectionForm()
    form.entry_id.choices = choices([(0, "请选择")] + [
        (e.id, f"{e.position}. {e.person_name}（{e.employer_name}，"
               f"{f'申报{e.level} {e.specialty}' if e.application_id else e.title_name}）") for e in entries])
    if request.method == "GET" and request.args.get("entry", type=int):
        form.entry_id.data = request.args.get("entry", type=int)
    if form.validate_on_submit():
        upload = form.evidence.data
        evidence = upload.read(objection_service.MAX_EVIDENCE_BYTES + 1) if upload and upload.filename else None
        problem = objection_service.check_evidence_pdf(evidence) if evidence else None
        if problem:
            form.evidence.errors = [problem.message]
        else:
            entry = next(e for e in entries if e.id == form.entry_id.data)
            _, code = objection_service.file_objection(notice, objection_service.Filing(
                entry=entry, name=form.name.data, phone=form.phone.data, grounds=form.grounds.data.strip(),
                evidence=evidence))
            session["objection_receipt"] = {"code": code, "notice_id": notice.id, "person": entry.person_name,
                                            "filed_at": clock.now().isoformat()}
            return redirect(url_for("notices.objection_filed"))
    return render_template("notices/object.html", notice=notice, form=form, phase=services.phase_of(notice))


@bp.get("/notices/objections/filed")
def objection_filed():
    receipt = session.pop("objection_receipt", None)
    if not receipt:
        return redirect(url_for("notices.receipt"))
    notice = db.session.get(PublicNotice, receipt["notice_id"])
    response = current_app.make_response(render_template(
        "notices/filed.html", code=receipt["code"], notice=notice, person=receipt.get("person"),
        filed_at=datetime.fromisoformat(receipt["filed_at"]) if receipt.get("filed_at") else None, lookup_url=current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        + url_for("notices.receipt")))
    # The receipt code is the objector's only key to the outcome: keep it out of shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notices/objections/receipt", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def receipt():
    form = ReceiptForm()
    objection = None
    searched = False
    if form.validate_on_submit():
        searched = True
        objection = objection_service.find_by_receipt(form.code.data)
    return render_template("notices/receipt.html", form=form, objection=objection, searched=searched)


# ---------------------------------------------------------------- publisher and reviewer pages



@bp.get("/notices/manage")
@staff_required
def manage():
    pagination, open_counts = services.managed_page(current_user, request.args.get("page", 1, type=int))
    phases = {n.id: services.phase_of(n) for n in pagination.items}
    return render_template("notices/manage.html", pagination=pagination, open_counts=open_counts, phases=phases,
                           can_publish=services.can_publish(current_user))


def _candidate_filters(form: NoticeForm):
    series = [("", "全部系列")] + [(c.key, c.name) for c in db.session.scalars(
        select(CodeItem).where(CodeItem.kind == "title_series", CodeItem.active.is_(True)).order_by(CodeItem.sort,
                                                                                                   CodeItem.id))]
    form.series.choices = choices(series)
    form.level.choices = choices([("", "全部级别")] + [(lvl, lvl) for lvl in LEVELS])
    notices = services.correctable_notices(current_user)
    form.corrects_id.choices = choices([(0, "否，这是一次新的公示")] + [(n.id, f"更正：{n.title}") for n in notices])
    return {n.id: n for n in notices}


@bp.get("/notices/manage.xlsx")
@staff_required
def manage_export():
    return xlsx_response("公示管理", services.MANAGED_EXPORT_HEADERS, services.managed_export_rows(current_user))


@bp.route("/notices/manage/new", methods=["GET", "POST"])
@staff_required
def new():
    if not services.can_publish(current_user):
        abort(403)
    form = NoticeForm(formdata=request.form if request.method == "POST" else request.args or None)
    own_notices = _candidate_filters(form)
    if request.method == "GET" and not form.title.data:
        org = current_user.org
        form.title.data = f"{org.name}职称信息公示"
        form.body.data = (f"根据职称信息采集工作要求，经{org.name}审核，现将以下人员的职称信息予以公示。\n"
                          f"公示期间，任何单位和个人对公示人员的职称信息有异议的，可通过网上公示页面以真实姓名和联系方式提出。")
        form.contact.data = " ".join(p for p in (org.contact_person, org.contact_phone) if p) or org.name
        form.start_date.data = format_iso(clock.today())
    corrects = own_notices.get(form.corrects_id.data) if form.corrects_id.data else None
    stmt = services.candidate_query(current_user, series=form.series.data or None, level=form.level.data or None,
                                    corrects=corrects)
    count = services.candidate_count(stmt)
    picked = [int(v) for v in request.form.getlist("cert_id") if v.isdigit()]
    if request.method == "POST" and form.validate():
        size = len(picked) if form.selection.data == "picked" else count
        if size == 0:
            form.selection.errors = ["没有选中任何记录"]
        elif size > services.MAX_ENTRIES:
            form.selection.errors = [f"一次公示最多{services.MAX_ENTRIES}条，请按系列或级别分批公示"]
        else:
            try:
                notice = services.publish(current_user, services.PublishRequest(
                    title=form.title.data.strip(), body=form.body.data.strip(), contact=form.contact.data.strip(),
                    start_date=form.start_date.date, days=form.days.data, corrects=corrects),
                    stmt, picked if form.selection.data == "picked" else None)
            except ValueError as exc:
                form.selection.errors = [str(exc)]
            else:
                flash(f"已发布公示“{notice.title}”，共 {notice.entry_count} 人。", "success")
                return redirect(url_for("notices.manage_show", notice_id=notice.id))
    preview = services.candidate_preview(stmt)
    context = dict(form=form, count=count, preview=preview, preview_limit=services.PREVIEW_ROWS, picked=set(picked),
                   period=_period_or_none(form.start_date.data, form.days.data))
    if wants_fragment() and request.method == "GET":
        return render_template("notices/_candidates.html", **context)
    return render_template("notices/new.html", **context)


@bp.get("/notices/manage/end-date")
@staff_required
def end_date_preview():
    """The end date a start date and a number of working days give, for the publish form."""
    return render_template("notices/_end_date.html",
                           period=_period_or_none(request.args.get("start_date"), request.args.get("days", type=int)))


def _period_or_none(start_text, days):
    start = parse_date(start_text, field="start_date")
    if start.value is None or has_errors(start.problems) or not days or not (
            services.MIN_DAYS <= days <= services.MAX_DAYS):
        return None
    return notice_period(start.value, days, workdays.load_overrides())


@bp.get("/notices/manage/<int:notice_id>")
@staff_required
def manage_show(notice_id: int):
    notice = get_scoped_or_404(PublicNotice, notice_id)
    objections = services.objections_of(notice, current_user)
    can_resolve = services.can_resolve(current_user, notice)
    entries = {e.id: e for e in services.entries_of(notice)}
    return render_template(
        "notices/manage_show.html", notice=notice, phase=services.phase_of(notice), entries=entries,
        states=services.entry_states(notice), state_labels=services.ENTRY_STATES, objections=objections,
        can_resolve=can_resolve, resolve_form=ResolveForm(), corrected_by=services.correction_of(notice))


@bp.get("/notices/manage/<int:notice_id>/objections.xlsx")
@staff_required
def objections_export(notice_id: int):
    notice = get_scoped_or_404(PublicNotice, notice_id)
    return xlsx_response(f"公示{notice.id}异议", services.OBJECTION_EXPORT_HEADERS,
                         services.objection_export_rows(notice, current_user))


@bp.post("/notices/manage/objections/<int:objection_id>/resolve")
@staff_required
def resolve(objection_id: int):
    objection = get_scoped_or_404(Objection, objection_id)
    notice = objection.notice
    if not services.can_resolve(current_user, notice):
        abort(403)
    form = ResolveForm()
    if not form.validate():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            objection_service.resolve(objection, current_user, form.decision.data, form.outcome.data,
                                      form.reason.data)
        except objection_service.ResolveError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        except StaleDataError:
            db.session.rollback()
            flash("该记录刚被他人修改，请刷新后重新处理。", "error")
        else:
            flash(f"已处理对 {objection.entry.person_name} 的异议：{objection.status_label}。", "success")
    return redirect(url_for("notices.manage_show", notice_id=notice.id, _anchor=f"objection-{objection.id}"))


@bp.get("/notices/manage/objections/<int:objection_id>/evidence")
@staff_required
def evidence(objection_id: int):
    objection = get_scoped_or_404(Objection, objection_id)
    if not objection.evidence_path:
        abort(404)
    return send_file(objection_service.evidence_file(objection), mimetype="application/pdf",
                     download_name=f"objection-{objection.id}.pdf", as_attachment=True)


# ---------------------------------------------------------------- holiday table (administrators)



def _year_arg() -> int:
    year = request.values.get("year", type=int) or clock.today().year + (clock.today().month >= 11)
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _workday_page(year: int, form: WorkdayForm, message: str | None = None):
    context = dict(year=year, form=form, rows=workdays.year_rows(year), complete=workdays.year_is_complete(year),
                   source=workdays.year_source(year), message=message)
    template = "notices/_workday_table.html" if wants_fragment() else "notices/workdays.html"
    return render_template(template, **context)


@bp.get("/admin/workdays")
@admin_required
def workday_table():
    return _workday_page(_year_arg(), WorkdayForm())


@bp.post("/admin/workdays")
@admin_required
def workday_add():
    form = WorkdayForm()
    year = _year_arg()
    if form.validate_on_submit():
        count = workdays.add_days(form.first.date, form.last.date, form.kind.data == "workday",
                                  (form.note.data or "").strip() or None, current_user)
        year = form.first.date.year
        if not wants_fragment():
            flash(f"已录入 {count} 天。", "success")
            return redirect(url_for("notices.workday_table", year=year))
        return _workday_page(year, WorkdayForm(formdata=None), f"已录入 {count} 天。")
    return _workday_page(year, form)


@bp.post("/admin/workdays/<int:override_id>/delete")
@admin_required
def workday_delete(override_id: int):
    row = workdays.delete_day(override_id, current_user)
    if row is None:
        abort(404)
    message = f"已删除 {format_iso(row.date)}。"
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("notices.workday_table", year=row.date.year))
    return _workday_page(row.date.year, WorkdayForm(formdata=None), message)


@bp.post("/admin/workdays/<int:year>/complete")
@admin_required
def workday_year(year: int):
    if not 2000 <= year <= 2100:
        abort(404)
    complete = request.form.get("complete") == "1"
    workdays.set_year_complete(year, complete, current_user)
    flash(f"已将 {year} 年标记为{'已录入完整安排' if complete else '未录入完整安排'}。", "success")
    return redirect(url_for("notices.workday_table", year=year))


@bp.before_app_request
def schedule_banner():
    """Remind administrators, on every full page, to enter next year's holiday schedule."""
    if (request.method != "GET" or wants_fragment() or request.endpoint in (None, "static", "notices.pdf")
            or not current_user.is_authenticated or current_user.role != "admin"):
        return
    years = workdays.missing_schedule_years(clock.today())
    if not years:
        return
    shown = "、".join(f"{y}年" for y in years)
    message = (f"{shown}的节假日和调休安排尚未录入完整：相关公示的截止日期暂按周末和固定节日推算，标注为“暂定”。"
               f"请在国务院公布后到“工作日设置”录入并标记完成。")
    if ("banner", message) not in session.get("_flashes", []):
        flash(message, "banner")

