from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from portal import clock
from portal.access import get_scoped_or_404
from portal.ecert.routes import check_page as ecert_check_page
from portal.ecert.sm2 import looks_like_payload
from portal.auth.decorators import roles_required
from portal.exports import xlsx_response
from portal.extensions import db, limiter
from portal.letters.services import read_document
from portal.models import ApiKey, Certificate
from portal.verify import batch as batch_jobs
from portal.verify.batch import BatchError, check_upload, template_workbook
from portal.verify.forms import ApiKeyForm, BatchForm, RevokeForm
from portal.verify.keys import KEY_EXPORT_HEADERS, all_keys, issue_key, key_export_rows, revoke_key
from portal.verify.lookup_log import lookup_log
from portal.verify.services import (CONTROL_CHARACTERS, HISTORY_EXPORT_HEADERS, REVOKER_ROLES, Requester,
                                    find_certificates, history_export_rows, history_page, identity_digest, is_holder,
                                    issue_report, log_lookup, lookup_token, may_revoke, parse_query, revoke,
                                    verification_qr_svg, verification_url)
from portal.verify.throttle import count, retry_after_header, start_throttle, throttle

bp = Blueprint("verify", __name__, cli_group=None)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOOKUP_ARGS = ("name", "id_number", "cert_no")
# These views count their own requests (portal.verify.throttle); Flask-Limiter's per-request
# bookkeeping would only add work to the hottest pages.
SELF_THROTTLED = {"verify.lookup_page", "verify.token_page", "verify.api.verify"}


@limiter.request_filter
def _counts_itself() -> bool:
    return request.endpoint in SELF_THROTTLED



@bp.errorhandler(429)
def throttled(error):
    return render_template("verify/throttled.html"), 429, retry_after_header(error)


@bp.route("/verify", methods=["GET", "POST"])
def lookup_page():
    if request.method == "GET":
        if any(request.args.get(k) for k in LOOKUP_ARGS):
            # An old bookmark of the GET form: forget its query rather than echo the ID number.
            return redirect(url_for("verify.lookup_page", moved=1), code=303)
        return render_template("verify/lookup.html", query=None, moved=bool(request.args.get("moved")))
    query, error = parse_query(*(request.form.get(k) for k in LOOKUP_ARGS))
    results = None
    if query:
        # One budget per address (shared with the QR links) and one per queried number, whoever
        # asks. Only misses spend the number's budget (guessing a name), so a stranger cannot
        # use it up by looking up a real holder correctly. Both are asked of Redis in one round
        # trip while the query runs, and settled before anything is shown or logged.
        identity = "identity:" + identity_digest(query.identity)
        counting = start_throttle(("VERIFY_LIMIT_PER_ADDRESS", f"address:{request.remote_addr}"),
                                  unspent=("VERIFY_LIMIT_PER_IDENTITY", identity))
        results = find_certificates(query)
        counting.check()
        if not results:
            count("VERIFY_LIMIT_PER_IDENTITY", identity)
        log_lookup(query, Requester.from_request("web"), results)
    return render_template("verify/lookup.html", query=query, error=error, results=results,
                           name=request.form.get("name", "")), (400 if error == CONTROL_CHARACTERS else 200)


@bp.get("/v/<token>")
def token_page(token: str):
    throttle(("VERIFY_LIMIT_PER_ADDRESS", f"address:{request.remote_addr}"))
    if looks_like_payload(token):
        # An e-certificate's QR code: SM2-signed claims ("E1.…"), not a 43-character token.
        return ecert_check_page(token)
    results = lookup_token(token, Requester.from_request("qr"))
    return render_template("verify/token.html", results=results, stateless=True), (200 if results else 404)


@bp.get("/v/<token>/report.pdf")
@limiter.limit(lambda: current_app.config["VERIFY_REPORT_LIMIT"])
def report(token: str):
    throttle(("VERIFY_LIMIT_PER_ADDRESS", f"address:{request.remote_addr}"))
    doc = issue_report(token, Requester.from_request("report"))
    if doc is None:
        return render_template("verify/token.html", results=[], stateless=True), 404
    response = send_file(io.BytesIO(read_document(doc)), mimetype="application/pdf", as_attachment=False,
                         download_name=f"职称证书核验报告{doc.number}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/verify/history")
@roles_required("person")
def history():
    # This process's buffered rows first, so a lookup made a moment ago is already listed.
    lookup_log.flush()
    rows, titles, next_before = history_page(current_user, request.args.get("before", type=int))
    return render_template("verify/history.html", rows=rows, titles=titles, next_before=next_before)


