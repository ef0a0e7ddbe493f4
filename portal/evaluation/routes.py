from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import clock, uploads
from portal.access import get_scoped_or_404
from portal.documents.plan_pdf import PlanDocument, build_plan_pdf
from portal.domain.dates import parse_date
from portal.domain.evaluation import (ACHIEVEMENT_KINDS, RECOMMENDATION_ASPECTS, REQUIREMENTS, ROUTES, STAGES,
                                      format_insurance_periods)
from portal.evaluation import applications, conditions, outputs, review, services
from portal.exports import xlsx_response
from portal.evaluation.forms import ApplicationForm, ApplicationNoticeForm, ChecklistItemForm, PlanForm
from portal.extensions import db, limiter
from portal.models import Application, EvaluationPlan, Person
from portal.notices import services as notice_services
from portal.notices.forms import choices
from portal.workflow import COMMITMENT_TEXT, WorkflowError, trail, user_level

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")


def _manager_required():
    if not services.may_manage(current_user):
        abort(403)


def _editable_or_404(plan_id: int) -> EvaluationPlan:
    """Only the plan's own office changes it, and only before publication; to others it is not there."""
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    if not services.may_edit(plan, current_user):
        abort(404)
    return plan


def _plan_form(form: PlanForm) -> PlanForm:
    form.series.choices = choices(services.series_choices())
    form.committee_id.choices = choices([(0, "请选择")] + services.committee_choices(current_user))
    return form


def _form_page(form: PlanForm, plan: EvaluationPlan | None):
    return render_template("evaluation/form.html", form=form, plan=plan)


@bp.get("/plans")
@login_required
def index():
    _manager_required()
    return render_template("evaluation/index.html", plans=services.plans_for(current_user),
                           series_name=services.series_name, may_edit=services.may_edit)


@bp.route("/plans/new", methods=["GET", "POST"])
@login_required
def new():
    _manager_required()
    form = _plan_form(PlanForm(year=clock.today().year, pass_rate=30))
    if form.validate_on_submit():
        values = form.values(current_user.org_id)
        problems = services.check(values, current_user)
        if not problems:
            plan = services.create(values, current_user)
            flash(f"已新建评审部署“{plan.title}”，请列出各级别的申报材料清单。", "success")
            return redirect(url_for("evaluation.show", plan_id=plan.id))
        form.attach(problems)
    return _form_page(form, None)


def _readable_or_404(plan_id: int) -> EvaluationPlan:
    """A plan in the user's scope, or a published plan covering the user's region: a county office,
    department or unit reads the city plan its applicants apply under."""
    plan = db.session.get(EvaluationPlan, plan_id)
    if plan is None or not services.may_read(plan, current_user):
        abort(404)
    return plan


@bp.get("/plans/<int:plan_id>")
@login_required
def show(plan_id: int):
    plan = _readable_or_404(plan_id)
    item_form = ChecklistItemForm()
    item_form.level.choices = choices((level, level) for level in plan.level_list)
    columns, progress, totals = outputs.progress(plan.id, current_user)
    return render_template("evaluation/show.html", plan=plan, editable=services.may_edit(plan, current_user),
                           series_name=services.series_name, checklist=services.checklist_by_level(plan),
                           item_form=item_form, history=trail("evaluation_plan", plan.id),
                           columns=columns, progress=progress, totals=totals)


@bp.get("/plans/<int:plan_id>/register.xlsx")
@login_required
def register(plan_id: int):
    """申报人员汇总表: the plan's applicants in the user's scope; ?committee=1 those sent to the committee."""
    if current_user.role == "person":
        abort(403)
    plan = _readable_or_404(plan_id)
    committee_only = request.args.get("committee") == "1"
    title = f"{plan.year}年度申报人员汇总表" + ("（报送评委会）" if committee_only else "")
    return xlsx_response(title, outputs.REGISTER_HEADERS,
                         outputs.register_rows(plan, current_user, committee_only=committee_only))


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int):
    _manager_required()
    plan = _editable_or_404(plan_id)
    data = services.snapshot(plan) | {"levels": plan.level_list}
    form = _plan_form(PlanForm(data=data if request.method == "GET" else None))
    if form.validate_on_submit():
        values = form.values(plan.org_id)
        problems = services.check(values, current_user, plan)
        if not problems:
            diff = services.update(plan, values, current_user)
            flash("已保存评审部署。" if diff else "没有修改任何内容。", "success" if diff else "warning")
            return redirect(url_for("evaluation.show", plan_id=plan.id))
        form.attach(problems)
    return _form_page(form, plan)


