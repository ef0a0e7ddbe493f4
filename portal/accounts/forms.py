from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


class OrganisationForm(FlaskForm):
    code = StringField("组织代码", validators=[Optional(), Length(max=32)])
    name = StringField("组织名称", validators=[DataRequired("请填写组织名称"), Length(max=128)])
    # The service checks both choices and answers in Chinese.
    type = SelectField("组织类型", choices=[], validate_choice=False)
    region_code = StringField("行政区划代码", validators=[DataRequired("请填写行政区划代码"), Length(max=6)])
    parent_id = SelectField("上级组织（隶属）", coerce=int, choices=[], validate_choice=False)
    credit_code = StringField("统一社会信用代码", validators=[Optional(), Length(max=18)])
    contact_person = StringField("联系人", validators=[Optional(), Length(max=64)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=32)])


class AdminAccountForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)])
    display_name = StringField("管理员姓名", validators=[DataRequired("请填写管理员姓名"), Length(max=64)])
