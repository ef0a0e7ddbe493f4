"""Chinese labels for every code the portal stores: audit actions, statuses, organisation types,
roles, evidence kinds and the code tables' keys (health_technician → 卫生技术人员).

Templates show codes only through the filters registered here:
``{{ step.action | action_label }}`` and ``{{ value | code_label(field) }}``, where ``field`` is
the attribute the value came from (``series``, ``education``, ``status`` …). A code without a
label shows as itself; tests/unit/test_labels.py fails when one is missing.
"""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from portal.domain.evaluation import APPLICATION_STATUSES
from portal.domain.scope import HANDLING_STATUSES
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.imports.layouts import LAYOUTS
from portal.models.codes import CodeItem
from portal.models.evidence import EVIDENCE_KINDS
from portal.models.notice import UPHELD_OUTCOMES
from portal.models.org import ORG_TYPES
from portal.models.user import ROLES
from portal.models.verification import CHANNELS

# Every action written to the audit trail (portal.audit.record), by the code that writes it.
ACTIONS = {
    # records (review workflow)
    "create": "新增",
    "update": "修改",
    "submit": "提交（承诺真实）",
    "approve": "审查确认",
    "return": "退回",
    "revoke": "撤销证书",
    "evidence_upload": "上传材料",
    "import": "Excel导入",
    # accounts and integrity
    "account_create": "开通账户",
    "account_disable": "停用账户",
    "account_enable": "启用账户",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "org_create": "新建组织",
    "org_update": "修改组织",
    "blacklist_add": "列入诚信黑名单",
    "blacklist_lift": "解除诚信黑名单",
    # notices and objections
    "notice_publish": "发布公示",
    "objection_file": "提出异议",
    "objection_freeze": "异议冻结记录",
    "objection_resolve": "异议处理完毕",
    "objection_upheld": "异议成立",
    "objection_dismissed": "异议不成立",
    # campaigns, code tables, working days
    "campaign_create": "新建采集任务",
    "campaign_update": "修改采集任务",
    "code_create": "新增代码",
    "code_update": "修改代码",
    "workday_set": "设置工作日",
    "workday_delete": "删除工作日设置",
    "workday_year_complete": "标记年度节假日已录入",
    "workday_year_reopen": "重新打开全年工作日",
    # letters and verification
    "contact_update": "修改联系人",
    "document_issue": "出具文书",
    "signing_credential_set": "设置签章证书",
    "issue_api_key": "签发核验接口密钥",
    "revoke_api_key": "吊销核验接口密钥",
    # electronic certificates
    "ecert_issue": "签发职称电子证书",
    "ecert_use_copy": "制作电子证书使用件",
    "ecert_use_copy_withdraw": "作废电子证书使用件",
    # annual evaluation
    "evaluation_plan_create": "新建评审部署",
    "evaluation_plan_update": "修改评审部署",
    "evaluation_plan_publish": "发布评审部署",
    "evaluation_checklist_add": "增加申报材料清单项",
    "evaluation_checklist_remove": "删除申报材料清单项",
    "evaluation_apply_create": "新建职称申报",
    "evaluation_apply_update": "修改职称申报",
    "evaluation_apply_material": "上传申报材料",
    "evaluation_apply_achievement": "增加业绩成果",
    "evaluation_apply_submit": "提交申报（承诺真实）",
    "evaluation_recommend": "审核通过（推荐）",
    "evaluation_unit_recommend": "单位签署推荐意见",
    "evaluation_return": "退回（一次性告知）",
    "evaluation_withdrawn": "逾期未补正，视为撤回",
    "evaluation_noticed": "列入公示",
    "evaluation_commitment": "签署真实性承诺书",
    "evaluation_insurance": "录入社保缴纳记录",
    "evaluation_insurance_confirm": "确认社保缴纳记录",
    "evaluation_consent": "人才服务机构同意受理",
    # the committee and after
    "committee_expert_add": "加入评审专家库",
    "committee_meeting_create": "建立评审会议",
    "committee_attendance": "登记评委出席",
    "committee_recusal": "标记评委回避",
    "committee_ballots": "录入表决票数",
    "committee_ballot_cast": "评委网上投票（无记名）",
    "committee_close": "结束评审会议",
    "committee_result": "评审委员会表决结果",
    "evaluation_confirm": "确认评审结果",
    "evaluation_certify": "评审确认取得职称",
    "evaluation_package": "生成报批材料",
}

