"""Electronic certificates: the office's issuing page and bulk jobs, the holder's page, public files and keys."""
from __future__ import annotations

import io
from urllib.parse import quote

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.access import get_scoped_or_404, permitted, scoped
from portal.auth.decorators import roles_required
from portal.ecert import bulk, services
from portal.ecert.forms import BulkForm, FilterForm, IssueForm, UseCopyForm, WithdrawForm
from portal.extensions import db, limiter
from portal.htmx import wants_fragment
from portal.letters.services import read_document
from portal.models import Certificate, ECertificate

bp = Blueprint("ecert", __name__, cli_group=None)


issuer_required = permitted(services.may_issue)


def _filter(form: FilterForm) -> services.IssueFilter:
    return services.IssueFilter(level=form.level.data or None, review_year=form.review_year.data or None,
                                overdue_only=bool(form.overdue_only.data))


# ---------------------------------------------------------------- the office


@bp.get("/ecert")
@issuer_required
def index():
    form = FilterForm(request.args)
    flt = _filter(form) if form.validate() else services.IssueFilter()
    matched = services.count(services.issuable(current_user, flt))
    overdue, overdue_total = services.overdue(current_user)
    bulk_form = BulkForm(formdata=None, level=flt.level or "", review_year=flt.review_year,
                         overdue_only=flt.overdue_only)
    return render_template("ecert/index.html", form=form, bulk_form=bulk_form, matched=matched,
                           limit=current_app.config["ECERT_BULK_MAX"], overdue=overdue, overdue_total=overdue_total,
                           due_days=current_app.config["ECERT_DUE_WORKDAYS"], recent=services.recent(current_user))


@bp.post("/ecert/bulk")
@issuer_required
def start_bulk():
    form = BulkForm()
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(messages[0] if messages else "请重新选择要签发的证书。", "error")
        return redirect(url_for("ecert.index"))
    token, total, queued = bulk.start(current_user, _filter(form))
    if total == 0:
        flash("所选范围内没有待签发电子证书的已确认证书。", "warning")
        return redirect(url_for("ecert.index"))
    if not queued:
        flash(bulk.QUEUE_DELAYED, "warning")
    return redirect(url_for("ecert.bulk_job", token=token))


@bp.get("/ecert/jobs/<token>")
@issuer_required
def bulk_job(token: str):
    job = bulk.state(token, current_user.id)
    if job is None:
        abort(404)
    names = bulk.names(job) if job["status"] == "done" else {}
    template = "ecert/_bulk_job.html" if wants_fragment() else "ecert/bulk_job.html"
    response = current_app.make_response(render_template(template, job=job, token=token, names=names))
    response.vary.add("HX-Request")
    return response


