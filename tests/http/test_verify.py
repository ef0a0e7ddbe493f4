"""Public lookup (网查): found, not found, near misses that look the same, revocation, throttling,
QR links, corrections and the holder's history."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.domain.idnumber import build_resident_id, mask_id
from portal.extensions import db
from portal.models._types import utcnow
from portal.models import AuditEntry, Certificate, Person, User, VerificationLookup
from tests.conftest import csrf_token_of


@pytest.fixture(autouse=True)
def inline_log(app, monkeypatch):
    """Write each lookup record at once, so a test reads what it just caused."""
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)


def _page(client, **params):
    """The lookup form posts (CSRF-protected), so the ID number never enters a URL."""
    return client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), **params})


def _without(body: str, *values: str) -> str:
    # The form's CSRF token is signed with the time, so it may differ from one second to the next.
    body = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", body)
    body = re.sub(r'"X-CSRFToken": "[^"]+"', "", body)
    for value in values:
        body = body.replace(value, "")
    return body


def _person(username: str) -> Person:
    user = db.session.scalar(select(User).where(User.username == username))
    return db.session.get(Person, user.person_id)


def _first(status: str, **where) -> Certificate:
    stmt = select(Certificate).where(Certificate.status == status).order_by(Certificate.id)
    for column, value in where.items():
        stmt = stmt.where(getattr(Certificate, column) == value)
    return db.session.scalar(stmt.limit(1))


def test_lookup_by_id_number_lists_the_persons_certificates_with_masked_id(client, demo, app):
    target = demo["verifiable"][0]
    response = _page(client, name=target["name"], id_number=target["id_number"])
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "查到" in body and target["cert_no"] in body
    assert mask_id(target["id_number"]) in body
    assert target["id_number"] not in body, "the full ID number must never be shown"
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == target["id_number"]))
        published = [c for c in person.certificates if c.status in ("approved", "revoked")]
        hidden = [c for c in person.certificates if c.status not in ("approved", "revoked") and c.cert_no]
    assert body.count('class="verify-cert ') == len(published)
    for cert in hidden:
        assert cert.cert_no not in body, "certificates not finally approved are not published"
    for label in ("职称系列", "职称名称", "级别", "发证日期", "证书编号", "发证机构", "评审机构"):
        assert f"<dt>{label}</dt>" in body
    assert "有效" in body


def test_lookup_by_certificate_number_shows_that_certificate_and_the_series_name(client, demo, app):
    with app.app_context():
        cert = _first("approved", series="health_technician")
        name, cert_no = cert.person.name, cert.cert_no
    body = _page(client, name=name, cert_no=cert_no).get_data(as_text=True)
    assert body.count('class="verify-cert ') == 1
    assert cert_no in body and "卫生技术人员" in body and "health_technician" not in body


def test_old_15_digit_id_and_lower_case_x_still_match(client, app, demo):
    with_x = next(n for n in (build_resident_id("371102", date(1970, 5, 6), seq) for seq in range(1, 200))
                  if n.endswith("X"))
    with app.app_context():
        cert = _first("approved")
        cert.person.id_number, cert.person.id_tail = with_x, with_x[-4:]
        db.session.commit()
        name, cert_no = cert.person.name, cert.cert_no
    body = _page(client, name=f" {name} ", id_number=with_x.lower()).get_data(as_text=True)
    assert cert_no in body
    old = with_x[:6] + with_x[8:17]  # the 15-digit form: no century, no check character
    assert cert_no in _page(client, name=name, id_number=old).get_data(as_text=True)


def test_a_miss_looks_the_same_whatever_its_cause(client, app, demo):
    real = demo["verifiable"][0]
    with app.app_context():
        published = select(Certificate.person_id).where(Certificate.status.in_(("approved", "revoked")))
        unpublished = db.session.scalar(select(Person).join(Certificate).where(
            Person.id.not_in(published)).limit(1))  # every certificate still in review or draft
        draft_name, draft_id = unpublished.name, unpublished.id_number
    invented_id = build_resident_id("371102", date(1990, 1, 2), 123)
    misses = [
        ("王不存", dict(id_number=invented_id)),                  # no such person
        ("王不存", dict(id_number=real["id_number"])),            # real ID, wrong name
        (real["name"] + "甲", dict(id_number=real["id_number"])),  # one character off
        (real["name"], dict(id_number=real["id_number"][:-2] + "00")),  # ID nearly right
        ("王不存", dict(cert_no=real["cert_no"])),                 # real certificate number, wrong name
        (draft_name, dict(id_number=draft_id)),
    ]
    responses = [(name, _page(client, name=name, **factor)) for name, factor in misses]
    reference_name, reference = responses[0]
    expected = _without(reference.get_data(as_text=True), reference_name)
    assert "未查到符合条件的职称证书信息" in expected
    for name, response in responses[1:]:
        assert response.status_code == reference.status_code == 200
        assert _without(response.get_data(as_text=True), name) == expected
        # Set-Cookie follows the session (the first form load), not the lookup.
        assert set(response.headers.keys()) - {"Set-Cookie"} == set(reference.headers.keys()) - {"Set-Cookie"}


def test_each_lookup_runs_the_same_queries_hit_or_miss(client, app, demo):
    from sqlalchemy import event

    from portal.verify.readpath import lookup_engine

    real = demo["verifiable"][0]
    with app.app_context():
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement.split()[0])

        engines = {db.engine, lookup_engine()}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            _page(client, name=real["name"], id_number=real["id_number"])
            hit = list(statements)
            statements.clear()
            _page(client, name="王不存", id_number=real["id_number"])
            miss = list(statements)
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)
    assert hit == miss and hit.count("SELECT") == 1 and hit.count("INSERT") == 1


def test_missing_fields_are_asked_for_without_a_lookup(client, demo, app):
    body = _page(client, name="张三").get_data(as_text=True)
    assert "请填写证件号码或证书编号" in body and "核验结果" not in body
    body = _page(client, id_number=demo["verifiable"][0]["id_number"]).get_data(as_text=True)
    assert "请填写姓名" in body
    assert "请填写" not in client.get("/verify").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(VerificationLookup.id).limit(1)) is None


def test_lookups_are_logged_without_the_id_number(client, app, demo):
    real = demo["verifiable"][0]
    _page(client, name=real["name"], id_number=real["id_number"])
    _page(client, name="王不存", id_number=real["id_number"])
    with app.app_context():
        rows = list(db.session.scalars(select(VerificationLookup).order_by(VerificationLookup.id)))
        assert [r.found for r in rows] == [True, False]
        assert rows[0].identity_digest == rows[1].identity_digest, "the same ID, whoever's name was typed"
        assert rows[0].address == "127.0.0.*" and rows[0].channel == "web"
        for row in rows:
            for column in VerificationLookup.__table__.columns:
                assert real["id_number"] not in str(getattr(row, column.key) or "")


def _revoke(client, cert_id: int, reason: str, version: int):
    token = csrf_token_of(client, f"/certificates/{cert_id}")
    return client.post(f"/certificates/{cert_id}/revoke",
                       data={"reason": reason, "version": version, "csrf_token": token})


def test_office_revokes_and_the_lookup_shows_the_reason(client, auth, app, demo):
    with app.app_context():
        cert = _first("approved", unit_region_code="371102")
        cert_id, version, name, cert_no = cert.id, cert.version, cert.person.name, cert.cert_no
    auth.login("county_demo")
    page = client.get(f"/certificates/{cert_id}").get_data(as_text=True)
    assert "撤销证书" in page
    response = _revoke(client, cert_id, "经核查，评审材料存在弄虚作假。", version)
    assert response.status_code == 302
    assert "证书已撤销" in client.get(f"/certificates/{cert_id}").get_data(as_text=True)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.status == "revoked" and cert.revoked_at is not None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "certificate",
                                                           AuditEntry.object_id == cert_id))
        assert entry.action == "revoke" and entry.reason == "经核查，评审材料存在弄虚作假。"
    auth.logout()
    body = _page(client, name=name, cert_no=cert_no).get_data(as_text=True)
    assert "已撤销" in body and "撤销原因：经核查，评审材料存在弄虚作假。" in body


def test_revocation_is_refused_to_units_other_counties_and_stale_forms(client, auth, app, demo):
    with app.app_context():
        cert = _first("approved", unit_region_code="371102")
        cert_id, version = cert.id, cert.version
    auth.login("unit_demo")
    assert "撤销证书" not in client.get(f"/certificates/{cert_id}").get_data(as_text=True)
    assert _revoke(client, cert_id, "单位无权撤销证书", version).status_code == 403
    auth.logout()
    auth.login("county2_demo")  # 莒县: not this certificate's county
    token = csrf_token_of(client, "/home")
    assert client.post(f"/certificates/{cert_id}/revoke",
                       data={"reason": "不在管辖范围", "version": version, "csrf_token": token}).status_code == 404
    auth.logout()
    auth.login("city_demo")
    assert client.post(f"/certificates/{cert_id}/revoke", data={"reason": "没有令牌", "version": version}).status_code == 400
    response = _revoke(client, cert_id, "表单已过期的撤销", version - 1)
    assert "已被他人修改" in client.get(response.headers["Location"]).get_data(as_text=True)
    _revoke(client, cert_id, "太短", version)
    with app.app_context():
        assert db.session.get(Certificate, cert_id).status == "approved"


def test_throttled_per_identity_and_per_address(client, app, demo, monkeypatch):
    real = demo["verifiable"][0]
    monkeypatch.setitem(app.config, "VERIFY_LIMIT_PER_IDENTITY", "2 per minute")
    for name in ("甲", "乙"):
        assert _page(client, name=name, id_number=real["id_number"]).status_code == 200
    # The identity is the number, not the name: guessing names for one ID stops here.
    throttled = _page(client, name=real["name"], id_number=real["id_number"].lower())
    assert throttled.status_code == 429
    assert "查询过于频繁" in throttled.get_data(as_text=True)
    assert 0 < int(throttled.headers["Retry-After"]) <= 61
    assert _page(client, name=real["name"], cert_no=real["cert_no"]).status_code == 200

    # A new limit starts a new count: three more lookups from this address, then no more.
    monkeypatch.setitem(app.config, "VERIFY_LIMIT_PER_ADDRESS", "3 per minute")
    for number in range(3):
        assert _page(client, name="丙", cert_no=f"鲁2010000000{number}").status_code == 200
    assert _page(client, name="丁", cert_no="鲁20100000009").status_code == 429
    assert client.get("/verify").status_code == 200, "the empty form is never throttled"


def test_qr_link_shows_the_certificate_and_a_bad_token_is_a_miss(client, app, demo):
    with app.app_context():
        cert = _first("approved")
        token, cert_no = cert.verify_token, cert.cert_no
    response = client.get(f"/v/{token}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert cert_no in body and body.count('class="verify-cert ') == 1
    missing = client.get("/v/" + "A" * 43)
    text = missing.get_data(as_text=True)
    # The visitor scanned a code: no talk of a name and ID number they never typed.
    assert missing.status_code == 404 and "二维码无效" in text and "核对姓名" not in text
    with app.app_context():
        assert [r.channel for r in db.session.scalars(select(VerificationLookup))] == ["qr", "qr"]


def test_holder_sees_qr_code_and_others_do_not(client, auth, app, demo):
    from portal.verify.services import verification_url

    with app.app_context():
        holder = _person("person_demo")
        approved = next(c for c in holder.certificates if c.status == "approved")
        draft = next(c for c in holder.certificates if c.status == "draft")
        approved_id, draft_id, url = approved.id, draft.id, verification_url(approved)
    auth.login("person_demo")
    page = client.get(f"/certificates/{approved_id}").get_data(as_text=True)
    assert "<svg" in page and 'class="verify-qr"' in page and url in page
    assert "/v/" in url and "style=" not in page.split('id="verify-qr"')[1].split("</section>")[0]
    assert "<svg" not in client.get(f"/certificates/{draft_id}").get_data(as_text=True)
    auth.logout()
    auth.login("unit_demo")
    assert "<svg" not in client.get(f"/certificates/{approved_id}").get_data(as_text=True)


def test_verification_qr_svg_is_a_standalone_svg_of_the_url(app, demo):
    from portal.verify.services import verification_qr_svg, verification_url

    with app.app_context():
        cert = _first("approved")
        svg = verification_qr_svg(cert)
        assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
        assert verification_url(cert).endswith("/v/" + cert.verify_token)
        with pytest.raises(ValueError):
            verification_url(_first("draft"))


def test_holder_history_lists_successful_lookups_by_channel(client, auth, app, demo):
    with app.app_context():
        holder = _person("person_demo")
        name, id_number = holder.name, holder.id_number
        token = next(c for c in holder.certificates if c.status == "approved").verify_token
    _page(client, name=name, id_number=id_number)
    _page(client, name="冒名者", id_number=id_number)  # a miss: not a lookup of their certificates
    client.get(f"/v/{token}")
    client.post("/api/v1/verify", json={"name": name, "id_number": id_number},
                headers={"X-API-Key": demo["api_key"]})
    auth.login("person_demo")
    body = client.get("/verify/history").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", body, re.S)
    assert len(rows) == 3
    assert "接口核验" in rows[0] and "演示核验客户" in rows[0]
    assert "扫码核验" in rows[1] and "网页查询" in rows[2]
    assert all("127.0.0.*" in row for row in rows)
    auth.logout()
    auth.login("unit_demo")
    assert client.get("/verify/history").status_code == 403


def test_buffered_log_reaches_the_history_page(client, auth, app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 30)
    with app.app_context():
        holder = _person("person_demo")
        name, id_number = holder.name, holder.id_number
    _page(client, name=name, id_number=id_number)
    auth.login("person_demo")
    body = client.get("/verify/history").get_data(as_text=True)
    assert "网页查询" in body and "暂无核验记录" not in body


def test_correction_after_publication_shows_as_corrected(client, app, demo):
    with app.app_context():
        cert = _first("approved")
        name, cert_no = cert.person.name, cert.cert_no
        assert "信息已更正" not in _page(client, name=name, cert_no=cert_no).get_data(as_text=True)
        cert.title_name = cert.title_name + "（更正）"
        db.session.commit()
    body = _page(client, name=name, cert_no=cert_no).get_data(as_text=True)
    assert "信息已更正" in body and "更正，以本页显示的信息为准" in body

    with app.app_context():
        # A record approved for the first time, even with edits in the same step, is no correction.
        fresh = _first("province_review")
        fresh.status, fresh.level = "approved", fresh.level
        fresh.issuing_authority = "山东省人力资源和社会保障厅"
        db.session.commit()
        assert fresh.verify_token, "an approved certificate always gets a verification token"
        name, cert_no = fresh.person.name, fresh.cert_no
    body = _page(client, name=name, cert_no=cert_no).get_data(as_text=True)
    assert "有效" in body and "信息已更正" not in body


def test_renaming_a_person_marks_their_published_certificates_corrected(client, app, demo):
    with app.app_context():
        cert = _first("approved")
        person = cert.person
        person.name = person.name + "华"
        db.session.commit()
        name, cert_no = person.name, cert.cert_no
    assert "信息已更正" in _page(client, name=name, cert_no=cert_no).get_data(as_text=True)


def test_qr_page_carries_no_session_or_csrf_token(client, app, demo):
    with app.app_context():
        token = _first("approved").verify_token
    response = client.get(f"/v/{token}")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "csrf" not in response.get_data(as_text=True).lower()


def test_lookup_without_csrf_token_is_refused(client, demo):
    real = demo["verifiable"][0]
    response = client.post("/verify", data={"name": real["name"], "id_number": real["id_number"]})
    assert response.status_code == 400 and "查到" not in response.get_data(as_text=True)


def test_old_get_bookmark_redirects_without_echoing_the_id_number(client, app, demo):
    real = demo["verifiable"][0]
    response = client.get("/verify", query_string={"name": real["name"], "id_number": real["id_number"]})
    assert response.status_code == 303
    assert real["id_number"] not in response.headers["Location"] and real["name"] not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请重新输入" in page and real["id_number"] not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VerificationLookup)) == 0, "a bookmark is no lookup"


def test_revoked_certificate_behind_a_qr_code_says_so(client, app, demo):
    with app.app_context():
        cert = _first("approved")
        cert.status, cert.revoke_reason, cert.revoked_at = "revoked", "证书系伪造", utcnow()
        db.session.commit()
        token = cert.verify_token
    body = client.get(f"/v/{token}").get_data(as_text=True)
    assert 'id="token-revoked"' in body and "证书系伪造" in body


def test_verify_tokens_backfills_certificates_published_by_bulk_import(app, demo):
    from sqlalchemy import update

    with app.app_context():
        cert_id = _first("approved").id
        # A bulk import writes rows with Core, past the ORM hook that issues tokens.
        db.session.execute(update(Certificate.__table__).where(Certificate.id == cert_id).values(verify_token=None))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["verify-tokens"])
    assert result.exit_code == 0 and "已为 1 张证书生成核验码" in result.output
    with app.app_context():
        assert len(db.session.get(Certificate, cert_id).verify_token) == 43


def test_correct_lookups_do_not_spend_the_numbers_budget(client, app, demo, monkeypatch):
    real = demo["verifiable"][0]
    monkeypatch.setitem(app.config, "VERIFY_LIMIT_PER_IDENTITY", "2 per minute")
    # Anyone may look a real holder up correctly as often as the address budget allows ...
    for _ in range(5):
        assert _page(client, name=real["name"], id_number=real["id_number"]).status_code == 200
    # ... while wrong names for the number are still stopped after two.
    for name in ("甲", "乙"):
        assert _page(client, name=name, id_number=real["id_number"]).status_code == 200
    assert _page(client, name=real["name"], id_number=real["id_number"]).status_code == 429


def test_control_characters_in_a_lookup_are_refused_in_chinese(client, app, demo, caplog):
    real = demo["verifiable"][0]
    for field, value in (("id_number", real["id_number"] + "\x00"), ("name", "张\x00三"), ("cert_no", "鲁\x1f1")):
        params = {"name": real["name"], field: value} if field != "name" else {"name": value,
                                                                              "id_number": real["id_number"]}
        response = _page(client, **params)
        assert response.status_code == 400
        assert "控制字符" in response.get_data(as_text=True)
    assert real["id_number"] not in caplog.text
