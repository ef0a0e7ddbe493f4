from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from portal.notices.forms import DateText
from portal.clock import today

MAX_ATTACHMENTS = 5


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class InternalNoticeForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired("请填写通知标题"), Length(max=200)])
    body = TextAreaField("正文", validators=[DataRequired("请填写通知正文"), Length(max=10000)], render_kw={"rows": 8})
    deadline = DateText("办理截止日期（可不填）")
    org_types = CheckboxList("发送给哪些类型的单位（不选为全部）")
    regions = CheckboxList("发送给哪些地区（不选为全部）")
    attachments = MultipleFileField("附件（PDF，每个不超过2MB，最多5个）")

    def validate_deadline(self, field):
        if field.date is not None and field.date < today():
            raise ValidationError("截止日期不能早于今天")

    def validate_attachments(self, field):
        files = [f for f in field.data or [] if f and f.filename]
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(f"附件最多{MAX_ATTACHMENTS}个")
