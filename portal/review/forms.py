from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class ApproveForm(FlaskForm):
    version = HiddenField()


class ReturnForm(FlaskForm):
    version = HiddenField()
    target = SelectField("退回给", choices=[], validate_choice=False)
    reason = TextAreaField("退回原因（必填，请写明需要修改的内容）", validators=[Length(max=500)])
    fix_fields = SelectMultipleField("需要修改的项目", choices=[], validate_choice=False,
                                     widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class BlacklistForm(FlaskForm):
    kind = StringField("对象", default="person")
    id_number = StringField("人员证件号码", validators=[Optional(), Length(max=32)])
    reason = TextAreaField("原因（必填）", validators=[Length(max=500)])
    start_date = StringField("开始日期")
    end_date = StringField("截止日期（不填为解除前长期有效）")


class LiftForm(FlaskForm):
    reason = StringField("解除原因", validators=[Length(max=500)])