@bp.post("/plans/<int:plan_id>/checklist")
@login_required
def add_item(plan_id: int):
    _manager_required()
    plan = _editable_or_404(plan_id)
    form = ChecklistItemForm()
    if not form.validate_on_submit():
        abort(400)
    problems = services.add_item(plan, form.level.data, form.requirement.data, form.name.data or "",
                                 (form.note.data or "").strip() or None, current_user)
    for problem in problems:
        flash(problem.message, "error")
    if not problems:
        flash("已加入申报材料清单。", "success")
    return redirect(url_for("evaluation.show", plan_id=plan.id) + "#checklist")


@bp.post("/plans/<int:plan_id>/checklist/<int:item_id>/delete")
@login_required
def remove_item(plan_id: int, item_id: int):
    _manager_required()
    plan = _editable_or_404(plan_id)
    try:
        services.remove_item(plan, item_id, current_user)
    except services.PlanError as refused:
        flash(refused.message, "error")
    return redirect(url_for("evaluation.show", plan_id=plan.id) + "#checklist")


@bp.post("/plans/<int:plan_id>/publish")
@login_required
def publish(plan_id: int):
    _manager_required()
    plan = _editable_or_404(plan_id)
    try:
        services.publish(plan, current_user)
    except services.PlanError as refused:
        flash(refused.message, "error")
    else:
        flash("评审部署已发布，部署文已在公开网站提供下载。", "success")
    return redirect(url_for("evaluation.show", plan_id=plan.id))


# ---------------------------------------------------------------- public pages (no login)


def _published_or_404(plan_id: int) -> EvaluationPlan:
    plan = db.get_or_404(EvaluationPlan, plan_id)
    if plan.published_at is None:
        abort(404)
    return plan


@bp.get("/deployments")
def public_index():
    return render_template("evaluation/public.html", plans=services.published_plans(),
                           series_name=services.series_name)


