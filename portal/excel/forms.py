from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import AnyOf


class UploadForm(FlaskForm):
    workbook = FileField("Excel文件（.xlsx或.xls）", validators=[FileRequired("请选择要导入的Excel文件")])


class CommitForm(FlaskForm):
    mode = HiddenField(validators=[AnyOf(("all", "valid"), message="导入方式无效")])
