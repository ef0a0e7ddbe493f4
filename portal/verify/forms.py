from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput


class RevokeForm(FlaskForm):
    reason = TextAreaField("撤销原因", validators=[DataRequired("请填写撤销原因"),
                                                  Length(min=4, max=500, message="撤销原因应为4–500个字")])
    # The version the office saw: revoking a record someone changed meanwhile is refused.
    version = IntegerField(validators=[InputRequired()], widget=HiddenInput())


class BatchForm(FlaskForm):
    file = FileField("核验文件（.xlsx）", validators=[FileRequired("请选择要核验的Excel文件")])


class ApiKeyForm(FlaskForm):
    org_name = StringField("使用单位名称", validators=[DataRequired("请填写使用接口的单位名称"),
                                                      Length(max=128, message="单位名称不超过128个字")])
