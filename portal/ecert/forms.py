from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from portal.letters.forms import LEVEL_CHOICES


class FilterForm(FlaskForm):
    """The office's selection of approved certificates: a GET filter, reading only, so no CSRF token."""

    class Meta:
        csrf = False

    level = SelectField("职称级别", choices=LEVEL_CHOICES, default="", validators=[Optional()],
                        invalid_choice_message="请从列表中选择")
    review_year = IntegerField("评审年度", validators=[Optional(), NumberRange(1950, 2100, "评审年度应为四位年份，如 2019")])
    overdue_only = BooleanField("只选逾期未签发的")


class BulkForm(FilterForm):
    """The same selection, posted to start the job."""

    class Meta:
        csrf = True


class IssueForm(FlaskForm):
    pass


class UseCopyForm(FlaskForm):
    # Checked by portal.domain.ecert.check_use_copy, so the form, the rules and their messages agree.
    purpose = StringField("用途", validators=[Optional()], render_kw={"maxlength": 30, "placeholder": "如：应聘日照市某医院"})
    valid_until = StringField("有效期至", validators=[Optional()], render_kw={"type": "date"})


class WithdrawForm(FlaskForm):
    pass
