from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class CodeItemForm(FlaskForm):
    key = StringField("内部键", validators=[DataRequired("请填写内部键"), Length(max=64),
                                           Regexp(r"^[a-z0-9_]+$", message="内部键只能包含小写字母、数字和下划线")])
    official_code = StringField("官方代码", validators=[Optional(), Length(max=16)])
    name = StringField("名称", validators=[DataRequired("请填写名称"), Length(max=128)])
    former_names = StringField("曾用名（以“|”分隔）", validators=[Optional(), Length(max=512)])
    level = StringField("级别", validators=[Optional(), Length(max=8)])
    series = StringField("所属系列", validators=[Optional(), Length(max=64)])
    note = StringField("备注", validators=[Optional(), Length(max=256)])
    sort = IntegerField("排序", validators=[Optional()], default=0)
    active = BooleanField("启用", default=True)
