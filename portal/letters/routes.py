"""Commitment letters and sign-off sheets (internal), the public document pages and the signature check."""
from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import quote

import click
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from portal import clock
from portal.access import permitted, scoped
from portal.documents.signing import CA_CERT_FILE
from portal.exports import xlsx_response
from portal.extensions import csrf, db, limiter
from portal.htmx import wants_fragment
from portal.letters import credentials, services
from portal.letters.forms import (BatchForm, CredentialUploadForm, IndividualLetterForm, IssueCredentialForm,
                                  ReviewSheetForm, UnitLetterForm, VerifyForm)
from portal.models import IssuedDocument, Organization

bp = Blueprint("letters", __name__, cli_group=None)

VERIFY_MAX_MB = 20
# Multipart framing around the file: a request this much over the file limit is still fine.
MULTIPART_ALLOWANCE = 64 * 1024


def _verify_limit() -> str:
    return current_app.config.get("DOCUMENT_VERIFY_RATE_LIMIT", "10 per minute;200 per day")


def _verify_max_bytes() -> int:
    return int(current_app.config.get("DOCUMENT_VERIFY_MAX_MB", VERIFY_MAX_MB)) * 1024 * 1024




org_issuer_required = permitted(services.may_issue_for_org)


def _filter_of(form) -> services.BatchFilter:
    return services.BatchFilter(level=form.level.data or None, review_year=form.review_year.data or None)


def _filter_args(flt: services.BatchFilter) -> dict:
    return {key: value for key, value in flt.as_dict().items() if value}


# ---------------------------------------------------------------- internal pages


@bp.get("/letters")
@login_required
def index():
    context = {"documents": services.documents_of(current_user)}
    if services.may_issue_for_org(current_user):
        return _org_page(BatchForm(request.args), **context)
    if services.may_issue_individual(current_user):
        return render_template("letters/person.html", form=IndividualLetterForm(),
                               certificates=services.submitted_certificates(current_user), **context)
    return render_template("letters/documents.html", **context)


def _org_page(batch_form: BatchForm, letter_form: UnitLetterForm | None = None,
              sheet_form: ReviewSheetForm | None = None, **context):
    org = current_user.org
    flt = _filter_of(batch_form) if batch_form.validate() else services.BatchFilter()
    summary = services.summarize(services.batch_query(org, current_user, flt))
    label = services.batch_label(org, flt, clock.today())
    if wants_fragment() and request.method == "GET":
        return render_template("letters/_batch.html", summary=summary, label=label, flt=flt, batch_form=batch_form)
    if letter_form is None:
        letter_form = UnitLetterForm(data={"contact_person": org.contact_person, "contact_phone": org.contact_phone,
                                           "office_phone": org.office_phone, **flt.as_dict()})
    sheet_form = sheet_form or ReviewSheetForm(data=flt.as_dict())
    return render_template(
        "letters/index.html", org=org, summary=summary, label=label, flt=flt, batch_form=batch_form,
        letter_form=letter_form, sheet_form=sheet_form, sheet_max=services.SHEET_MAX_RECORDS,
        credential=credentials.describe(credentials.credential_of(org)), **context)


@bp.post("/letters/unit")
@org_issuer_required
def issue_unit_letter():
    form = UnitLetterForm()
    if not form.validate_on_submit():
        return _org_page(BatchForm(data={"level": form.level.data, "review_year": form.review_year.data}),
                         letter_form=form, documents=services.documents_of(current_user))
    org = current_user.org
    flt = _filter_of(form)
    services.save_contact(org, services.Contact(form.contact_person.data.strip(), form.contact_phone.data.strip(),
                                                (form.office_phone.data or "").strip() or None), current_user)
    db.session.commit()
    return _issued(lambda: services.issue_unit_letter(org, current_user, flt), flt)