@bp.post("/ecert/issue/<int:cert_id>")
@issuer_required
def issue_one(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    if not IssueForm().validate_on_submit():
        abort(400)
    try:
        ecert = services.issue_ecert(cert, current_user, reissue=request.form.get("reissue") == "1")
    except services.ECertError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已签发职称电子证书，编号 {ecert.number}。", "success")
    return redirect(url_for("records.certificate", cert_id=cert_id))


# ---------------------------------------------------------------- the holder


@bp.get("/ecert/mine")
@roles_required("person")
def mine():
    return render_template("ecert/mine.html", held=services.holdings(current_user), copy_form=UseCopyForm(),
                           blank_form=UseCopyForm(formdata=None), withdraw_form=WithdrawForm(), problems={},
                           max_days=current_app.config["ECERT_USE_COPY_MAX_DAYS"],
                           max_live=current_app.config["ECERT_USE_COPY_MAX_LIVE"])


def _own(number: str) -> ECertificate:
    ecert = db.session.scalar(scoped(ECertificate).where(ECertificate.number == number))
    if ecert is None:
        abort(404)
    return ecert


@bp.post("/ecert/<number>/copies")
@roles_required("person")
def create_copy(number: str):
    original = _own(number)
    form = UseCopyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        copy, problems = services.create_use_copy(original, form.purpose.data, form.valid_until.data, current_user)
    except services.ECertError as exc:
        flash(str(exc), "error")
        return redirect(url_for("ecert.mine"))
    if problems:
        # Status 200 with the form and its messages (htmx 2 swaps no 4xx): the rules' own words.
        return render_template("ecert/mine.html", held=services.holdings(current_user), copy_form=form,
                               blank_form=UseCopyForm(formdata=None), withdraw_form=WithdrawForm(),
                               problems={original.id: problems},
                               max_days=current_app.config["ECERT_USE_COPY_MAX_DAYS"],
                               max_live=current_app.config["ECERT_USE_COPY_MAX_LIVE"])
    flash(f"已制作使用件 {copy.number}（用途：{copy.purpose}，有效期至 {copy.valid_until:%Y-%m-%d}）。", "success")
    return redirect(url_for("ecert.mine", _anchor=f"ecert-{original.id}"))


@bp.post("/ecert/copies/<number>/withdraw")
@roles_required("person")
def withdraw_copy(number: str):
    copy = _own(number)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    services.withdraw_use_copy(copy, current_user)
    flash(f"使用件 {copy.number} 已作废，扫码核验将显示“已作废”。", "success")
    return redirect(url_for("ecert.mine"))


def _pdf_response(ecert: ECertificate):
    try:
        data = read_document(ecert.document)
    except FileNotFoundError:
        current_app.logger.error("e-certificate file missing: %s", ecert.number)
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{ecert.number}.pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename={ecert.number}.pdf; filename*=UTF-8''{quote(f'{ecert.kind_label}-{ecert.number}.pdf')}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/ecert/<number>.pdf")
@login_required
def download(number: str):
    return _pdf_response(_own(number))


# ---------------------------------------------------------------- public


@bp.get("/ecert/file/<token>.pdf")
@limiter.limit("60 per minute")
def public_file(token: str):
    """The file by its unguessable link: the holder hands it on to whoever is to read it."""
    ecert = services.by_public_token(token)
    if ecert is None:
        abort(404)
    return _pdf_response(ecert)


@bp.get("/ecert/issuer-key")
def issuer_key():
    key = services.issuer_key()
    return render_template("ecert/issuer_key.html", key=key)


@bp.get("/ecert/issuer-key.txt")
def issuer_key_text():
    key = services.issuer_key()
    body = f"04{key.public_hex}\n"
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = "inline; filename=ecert-sm2-public.txt"
    return response


def check_page(payload: str):
    """/v/<payload> (routed by portal.verify.routes.token_page, which has throttled the request)."""
    view = services.check_payload(payload, request.remote_addr)
    status = 200 if view.outcome == "valid" else 400
    response = current_app.make_response((render_template("ecert/check.html", view=view), status))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- command line


@bp.cli.command("ecert-key")
def ecert_key():
    """Create the SM2 issuer key of e-certificate QR codes on first run (instance/ecert or ECERT_KEY_DIR) and show it."""
    key = services.issuer_key()
    click.echo(f"电子证书二维码签发密钥（SM2）目录 {services.key_directory()}（私钥文件权限 0600，不入数据库）")
    click.echo(f"公钥 04{key.public_hex}")
    click.echo(f"SHA-256 指纹 {key.fingerprint}")
    click.echo("公开地址 " + current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/ecert/issuer-key")


@bp.cli.command("ecert-issue")
@click.option("--office", "username", required=True, help="签发的职改办账号（用户名）")
@click.option("--cert-id", "cert_ids", type=int, multiple=True, required=True, help="证书 id，可重复")
def ecert_issue(username: str, cert_ids: tuple[int, ...]):
    """Issue e-certificates for approved certificates in an office account's scope."""
    from portal.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not services.may_issue(user):
        raise click.ClickException(f"{username} 不是职改办账号")
    for cert_id in cert_ids:
        cert = db.session.scalar(scoped(Certificate, user).where(Certificate.id == cert_id))
        if cert is None:
            click.echo(f"证书 {cert_id}：不在该账号的管辖范围内")
            continue
        try:
            ecert = services.issue_ecert(cert, user)
        except services.ECertError as exc:
            click.echo(f"证书 {cert_id}：{exc}")
        else:
            click.echo(f"证书 {cert_id}：已签发 {ecert.number}  {services.public_pdf_path(ecert)}")


@bp.app_template_filter("ecert_status")
def ecert_status(status: str) -> str:
    return services.status_label(status)


@bp.app_template_filter("ecert_check_url")
def ecert_check_url(payload: str) -> str:
    return services.check_url(payload)


@bp.app_template_global()
def ecert_panel(cert: Certificate) -> dict:
    """What templates/ecert/_panel.html shows on a certificate page: its e-certificate, and for an office the issue form."""
    if not current_user.is_authenticated or cert.status not in ("approved", "revoked"):
        return {}
    current = services.current_original(cert.id)
    panel = {"current": current, "status": services.status_of(current) if current else None,
             "holder": current_user.role == "person"}
    if services.may_issue(current_user) and cert.status == "approved":
        panel["form"] = IssueForm(formdata=None)
    return panel