@bp.get("/deployments/<int:plan_id>.pdf")
@limiter.limit("30 per minute")
def public_pdf(plan_id: int):
    plan = _published_or_404(plan_id)
    stages = plan.stage_dates()
    doc = PlanDocument(
        title=plan.title, org_name=plan.org.name, year=plan.year, series=services.series_name(plan.series),
        levels=plan.level_list, committee=plan.committee.name, pass_rate=plan.pass_rate,
        body=plan.deployment_text, published_on=clock.in_china(plan.published_at).date(),
        stages=[(name, *stages[key]) for key, name in STAGES.items() if key in stages],
        checklist={level: [(i.name, REQUIREMENTS[i.requirement], i.note or "") for i in items]
                   for level, items in services.checklist_by_level(plan).items()})
    response = current_app.response_class(build_plan_pdf(doc), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=deployment-{plan.id}.pdf"
    return response


# ---------------------------------------------------------------- applications (申报)


def _person_required():
    if current_user.role != "person" or current_user.person_id is None:
        abort(403)


def _application_form(person, plan, obj=None) -> ApplicationForm:
    form = ApplicationForm(obj=obj)
    form.level.choices = choices((level, level) for level in plan.level_list)
    form.title_name.choices = choices([("", "请选择")] + [
        (name, f"{level} · {name}") for level in plan.level_list for name in applications.title_choices(plan.series, level)])
    form.current_certificate_id.choices = choices(
        [("", "（不选择，在下方填写）")] + [(str(c.id), f"{c.level} {c.title_name}（证书编号 {c.cert_no or '无'}）")
                                         for c in applications.approved_certificates(person)])
    form.education.choices = choices([("", "请选择")] + services.code_choices("education"))
    if obj is not None and request.method == "GET" and obj.current_certificate_id:
        form.current_certificate_id.data = str(obj.current_certificate_id)
    return form


def _application_page(app, form, problems=(), loose=()):
    return render_template(
        "evaluation/application.html", app=app, plan=app.plan, form=form,
        editable=applications.edit_refusal(app, current_user) is None, checklist=applications.checklist_status(app),
        slots=applications.SLOTS, slot_files={m.slot: m for m in app.materials if m.slot},
        achievement_kinds=ACHIEVEMENT_KINDS, problems=problems, loose=loose,
        commitment=COMMITMENT_TEXT, history=trail("evaluation_application", app.id),
        can_review=review.can_act(app, current_user), path=review.path_of(app), aspects=RECOMMENDATION_ASPECTS,
        notice_problems=notice_services.application_notice_problems(app) if app.status == "unit_review" else [],
        notice_lines=outputs.notice_lines(app), freelancer=conditions.is_freelancer(app),
        insurance_rule=conditions.rule_of(app), insurance_facts=conditions.insurance_facts(app),
        insurance_text=format_insurance_periods(conditions.periods_of(app.insurance)),
        may_enter_insurance=conditions.may_enter(app, current_user),
        may_confirm_insurance=conditions.may_confirm(app, current_user),
        recommended=review.unit_recommendation(app) is not None,
        commitment_current=applications.commitment_current(app))


@bp.get("/apply")
@login_required
def apply_index():
    _person_required()
    person = db.session.get(Person, current_user.person_id)
    return render_template("evaluation/apply_index.html", plans=applications.open_plans(person),
                           mine=applications.my_applications(current_user), series_name=services.series_name)


@bp.route("/apply/<int:plan_id>", methods=["GET", "POST"])
@login_required
def apply_new(plan_id: int):
    _person_required()
    person = db.session.get(Person, current_user.person_id)
    plan = next((p for p in applications.open_plans(person) if p.id == plan_id), None)
    if plan is None:
        abort(404)
    form = _application_form(person, plan)
    loose = []
    if form.validate_on_submit():
        values = form.values()
        problems = applications.check_draft(plan, person, values)
        if not problems:
            app = applications.create(plan, person, values, current_user)
            flash("已保存申报草稿，请上传清单材料后提交单位审核。", "success")
            return redirect(url_for("evaluation.application", application_id=app.id))
        loose = form.attach(problems)
    return render_template("evaluation/apply_new.html", plan=plan, form=form, loose=loose,
                           series_name=services.series_name)


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
@login_required
def application(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    form = _application_form(app.person, app.plan, obj=app)
    loose = []
    if request.method == "POST":
        refusal = applications.edit_refusal(app, current_user)
        if refusal:
            abort(403)
        if form.validate_on_submit():
            values = form.values()
            problems = applications.check_draft(app.plan, app.person, values, app)
            if not problems:
                diff = applications.update(app, values, current_user)
                flash("已保存申报信息。" if diff else "没有修改任何内容。", "success" if diff else "warning")
                return redirect(url_for("evaluation.application", application_id=app.id))
            loose = form.attach(problems)
    return _application_page(app, form, loose=loose)


@bp.post("/applications/<int:application_id>/materials")
@login_required
def upload_material(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    try:
        filename, data = uploads.read_upload(request.files.get("file"))
        applications.attach(app, request.form.get("target", ""), filename, data, current_user)
    except uploads.UploadRejected as rejected:
        flash(str(rejected), "error")
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        flash("材料已上传。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id) + "#materials")


@bp.post("/applications/<int:application_id>/achievements")
@login_required
def add_achievement(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    year = request.form.get("year", "")
    try:
        filename, data = uploads.read_upload(request.files.get("file"))
        applications.add_achievement(app, request.form.get("kind", ""), request.form.get("title", ""),
                                     int(year) if year.isdigit() else None, filename, data, current_user)
    except uploads.UploadRejected as rejected:
        flash(str(rejected), "error")
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        flash("已加入业绩成果。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id) + "#achievements")


@bp.post("/applications/<int:application_id>/submit")
@login_required
def submit(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    try:
        problems = applications.submit(app, request.form.get("commitment") == "1", current_user)
    except WorkflowError as refused:
        flash(refused.message, "error")
        return redirect(url_for("evaluation.application", application_id=app.id))
    if problems:
        app = get_scoped_or_404(Application, application_id)
        return _application_page(app, _application_form(app.person, app.plan, obj=app), problems=problems)
    flash("申报已提交单位审核。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id))


# ---------------------------------------------------------------- review up to the committee


@bp.get("/review")
@login_required
def review_queue():
    if user_level(current_user) is None:
        abort(403)
    return render_template("evaluation/review_queue.html", items=review.queue(current_user),
                           plans=services.plans_for(current_user),
                           notice_allowed=user_level(current_user) == "unit_review"
                           and notice_services.can_publish(current_user))


def _int_list(values) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@bp.post("/applications/<int:application_id>/approve")
@login_required
def approve(application_id: int):
    get_scoped_or_404(Application, application_id)
    interview = parse_date(request.form.get("interview_date", ""), field="interview_date")
    try:
        messages = review.approve(
            application_id, current_user, request.form.get("version"),
            opinion={key: request.form.get(f"opinion_{key}", "") for key in RECOMMENDATION_ASPECTS},
            interview_date=interview.value, interview_experts=request.form.get("interview_experts"))
    except WorkflowError as refused:
        messages = [refused.message]
    for message in messages:
        flash(message, "error")
    if not messages:
        flash("已审核通过并报送上一级。", "success")
    return redirect(url_for("evaluation.application", application_id=application_id))


@bp.post("/applications/<int:application_id>/return")
@login_required
def send_back(application_id: int):
    get_scoped_or_404(Application, application_id)
    days = request.form.get("days", "")
    try:
        messages = review.send_back(application_id, current_user, request.form.get("version"),
                                    request.form.get("reason", ""), _int_list(request.form.getlist("items")),
                                    int(days) if days.isdigit() else None)
    except WorkflowError as refused:
        messages = [refused.message]
    for message in messages:
        flash(message, "error")
    if not messages:
        flash("已退回申报人，并一次性告知需补正的全部内容。", "success")
    return redirect(url_for("evaluation.application", application_id=application_id))


# ---------------------------------------------------------------- the unit's notice of applicants (公示)


@bp.route("/notice", methods=["GET", "POST"])
@login_required
def publish_notice():
    """The unit lists its applicants waiting for its recommendation: a first notice, or a
    supplementary one (补充公示) for applications changed since theirs."""
    if user_level(current_user) != "unit_review" or not notice_services.can_publish(current_user):
        abort(403)
    candidates = notice_services.application_candidates(current_user, "applications")
    supplementary = {a.id for a in candidates if notice_services.held_notices(a.id, "applications")}
    org = current_user.org
    form = ApplicationNoticeForm()
    if request.method == "GET":
        year = candidates[0].plan.year if candidates else clock.today().year
        kind = "补充公示" if candidates and all(a.id in supplementary for a in candidates) else "公示"
        form.title.data = f"{org.name}{year}年度职称申报人员{kind}"
        form.body.data = (f"经{org.name}审核，现将以下人员的职称申报情况予以公示。公示期间，任何单位和个人对申报人员的"
                          "申报材料、业绩成果等有异议的，可通过网上公示页面以真实姓名和联系方式提出。")
        form.contact.data = " ".join(p for p in (org.contact_person, org.contact_phone) if p) or org.name
        form.start_date.data = clock.today().isoformat()
    picked = {int(v) for v in request.form.getlist("application_id") if v.isdigit()}
    error_message = None
    if form.validate_on_submit():
        chosen = [a for a in candidates if a.id in picked]
        try:
            notice = notice_services.publish_application_notice(
                org, chosen, "applications", notice_services.PublishRequest(
                    title=form.title.data.strip(), body=form.body.data.strip(), contact=form.contact.data.strip(),
                    start_date=form.start_date.date, days=form.days.data), actor=current_user)
        except ValueError as exc:
            db.session.rollback()
            error_message = str(exc)
        else:
            flash(f"已发布公示“{notice.title}”，共 {notice.entry_count} 人。", "success")
            return redirect(url_for("notices.manage_show", notice_id=notice.id))
    return render_template("evaluation/notice_new.html", form=form, candidates=candidates,
                           supplementary=supplementary, picked=picked or {a.id for a in candidates},
                           error_message=error_message, routes=ROUTES)


# ---------------------------------------------------------------- printable documents and conditions


def _pdf_response(data: bytes, name: str):
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={name}.pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/applications/<int:application_id>/recommendation.pdf")
@login_required
def recommendation_pdf(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    data = outputs.recommendation_pdf(app)
    if data is None:
        abort(404)
    return _pdf_response(data, f"recommendation-{app.id}")


@bp.get("/applications/<int:application_id>/review-form.pdf")
@login_required
def review_form_pdf(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    return _pdf_response(outputs.review_form_pdf(app), f"review-form-{app.id}")


@bp.post("/applications/<int:application_id>/insurance")
@login_required
def enter_insurance(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    upload = request.files.get("file")
    try:
        filename, data = uploads.read_upload(upload) if upload and upload.filename else (None, None)
        problems = conditions.enter_insurance(app, request.form.get("periods", ""), filename, data, current_user)
    except uploads.UploadRejected as rejected:
        problems, message = None, str(rejected)
        flash(message, "error")
    except WorkflowError as refused:
        problems = None
        flash(refused.message, "error")
    else:
        for problem in problems:
            flash(problem.message, "error")
        if not problems:
            flash("已保存社保缴纳记录。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id) + "#insurance")


@bp.post("/applications/<int:application_id>/insurance/confirm")
@login_required
def confirm_insurance(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    try:
        problems = conditions.confirm_insurance(app, current_user)
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        for problem in problems:
            flash(f"不能确认：{problem.message}", "error")
        if not problems:
            flash("已确认社保缴纳记录。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id) + "#insurance")


@bp.post("/applications/<int:application_id>/consent")
@login_required
def consent(application_id: int):
    app = get_scoped_or_404(Application, application_id)
    try:
        conditions.record_consent(app, current_user)
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        flash("已确认同意受理该自由职业者的职称申报。", "success")
    return redirect(url_for("evaluation.application", application_id=app.id))