@bp.post("/letters/review-sheet")
@org_issuer_required
def issue_review_sheet():
    form = ReviewSheetForm()
    if not form.validate_on_submit():
        return _org_page(BatchForm(data={"level": form.level.data, "review_year": form.review_year.data}),
                         sheet_form=form, documents=services.documents_of(current_user))
    flt = _filter_of(form)
    return _issued(lambda: services.issue_review_sheet(current_user.org, current_user, flt), flt)


@bp.post("/letters/individual")
@login_required
def issue_individual_letter():
    if not services.may_issue_individual(current_user):
        abort(403)
    form = IndividualLetterForm()
    if not form.validate_on_submit():
        return render_template("letters/person.html", form=form, documents=services.documents_of(current_user),
                               certificates=services.submitted_certificates(current_user))
    return _issued(lambda: services.issue_individual_letter(current_user), services.BatchFilter())


def _issued(issue, flt: services.BatchFilter):
    try:
        doc = issue()
    except services.LetterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("letters.index", **_filter_args(flt)))
    flash(f"已出具{doc.kind_label}（编号 {doc.number}），并加盖电子签章。", "success")
    return redirect(url_for("letters.document", number=doc.number))


def _own_document_or_404(number: str) -> IssuedDocument:
    doc = db.session.scalar(scoped(IssuedDocument).where(IssuedDocument.number == number))
    if doc is None:
        abort(404)
    return doc


@bp.get("/letters/documents.xlsx")
@login_required
def export():
    return xlsx_response("已出具的文件", services.DOCUMENT_EXPORT_HEADERS, services.document_export_rows(current_user))


@bp.get("/letters/documents/<number>")
@login_required
def document(number: str):
    doc = _own_document_or_404(number)
    return render_template("letters/document.html", doc=doc, public_url=services.public_url(doc.number))


@bp.get("/letters/documents/<number>.pdf")
@login_required
def download(number: str):
    doc = _own_document_or_404(number)
    try:
        data = services.read_document(doc)
    except FileNotFoundError:
        current_app.logger.error("document file missing: %s", services.document_path(doc))
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{doc.number}.pdf")
    # The plain name keeps the ASCII number; browsers that read filename* get the Chinese title too.
    response.headers["Content-Disposition"] = (
        f"attachment; filename={doc.number}.pdf; filename*=UTF-8''{quote(f'{doc.kind_label}-{doc.number}.pdf')}")
    return response


@bp.route("/letters/credential", methods=["GET", "POST"])
@org_issuer_required
def credential():
    org = current_user.org
    form = CredentialUploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(credentials.MAX_PKCS12_BYTES + 1) if upload else b""
        try:
            credentials.upload_credential(org, data, (form.passphrase.data or "").encode(), current_user)
        except credentials.CredentialError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash("已保存本单位的签章证书；此后出具的文件将使用该证书签章。证书口令未被保存。", "success")
            return redirect(url_for("letters.credential"))
    return render_template("letters/credential.html", org=org, form=form, issue_form=IssueCredentialForm(),
                           error=error, credential=credentials.describe(credentials.credential_of(org)),
                           ca_fingerprint=credentials.fingerprint(credentials.portal_ca().certificate))


@bp.post("/letters/credential/issue")
@org_issuer_required
def issue_credential():
    if not IssueCredentialForm().validate_on_submit():
        abort(400)
    credentials.issue_from_portal_ca(current_user.org, current_user)
    db.session.commit()
    flash("平台 CA 已为本单位签发新的签章证书（有效期 3 年）。", "success")
    return redirect(url_for("letters.credential"))


# ---------------------------------------------------------------- public pages (no login)


