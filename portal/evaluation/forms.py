"""Forms of the evaluation plan. Field-to-field rules (stage order, pass rate, levels) live in
portal/domain/evaluation.py; these forms only read what was typed."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.evaluation import REQUIREMENTS, STAGES, PlanInput
from portal.domain.titles import LEVELS
from portal.notices.forms import DateText, choices


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