@bp.get("/verify/history.xlsx")
@roles_required("person")
def history_export():
    lookup_log.flush()
    return xlsx_response("证书核验记录", HISTORY_EXPORT_HEADERS, history_export_rows(current_user))


@bp.route("/verify/batch", methods=["GET", "POST"])
@roles_required("unit")
def batch():
    form = BatchForm()
    error = None
    if form.validate_on_submit():
        throttle(("VERIFY_BATCH_LIMIT", f"user:{current_user.id}"))
        limit = current_app.config["VERIFY_BATCH_MAX_MB"] * 1024 * 1024
        with form.file.data.stream as upload:  # a large upload is a temporary file: close it now
            data = upload.read(limit + 1)
        try:
            check_upload(data)  # the container checks only: reading the sheet is the worker's
        except BatchError as exc:
            error = str(exc)
        else:
            requester = Requester.from_request("batch", org_name=current_user.org.name if current_user.org else None)
            token, queued = batch_jobs.start(data, current_user.id, requester)
            if not queued:
                flash(batch_jobs.QUEUE_DELAYED, "warning")
            return redirect(url_for("verify.batch_job", token=token))
    return render_template("verify/batch.html", form=form, error=error,
                           max_rows=current_app.config["VERIFY_BATCH_MAX_ROWS"],
                           max_mb=current_app.config["VERIFY_BATCH_MAX_MB"])


@bp.get("/verify/batch/<token>")
@roles_required("unit")
def batch_job(token: str):
    job = batch_jobs.state(token, current_user.id)
    if job is None:
        abort(404)
    template = "verify/_batch_job.html" if request.headers.get("HX-Request") else "verify/batch_job.html"
    return render_template(template, job=job, token=token)


@bp.get("/verify/batch/<token>/result.xlsx")
@roles_required("unit")
def batch_result(token: str):
    job = batch_jobs.state(token, current_user.id)
    if job is None or job["status"] != "done":
        abort(404)
    return send_file(batch_jobs.result_path(token), mimetype=XLSX, as_attachment=True,
                     download_name=f"职称证书核验结果{clock.today():%Y%m%d}.xlsx")


@bp.get("/verify/batch/template.xlsx")
@roles_required("unit")
def batch_template():
    return send_file(io.BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="职称证书批量核验模板.xlsx")


@bp.post("/certificates/<int:cert_id>/revoke")
@roles_required(*REVOKER_ROLES)
def revoke_certificate(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(messages[0] if messages else "请填写撤销原因。", "error")
    else:
        error = revoke(cert, form.reason.data, form.version.data, current_user)
        if error:
            flash(error, "error")
        else:
            flash("证书已撤销，公开核验将显示“已撤销”及撤销原因。", "success")
    return redirect(url_for("records.certificate", cert_id=cert_id))


@bp.route("/verify/keys", methods=["GET", "POST"])
@roles_required("admin")
def api_keys():
    form = ApiKeyForm()
    new_key = None
    if form.validate_on_submit():
        key, new_key = issue_key(form.org_name.data, actor=current_user)
        flash(f"已为“{key.org_name}”签发接口密钥。密钥只显示这一次，请立即复制并安全地交给对方。", "success")
        form = ApiKeyForm(formdata=None)
    return render_template("verify/keys.html", form=form, keys=all_keys(), new_key=new_key)


@bp.get("/verify/keys.xlsx")
@roles_required("admin")
def api_keys_export():
    return xlsx_response("核验接口密钥", KEY_EXPORT_HEADERS, key_export_rows())


@bp.post("/verify/keys/<int:key_id>/revoke")
@roles_required("admin")
def revoke_api_key(key_id: int):
    key = db.get_or_404(ApiKey, key_id)
    revoke_key(key, actor=current_user)
    flash(f"已吊销“{key.org_name}”的接口密钥（{key.key_prefix}…），使用该密钥的请求将被拒绝。", "success")
    return redirect(url_for("verify.api_keys"))


@bp.app_template_global()
def verification_panel(cert: Certificate) -> dict:
    """What templates/verify/_certificate_panel.html shows on a certificate page."""
    holder = is_holder(current_user, cert) and cert.status == "approved" and bool(cert.verify_token)
    panel = {"holder": holder, "may_revoke": may_revoke(current_user, cert)}
    if holder:
        panel["url"] = verification_url(cert)
        panel["qr_svg"] = verification_qr_svg(cert)
    if panel["may_revoke"]:
        panel["form"] = RevokeForm(formdata=None, version=cert.version)
    return panel
