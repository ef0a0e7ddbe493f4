"""统计分析 pages: the scoped statistics page, its Excel export, and the public summary."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user

from portal.auth.decorators import roles_required
from portal.documents.stats_xlsx import stats_workbook
from portal.domain.titles import LEVELS
from portal.stats import services
from portal.stats.services import STATS_ROLES, StatsFilters

bp = Blueprint("stats", __name__, url_prefix="/stats")

EXPORT_ORDER = ("status", "series", "level", "year", "method", "org")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _chart_data(stats) -> dict:
    """What static/js/stats.js draws: per chart its labels, values and each value's drill-down URL."""
    charts = {
        table.name: {"type": table.chart, "title": table.title,
                     "labels": [r.label for r in table.rows], "values": [r.count for r in table.rows],
                     "links": [url_for("review.queue", **r.drill) for r in table.rows]}
        for table in stats.tables
    }
    charts["reporting"] = {"type": "line", "title": "逐周提交（应报尽报进度）",
                           "labels": [week.isoformat() for week, _, _ in stats.reporting],
                           "values": [cumulative for _, _, cumulative in stats.reporting], "links": []}
    charts["waits"] = {"type": "bar", "title": "各环节平均停留天数",
                       "labels": [w.label for w in stats.waits],
                       "values": [w.average_days or 0 for w in stats.waits],
                       "links": [url_for("review.queue", status=w.level, **stats.filters.as_args())
                                 for w in stats.waits]}
    return charts


@bp.get("/")
@roles_required(*STATS_ROLES)
def index():
    filters = StatsFilters.from_args(request.args)
    stats = services.statistics(current_user, filters)
    return render_template("stats/index.html", stats=stats, filters=filters, charts=_chart_data(stats),
                           levels=LEVELS, series=services.code_names("title_series"),
                           export_url=url_for("stats.export", **filters.as_args()), narrow=filters.as_args())


@bp.get("/export.xlsx")
@roles_required(*STATS_ROLES)
def export():
    filters = StatsFilters.from_args(request.args)
    stats = services.statistics(current_user, filters)
    first = request.args.get("by", "status")
    order = sorted(EXPORT_ORDER, key=lambda name: name != first)
    heads = {"status": "状态", "series": "职称系列", "level": "职称级别", "year": "评审年度",
             "method": "取得方式", "org": "单位"}
    sheets = [(stats.table(name).title, (heads[name], "证书数"),
               [(r.label, r.count) for r in stats.table(name).rows]) for name in order]
    extra = [("审核环节", ("环节", "当前停留", "已办理", "平均停留天数", "最长停留天数", "退回次数"),
              [(w.label, w.now, w.steps, w.average_days, w.longest_days, w.returned) for w in stats.waits]),
             ("退回原因", ("退回原因", "次数"), stats.reasons)]
    body = stats_workbook(sheets, extra)
    name = f"统计分析-{current_user.org.name if current_user.org else '全部'}.xlsx"
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=statistics.xlsx; filename*=UTF-8''{quote(name)}"})


@bp.get("/public")
def public():
    rows, level_totals, total = services.public_summary()
    return render_template("stats/public.html", rows=rows, levels=LEVELS, level_totals=level_totals, total=total)
