"""Entry forms. Choices are filled from the code tables per request; the rules that decide
whether a value is right are portal/domain/records.py's, which the inline check, the save and
the importer all call, so they say the same thing."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.labels import CERT_LABELS, PERSON_LABELS

IDENTITY_FIELDS = ("name", "sex", "id_type", "id_number", "birth_date")


def _text(name, max_length, **kwargs):
    return StringField(PERSON_LABELS.get(name) or CERT_LABELS[name],
                       validators=[Optional(), Length(max=max_length, message=f"不能超过{max_length}个字符")],
                       **kwargs)


def _select(name):
    return SelectField(PERSON_LABELS.get(name) or CERT_LABELS[name], choices=[], validate_choice=False)


class PersonForm(FlaskForm):
    name = _text("name", 50)
    id_type = _select("id_type")
    id_number = _text("id_number", 32)
    sex = _select("sex")
    birth_date = _text("birth_date", 20)
    employer_name = _text("employer_name", 128)
    unit_nature = _select("unit_nature")
    education = _select("education")
    degree = _select("degree")
    affiliation = _select("affiliation")
    social_security_no = _text("social_security_no", 32)
    phone = _text("phone", 32)
    email = _text("email", 128)


class CertificateForm(FlaskForm):
    version = HiddenField()
    cert_no = _text("cert_no", 64)
    series = _select("series")
    level = _select("level")
    title_name = _text("title_name", 128)
    obtain_method = _select("obtain_method")
    issue_date = _text("issue_date", 20)
    grant_date = _text("grant_date", 20)
    review_year = _text("review_year", 8)
    first_appointment_date = _text("first_appointment_date", 20)
    has_review_specialty = _select("has_review_specialty")
    review_specialty = _text("review_specialty", 128)
    local_review_specialty = _text("local_review_specialty", 128)
    issuing_authority = _text("issuing_authority", 128)
    review_committee_name = _text("review_committee_name", 128)
    evaluation_region_code = _text("evaluation_region_code", 32)
    issuing_region_code = _text("issuing_region_code", 32)
    approval_doc_no = _text("approval_doc_no", 128)
    approval_department = _text("approval_department", 128)
    handling_status = _select("handling_status")
    employer_at_grant = _text("employer_at_grant", 128)


class SubmitForm(FlaskForm):
    version = HiddenField()
    commitment = BooleanField("我已阅读并同意上述承诺")


class BulkAccountsForm(FlaskForm):
    lines = TextAreaField("人员名单", validators=[Length(max=40000, message="名单过长，请分批开通")])
