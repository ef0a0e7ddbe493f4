from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from portal.access import get_scoped_or_404
from portal.domain.idnumber import mask_id
from portal.domain.workflow import STATUSES
from portal.htmx import wants_fragment
from portal.models import Certificate, Person
from portal.records.services import certificate_page

bp = Blueprint("records", __name__)


@bp.get("/certificates")
@login_required
def certificates():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    after = request.args.get("after", type=int)
    rows, persons, next_after = certificate_page(current_user, after, status)
    template = "records/certificates.html"
    if wants_fragment():
        template = "records/_certificate_rows.html"
    return render_template(template, rows=rows, persons=persons, next_after=next_after,
                           status=status, statuses=STATUSES, mask_id=mask_id)


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
