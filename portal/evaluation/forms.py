"""Forms of the evaluation plan. Field-to-field rules (stage order, pass rate, levels) live in
portal/domain/evaluation.py; these forms only read what was typed."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.evaluation import EXCEPTIONAL_CONDITIONS, REQUIREMENTS, ROUTES, STAGES, PlanInput
from portal.evaluation.applications import ApplicationInput
from portal.domain.titles import LEVELS
from portal.notices.forms import DateText, choices
from portal.notices.services import MAX_DAYS, MIN_DAYS


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _stage(key: str, end: bool) -> DateText:
    return DateText(f"{STAGES[key]}{'结束' if end else '开始'}", validators=[Optional()])


class PlanForm(FlaskForm):
    year = IntegerField("评审年度", validators=[InputRequired("请填写评审年度")])
    title = StringField("部署文标题", validators=[DataRequired("请填写部署文标题"), Length(max=200)])
    series = SelectField("职称系列", validate_choice=False)
    levels = CheckboxList("评审级别", choices=choices((level, level) for level in LEVELS), validate_choice=False)
    committee_id = SelectField("评审委员会", coerce=int, validate_choice=False)
    pass_rate = IntegerField("通过率上限（%）", validators=[InputRequired("请填写通过率上限")])
    deployment_text = TextAreaField("部署文正文", validators=[DataRequired("请填写部署文正文"), Length(max=20000)],
                                    render_kw={"rows": 10})

    for _key in STAGES:
        locals()[f"{_key}_start"] = _stage(_key, end=False)
        locals()[f"{_key}_end"] = _stage(_key, end=True)
    del _key

    def stage_fields(self):
        return [(STAGES[key], self[f"{key}_start"], self[f"{key}_end"]) for key in STAGES]

    def values(self, org_id: int) -> PlanInput:
        return PlanInput(
            org_id=org_id, year=self.year.data, title=self.title.data.strip(), series=self.series.data,
            levels=list(self.levels.data or []), committee_id=self.committee_id.data or None,
            pass_rate=self.pass_rate.data, deployment_text=self.deployment_text.data.strip(),
            stages={key: (self[f"{key}_start"].date, self[f"{key}_end"].date) for key in STAGES})

    def attach(self, problems) -> None:
        for problem in problems:
            self[problem.field].errors.append(problem.message)


class ChecklistItemForm(FlaskForm):
    level = SelectField("级别", validate_choice=False)
    requirement = SelectField("要求", choices=choices(REQUIREMENTS.items()), validate_choice=False)
    name = StringField("材料名称", validators=[Length(max=200)])
    note = StringField("说明", validators=[Optional(), Length(max=500)])


class ApplicationForm(FlaskForm):
    """What the applicant types; every rule about it is in portal/domain/evaluation.py."""

    level = SelectField("申报级别", validate_choice=False)
    title_name = SelectField("申报职称名称", validate_choice=False)
    specialty = StringField("申报专业", validators=[DataRequired("请填写申报专业"), Length(max=128)])
    route = SelectField("申报方式", choices=choices(ROUTES.items()), validate_choice=False)
    exceptional_condition = SelectField("破格条件", validate_choice=False,
                                        choices=choices([("", "（非破格申报）")] + list(EXCEPTIONAL_CONDITIONS.items())))
    current_certificate_id = SelectField("现有职称（本人已审核通过的证书，免交证书材料）", validate_choice=False)
    current_level = SelectField("或填写现有职称级别", validate_choice=False,
                                choices=choices([("", "（无或已选证书）")] + [(lv, lv) for lv in LEVELS]))
    current_title_name = StringField("现有职称名称", validators=[Optional(), Length(max=128)])
    education = SelectField("最高学历", validate_choice=False)
    chsi_no = StringField("学历证书编号（学信网核验）", validators=[Optional(), Length(max=32)])
    work_history = TextAreaField("工作经历", validators=[Optional(), Length(max=5000)], render_kw={"rows": 4})
    public_hours = IntegerField("本年度公需科目学时", validators=[Optional()])
    professional_hours = IntegerField("本年度专业科目学时", validators=[Optional()])

    def values(self) -> ApplicationInput:
        cert = self.current_certificate_id.data
        return ApplicationInput(
            level=self.level.data, specialty=(self.specialty.data or "").strip(), route=self.route.data,
            exceptional_condition=self.exceptional_condition.data or None,
            current_certificate_id=int(cert) if cert and cert.isdigit() else None,
            current_level=self.current_level.data or None,
            current_title_name=(self.current_title_name.data or "").strip() or None,
            education=self.education.data or None, chsi_no=(self.chsi_no.data or "").strip() or None,
            work_history=(self.work_history.data or "").strip() or None,
            public_hours=self.public_hours.data, professional_hours=self.professional_hours.data,
            title_name=self.title_name.data or None)

    def attach(self, problems) -> list[str]:
        """Show problems under their fields; returns those that belong to no field."""
        loose = []
        for problem in problems:
            if problem.field in self._fields:
                self[problem.field].errors.append(problem.message)
            else:
                loose.append(problem.message)
        return loose


class ApplicationNoticeForm(FlaskForm):
    """The unit's notice of its applicants (申报人员公示); the period rules are the notices' own."""

    title = StringField("公示标题", validators=[DataRequired("请填写公示标题"), Length(max=200)])
    body = TextAreaField("公示正文", validators=[DataRequired("请填写公示正文"), Length(max=5000)],
                         render_kw={"rows": 5})
    contact = StringField("受理异议联系人及电话", validators=[DataRequired("请填写联系人及电话"), Length(max=200)])
    start_date = DateText("公示开始日期", validators=[DataRequired("请选择公示开始日期")])
    days = IntegerField("公示期（工作日）", default=MIN_DAYS, validators=[
        DataRequired("请填写公示期"),
        NumberRange(MIN_DAYS, MAX_DAYS, f"公示期不得少于{MIN_DAYS}个工作日，且不超过{MAX_DAYS}个工作日")])
