from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.domain.records import check_phone
from portal.domain.titles import LEVELS

LEVEL_CHOICES = [SelectChoice("", "全部级别"), *(SelectChoice(level, level) for level in LEVELS)]


def _phone(form, field):
    _, problems = check_phone(field.data)
    if problems:
        raise ValidationError(problems[0].message)


class BatchFields(FlaskForm):
    """Which part of the batch a document covers."""

    level = SelectField("职称级别", choices=LEVEL_CHOICES, default="", validators=[Optional()],
                        invalid_choice_message="请从列表中选择")
    review_year = IntegerField("评审年度", validators=[
        Optional(), NumberRange(1950, 2100, "评审年度应为四位年份，如 2019")])


class BatchForm(BatchFields):
    """The GET filter of the letters page: reading only, so no CSRF token."""

    class Meta:
        csrf = False


class UnitLetterForm(BatchFields):
    contact_person = StringField("经办人员", validators=[DataRequired("请填写经办人员姓名"), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[DataRequired("请填写经办人员的联系电话"), Length(max=32), _phone])
    office_phone = StringField("办公电话", validators=[Optional(), Length(max=32), _phone])


class ReviewSheetForm(BatchFields):
    pass


class IndividualLetterForm(FlaskForm):
    committed = BooleanField("本人已阅读上述承诺，并保证所提交的职称信息真实、准确、完整",
                             validators=[DataRequired("请阅读并勾选承诺后再出具承诺书")])


class CredentialUploadForm(FlaskForm):
    file = FileField("证书文件（PKCS#12：.p12 或 .pfx）")
    passphrase = PasswordField("证书口令", validators=[Length(max=256)])


class IssueCredentialForm(FlaskForm):
    """Asks the portal CA for a new certificate; the CSRF token is its only field."""


class VerifyForm(FlaskForm):
    file = FileField("待核验的 PDF 文件")