@bp.get("/documents/ca.pem")
def ca_certificate():
    ca = credentials.portal_ca()
    response = current_app.response_class(ca.certificate_pem(), mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = "attachment; filename=portal-ca.pem"
    return response


@bp.route("/documents/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
@csrf.exempt
def verify():
    """Anyone checks a PDF's signature. Exempt from CSRF: it changes nothing and needs no session,
    and skipping the token check lets an oversized upload be refused before it is read."""
    form = VerifyForm(meta={"csrf": False})
    max_bytes = _verify_max_bytes()
    report = error = None
    if request.method == "POST":
        if (request.content_length or 0) > max_bytes + MULTIPART_ALLOWANCE:
            error = f"文件过大：可核验的 PDF 文件最大 {max_bytes // (1024 * 1024)} MB。"
        else:
            request.max_content_length = max_bytes + MULTIPART_ALLOWANCE
            try:
                upload = request.files.get("file")
                data = upload.read(max_bytes + 1) if upload else b""
                report = services.check_upload(data, max_bytes)
            except RequestEntityTooLarge:
                error = f"文件过大：可核验的 PDF 文件最大 {max_bytes // (1024 * 1024)} MB。"
            except services.UploadProblem as exc:
                error = str(exc)
    return render_template("letters/verify.html", form=form, report=report, error=error,
                           max_mb=max_bytes // (1024 * 1024),
                           roots=[(root.label, credentials.fingerprint(root.certificate))
                                  for root in credentials.trust_roots()])


@bp.get("/documents/lookup")
@limiter.limit("60 per minute")
def find_document():
    """The home page's 文书核验 box: a number typed from a paper copy."""
    number = (request.args.get("number") or "").strip().upper()
    if services.by_number(number) is None:
        return render_template("errors/error.html", code=404, title="未找到该文书",
                               message="没有编号为该值的文书。请核对纸质文件右上角的文书编号（区分字母与数字），"
                                       "或上传电子文件核验签章。"), 404
    return redirect(url_for("letters.public_document", number=number))


@bp.get("/documents/<number>")
@limiter.limit("60 per minute")
def public_document(number: str):
    doc = services.by_number(number)
    if doc is None:
        abort(404)
    return render_template("letters/public_document.html", doc=doc)


# ---------------------------------------------------------------- command line


@bp.cli.command("commitment-letter")
@click.option("--org", "org_code", required=True, help="单位代码（organizations.code）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="输出的 PDF 文件")
@click.option("--level", type=click.Choice(["正高级", "副高级", "中级", "初级"]), help="只涵盖该职称级别")
@click.option("--review-year", type=click.IntRange(1950, 2100), help="只涵盖该评审年度")
def commitment_letter(org_code: str, out: Path, level: str | None, review_year: int | None):
    """Issue the unit's signed 数据上报承诺书 over its current batch and write it to --out."""
    org = db.session.scalar(select(Organization).where(Organization.code == org_code))
    if org is None:
        raise click.ClickException(f"没有代码为 {org_code} 的单位")
    account = services.account_of(org)
    if account is None:
        raise click.ClickException(f"单位“{org.name}”还没有平台账号，承诺书需写明本单位账号")
    try:
        doc = services.issue_unit_letter(org, account, services.BatchFilter(level, review_year))
    except services.LetterError as exc:
        raise click.ClickException(str(exc)) from None
    out.write_bytes(services.read_document(doc))
    click.echo(f"已出具“{org.name}”的数据上报承诺书：编号 {doc.number}，"
               f"涵盖 {doc.covers['total_persons']} 人 {doc.covers['total_certificates']} 条证书。")
    click.echo(f"SHA-256 {doc.sha256}")
    click.echo(f"核对地址 {services.public_url(doc.number)}")
    click.echo(f"已写入 {out}")


@bp.cli.command("signing-ca")
def signing_ca():
    """Create the portal CA on first run (key kept in instance/ca or CA_DIR) and show its certificate."""
    ca = credentials.portal_ca()
    click.echo(f"平台 CA 目录 {ca.directory}（私钥文件权限 0600，不入数据库）")
    click.echo(f"证书 {ca.directory / CA_CERT_FILE}")
    click.echo(f"SHA-256 指纹 {credentials.fingerprint(ca.certificate)}")
    click.echo("公开下载地址 " + current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/documents/ca.pem")
