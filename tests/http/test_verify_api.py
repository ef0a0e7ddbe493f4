"""The verification API for other systems, its keys (admin page and CLI) and its OpenAPI document."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.domain.idnumber import mask_id
from portal.extensions import db
from portal.models import ApiKey, VerificationLookup
from portal.verify.keys import hash_key
from tests.conftest import csrf_token_of


@pytest.fixture(autouse=True)
def inline_log(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)


def _call(client, payload, key=None):
    headers = {"X-API-Key": key} if key else {}
    return client.post("/api/v1/verify", json=payload, headers=headers)


def test_without_a_key_the_api_answers_401_in_chinese(client, demo):
    real = demo["verifiable"][0]
    for key in (None, "vk_not-a-real-key", demo["api_key"] + "x"):
        response = _call(client, {"name": real["name"], "id_number": real["id_number"]}, key)
        assert response.status_code == 401
        assert response.is_json and "接口密钥" in response.get_json()["message"]
        assert real["cert_no"] not in response.get_data(as_text=True)


def test_with_the_demo_key_the_api_finds_certificates_masked_like_the_page(client, demo):
    real = demo["verifiable"][0]
    response = _call(client, {"name": real["name"], "id_number": real["id_number"]}, demo["api_key"])
    assert response.status_code == 200
    data = response.get_json()
    assert data["found"] is True
    cert = next(c for c in data["certificates"] if c["cert_no"] == real["cert_no"])
    assert cert["id_number_masked"] == mask_id(real["id_number"]) and cert["name"] == real["name"]
    assert cert["status"] == "valid" and cert["status_label"] == "有效"
    assert set(cert) >= {"series", "title_name", "level", "issue_date", "issuing_authority", "review_committee"}
    assert real["id_number"] not in response.get_data(as_text=True)

    by_number = _call(client, {"name": real["name"], "cert_no": real["cert_no"]}, demo["api_key"]).get_json()
    assert [c["cert_no"] for c in by_number["certificates"]] == [real["cert_no"]]


def test_api_misses_are_identical_and_bad_requests_are_explained(client, demo):
    real = demo["verifiable"][0]
    wrong_name = _call(client, {"name": "王不存", "id_number": real["id_number"]}, demo["api_key"])
    no_such_id = _call(client, {"name": "王不存", "id_number": "110101199001011237"}, demo["api_key"])
    assert wrong_name.status_code == no_such_id.status_code == 200
    assert wrong_name.get_data() == no_such_id.get_data()
    assert wrong_name.get_json() == {"found": False, "certificates": []}

    for payload in ([real["name"]], {"name": real["name"]}, {"name": 1, "id_number": real["id_number"]}):
        response = _call(client, payload, demo["api_key"])
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_request"
    garbage = client.post("/api/v1/verify", data="{not json", content_type="application/json",
                          headers={"X-API-Key": demo["api_key"]})
    assert garbage.status_code == 400 and "JSON" in garbage.get_json()["message"]


def test_api_lookups_are_logged_with_the_client_organisation(client, app, demo):
    real = demo["verifiable"][0]
    _call(client, {"name": real["name"], "id_number": real["id_number"]}, demo["api_key"])
    with app.app_context():
        row = db.session.scalar(select(VerificationLookup))
        assert row.channel == "api" and row.found and row.requester_org.startswith("演示核验客户")
        assert row.api_key_id == db.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(demo["api_key"])))


def test_api_is_rate_limited_per_key(client, app, demo, monkeypatch):
    from portal.verify.keys import issue_key

    monkeypatch.setitem(app.config, "VERIFY_API_LIMIT_PER_KEY", "3 per minute")
    real = demo["verifiable"][0]
    payload = {"name": real["name"], "cert_no": real["cert_no"]}
    for _ in range(3):
        assert _call(client, payload, demo["api_key"]).status_code == 200
    throttled = _call(client, payload, demo["api_key"])
    assert throttled.status_code == 429 and "频率" in throttled.get_json()["message"]
    with app.app_context():
        _, other = issue_key("另一家单位")
    assert _call(client, payload, other).status_code == 200, "each key has its own budget"


def test_openapi_document_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    operation = doc["paths"]["/api/v1/verify"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "429"}
    assert doc["components"]["securitySchemes"]["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    props = doc["components"]["schemas"]["Certificate"]["properties"]
    assert {"id_number_masked", "status", "cert_no"} <= set(props)


def test_admin_issues_a_key_once_and_revokes_it(client, auth, app, demo):
    auth.login("admin")
    token = csrf_token_of(client, "/verify/keys")
    page = client.post("/verify/keys", data={"org_name": "甘肃省人社厅职称核验系统", "csrf_token": token})
    body = page.get_data(as_text=True)
    key = re.search(r'id="new-api-key">([^<]+)<', body).group(1)
    assert "只显示这一次" in body
    assert key not in client.get("/verify/keys").get_data(as_text=True), "the key is shown once only"
    real = demo["verifiable"][0]
    assert _call(client, {"name": real["name"], "cert_no": real["cert_no"]}, key).status_code == 200
    with app.app_context():
        stored = db.session.scalar(select(ApiKey).where(ApiKey.org_name == "甘肃省人社厅职称核验系统"))
        assert stored.key_hash == hash_key(key) and key not in (stored.key_prefix + stored.key_hash)
        key_id = stored.id
    client.post(f"/verify/keys/{key_id}/revoke", data={"csrf_token": csrf_token_of(client, "/verify/keys")})
    assert _call(client, {"name": real["name"], "cert_no": real["cert_no"]}, key).status_code == 401


def test_key_pages_are_for_administrators_only(client, auth, demo):
    auth.login("province_demo")
    assert client.get("/verify/keys").status_code == 403


def test_cli_creates_lists_and_revokes_keys(app, demo):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["api-key", "create", "--org", "陕西省职称信息系统"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    client = app.test_client()
    real = demo["verifiable"][0]
    assert _call(client, {"name": real["name"], "cert_no": real["cert_no"]}, key).status_code == 200
    listing = runner.invoke(args=["api-key", "list"]).output
    assert "陕西省职称信息系统" in listing and key not in listing
    key_id = re.search(r"(\d+)\s+\S+…\s+有效\s+陕西省职称信息系统", listing).group(1)
    assert runner.invoke(args=["api-key", "revoke", "--id", key_id]).exit_code == 0
    assert _call(client, {"name": real["name"], "cert_no": real["cert_no"]}, key).status_code == 401
    assert runner.invoke(args=["api-key", "create", "--org", "  "]).exit_code != 0


def test_demo_key_is_stable_across_demo_runs(app, demo):
    from portal import demo as demo_module

    with app.app_context():
        demo_module.run(0)
        assert demo_module.summary()["api_key"] == demo["api_key"]
        assert db.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(demo["api_key"]))) is not None
        assert len(list(db.session.scalars(select(ApiKey)))) == 1
