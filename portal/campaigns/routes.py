from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import clock
from portal.campaigns import services
from portal.campaigns.forms import CampaignForm
from portal.exports import xlsx_response
from portal.models import Campaign
from portal.workflow import DEADLINE_LEVELS, trail

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _manager_required():
    if not services.may_manage(current_user):
        abort(403)


def _visible_or_404(campaign_id: int, lock: bool = False) -> Campaign:
    campaign = services.visible_campaign(campaign_id, current_user, lock=lock)
    if campaign is None:
        abort(404)
    return campaign


def _editable_or_404(campaign_id: int, lock: bool = False) -> Campaign:
    """Only the campaign's own office may change it; to others it does not exist (no oracle)."""
    campaign = _visible_or_404(campaign_id, lock=lock)
    if not services.may_edit(campaign, current_user):
        abort(404)
    return campaign


def _form_page(form: CampaignForm, campaign: Campaign | None):
    return render_template(
        "campaigns/form.html", form=form, campaign=campaign,
        history=trail("campaign", campaign.id) if campaign is not None else [], field_labels=services.FIELD_LABELS)


@bp.get("/")
@login_required
def index():
    _manager_required()
    applying = services.applying_campaign(current_user)
    campaigns = services.campaigns_for(current_user)
    return render_template(
        "campaigns/index.html", campaigns=campaigns,
        deadlines={c.id: {d.level: d.due_date for d in c.deadlines} for c in campaigns},
        applying_id=applying.id if applying is not None else None, may_edit=services.may_edit,
        levels=services.LEVEL_ORDER, level_names=services.LEVEL_SHORT_NAMES, today=clock.today())


@bp.get("/export.xlsx")
@login_required
def export():
    _manager_required()
    return xlsx_response("采集任务", services.CAMPAIGN_EXPORT_HEADERS, services.campaign_export_rows(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _manager_required()
    form = CampaignForm()
    if current_user.org_id is None:
        form.org_id.choices = services.office_choices(current_user)
    else:
        del form.org_id
    if form.validate_on_submit():
        values = form.values(form.org_id.data if "org_id" in form else current_user.org_id)
        problems = services.check(values)
        if not problems:
            campaign = services.create(values, current_user)
            flash(f"已新建采集任务“{campaign.name}”。", "success")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
        form.attach(problems)
    return _form_page(form, None)


@bp.get("/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    _manager_required()
    campaign = _visible_or_404(campaign_id)
    return render_template(
        "campaigns/show.html", campaign=campaign, editable=services.may_edit(campaign, current_user),
        due={d.level: d.due_date for d in campaign.deadlines}, levels=services.LEVEL_ORDER,
        level_names=services.LEVEL_SHORT_NAMES,
        deadline_levels=DEADLINE_LEVELS, today=clock.today(), history=trail("campaign", campaign.id),
        field_labels=services.FIELD_LABELS)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    _manager_required()
    campaign = _editable_or_404(campaign_id, lock=request.method == "POST")
    form = CampaignForm(data=services.form_data(campaign))
    del form.org_id
    if form.validate_on_submit():
        values = form.values(campaign.org_id)
        problems = services.check(values, campaign)
        if not problems:
            diff = services.update(campaign, values, current_user)
            if diff:
                flash(f"已保存采集任务“{campaign.name}”。", "success")
            else:
                flash("没有修改任何内容。", "warning")
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
        form.attach(problems)
    return _form_page(form, campaign)


@bp.post("/<int:campaign_id>/open")
@login_required
def set_open(campaign_id: int):
    _manager_required()
    campaign = _editable_or_404(campaign_id, lock=True)
    wanted = request.form.get("is_open") == "1"
    try:
        services.set_open(campaign, wanted, current_user)
    except services.CampaignError as refused:
        flash(refused.message, "error")
    else:
        flash(f"采集任务“{campaign.name}”已{'开启' if wanted else '关闭'}。", "success")
    return redirect(url_for("campaigns.index"))