# The fields of a person and a certificate, as forms, change logs and return reasons name them.
PERSON_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "id_type": "证件类型",
    "id_number": "证件号码",
    "birth_date": "出生日期",
    "employer_name": "现工作单位",
    "unit_nature": "单位性质",
    "education": "最高学历",
    "degree": "最高学位",
    "affiliation": "隶属关系",
    "social_security_no": "社保卡号",
    "phone": "手机号",
    "email": "邮箱",
}

CERT_LABELS = {
    "cert_no": "证书编号",
    "issue_date": "发证日期",
    "grant_date": "授予时间",
    "review_year": "评审年度",
    "first_appointment_date": "首次聘任时间",
    "series": "职称系列",
    "level": "职称级别",
    "title_name": "职称名称（资格名称）",
    "has_review_specialty": "评审活动是否设置评审专业",
    "review_specialty": "评审专业名称",
    "local_review_specialty": "本地评审专业名称",
    "issuing_authority": "发证机构",
    "review_committee_name": "评审机构（评委会名称）",
    "evaluation_region_code": "行政区划代码（评审机构所在地）",
    "issuing_region_code": "发证单位行政区",
    "approval_doc_no": "证书批文号（资格文件号）",
    "approval_department": "审批部门",
    "handling_status": "证书办理状态",
    "obtain_method": "取得方式",
    "employer_at_grant": "取得职称时工作单位",
}
# Evidence a reviewer may also ask to be redone when returning a record.
EVIDENCE_FIX_LABELS = {
    "evidence:certificate_scan": "证书扫描件",
    "evidence:qualification_doc": "资格文件",
    "evidence:review_form": "评审表/认定表",
    "evidence:photo": "照片",
}
FIX_LABELS = CERT_LABELS | EVIDENCE_FIX_LABELS

# The kinds of object the trail's entries are about.
OBJECTS = {
    "certificate": "职称证书",
    "person": "专业技术人员",
    "user": "账户",
    "organization": "组织",
    "document": "签章文书",
    "blacklist": "诚信黑名单",
    "campaign": "采集任务",
    "notice": "公示",
    "objection": "异议",
    "import_job": "导入任务",
    "code_item": "代码表",
    "workday_table": "工作日表",
    "api_key": "核验接口密钥",
    "evaluation_plan": "年度评审部署",
    "evaluation_application": "职称申报",
}

# Coded attributes whose labels are fixed in code, by attribute name.
FIXED = {
    "status": STATUSES | APPLICATION_STATUSES,
    "type": ORG_TYPES,
    "org_type": ORG_TYPES,
    "role": ROLES,
    "actor_role": ROLES | {"system": "系统"},
    "kind": EVIDENCE_KINDS,
    "handling_status": HANDLING_STATUSES,
    "outcome": UPHELD_OUTCOMES,
    "channel": CHANNELS,
    "action": ACTIONS,
    "object_type": OBJECTS,
    "layout": {layout.key: layout.title for layout in LAYOUTS},
}

# Coded attributes whose labels live in a code table (administrators may rename them).
CODE_TABLE_OF = {
    "series": "title_series",
    "title_series": "title_series",
    "id_type": "id_type",
    "obtain_method": "obtain_method",
    "unit_nature": "unit_nature",
    "education": "education",
    "degree": "degree",
    "affiliation": "affiliation",
    "level": "title_level",
    "title_name": "title_name",
}

BOOLEAN = {True: "是", False: "否"}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action)


def object_label(kind: str) -> str:
    return OBJECTS.get(kind, kind)


def _code_names(kind: str) -> dict[str, str]:
    """One code table as {key: name}, read once per request."""
    cache = g.setdefault("_code_labels", {})
    if kind not in cache:
        cache[kind] = dict(db.session.execute(
            select(CodeItem.key, CodeItem.name).where(CodeItem.kind == kind)).all())
    return cache[kind]


def code_label(value, field: str | None = None):
    """The Chinese label of `value` as stored in attribute `field`; other values as they are."""
    if isinstance(value, bool):
        return BOOLEAN[value]
    if value is None or value == "":
        return "（空）"
    if not isinstance(value, str) or field is None:
        return value
    if field in FIXED:
        return FIXED[field].get(value, value)
    if field in CODE_TABLE_OF:
        return _code_names(CODE_TABLE_OF[field]).get(value, value)
    return value


def init_app(app) -> None:
    app.jinja_env.filters["action_label"] = action_label
    app.jinja_env.filters["code_label"] = code_label
