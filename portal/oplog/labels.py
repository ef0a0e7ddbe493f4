"""Chinese names of every trail action and object type, for the operation log and its export.

One table for the whole trail (the review timeline shows a subset of the same words)."""

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "submit": "提交（承诺真实）",
    "approve": "审查确认",
    "return": "退回",
    "revoke": "撤销证书",
    "evidence_upload": "上传材料",
    "import": "Excel导入",
    "account_create": "开通账户",
    "account_disable": "停用账户",
    "account_enable": "启用账户",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "org_create": "新建组织",
    "org_update": "修改组织",
    "contact_update": "修改联系人",
    "signing_credential_set": "设置签章证书",
    "document_issue": "签发文书",
    "blacklist_add": "列入诚信黑名单",
    "blacklist_lift": "解除诚信黑名单",
    "campaign_create": "新建采集任务",
    "campaign_update": "修改采集任务",
    "notice_publish": "发布公示",
    "objection_file": "提出异议",
    "objection_freeze": "因异议冻结",
    "objection_resolve": "异议处理",
    "objection_upheld": "异议成立",
    "objection_dismissed": "异议不成立",
    "code_create": "新增代码",
    "code_update": "修改代码",
    "workday_set": "设置工作日",
    "workday_delete": "删除工作日设置",
    "workday_year_complete": "确认全年工作日",
    "workday_year_reopen": "重新打开全年工作日",
    "issue_api_key": "签发核验接口密钥",
    "revoke_api_key": "吊销核验接口密钥",
}

OBJECT_LABELS = {
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
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def object_label(code: str) -> str:
    return OBJECT_LABELS.get(code, code)
