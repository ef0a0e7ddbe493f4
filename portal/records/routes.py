from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from portal.access import get_scoped_or_404
from portal.domain.idnumber import mask_id
from portal.domain.workflow import STATUSES
from portal.exports import xlsx_response
from portal.htmx import wants_fragment
from portal.models import Certificate, Person
from portal.records.services import EXPORT_HEADERS, certificate_export_rows, certificate_page

bp = Blueprint("records", __name__)


def _filters() -> tuple[str | None, str]:
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    return status, (request.args.get("q") or "").strip()[:64]


@bp.get("/certificates")
@login_required
def certificates():
    status, q = _filters()
    rows, persons, next_after = certificate_page(current_user, request.args.get("after", type=int), status, q)
    template = "records/_certificate_rows.html" if wants_fragment() else "records/certificates.html"
    return render_template(template, rows=rows, persons=persons, next_after=next_after,
                           status=status, q=q, statuses=STATUSES, mask_id=mask_id)


@bp.get("/certificates/export.xlsx")
@login_required
def export():
    status, q = _filters()
    return xlsx_response("证书信息", EXPORT_HEADERS, certificate_export_rows(current_user, status, q))


@bp.get("/certificates/<int:cert_id>")
@login_required
def certificate(cert_id: int):
    cert = get_scoped_or_404(Certificate, cert_id)
    return render_template("records/certificate.html", cert=cert, person=cert.person)


@bp.get("/persons/<int:person_id>")
@login_required
def person(person_id: int):
    person = get_scoped_or_404(Person, person_id)
    return render_template("records/person.html", person=person)
