from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, login_required
from markupsafe import escape

from portal import uploads, workflow
from portal.access import get_scoped_or_404
from portal.domain.problems import ERROR
from portal.entry import services
from portal.entry.forms import IDENTITY_FIELDS, BulkAccountsForm, CertificateForm, PersonForm, SubmitForm
from portal.exports import xlsx_response
from portal.htmx import wants_fragment
from portal.labels import FIX_LABELS, PERSON_LABELS
from portal.models import Certificate, EvidenceFile, Person
from portal.models.evidence import EVIDENCE_KINDS
from portal.evidence import gaps_of
from portal.workflow import ENTRY_STATUSES, WorkflowError

bp = Blueprint("entry", __name__, url_prefix="/entry")


def _entrant_person(person_id: int) -> Person:
    """A person the current user may enter data for: themself, or a member of their unit."""
    person = get_scoped_or_404(Person, person_id)
    if current_user.role == "person" and current_user.person_id == person.id:
        return person
    if current_user.role == "unit" and current_user.org_id == person.org_id:
        return person
    abort(403)


def _unit_required():
    if current_user.role != "unit" or current_user.org is None:
        abort(403)


def _split(problems):
    errors, notes = {}, {}
    for p in problems:
        (errors if p.severity == ERROR else notes).setdefault(p.field, []).append(p.message)
    return errors, notes


def _field_feedback(problems, field: str):
    """Inline validation: just the text for one field (status 200, so htmx swaps it in)."""
    messages = [p.message if p.severity == ERROR else f"提示：{p.message}" for p in problems if p.field == field]
    return str(escape("；".join(messages)))


@bp.get("/")
@login_required
def index():
    if current_user.role == "person" and current_user.person_id:
        return redirect(url_for("entry.person", person_id=current_user.person_id))
    if current_user.role == "unit":
        return redirect(url_for("entry.staff"))
    return redirect(url_for("review.queue"))


# --- the unit's staff --------------------------------------------------------------------------

@bp.get("/staff")
@login_required
def staff():
    _unit_required()
    q = (request.args.get("q") or "").strip()[:32]
    page = services.staff_page(current_user, q, request.args.get("after", type=int))
    template = "entry/staff.html"
    if wants_fragment("staff-results"):
        template = "entry/_staff_results.html"
    elif wants_fragment():
        template = "entry/_staff_rows.html"
    return render_template(template, persons=page.persons, counts=page.counts, accounts=page.accounts, q=q,
                           next_after=page.next_after, pending=workflow.pending_count(current_user))


@bp.get("/staff/export.xlsx")
@login_required
def staff_export():
    _unit_required()
    q = (request.args.get("q") or "").strip()[:32]
    return xlsx_response("本单位人员", services.STAFF_EXPORT_HEADERS, services.staff_export_rows(current_user, q))


@bp.route("/staff/new", methods=["GET", "POST"])
@login_required
def new_person():
    _unit_required()
    return _person_form(None)


@bp.route("/staff/accounts", methods=["GET", "POST"])
@login_required
def accounts():
    _unit_required()
    form = BulkAccountsForm()
    lines, message = [], None
    if form.validate_on_submit():
        lines, message = services.create_accounts(current_user, form.lines.data)
        if message is None:
            flash(f"已开通{len(lines)}个账户。初始密码只显示这一次，请逐一告知本人并提醒登录后修改。", "success")
            return render_template("entry/accounts_done.html", lines=lines)
        flash(message, "error")
    elif form.errors:
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    return render_template("entry/accounts.html", form=form, lines=lines)


# --- one person ------------------------------------------------------------------------------------

