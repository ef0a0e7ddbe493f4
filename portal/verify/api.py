"""POST /api/v1/verify for other systems, authenticated by an X-API-Key header (so no CSRF)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from portal.extensions import csrf
from portal.verify.keys import find_active_key, hash_key
from portal.verify.openapi import OPENAPI
from portal.verify.services import (MAX_CERT_NO, MAX_ID_NUMBER, MAX_NAME, Requester, find_certificates, log_lookup,
                                    parse_query)
from portal.verify.throttle import retry_after_header, start_throttle

api = Blueprint("api", __name__, url_prefix="/api/v1")

# The request body's fields and their longest accepted length, as the OpenAPI document states.
FIELDS = {"name": MAX_NAME, "id_number": MAX_ID_NUMBER, "cert_no": MAX_CERT_NO}


def _error(status: int, code: str, message: str):
    response = jsonify(error=code, message=message)
    response.status_code = status
    return response


def _request_problem(payload) -> str | None:
    """What makes the body unacceptable, before its content is looked at; None when it is fine."""
    if not isinstance(payload, dict) or any(
            payload.get(f) is not None and not isinstance(payload.get(f), str) for f in FIELDS):
        return ("请求体应为JSON对象，字段 name、id_number、cert_no 均为字符串，例如 "
                '{"name": "张三", "id_number": "370102198001010015"}。')
    # Lengths count what was sent, before blanks are trimmed, as the document says.
    if any(len(payload.get(f) or "") > limit for f, limit in FIELDS.items()):
        return "填写的内容过长：姓名最多50个字符，证件号码最多32个字符，证书编号最多64个字符。"
    return None


@api.post("/verify")
def verify():
    raw_key = request.headers.get("X-API-Key", "")
    # Counted before the key is checked, so a wrong key is throttled like a right one; the
    # answer is read after the query (or before any refusal), so Redis counts while it runs.
    counting = start_throttle(("VERIFY_API_LIMIT_PER_KEY", "key:" + hash_key(raw_key)[:32]))
    key = find_active_key(raw_key)
    if key is None:
        counting.check()
        response = _error(401, "unauthorized", "缺少或无效的接口密钥：请在请求头 X-API-Key 中提供有效的密钥。")
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
        return response
    payload = request.get_json(silent=True)
    problem = _request_problem(payload)
    query, message = (None, problem) if problem else parse_query(*(payload.get(f) for f in FIELDS))
    if query is None:
        counting.check()
        return _error(400, "invalid_request", message)
    found = find_certificates(query)
    counting.check()
    log_lookup(query, Requester.from_request("api", api_key=key), found)
    return jsonify(found=bool(found), certificates=[view.as_json() for view in found])


csrf.exempt(verify)


@api.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@api.errorhandler(429)
def throttled(error):
    response = _error(429, "rate_limited", "请求过于频繁，已超过该接口密钥的调用频率限制，请稍后再试。")
    response.headers.update(retry_after_header(error))
    return response


@api.errorhandler(413)
def too_large(error):
    return _error(413, "too_large", "请求体过大。")


@api.errorhandler(500)
def server_error(error):
    return _error(500, "server_error", "服务器处理请求时出错，请稍后重试。")
