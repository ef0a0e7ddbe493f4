from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.access import get_scoped_or_404
from portal.accounts import services
from portal.accounts.forms import AdminAccountForm, OrganisationForm
from portal.auth.decorators import roles_required
from portal.exports import xlsx_response
from portal.domain.accounts import ACCOUNT_MANAGER_ROLES, CHILD_ORG_TYPES
from portal.models import Organization, User
from portal.models.org import ORG_TYPES

bp = Blueprint("accounts", __name__)
managers_only = roles_required(*ACCOUNT_MANAGER_ROLES)
org_creators_only = roles_required(*CHILD_ORG_TYPES)


@bp.get("/account/logins")
@login_required
def my_logins():
    events = services.login_events_page(current_user, request.args.get("page", 1, type=int), own=True)
    return render_template("accounts/logins.html", events=events, own=True)


@bp.get("/accounts")
@managers_only
def index():
    q = request.args.get("q", "")
    accounts = services.accounts_page(current_user, q, request.args.get("page", 1, type=int))
    return render_template("accounts/index.html", accounts=accounts, q=q, manages=services.manages)


@bp.get("/accounts/export.xlsx")
@managers_only
def export():
    q = request.args.get("q", "")
    return xlsx_response("账户管理", services.ACCOUNT_EXPORT_HEADERS, services.account_export_rows(current_user, q))


@bp.get("/accounts/logins")
@managers_only
def logins():
    events = services.login_events_page(current_user, request.args.get("page", 1, type=int), own=False)
    return render_template("accounts/logins.html", events=events, own=False)


def _managed_or_404(user_id: int) -> User:
    account = get_scoped_or_404(User, user_id)
    if not services.manages(current_user, account):
        abort(403)
    return account


@bp.post("/accounts/<int:user_id>/disable")
@managers_only
def disable(user_id: int):
    account = _managed_or_404(user_id)
    services.set_active(account, current_user, False)
    flash(f"已停用{account.display_name}的账户，其登录已全部退出。", "success")
    return redirect(url_for("accounts.index", q=request.args.get("q")))


@bp.post("/accounts/<int:user_id>/enable")
@managers_only
def enable(user_id: int):
    account = _managed_or_404(user_id)
    services.set_active(account, current_user, True)
    flash(f"已启用{account.display_name}的账户。", "success")
    return redirect(url_for("accounts.index", q=request.args.get("q")))


@bp.post("/accounts/<int:user_id>/reset")
@managers_only
def reset(user_id: int):
    account = _managed_or_404(user_id)
    password = services.reset(account, current_user)
    # The slip is the response itself: the password is shown once and never stored in clear.
    return render_template("accounts/slip.html", account=account, password=password)


@bp.get("/accounts/orgs")
@org_creators_only
def organisations():
    return render_template("accounts/orgs.html", orgs=services.organisations(current_user),
                           can_create=bool(services.creatable_types(current_user)))


def _organisation_form(org: Organization | None) -> OrganisationForm:
    form = OrganisationForm(obj=org)
    form.type.choices = [(t, ORG_TYPES[t]) for t in services.creatable_types(current_user)]
    form.parent_id.choices = [(p.id, f"{p.name}（{p.type_label}）") for p in services.parent_choices(current_user)]
    return form


@bp.route("/accounts/orgs/new", methods=["GET", "POST"])
@bp.route("/accounts/orgs/<int:org_id>", methods=["GET", "POST"])
@org_creators_only
def organisation(org_id: int | None = None):
    org = get_scoped_or_404(Organization, org_id) if org_id else None
    if org is not None and org.id == current_user.org_id:
        abort(404)
    form = _organisation_form(org)
    problems = []
    if form.validate_on_submit():
        saved, problems = services.save_organisation(current_user, org, form.data)
        if saved is not None:
            flash(f"已保存组织“{saved.name}”。", "success")
            return redirect(url_for("accounts.organisations"))
    return render_template("accounts/org_form.html", form=form, org=org, problems=problems,
                           admin_form=AdminAccountForm(prefix="admin"))


@bp.post("/accounts/orgs/<int:org_id>/admin")
@org_creators_only
def organisation_admin(org_id: int):
    org = get_scoped_or_404(Organization, org_id)
    if org.id == current_user.org_id:
        abort(404)
    form = AdminAccountForm(prefix="admin")
    problems = []
    if form.validate_on_submit():
        account, password, problems = services.create_admin_account(current_user, org, form.username.data,
                                                                     form.display_name.data)
        if account is not None:
            return render_template("accounts/slip.html", account=account, password=password)
    return render_template("accounts/org_form.html", form=_organisation_form(org), org=org, problems=problems,
                           admin_form=form)
