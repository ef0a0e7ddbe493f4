"""Excel in and out: template download, upload → check → preview → commit, exports."""
from __future__ import annotations

import io
import tempfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from portal.access import get_scoped_or_404
from portal.documents.xlsx_export import CATEGORIES, export_zip, national_export, safe_name
from portal.documents.xlsx_template import template_bytes
from portal.excel.forms import CommitForm, UploadForm
from portal.excel.services import (EXPORT_ROLES, IMPORT_ROLES, JOB_EXPORT_HEADERS, ExportSource, import_jobs,
                                   job_export_rows, template_data)
from portal.exports import xlsx_response
from portal.extensions import limiter
from portal.htmx import wants_fragment
from portal.imports import jobs
from portal.imports.reader import MAX_ROWS, WorkbookError
from portal.models import ImportJob

bp = Blueprint("excel", __name__, url_prefix="/excel", cli_group=None)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISSUES_PER_PAGE = 200


def _require(roles) -> None:
    if current_user.role not in roles or (current_user.org is None and current_user.role != "admin"):
        abort(403)


@bp.get("/template")
@limiter.limit("30/minute")
def template():
    """The national 上报数据模板; public, since professionals fill it in before any account exists."""
    return send_file(io.BytesIO(template_bytes(template_data())), mimetype=XLSX_MIME, as_attachment=True,
                     download_name="职称评审信息上报数据模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@login_required
def upload():
    _require(IMPORT_ROLES)
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        data = form.workbook.data.read()
        try:
            if not data:
                raise WorkbookError("empty", "上传的文件是空的")
            job = jobs.create_job(data, form.workbook.data.filename, current_user.org, current_user)
        except WorkbookError as exc:
            error = exc.message
        else:
            if not jobs.enqueue(job, "check"):
                flash(jobs.QUEUE_DELAYED, "warning")
            return redirect(url_for("excel.job", job_id=job.id))
    recent = import_jobs(current_user, 20)
    max_rows = current_app.config.get("EXCEL_MAX_ROWS", MAX_ROWS)
    return render_template("excel/upload.html", form=form, error=error, recent=recent, max_rows=max_rows)


@bp.get("/import/jobs.xlsx")
@login_required
def jobs_export():
    _require(IMPORT_ROLES)
    return xlsx_response("导入记录", JOB_EXPORT_HEADERS, job_export_rows(current_user))


@bp.get("/import/<int:job_id>")
@login_required
def job(job_id: int):
    _require(IMPORT_ROLES)
    job = get_scoped_or_404(ImportJob, job_id)
    jobs.mark_stale(job)
    if wants_fragment() and request.args.get("part") == "annotated":
        return render_template("excel/_annotated_link.html", job=job)
    severity = request.args.get("severity") if request.args.get("severity") in ("error", "warning") else None
    page = max(1, request.args.get("page", 1, type=int))
    issues, pages = [], 1
    if not job.running:
        issues = jobs.load_issues(job)
        if severity:
            issues = [i for i in issues if i["severity"] == severity]
        pages = max(1, -(-len(issues) // ISSUES_PER_PAGE))
        page = min(page, pages)
        issues = issues[(page - 1) * ISSUES_PER_PAGE: page * ISSUES_PER_PAGE]
    context = dict(job=job, issues=issues, page=page, pages=pages, severity=severity, form=CommitForm(),
                   can_commit=job.user_id == current_user.id)
    if wants_fragment():
        return render_template("excel/_job_status.html", **context)
    return render_template("excel/job.html", **context)


@bp.post("/import/<int:job_id>/commit")
@login_required
def commit(job_id: int):
    _require(IMPORT_ROLES)
    job = get_scoped_or_404(ImportJob, job_id)
    if job.user_id != current_user.id:
        abort(403)
    form = CommitForm()
    if not form.validate_on_submit():
        flash("导入方式无效，请重新选择。", "error")
        return redirect(url_for("excel.job", job_id=job.id))
    if form.mode.data == "all" and job.errors:
        flash("表格中仍有错误，不能“全部导入”。请修改后重新上传，或选择“只导入无错误的行”。", "error")
        return redirect(url_for("excel.job", job_id=job.id))
    if not jobs.claim_commit(job, form.mode.data):
        flash("该文件正在导入或已经导入。", "warning")
        return redirect(url_for("excel.job", job_id=job.id))
    if not jobs.enqueue(job, "commit"):
        flash("任务队列暂不可用，没有导入任何数据，请稍后再点击导入。", "warning")
    return redirect(url_for("excel.job", job_id=job.id))


@bp.get("/import/<int:job_id>/annotated")
@login_required
def annotated(job_id: int):
    _require(IMPORT_ROLES)
    job = get_scoped_or_404(ImportJob, job_id)
    path = jobs.annotated_path(job)
    if not job.annotated_ready or not path.exists():
        abort(404)
    stem = job.filename.rsplit(".", 1)[0]
    return send_file(path, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{stem}（问题标注）.xlsx")


def _export_name() -> str:
    return current_user.org.name if current_user.org else "全部单位"


@bp.get("/export")
@login_required
def export():
    _require(EXPORT_ROLES)
    count = ExportSource(current_user).count()
    return render_template("excel/export.html", count=count, categories=CATEGORIES, unit_name=_export_name())


@bp.get("/export/categories.zip")
@login_required
@limiter.limit("10/minute")
def export_categories():
    _require(EXPORT_ROLES)
    source = ExportSource(current_user)
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    summary = export_zip(spool, _export_name(), source.category)
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=f"{summary.folder}.zip")


@bp.get("/export/national.xlsx")
@login_required
@limiter.limit("10/minute")
def export_national():
    _require(EXPORT_ROLES)
    source = ExportSource(current_user)
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    national_export(spool, template_data(), source.national())
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"{safe_name(_export_name())}职称信息（上报数据模板）.xlsx")
