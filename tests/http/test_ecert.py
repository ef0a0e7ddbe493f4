"""Electronic certificates: issuing, the signed PDF, the SM2 QR check, use copies, revocation, bulk jobs."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.domain.idnumber import mask_id
from portal.ecert import services, sm2
from portal.extensions import db
from portal.models import AuditEntry, Certificate, ECertificate, ECertificateCheck, Message, Person, User
from portal.models._types import utcnow
from portal.verify.services import revoke
from tests.conftest import csrf_token_of
from tests.http.test_letters import compact, pdf_text, pdfsig


@pytest.fixture(autouse=True)
def ecert_key_dir(app, tmp_path_factory, monkeypatch):
    """One throw-away SM2 issuer key for the whole run, never the developer's instance/ecert."""
    monkeypatch.setitem(app.config, "ECERT_KEY_DIR", str(tmp_path_factory.getbasetemp() / "ecert-key"))
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)


def _holder(app):
    """person_demo's first approved certificate: (certificate id, person's name, full ID number)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "person_demo"))
        person = db.session.get(Person, user.person_id)
        cert = db.session.scalar(select(Certificate).where(Certificate.person_id == person.id,
                                                           Certificate.status == "approved").order_by(Certificate.id))
        return cert.id, person.name, person.id_number


def _issue(client, auth, app, cert_id: int) -> str:
    """The county office issues it from the certificate's page (outside any app context: requests need their own)."""
    auth.login("county_demo")
    page = client.get(f"/certificates/{cert_id}").get_data(as_text=True)
    assert 'id="ecert-issue-form"' in page
    response = client.post(f"/ecert/issue/{cert_id}", data={"csrf_token": csrf_token_of(client, f"/certificates/{cert_id}")})
    assert response.status_code == 302
    assert "已签发职称电子证书" in client.get(response.headers["Location"]).get_data(as_text=True)
    auth.logout()
    with app.app_context():
        number = db.session.scalar(select(ECertificate.number).where(ECertificate.certificate_id == cert_id))
    assert number
    return number


def _row(app, number: str) -> ECertificate:
    with app.app_context():
        row = db.session.scalar(select(ECertificate).where(ECertificate.number == number))
        db.session.expunge(row)
        return row


def _check_path(payload: str) -> str:
    return f"/v/{payload}"


