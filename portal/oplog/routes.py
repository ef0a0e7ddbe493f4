import io

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user

from portal.auth.decorators import staff_required
from portal.oplog import services
from portal.labels import ACTIONS, OBJECTS

bp = Blueprint("oplog", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/oplog")
@staff_required
def index():
    f = services.LogFilter.from_args(request.args)
    entries = services.page(current_user, f, request.args.get("page", 1, type=int))
    return render_template("oplog/index.html", entries=entries, f=f, args=f.as_args(),
                           actions=ACTIONS, objects=OBJECTS)


@bp.get("/oplog.xlsx")
@staff_required
def export():
    f = services.LogFilter.from_args(request.args)
    data = services.export_workbook(current_user, f)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="操作日志.xlsx")
