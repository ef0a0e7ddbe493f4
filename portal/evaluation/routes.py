from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import clock
from portal.access import get_scoped_or_404
from portal.documents.plan_pdf import PlanDocument, build_plan_pdf
from portal.domain.evaluation import REQUIREMENTS, STAGES
from portal.evaluation import services
from portal.evaluation.forms import ChecklistItemForm, PlanForm
from portal.extensions import db, limiter
from portal.models import EvaluationPlan
from portal.notices.forms import choices
from portal.workflow import trail

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


@bp.get("/plans/<int:plan_id>")
@login_required
def show(plan_id: int):
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    item_form = ChecklistItemForm()
    item_form.level.choices = choices((level, level) for level in plan.level_list)
    return render_template("evaluation/show.html", plan=plan, editable=services.may_edit(plan, current_user),
                           series_name=services.series_name, checklist=services.checklist_by_level(plan),
                           item_form=item_form, history=trail("evaluation_plan", plan.id))


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