def test_office_issues_a_signed_one_page_certificate_the_holder_downloads(client, auth, app, demo, tmp_path):
    cert_id, name, id_number = _holder(app)
    number = _issue(client, auth, app, cert_id)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        title_name, approval_no, cert_no = cert.title_name, cert.approval_doc_no, cert.cert_no
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ecert_issue"))
        assert entry.object_type == "certificate" and entry.object_id == cert_id and entry.actor_name == "吴审核"
        assert entry.diff["ecert_number"] == number
        holder = db.session.scalar(select(User).where(User.username == "person_demo"))
        assert db.session.scalar(select(func.count()).select_from(Message).where(
            Message.user_id == holder.id, Message.title.contains("电子证书已签发"))) == 1

    auth.login("person_demo")
    page = client.get("/ecert/mine").get_data(as_text=True)
    assert number in page and "下载电子证书" in page
    response = client.get(f"/ecert/{number}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data

    report = pdfsig(tmp_path, pdf)
    assert "Signature is Valid." in report and "Total document signed" in report
    assert "东港区职称改革领导小组办公室" in report, "signed by the issuing office's key"
    text = compact(pdf_text(tmp_path, pdf))
    for expected in (name, id_number, title_name, approval_no, cert_no, number, "东港区职称改革领导小组办公室",
                     "专业技术职务任职资格电子证书"):
        assert expected in text, expected
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    import subprocess

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    lines = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert lines and all(" yes " in line for line in lines if "Type 3" not in line), fonts
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", pages)

    # The public page of the document number shows the ID masked, never in full.
    auth.logout()
    public = client.get(f"/documents/{number}").get_data(as_text=True)
    assert mask_id(id_number) in public and id_number not in public
    # Another holder cannot download it.
    auth.login("unit2_demo")
    assert client.get(f"/ecert/{number}.pdf").status_code == 404


def test_qr_check_verifies_the_signature_and_shows_the_live_status(client, auth, app, demo):
    cert_id, name, id_number = _holder(app)
    number = _issue(client, auth, app, cert_id)
    row = _row(app, number)
    response = client.get(_check_path(row.payload))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "签名核验通过" in body and name in body and number in body
    assert mask_id(id_number) in body and id_number not in body
    assert 'id="ecert-live-status">有效' in body

    # One changed character of the claims, or of the signature, is a forgery.
    prefix, claims, signature = row.payload.split(".")
    body_bytes = sm2._unb64(claims).decode().replace(name, name[0] + "某某")
    forged = f"{prefix}.{sm2._b64(body_bytes.encode())}.{signature}"
    response = client.get(_check_path(forged))
    assert response.status_code == 400 and 'id="ecert-forged"' in response.get_data(as_text=True)
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert 'id="ecert-forged"' in client.get(_check_path(f"{prefix}.{claims}.{flipped}")).get_data(as_text=True)
    response = client.get("/v/E1.bm90LWEtcGF5bG9hZA.AAAA")
    assert response.status_code == 400 and 'id="ecert-malformed"' in response.get_data(as_text=True)
    # The older 43-character links still lead to the token page.
    with app.app_context():
        token = db.session.get(Certificate, cert_id).verify_token
    assert "职称证书核验" in client.get(f"/v/{token}").get_data(as_text=True)

    # When the database cannot answer, the signed claims still stand.
    def broken(*args, **kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("select", {}, Exception("database unreachable"))

    with app.app_context():
        original = db.session.scalar
        try:
            db.session.scalar = broken
            body = client.get(_check_path(row.payload)).get_data(as_text=True)
        finally:
            db.session.scalar = original
    assert "签名核验通过" in body and 'id="ecert-live-unavailable"' in body

    # The issuer key is published.
    key_page = client.get("/ecert/issuer-key").get_data(as_text=True)
    with app.app_context():
        public_hex = services.issuer_key().public_hex
    assert f"04{public_hex}" in key_page
    assert client.get("/ecert/issuer-key.txt").get_data(as_text=True).strip() == f"04{public_hex}"


def test_qr_checks_are_rate_limited_like_the_other_public_links(client, auth, app, demo, monkeypatch):
    cert_id, _, _ = _holder(app)
    number = _issue(client, auth, app, cert_id)
    row = _row(app, number)
    monkeypatch.setitem(app.config, "VERIFY_LIMIT_PER_ADDRESS", "3 per minute")
    statuses = [client.get(_check_path(row.payload)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def _make_copy(client, number: str, purpose: str, valid_until: str):
    return client.post(f"/ecert/{number}/copies", data={
        "csrf_token": csrf_token_of(client, "/ecert/mine"), "purpose": purpose, "valid_until": valid_until})


def test_use_copies_carry_purpose_and_end_date_at_most_three_live(client, auth, app, demo, monkeypatch, tmp_path):
    cert_id, _, id_number = _holder(app)
    number = _issue(client, auth, app, cert_id)
    today = clock.today()
    auth.login("person_demo")
    too_long = _make_copy(client, number, "应聘日照市人民医院", (today + timedelta(days=91)).isoformat())
    assert too_long.status_code == 200 and "使用件有效期最长 90 天" in too_long.get_data(as_text=True)
    missing = _make_copy(client, number, "", (today + timedelta(days=10)).isoformat()).get_data(as_text=True)
    assert "请填写用途" in missing
    for index in range(3):
        response = _make_copy(client, number, f"应聘第{index + 1}家单位", (today + timedelta(days=90)).isoformat())
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    fourth = _make_copy(client, number, "第四份", (today + timedelta(days=30)).isoformat()).get_data(as_text=True)
    assert "最多同时保留 3 份有效的使用件" in fourth
    with app.app_context():
        copies = list(db.session.scalars(select(ECertificate).where(ECertificate.kind == "use_copy")
                                         .order_by(ECertificate.id)))
        assert [c.purpose for c in copies] == ["应聘第1家单位", "应聘第2家单位", "应聘第3家单位"]
        first = copies[0]
        first_number, first_payload = first.number, first.payload
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "ecert_use_copy")) == 3

    # The copy's PDF is stamped with its purpose and end date; its QR shows the purpose.
    pdf = client.get(f"/ecert/{first_number}.pdf").data
    text = compact(pdf_text(tmp_path, pdf))
    assert "使用件" in text and "应聘第1家单位" in text and id_number in text
    assert "Signature is Valid." in pdfsig(tmp_path, pdf)
    assert "\f" not in pdf_text(tmp_path, pdf).rstrip("\f"), "one page, the purpose banner included"
    auth.logout()
    body = client.get(_check_path(first_payload), environ_base={"REMOTE_ADDR": "203.0.113.77"}).get_data(as_text=True)
    assert 'id="ecert-purpose">应聘第1家单位' in body and 'id="ecert-live-status">有效' in body

    # The holder sees each check of each copy, with the address truncated.
    auth.login("person_demo")
    page = client.get("/ecert/mine").get_data(as_text=True)
    assert "203.0.113.*" in page and "203.0.113.77" not in page

    # Withdrawing one frees a place; the withdrawn copy checks as 已作废.
    response = client.post(f"/ecert/copies/{first_number}/withdraw",
                           data={"csrf_token": csrf_token_of(client, "/ecert/mine")})
    assert response.status_code == 302
    assert _make_copy(client, number, "第四份", (today + timedelta(days=30)).isoformat()).status_code == 302
    auth.logout()
    assert 'id="ecert-live-status">已作废' in client.get(_check_path(first_payload)).get_data(as_text=True)

    # After its end date the copy is refused, from the signed claims alone.
    later = today + timedelta(days=91)
    monkeypatch.setattr(clock, "today", lambda: later)
    body = client.get(_check_path(first_payload)).get_data(as_text=True)
    with app.app_context():
        second = db.session.scalar(select(ECertificate.payload).where(ECertificate.purpose == "应聘第2家单位"))
    body = client.get(_check_path(second)).get_data(as_text=True)
    assert 'id="ecert-expired"' in body and 'id="ecert-live-status">已过有效期' in body
    assert "签名核验通过" not in body and "不予核验通过" in body


def test_revocation_shows_on_the_qr_check_lookup_api_and_holder_page(client, auth, app, demo):
    cert_id, name, id_number = _holder(app)
    number = _issue(client, auth, app, cert_id)
    auth.login("person_demo")
    assert _make_copy(client, number, "入职审核", (clock.today() + timedelta(days=20)).isoformat()).status_code == 302
    auth.logout()
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        county = db.session.scalar(select(User).where(User.username == "county_demo"))
        assert revoke(cert, "经核查，评审材料弄虚作假。", cert.version, county) is None
        payloads = list(db.session.scalars(select(ECertificate.payload).where(ECertificate.certificate_id == cert_id)))
        cert_no = cert.cert_no
    assert len(payloads) == 2
    for payload in payloads:  # the original and the use copy
        body = client.get(_check_path(payload)).get_data(as_text=True)
        assert 'id="ecert-live-status">已撤销' in body and "经核查，评审材料弄虚作假。" in body
    lookup = client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), "name": name,
                                          "cert_no": cert_no}).get_data(as_text=True)
    assert "已撤销" in lookup and "经核查，评审材料弄虚作假。" in lookup
    found = client.post("/api/v1/verify", json={"name": name, "cert_no": cert_no},
                        headers={"X-API-Key": demo["api_key"]}).get_json()
    assert found["certificates"][0]["status"] == "revoked"
    auth.login("person_demo")
    page = client.get("/ecert/mine").get_data(as_text=True)
    assert f'id="held-revoked-{cert_id}"' in page and "ecert-status-revoked" in page
    assert "制作使用件" not in page, "no new copies of a revoked certificate"


