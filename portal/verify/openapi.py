"""OpenAPI 3 description of the verification API, served at /api/v1/openapi.json."""

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "机器可读的错误代码", "example": "unauthorized"},
        "message": {"type": "string", "description": "中文错误说明"},
    },
}

_CERTIFICATE = {
    "type": "object",
    "required": ["name", "id_number_masked", "series", "title_name", "level", "issue_date", "cert_no",
                 "issuing_authority", "review_committee", "status", "status_label"],
    "properties": {
        "name": {"type": "string", "description": "姓名", "example": "张明华"},
        "id_number_masked": {"type": "string", "description": "证件号码（仅显示前6位和后4位）",
                             "example": "371102********3716"},
        "series": {"type": "string", "description": "职称系列", "example": "卫生技术人员"},
        "title_name": {"type": "string", "description": "职称名称", "example": "主治医师"},
        "level": {"type": "string", "description": "职称级别", "enum": ["正高级", "副高级", "中级", "初级", "助理级", "员级"]},
        "issue_date": {"type": "string", "format": "date", "nullable": True, "description": "发证日期"},
        "cert_no": {"type": "string", "nullable": True, "description": "证书编号"},
        "issuing_authority": {"type": "string", "nullable": True, "description": "发证机构"},
        "review_committee": {"type": "string", "nullable": True, "description": "评审机构（评委会名称）"},
        "status": {"type": "string", "enum": ["valid", "revoked", "corrected"],
                   "description": "valid 有效；revoked 已撤销；corrected 有效，但发布后信息经过更正"},
        "status_label": {"type": "string", "enum": ["有效", "已撤销", "信息已更正"]},
        "revoked_at": {"type": "string", "format": "date", "nullable": True, "description": "撤销日期"},
        "revoke_reason": {"type": "string", "nullable": True, "description": "撤销原因"},
        "corrected_at": {"type": "string", "format": "date", "nullable": True, "description": "最近一次更正日期"},
    },
}

# What POST /api/v1/verify accepts, exactly as portal.verify.api checks it: lengths count the
# characters as sent; "blank" is what str.strip() removes (the pattern \S, read as Python does);
# control characters (C0, DEL and C1, as portal.domain.text.has_control_characters) are refused;
# null counts as leaving the field out.
_NO_CONTROL = {"pattern": "[\\x00-\\x1f\\x7f-\\x9f]"}
_REQUEST = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": "\\S", "not": _NO_CONTROL,
                 "description": "姓名"},
        "id_number": {"type": "string", "nullable": True, "maxLength": 32, "not": _NO_CONTROL,
                      "description": "证件号码（与 cert_no 至少填一项；15位旧身份证号自动升位）"},
        "cert_no": {"type": "string", "nullable": True, "maxLength": 64, "not": _NO_CONTROL, "description": "证书编号"},
    },
    "anyOf": [
        {"required": ["id_number"], "properties": {"id_number": {"type": "string", "pattern": "\\S"}}},
        {"required": ["cert_no"], "properties": {"cert_no": {"type": "string", "pattern": "\\S"}}},
    ],
    "example": {"name": "张明华", "id_number": "371102198503143716"},
}


def _error_response(code: str, description: str, headers: dict | None = None) -> dict:
    response = {"description": f"{description}（error = {code}）", "content": {"application/json": {"schema": {
        "allOf": [{"$ref": "#/components/schemas/Error"},
                  {"type": "object", "properties": {"error": {"type": "string", "enum": [code]}}}]}}}}
    if headers:
        response["headers"] = headers
    return response


OPENAPI = {
    "openapi": "3.0.3",
    "info": {
        "title": "职称证书跨地区在线核验接口",
        "version": "1.0.0",
        "description": (
            "按“姓名 + 证件号码”或“姓名 + 证书编号”核验经最终审核通过的职称证书。两项必须同时相符；"
            "查无结果时不区分原因（证件号码不存在、姓名不符或证书尚未审核通过均返回 found=false）。"
            "接口密钥由平台管理员按单位签发，每个密钥有调用频率限制；每次核验都会记入证书持有人可查看的核验记录。"
        ),
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        "schemas": {"Certificate": _CERTIFICATE, "Error": _ERROR},
    },
    "security": [{"ApiKey": []}],
    "paths": {
        "/api/v1/verify": {
            "post": {
                "operationId": "verifyCertificate",
                "summary": "核验职称证书",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _REQUEST}},
                },
                "responses": {
                    "200": {"description": "核验完成（found 表示是否查到）", "content": {"application/json": {"schema": {
                        "type": "object",
                        "required": ["found", "certificates"],
                        "properties": {
                            "found": {"type": "boolean"},
                            "certificates": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}},
                        },
                    }}}},
                    "400": _error_response("invalid_request",
                                           "请求体不是JSON对象（或 Content-Type 不是 application/json），字段类型不对，"
                                           "缺少姓名或证件号码/证书编号，或内容超长"),
                    "401": _error_response("unauthorized", "缺少或无效的接口密钥（含已吊销的密钥）",
                                           {"WWW-Authenticate": {"schema": {"type": "string"},
                                                                 "description": 'ApiKey header="X-API-Key"'}}),
                    "413": _error_response("too_large", "请求体过大"),
                    "429": _error_response("rate_limited", "超过该密钥的调用频率限制",
                                           {"Retry-After": {"schema": {"type": "integer", "minimum": 1},
                                                            "description": "等待秒数"}}),
                    "500": _error_response("server_error", "服务器处理请求时出错"),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapiDocument",
                "summary": "本接口说明（OpenAPI 3）",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 文档", "content": {"application/json": {}}}},
            }
        },
    },
}
