"""Entry forms. Choices are filled from the code tables per request; the rules that decide
whether a value is right are portal/domain/records.py's, which the inline check, the save and
the importer all call, so they say the same thing."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

PERSON_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "birth_date": "出生日期",
    "employer_name": "现工作单位",
    "unit_nature": "单位性质",
    "education": "最高学历",
    "degree": "最高学位",
    "affiliation": "隶属关系",
    "social_security_no": "社保卡号",
    "phone": "手机号",
    "email": "邮箱",
}
IDENTITY_FIELDS = ("name", "sex", "id_type", "id_number", "birth_date")

CERT_LABELS = {
    "cert_no": "证书编号",
    "issue_date": "发证日期",
    "grant_date": "授予时间",
    "review_year": "评审年度",
    "first_appointment_date": "首次聘任时间",
    "series": "职称系列",
    "level": "职称级别",
    "title_name": "职称名称（资格名称）",
    "has_review_specialty": "评审活动是否设置评审专业",
    "review_specialty": "评审专业名称",
    "local_review_specialty": "本地评审专业名称",
    "issuing_authority": "发证机构",
    "review_committee_name": "评审机构（评委会名称）",
    "evaluation_region_code": "行政区划代码（评审机构所在地）",
    "issuing_region_code": "发证单位行政区",
    "approval_doc_no": "证书批文号（资格文件号）",
    "approval_department": "审批部门",
    "handling_status": "证书办理状态",
    "obtain_method": "取得方式",
    "employer_at_grant": "取得职称时工作单位",
}
# Evidence a reviewer may also ask to be redone when returning a record.
EVIDENCE_FIX_LABELS = {
    "evidence:certificate_scan": "证书扫描件",
    "evidence:qualification_doc": "资格文件",
    "evidence:review_form": "评审表/认定表",
    "evidence:photo": "照片",
}
FIX_LABELS = CERT_LABELS | EVIDENCE_FIX_LABELS


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