@bp.get("/persons/<int:person_id>")
@login_required
def person(person_id: int):
    person = _entrant_person(person_id)
    certs = services.certificates_of(person)
    fixes = {c.id: [FIX_LABELS.get(f, f) for f in workflow.fix_fields_of_last_return(c.id)]
             for c in certs if c.status == "returned"}
    return render_template(
        "entry/person.html", person=person, certs=certs, fixes=fixes, evidence=workflow.evidence_of(person),
        gaps={c.id: gaps_of(c) for c in certs if c.status in ENTRY_STATUSES},
        kinds=EVIDENCE_KINDS, flags=workflow.blacklist_flags(person.id, person.org_id),
        commitment=workflow.COMMITMENT_TEXT,
        edit_refusal=lambda c: workflow.edit_refusal(c, current_user), identity_locked=services.identity_locked(
            person, current_user), campaign=workflow.campaign_for_org(person.org),
        trail=workflow.trail("person", person.id),
        labels=PERSON_LABELS | workflow.TRAIL_KEYS, fix_labels=FIX_LABELS)


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int):
    return _person_form(_entrant_person(person_id))


def _person_form(person: Person | None):
    locked = services.identity_locked(person, current_user)
    form = PersonForm(data=services.person_form_data(person) if person is not None and request.method == "GET"
                      else None)
    services.fill_person_choices(form)
    action = url_for("entry.edit_person", person_id=person.id) if person is not None else url_for("entry.new_person")
    errors, notes = {}, {}
    if request.method == "POST":
        data = services.person_input(request.form, person, locked)
        # An inline check of another field shows nothing of the registry: no lookup spent on it.
        values, problems = services.check_person(data, person, locked, current_user,
                                                 registry=request.form.get("validate", "id_number") == "id_number")
        if "validate" in request.form:
            return _field_feedback(problems, request.form["validate"])
        errors, notes = _split(problems)
        if form.validate() and not errors:
            if locked:
                values = {k: v for k, v in values.items() if k not in IDENTITY_FIELDS}
            saved = services.save_person(person, values, current_user, current_user.org if person is None
                                         else person.org)
            flash("基本信息已保存。", "success")
            return redirect(url_for("entry.person", person_id=saved.id))
        for name, field_errors in form.errors.items():
            errors.setdefault(name, []).extend(field_errors)
        flash("基本信息有误，未保存；请按提示修改。", "error")
    if person is None and request.method == "GET":
        form.employer_name.data = current_user.org.name
    return render_template("entry/person_form.html", form=form, person=person, action=action, errors=errors,
                           notes=notes, locked=locked, identity_fields=IDENTITY_FIELDS)


# --- certificates ----------------------------------------------------------------------------------

@bp.route("/persons/<int:person_id>/certificates/new", methods=["GET", "POST"])
@login_required
def new_certificate(person_id: int):
    return _certificate_form(_entrant_person(person_id), None)


