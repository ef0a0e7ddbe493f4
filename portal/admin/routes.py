from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from portal.admin.forms import CodeItemForm
from portal.admin.services import items_of, key_taken, save_item
from portal.auth.decorators import admin_required
from portal.extensions import db
from portal.models import CodeItem
from portal.models.codes import CODE_KINDS

bp = Blueprint("admin", __name__, url_prefix="/admin")



@bp.get("/codes")
@admin_required
def codes():
    kind = request.args.get("kind", "title_series")
    if kind not in CODE_KINDS:
        abort(404)
    return render_template("admin/codes.html", kind=kind, kinds=CODE_KINDS, items=items_of(kind))


@bp.route("/codes/<kind>/new", methods=["GET", "POST"])
@bp.route("/codes/<kind>/<int:item_id>", methods=["GET", "POST"])
@admin_required
def edit_code(kind: str, item_id: int | None = None):
    if kind not in CODE_KINDS:
        abort(404)
    item = db.get_or_404(CodeItem, item_id) if item_id else CodeItem(kind=kind, active=True, sort=0)
    if item.kind != kind:
        abort(404)
    form = CodeItemForm(obj=item)
    if form.validate_on_submit():
        if key_taken(kind, form.key.data.strip(), item.id):
            form.key.errors.append(f"{CODE_KINDS[kind]}中已有内部键“{form.key.data}”")
        else:
            save_item(item, form.data)
            flash(f"已保存{CODE_KINDS[kind]}“{item.name}”。", "success")
            return redirect(url_for("admin.codes", kind=kind))
    return render_template("admin/code_form.html", form=form, kind=kind, kinds=CODE_KINDS, item=item)


@bp.get("/jobs")
@admin_required
def jobs():
    from portal import scheduled

    return render_template("admin/jobs.html", schedule=scheduled.SCHEDULE, labels=scheduled.JOB_LABELS,
                           last=scheduled.last_runs(), runs=scheduled.recent_runs())


@bp.post("/jobs/<name>/run")
@admin_required
def run_job(name: str):
    from portal import scheduled

    job = scheduled.JOBS.get(name)
    if job is None:
        abort(404)
    entry = scheduled.run(job)
    flash(f"已运行“{scheduled.JOB_LABELS[name]}”：{entry.detail}", "success" if entry.outcome == "ok" else "warning")
    return redirect(url_for("admin.jobs"))
