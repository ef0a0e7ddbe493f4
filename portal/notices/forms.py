from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal import clock
from portal.domain.dates import parse_date
from portal.domain.names import check_person_name
from portal.domain.problems import has_errors
from portal.domain.records import check_phone
from portal.notices.services import MAX_DAYS, MIN_DAYS
from portal.notices.workdays import MAX_RANGE_DAYS


NOT_A_CHOICE = "请从列表中选择"


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class DateText(StringField):
    """A date typed or picked as text, read by the project's one date parser."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("type", "date")
        super().__init__(label, validators, **kwargs)
        self.date = None

    def pre_validate(self, form):
        result = parse_date(self.data, field=self.name)
        if has_errors(result.problems):
            raise ValidationError(result.problems[0].message)
        self.date = result.value


class NoticeForm(FlaskForm):
    title = StringField("公示标题", validators=[DataRequired("请填写公示标题"), Length(max=200)])
    body = TextAreaField("公示正文", validators=[DataRequired("请填写公示正文"), Length(max=5000)],
                         render_kw={"rows": 6})
    contact = StringField("受理异议联系人及电话", validators=[DataRequired("请填写联系人及电话"), Length(max=200)])
    start_date = DateText("公示开始日期", validators=[DataRequired("请选择公示开始日期")])
    days = IntegerField("公示期（工作日）", default=MIN_DAYS, validators=[
        DataRequired("请填写公示期"),
        NumberRange(MIN_DAYS, MAX_DAYS, f"公示期不得少于{MIN_DAYS}个工作日，且不超过{MAX_DAYS}个工作日")])
    corrects_id = SelectField("更正以前的公示", coerce=int, default=0, invalid_choice_message=NOT_A_CHOICE)
    series = SelectField("职称系列", default="", validators=[Optional()], invalid_choice_message=NOT_A_CHOICE)
    level = SelectField("职称级别", default="", validators=[Optional()], invalid_choice_message=NOT_A_CHOICE)
    selection = RadioField("公示名单", default="all", invalid_choice_message=NOT_A_CHOICE, choices=choices([
        ("all", "全部符合条件的记录"), ("picked", "仅下方勾选的记录")]))

    def validate_start_date(self, field):
        if field.date is not None and field.date < clock.today():
            raise ValidationError("公示开始日期不能早于今天")


class ObjectionForm(FlaskForm):
    entry_id = SelectField("被异议人员", coerce=int, validators=[DataRequired("请选择被异议的人员")],
                           invalid_choice_message="请选择被异议的人员")
    name = StringField("您的真实姓名", validators=[DataRequired("异议须署真实姓名"), Length(max=50)])
    phone = StringField("联系电话", validators=[DataRequired("异议须留联系电话"), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    grounds = TextAreaField("异议事实和理由", render_kw={"rows": 6}, validators=[
        DataRequired("请填写异议事实和理由"), Length(10, 2000, "异议事实和理由应为10至2000字")])
    evidence = FileField("证明材料（可选，PDF，不超过 2 MB）", render_kw={"accept": "application/pdf"})

    def validate_name(self, field):
        name, problems = check_person_name(field.data, field="name")
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ValidationError(errors[0].message)
        field.data = name

    def validate_phone(self, field):
        _, problems = check_phone(field.data)
        if problems:
            raise ValidationError(problems[0].message)


class ResolveForm(FlaskForm):
    decision = RadioField("处理结果", invalid_choice_message=NOT_A_CHOICE, choices=choices([("upheld", "异议成立"), ("dismissed", "异议不成立")]),
                          validators=[DataRequired("请选择处理结果")])
    outcome = RadioField("异议成立时的处理", invalid_choice_message=NOT_A_CHOICE, choices=choices([("returned", "退回修改"), ("cancelled", "取消该记录")]),
                         validators=[Optional()])
    reason = TextAreaField("处理意见（异议人凭回执可见）", render_kw={"rows": 3}, validators=[
        DataRequired("请填写处理意见"), Length(max=2000)])


class ReceiptForm(FlaskForm):
    code = StringField("回执码", validators=[DataRequired("请输入回执码"), Length(max=64)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})


class WorkdayForm(FlaskForm):
    first = DateText("日期（起）", validators=[DataRequired("请选择日期")])
    last = DateText("至（可选，录入连续多天）", validators=[Optional()])
    kind = RadioField("类型", default="holiday", invalid_choice_message=NOT_A_CHOICE, choices=choices([("holiday", "放假（不计工作日）"),
                                                                 ("workday", "调休上班（计工作日）")]))
    note = StringField("说明", validators=[Optional(), Length(max=64)], render_kw={"placeholder": "如：春节、国庆节调休"})

    def validate_last(self, field):
        first, last = self.first.date, field.date
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError("结束日期不能早于开始日期")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"一次最多录入{MAX_RANGE_DAYS}天")
