"""The campaign form. Dates go through the project's one date parser (DateText); the rules that
relate fields to each other (window order, deadline order) live in campaigns/services.py."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.campaigns.services import LEVEL_ORDER, LEVEL_SHORT_NAMES, CampaignInput
from portal.notices.forms import DateText
from portal.notices.services import MAX_DAYS, MIN_DAYS
from portal.workflow import DEADLINE_LEVELS


def _deadline(level: str) -> DateText:
    return DateText(f"{LEVEL_SHORT_NAMES[level]}（{DEADLINE_LEVELS[level]}）", validators=[Optional()])


class CampaignForm(FlaskForm):
    org_id = SelectField("负责机构", coerce=int, invalid_choice_message="请从列表中选择负责机构")
    name = StringField("任务名称", validators=[
        DataRequired("请填写任务名称"), Length(max=128, message="任务名称不能超过128个字符")])
    description = TextAreaField("说明", validators=[Optional(), Length(max=2000, message="说明不能超过2000个字符")],
                                render_kw={"rows": 3})
    window_start = DateText("采集范围：授予（发证）日期自", validators=[Optional()])
    window_end = DateText("至", validators=[Optional()])
    exclude_exam_only = BooleanField("不收集以考代评取得的初、中级职称（卫生、经济、会计、统计、审计等）", default=True)
    exclude_electronic = BooleanField("不收集已发放电子证书的职称", default=True)
    exclude_other_province = BooleanField("不收集外省取得的职称", default=True)
    notice_days = IntegerField("公示期（工作日）", default=MIN_DAYS, validators=[
        InputRequired("请填写公示期"),
        NumberRange(MIN_DAYS, MAX_DAYS, f"公示期不得少于{MIN_DAYS}个工作日，且不超过{MAX_DAYS}个工作日")])
    is_open = BooleanField("开启：下级单位和人员按本任务填报、审核", default=True)

    deadline_person = _deadline("person")
    deadline_unit_review = _deadline("unit_review")
    deadline_department_review = _deadline("department_review")
    deadline_county_review = _deadline("county_review")
    deadline_city_review = _deadline("city_review")
    deadline_province_review = _deadline("province_review")

    def deadline_fields(self):
        return [self[f"deadline_{level}"] for level in LEVEL_ORDER]

    def values(self, org_id: int) -> CampaignInput:
        """The validated input; call after validate()."""
        return CampaignInput(
            org_id=org_id,
            name=self.name.data.strip(),
            description=(self.description.data or "").strip() or None,
            window_start=self.window_start.date,
            window_end=self.window_end.date,
            exclude_exam_only=self.exclude_exam_only.data,
            exclude_electronic=self.exclude_electronic.data,
            exclude_other_province=self.exclude_other_province.data,
            notice_days=self.notice_days.data,
            is_open=self.is_open.data,
            deadlines={level: self[f"deadline_{level}"].date for level in LEVEL_ORDER
                       if self[f"deadline_{level}"].date is not None},
        )

    def attach(self, problems) -> None:
        """Show the services' problems under the fields they concern."""
        for problem in problems:
            self[problem.field].errors.append(problem.message)
