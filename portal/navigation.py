"""The signed-in header's menu: one table of links and the roles that see each, instead of
conditions spread through the base template. Public pages have their own short menu."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_login import current_user

OFFICES = ("county_office", "city_office", "province_office")
REVIEWERS = ("unit", "department", *OFFICES)
ORG_ADMINS = (*REVIEWERS, "admin")
EVERYONE = ("person", *ORG_ADMINS, "committee")


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    roles: tuple[str, ...]
    needs_org: bool = False  # shown only to accounts that belong to an organisation


MAIN_MENU = (
    Link("工作台", "main.home", EVERYONE),
    Link("证书信息", "records.certificates", EVERYONE),
    Link("我的填报", "entry.index", ("person",)),
    Link("人员填报", "entry.index", ("unit",)),
    Link("审核队列", "review.queue", REVIEWERS),
    Link("职称申报", "evaluation.apply_index", ("person",)),
    Link("申报审核", "evaluation.review_queue", REVIEWERS),
    Link("评审委员会", "evaluation.committee_home", ("committee",)),
    Link("评审部署", "evaluation.index", OFFICES),
    Link("电子证书", "ecert.index", OFFICES),
    Link("电子证书", "ecert.mine", ("person",)),
    Link("采集任务", "campaigns.index", (*OFFICES, "admin")),
    Link("公示管理", "notices.manage", (*REVIEWERS, "committee")),
    Link("Excel导入导出", "excel.upload", (*REVIEWERS, "committee")),
    Link("Excel导入导出", "excel.export", ("admin",)),
    Link("核验记录", "verify.history", ("person",)),
    Link("批量核验", "verify.batch", ("unit",)),
    Link("承诺书", "letters.index", EVERYONE),
    Link("统计分析", "stats.index", REVIEWERS),
    Link("通知公告", "internal_notices.index", EVERYONE, needs_org=True),
    Link("账户管理", "accounts.index", ORG_ADMINS),
    Link("操作日志", "oplog.index", (*ORG_ADMINS, "committee")),
    Link("代码表", "admin.codes", ("admin",)),
    Link("定时任务", "admin.jobs", ("admin",)),
    Link("工作日设置", "notices.workday_table", ("admin",)),
    Link("核验接口", "verify.api_keys", ("admin",)),
)


def main_menu() -> list[tuple[str, str]]:
    """(label, url) of every menu link the signed-in user's role may follow."""
    role = getattr(current_user, "role", None)
    has_org = bool(getattr(current_user, "org_id", None))
    return [(link.label, url_for(link.endpoint)) for link in MAIN_MENU
            if role in link.roles and (has_org or not link.needs_org)]