@bp.route("/certificates/<int:cert_id>/edit", methods=["GET", "POST"])
@login_required
def edit_certificate(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    person = _entrant_person(cert.person_id)
    return _certificate_form(person, cert)


def _certificate_form(person: Person, cert: Certificate | None):
    refusal = workflow.edit_refusal(cert, current_user) if cert is not None else None
    form = CertificateForm(data=services.certificate_form_data(cert) | {"version": cert.version}
                           if cert is not None and request.method == "GET" else None)
    services.fill_certificate_choices(form)
    action = (url_for("entry.edit_certificate", cert_id=cert.id) if cert is not None
              else url_for("entry.new_certificate", person_id=person.id))
    campaign = workflow.campaign_of(cert) if cert is not None else workflow.campaign_for_org(person.org)
    errors, notes = {}, {}
    if request.method == "POST":
        values, problems = services.check_certificate(request.form, person, cert, campaign)
        if "validate" in request.form:
            return _field_feedback(problems, request.form["validate"])
        if refusal:
            flash(f"未保存：{refusal}", "error")
            return redirect(url_for("entry.person", person_id=person.id))
        errors, notes = _split(problems)
        if form.validate() and not errors:
            try:
                saved = services.save_certificate(cert, person, values, current_user, request.form.get("version"))
            except WorkflowError as refused:
                flash(refused.message, "error")
                return redirect(url_for("entry.person", person_id=person.id))
            flash("职称信息已保存为草稿。请在下方上传佐证材料，确认无误后回到填报页提交审核。" if cert is None else "职称信息已保存。", "success")
            return redirect(url_for("entry.edit_certificate", cert_id=saved.id))
        for name, field_errors in form.errors.items():
            errors.setdefault(name, []).extend(field_errors)
        flash("职称信息有误，未保存；请按提示修改。", "error")
    fixes = workflow.fix_fields_of_last_return(cert.id) if cert is not None and cert.status == "returned" else []
    evidence = workflow.evidence_of(person) if cert is not None else {}
    return render_template(
        "entry/certificate_form.html", form=form, person=person, cert=cert, action=action, errors=errors,
        notes=notes, refusal=refusal, title_names=services.title_names(), fixes=fixes, fix_labels=FIX_LABELS,
        evidence=evidence, kinds={k: v for k, v in EVIDENCE_KINDS.items() if k != "photo"},
        campaign=campaign, deadlines=workflow.deadlines_of(campaign))


@bp.post("/certificates/<int:cert_id>/submit")
@login_required
def submit(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    form = SubmitForm()
    try:
        cert = workflow.submit(cert.id, current_user, form.version.data, bool(form.commitment.data))
    except WorkflowError as refused:
        flash(refused.message, "error")
    else:
        flash(f"已提交，当前状态：{cert.status_label}。审核结果会显示在本页。", "success")
        gaps = gaps_of(cert)
        if gaps.missing:
            flash(f"提醒：该证书尚未上传{'、'.join(gaps.missing_labels)}，审核人员可能因材料不全退回。", "warning")
    return redirect(url_for("entry.person", person_id=cert.person_id))


# --- evidence ---------------------------------------------------------------------------------------

def _upload(person: Person, cert: Certificate | None, kind: str):
    upload = request.files.get("file")
    # A certificate's evidence page reopens at its upload box, so the result is shown there.
    prefix = "evidence-" if cert is not None else ""
    try:
        filename, data = uploads.read_upload(upload)
        saved = services.add_evidence(current_user, person, cert, kind, filename, data)
    except uploads.UploadRejected as rejected:
        flash(f"“{upload.filename}”未上传：{rejected}", prefix + "error")
    except WorkflowError as refused:
        flash(refused.message, prefix + "error")
    else:
        flash(f"已上传{EVIDENCE_KINDS[kind]}“{saved.filename}”（SHA-256 {saved.sha256[:12]}…）。", prefix + "success")


@bp.post("/certificates/<int:cert_id>/evidence")
@login_required
def upload_evidence(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    person = _entrant_person(cert.person_id)
    _upload(person, cert, request.form.get("kind", ""))
    return redirect(url_for("entry.edit_certificate", cert_id=cert.id) + "#evidence")


@bp.post("/persons/<int:person_id>/photo")
@login_required
def upload_photo(person_id: int):
    person = _entrant_person(person_id)
    _upload(person, None, "photo")
    return redirect(url_for("entry.person", person_id=person.id))


@bp.get("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int):
    """Only the person and reviewers whose scope covers the person get the file (404 otherwise)."""
    item = get_scoped_or_404(EvidenceFile, evidence_id)
    try:
        path = uploads.open_stored(item.storage_path)
    except FileNotFoundError:
        abort(404)
    if not path.exists():
        current_app.logger.error("evidence file %s missing from the upload directory", item.id)
        abort(404)
    # Only images are shown inline (in an <img>, which runs nothing); a PDF is always a download,
    # so no viewer inside the portal's origin ever runs what a file may carry.
    inline = item.content_type.startswith("image/") and request.args.get("download") != "1"
    response = send_file(path, mimetype=item.content_type, as_attachment=not inline,
                         download_name=item.filename, conditional=True, etag=item.sha256)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