def test_bulk_issuance_runs_as_a_job_with_progress(client, auth, app, demo):
    auth.login("county_demo")
    with app.app_context():
        county = db.session.scalar(select(User).where(User.username == "county_demo"))
        wanted = services.count(services.issuable(county, services.IssueFilter(level="中级")))
    assert wanted > 0
    page = client.get("/ecert?level=中级").get_data(as_text=True)
    assert f"<strong>{wanted}</strong>" in page
    response = client.post("/ecert/bulk", data={"csrf_token": csrf_token_of(client, "/ecert"), "level": "中级"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "签发完成" in page and f"已签发 <strong>{wanted}</strong> 张" in page
    fragment = client.get(job_url, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="bulk-job"')
    assert "HX-Request" in fragment.headers["Vary"]
    with app.app_context():
        issued = db.session.scalar(select(func.count()).select_from(ECertificate))
        assert issued == wanted
        assert services.count(services.issuable(county, services.IssueFilter(level="中级"))) == 0
        # Every one lies in the county's scope.
        assert not db.session.scalar(select(func.count()).select_from(ECertificate).where(
            ECertificate.region_code != "371102"))
    # Another office account cannot read the job.
    auth.logout()
    auth.login("county2_demo")
    assert client.get(job_url).status_code == 404


def test_bulk_job_shows_progress_while_queued(app, auth, client, demo, monkeypatch):
    from portal import tasks

    monkeypatch.setattr(tasks, "enqueue", lambda *args: None)  # the worker has not picked it up yet
    auth.login("county_demo")
    response = client.post("/ecert/bulk", data={"csrf_token": csrf_token_of(client, "/ecert"), "level": "中级"})
    page = client.get(response.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in page and "<progress" in page and "已处理 0 /" in page


def test_office_sees_overdue_confirmed_certificates(client, auth, app, demo):
    with app.app_context():
        cert = db.session.scalar(select(Certificate).where(Certificate.status == "approved",
                                                           Certificate.unit_region_code == "371102")
                                 .order_by(Certificate.id))
        cert.approved_at = utcnow() - timedelta(days=30)
        db.session.commit()
        cert_id, cert_no = cert.id, cert.cert_no
    auth.login("county_demo")
    page = client.get("/ecert").get_data(as_text=True)
    assert 'id="overdue-total">1<' in page and cert_no in page
    with app.app_context():
        issued = services.issue_ecert(db.session.get(Certificate, cert_id),
                                      db.session.scalar(select(User).where(User.username == "county_demo")))
        assert issued.kind == "original"
    page = client.get("/ecert").get_data(as_text=True)
    assert 'id="overdue-none"' in page


def test_only_offices_issue_and_only_approved_certificates(client, auth, app, demo):
    cert_id, _, _ = _holder(app)
    auth.login("unit_demo")
    assert client.get("/ecert").status_code == 403
    auth.logout()
    with app.app_context():
        draft = db.session.scalar(select(Certificate).where(Certificate.status == "draft",
                                                            Certificate.unit_region_code == "371102"))
        county = db.session.scalar(select(User).where(User.username == "county_demo"))
        with pytest.raises(services.ECertError, match="最终审核通过"):
            services.issue_ecert(draft, county)
        services.issue_ecert(db.session.get(Certificate, cert_id), county)
        with pytest.raises(services.ECertError, match="已签发"):
            services.issue_ecert(db.session.get(Certificate, cert_id), county)
        # Re-issuing replaces the old one, which then checks as superseded.
        old = db.session.scalar(select(ECertificate).where(ECertificate.certificate_id == cert_id))
        old_payload = old.payload
        services.issue_ecert(db.session.get(Certificate, cert_id), county, reissue=True)
    assert 'id="ecert-live-status">已换发新证' in client.get(_check_path(old_payload)).get_data(as_text=True)


def test_public_file_link_and_demo_summary(client, app, demo):
    from portal import demo as demo_module

    with app.app_context():
        demo_module.ensure_demo_e_certificates(2)
        info = demo_module.summary()
    listed = info["e_certificates"]
    assert len(listed) == 2
    for item in listed:
        assert set(item) == {"name", "id_number", "cert_no", "pdf_url"}
        response = client.get(item["pdf_url"])
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert client.get("/ecert/file/not-a-real-token.pdf").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ECertificateCheck)) == 0


def test_bulk_job_reports_the_certificates_it_could_not_issue(app, auth, client, demo, monkeypatch):
    from portal import tasks
    from portal.ecert import bulk

    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append(args))
    auth.login("county_demo")
    response = client.post("/ecert/bulk", data={"csrf_token": csrf_token_of(client, "/ecert"), "level": "中级"})
    job_url = response.headers["Location"]
    (token,) = queued[0]
    with app.app_context():
        job = bulk.state(token, db.session.scalar(select(User.id).where(User.username == "county_demo")))
        first = db.session.get(Certificate, job["ids"][0])
        # Revoked after it was selected, before the worker reached it.
        first.status, first.revoked_at, first.revoke_reason = "revoked", utcnow(), "材料造假"
        db.session.commit()
        name = first.person.name
        bulk.run(token)
    page = client.get(job_url).get_data(as_text=True)
    assert "签发完成" in page and f"已签发 <strong>{job['total'] - 1}</strong> 张" in page and "未能签发 1 张" in page
    assert f"{name}：只有经最终审核通过（确认）的职称证书可以签发电子证书。" in page


def test_command_line_makes_the_key_and_issues(app, demo):
    cert_id, _, _ = _holder(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ecert-key"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert f"04{services.issuer_key().public_hex}" in result.output
    result = runner.invoke(args=["ecert-issue", "--office", "county_demo", "--cert-id", str(cert_id)])
    assert result.exit_code == 0 and f"证书 {cert_id}：已签发 DZ" in result.output and "/ecert/file/" in result.output
    again = runner.invoke(args=["ecert-issue", "--office", "county_demo", "--cert-id", str(cert_id)])
    assert "该证书已签发电子证书" in again.output
    refused = runner.invoke(args=["ecert-issue", "--office", "unit_demo", "--cert-id", str(cert_id)])
    assert refused.exit_code != 0 and "不是职改办账号" in refused.output
