"""Entering basic information and certificates: inline checks, scope, lock, commitment, audit."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.idnumber import build_resident_id
from portal.extensions import db
from portal.models import (AuditEntry, BlacklistEntry, Campaign, CampaignDeadline, Certificate, Organization,
                           Person, User)
from tests.conftest import csrf_token_of

CERT_FORM = {
    "cert_no": "鲁2019A0001234", "series": "health_technician", "level": "中级", "title_name": "主治医师",
    "obtain_method": "review", "issue_date": "2019年11月19日", "grant_date": "2019-10-30", "review_year": "2019",
    "first_appointment_date": "", "has_review_specialty": "0", "review_specialty": "", "local_review_specialty": "",
    "issuing_authority": "日照市人力资源和社会保障局", "review_committee_name": "日照市卫生系列中级评审委员会",
    "evaluation_region_code": "371100", "issuing_region_code": "371100000000日照市本级",
    "approval_doc_no": "日职改字〔2019〕12号", "approval_department": "日照市职称改革领导小组办公室",
    "handling_status": "issued", "employer_at_grant": "日照市东港区人民医院",
}


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def person_demo(app, demo):
    with app.app_context():
        user = _user("person_demo")
        draft = db.session.scalar(select(Certificate).where(Certificate.person_id == user.person_id,
                                                            Certificate.status == "draft"))
        return {"person_id": user.person_id, "draft_id": draft.id, "draft_version": draft.version}


@pytest.fixture
def newcomer(app, demo):
    """A staff member of 东港区人民医院 with no certificate yet (nothing locked)."""
    with app.app_context():
        org = _org("DG-RMYY")
        number = build_resident_id("371102", date(1988, 8, 8), 456)
        person = Person(name="孙新", sex="女", id_type="resident_id", id_number=number, id_tail=number[-4:],
                        birth_date=date(1988, 8, 8), org_id=org.id, unit_region_code=org.region_code,
                        employer_name=org.name)
        db.session.add(person)
        db.session.commit()
        return person.id


def _campaign(app, org_code="SD-ZGB", **fields):
    deadlines = fields.pop("deadlines", {})
    with app.app_context():
        campaign = Campaign(name="2026年职称信息采集", org_id=_org(org_code).id, **fields)
        campaign.deadlines = [CampaignDeadline(level=level, due_date=due) for level, due in deadlines.items()]
        db.session.add(campaign)
        db.session.commit()
        return campaign.id


def _post(client, path, data, **kwargs):
    token = csrf_token_of(client, "/home")
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


# --- inline validation ------------------------------------------------------------------------------

def test_a_wrong_id_check_digit_is_pointed_out_at_once(client, auth, newcomer):
    auth.login("unit_demo")
    number = build_resident_id("371102", date(1988, 8, 8), 456)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = _post(client, f"/entry/persons/{newcomer}/edit",
                     {"validate": "id_number", "id_type": "resident_id", "id_number": wrong, "name": "孙新"},
                     headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("证件号码校验位错误") and f"应为{number[17]}" in text
    assert "<html" not in text


def test_inline_validation_returns_only_that_fields_message_and_saves_nothing(client, auth, newcomer, app):
    auth.login("unit_demo")
    ok = _post(client, f"/entry/persons/{newcomer}/edit",
               {"validate": "phone", "phone": "13800138000", "name": "孙 新", "id_type": "resident_id"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == ""
    bad_name = _post(client, f"/entry/persons/{newcomer}/edit", {"validate": "name", "name": "孙 新"})
    assert bad_name.get_data(as_text=True) == "姓名字与字之间不能有空格"
    with app.app_context():
        assert db.session.get(Person, newcomer).phone is None
        assert _count(AuditEntry, AuditEntry.object_type == "person") == 0


@pytest.mark.parametrize("field,value,expected", [
    ("issue_date", "2019-02-30", "2019年2月只有28天"),
    ("issuing_authority", "", "请填写发证机构"),
    ("evaluation_region_code", "37AB", "行政区划代码应为6位数字"),
    ("review_year", "19", "评审年度应为1950至"),
])
def test_certificate_fields_check_themselves(client, auth, person_demo, field, value, expected):
    auth.login("person_demo")
    response = _post(client, f"/entry/certificates/{person_demo['draft_id']}/edit",
                     CERT_FORM | {field: value, "validate": field})
    assert response.status_code == 200 and expected in response.get_data(as_text=True)


# --- basic information ---------------------------------------------------------------------------------

def test_person_edits_contact_details_and_the_change_is_signed(client, auth, person_demo, app):
    auth.login("person_demo")
    person_id = person_demo["person_id"]
    form = client.get(f"/entry/persons/{person_id}/edit").get_data(as_text=True)
    assert "已锁定" in form  # approved certificates fix the identity fields
    response = _post(client, f"/entry/persons/{person_id}/edit",
                     {"phone": "13912345678", "email": "zhang@example.com", "education": "bachelor_graduate",
                      "employer_name": "日照市东港区人民医院"}, follow_redirects=True)
    assert "基本信息已保存" in response.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person.phone == "13912345678" and person.education == "bachelor_graduate"
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "person",
                                                          AuditEntry.object_id == person_id))
        assert step.action == "update" and step.actor_name == "张明华" and step.actor_role == "person"
        assert step.diff["phone"][1] == "13912345678" and step.diff["email"] == [None, "zhang@example.com"]
        assert "name" not in step.diff


def test_locked_identity_cannot_be_changed_by_a_tampered_post(client, auth, person_demo, app):
    auth.login("person_demo")
    person_id = person_demo["person_id"]
    with app.app_context():
        before = db.session.get(Person, person_id).id_number
    forged = build_resident_id("371102", date(1985, 3, 14), 373)
    page = _post(client, f"/entry/persons/{person_id}/edit",
                 {"id_number": forged, "id_type": "resident_id", "phone": "13912345678"}).get_data(as_text=True)
    assert "证件号码已随证书上报并锁定" in page and "未保存" in page
    with app.app_context():
        person = db.session.get(Person, person_id)
        assert person.id_number == before and person.phone != "13912345678"


def test_unit_adds_a_person_with_birth_and_sex_taken_from_the_id(client, auth, demo, app):
    auth.login("unit_demo")
    number = build_resident_id("371102", date(1992, 12, 1), 222)
    response = _post(client, "/entry/staff/new", {"name": "刘·阿依古丽", "id_type": "resident_id", "id_number": number,
                                                   "phone": "0633-8123456"}, follow_redirects=True)
    assert "基本信息已保存" in response.get_data(as_text=True)
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == number))
        assert (person.birth_date, person.sex, person.id_tail) == (date(1992, 12, 1), "女", number[-4:])
        assert person.org_id == _org("DG-RMYY").id and person.unit_region_code == "371102"
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "person",
                                                          AuditEntry.object_id == person.id))
        assert step.action == "create" and step.actor_name == "李经办" and step.actor_org_name == "日照市东港区人民医院"


def test_the_same_id_number_cannot_be_registered_twice(client, auth, demo, app):
    with app.app_context():
        taken = db.session.scalar(select(Person.id_number).where(Person.org_id == _org("RZ-YZ").id).limit(1))
        persons = _count(Person)
    auth.login("unit_demo")
    page = _post(client, "/entry/staff/new", {"name": "重复", "id_type": "resident_id", "id_number": taken}).get_data(
        as_text=True)
    assert "该证件号码已在平台登记" in page
    with app.app_context():
        assert _count(Person) == persons


# --- certificates ------------------------------------------------------------------------------------------

def test_person_enters_a_certificate_with_every_field(client, auth, person_demo, app):
    auth.login("person_demo")
    response = _post(client, f"/entry/persons/{person_demo['person_id']}/certificates/new", CERT_FORM,
                     follow_redirects=True)
    assert "已保存为草稿" in response.get_data(as_text=True)
    with app.app_context():
        cert = db.session.scalar(select(Certificate).where(Certificate.cert_no == "鲁2019A0001234"))
        assert cert.status == "draft" and cert.issue_date == date(2019, 11, 19)
        assert cert.grant_date == date(2019, 10, 30) and cert.issuing_region_code == "371100"
        assert cert.has_review_specialty is False and cert.handling_status == "issued"
        assert cert.org_id == _org("DG-RMYY").id and cert.unit_region_code == "371102"
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "certificate",
                                                          AuditEntry.object_id == cert.id))
        assert step.action == "create" and step.diff["title_name"] == [None, "主治医师"]


@pytest.mark.parametrize("changes,reason", [
    ({"issue_date": "2008-06-01", "grant_date": ""}, "早于本次采集范围（2010-01-01至2020-12-31）"),
    ({"level": "中级", "obtain_method": "exam_in_lieu"}, "以考代评取得的中级职称"),
    ({"handling_status": "cancelled"}, "已取消的职称不得上报"),
    ({"handling_status": "electronic"}, "已发放电子证书"),
])
def test_out_of_scope_certificates_are_refused_with_the_reason(client, auth, person_demo, app, changes, reason):
    _campaign(app, window_start=date(2010, 1, 1), window_end=date(2020, 12, 31))
    auth.login("person_demo")
    with app.app_context():
        before = _count(Certificate)
    page = _post(client, f"/entry/persons/{person_demo['person_id']}/certificates/new",
                 CERT_FORM | changes).get_data(as_text=True)
    assert reason in page and "未保存" in page
    with app.app_context():
        assert _count(Certificate) == before


def test_submit_needs_the_commitment_then_goes_to_the_unit(client, auth, person_demo, app):
    auth.login("person_demo")
    cert_id, version = person_demo["draft_id"], person_demo["draft_version"]
    page = _post(client, f"/entry/certificates/{cert_id}/submit", {"version": version},
                 follow_redirects=True).get_data(as_text=True)
    assert "请先阅读并勾选诚信承诺" in page
    with app.app_context():
        assert db.session.get(Certificate, cert_id).status == "draft"
    page = _post(client, f"/entry/certificates/{cert_id}/submit", {"version": version, "commitment": "y"},
                 follow_redirects=True).get_data(as_text=True)
    assert "已提交，当前状态：待单位审核" in page
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.status == "unit_review" and cert.submitted_at is not None
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "submit"))
        assert step.object_id == cert_id and "承诺" in step.reason and step.diff == {"status": ["draft", "unit_review"]}


def test_a_submitted_record_is_locked_for_the_person(client, auth, person_demo, app):
    auth.login("person_demo")
    cert_id = person_demo["draft_id"]
    _post(client, f"/entry/certificates/{cert_id}/submit", {"version": person_demo["draft_version"], "commitment": "y"})
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        title, version = cert.title_name, cert.version
    page = _post(client, f"/entry/certificates/{cert_id}/edit", CERT_FORM | {"version": version},
                 follow_redirects=True).get_data(as_text=True)
    assert "已提交审核并锁定" in page
    with app.app_context():
        assert db.session.get(Certificate, cert_id).title_name == title


def test_a_tampered_version_field_saves_nothing(client, auth, person_demo, app):
    auth.login("person_demo")
    cert_id = person_demo["draft_id"]
    page = _post(client, f"/entry/certificates/{cert_id}/edit", CERT_FORM | {"version": "99"},
                 follow_redirects=True).get_data(as_text=True)
    assert "已被他人修改或处理" in page
    with app.app_context():
        assert db.session.get(Certificate, cert_id).cert_no != CERT_FORM["cert_no"]


def test_unit_corrects_a_record_on_behalf_and_is_named_in_the_trail(client, auth, person_demo, app):
    auth.login("unit_demo")
    cert_id = person_demo["draft_id"]
    response = _post(client, f"/entry/certificates/{cert_id}/edit",
                     CERT_FORM | {"version": person_demo["draft_version"]}, follow_redirects=True)
    assert "职称信息已保存" in response.get_data(as_text=True)
    with app.app_context():
        step = db.session.scalar(select(AuditEntry).where(
            AuditEntry.object_type == "certificate", AuditEntry.object_id == cert_id, AuditEntry.action == "update"))
        assert (step.actor_name, step.actor_role, step.actor_org_name) == ("李经办", "unit", "日照市东港区人民医院")
        assert step.diff["cert_no"][1] == "鲁2019A0001234"


def test_a_forged_person_id_in_the_url_changes_nothing(client, auth, demo, app):
    with app.app_context():
        other = db.session.scalar(select(Person.id).where(Person.org_id == _org("RZ-YZ").id).limit(1))
        before = _count(Certificate)
    auth.login("unit_demo")
    response = _post(client, f"/entry/persons/{other}/certificates/new", CERT_FORM)
    assert response.status_code == 404
    assert "不在您的管辖范围内" in response.get_data(as_text=True)
    with app.app_context():
        assert _count(Certificate) == before


def test_blacklisted_person_cannot_submit(client, auth, person_demo, app):
    with app.app_context():
        db.session.add(BlacklistEntry(person_id=person_demo["person_id"], region_code="371102",
                                      reason="伪造学历证明", start_date=date(2025, 1, 1)))
        db.session.commit()
    auth.login("person_demo")
    page = _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
                 {"version": person_demo["draft_version"], "commitment": "y"},
                 follow_redirects=True).get_data(as_text=True)
    assert "已被列入诚信黑名单（原因：伪造学历证明" in page
    with app.app_context():
        assert db.session.get(Certificate, person_demo["draft_id"]).status == "draft"


def test_a_lifted_or_expired_blacklist_entry_no_longer_bars(client, auth, person_demo, app):
    with app.app_context():
        db.session.add(BlacklistEntry(person_id=person_demo["person_id"], region_code="371102", reason="旧事",
                                      start_date=date(2020, 1, 1), end_date=date(2021, 1, 1)))
        db.session.commit()
    auth.login("person_demo")
    _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
          {"version": person_demo["draft_version"], "commitment": "y"})
    with app.app_context():
        assert db.session.get(Certificate, person_demo["draft_id"]).status == "unit_review"


def test_blacklisted_unit_cannot_submit_on_behalf(client, auth, person_demo, app):
    with app.app_context():
        org = _org("DG-RMYY")
        db.session.add(BlacklistEntry(org_id=org.id, region_code=org.region_code, reason="集体造假",
                                      start_date=date(2025, 1, 1)))
        db.session.commit()
    auth.login("unit_demo")
    page = _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
                 {"version": person_demo["draft_version"], "commitment": "y"},
                 follow_redirects=True).get_data(as_text=True)
    assert "单位“日照市东港区人民医院”已被列入诚信黑名单" in page


def test_after_the_personal_deadline_a_person_cannot_submit_but_the_unit_still_can(client, auth, person_demo, app):
    yesterday = date.today() - timedelta(days=1)
    _campaign(app, deadlines={"person": yesterday, "unit_review": date.today() + timedelta(days=10)})
    auth.login("person_demo")
    page = _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
                 {"version": person_demo["draft_version"], "commitment": "y"},
                 follow_redirects=True).get_data(as_text=True)
    assert f"个人填报提交的截止日期为{yesterday.isoformat()}，已过截止时间" in page
    auth.logout()
    auth.login("unit_demo")
    _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
          {"version": person_demo["draft_version"], "commitment": "y"})
    with app.app_context():
        cert = db.session.get(Certificate, person_demo["draft_id"])
        assert cert.status == "unit_review" and cert.campaign_id is not None


def test_returned_record_shows_the_reason_and_what_to_fix(client, auth, person_demo, app):
    from portal.workflow import send_back, submit

    with app.app_context():
        person, unit = _user("person_demo"), _user("unit_demo")
        cert = submit(person_demo["draft_id"], person, person_demo["draft_version"], True)
        send_back(cert.id, unit, cert.version, "发证日期与扫描件不一致", "returned",
                  ["issue_date", "evidence:certificate_scan"])
    auth.login("person_demo")
    page = client.get(f"/entry/persons/{person_demo['person_id']}").get_data(as_text=True)
    assert "退回原因：</strong>发证日期与扫描件不一致" in page
    assert "需要修改：</strong><span class=\"tag\">发证日期</span><span class=\"tag\">证书扫描件</span>" in page
    form = client.get(f"/entry/certificates/{person_demo['draft_id']}/edit").get_data(as_text=True)
    assert "needs-fix" in form and "审核人员要求修改此项" in form and "审核人员要求重新上传" in form


# --- accounts in bulk -------------------------------------------------------------------------------------

def test_unit_opens_accounts_in_bulk(client, auth, demo, app):
    a = build_resident_id("371102", date(1991, 1, 2), 11)
    b = build_resident_id("371102", date(1993, 4, 5), 22)
    auth.login("unit_demo")
    page = _post(client, "/entry/staff/accounts", {"lines": f"周一,{a},13800000001\n吴二\t{b}\n"}).get_data(as_text=True)
    assert "已开通2个账户" in page and "初始密码只在本页显示一次" in page
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_([a, b])))}
        assert set(users) == {a, b}
        assert users[a].role == "person" and users[a].org_id == _org("DG-RMYY").id
        assert users[a].person.name == "周一" and users[a].person.phone == "13800000001"
        assert _count(AuditEntry, AuditEntry.action == "account_create") == 2
    auth.logout()
    password = page.split(a)[1].split('class="mono">')[1].split("<")[0]
    # A generated password works once, to choose one's own.
    assert auth.login(a, password).headers["Location"].endswith("/account/password")
    assert client.get("/home").headers["Location"].endswith("/account/password")


def test_one_bad_line_opens_no_account_at_all(client, auth, demo, app):
    good = build_resident_id("371102", date(1991, 1, 2), 11)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with app.app_context():
        foreign = db.session.scalar(select(Person.id_number).where(Person.org_id == _org("RZ-YZ").id).limit(1))
        users = _count(User)
    auth.login("unit_demo")
    page = _post(client, "/entry/staff/accounts",
                 {"lines": f"周一,{good}\n郑三,{bad}\n王四,{foreign}"}).get_data(as_text=True)
    assert "未开通任何账户" in page
    assert "校验位错误" in page and "已登记在其他单位" in page
    with app.app_context():
        assert _count(User) == users
        assert _count(Person, Person.id_number == good) == 0


def test_a_person_with_an_account_under_another_username_gets_no_second_one(client, auth, demo, app):
    with app.app_context():
        holder = db.session.scalar(select(User).where(User.username == "person_demo"))
        name, number = holder.person.name, holder.person.id_number
        users = _count(User)
    auth.login("unit_demo")
    page = _post(client, "/entry/staff/accounts", {"lines": f"{name},{number}"}).get_data(as_text=True)
    assert "该人员已开通账户" in page and "未开通任何账户" in page
    with app.app_context():
        assert _count(User) == users


def test_new_accounts_come_with_printable_slips(client, auth, demo, app):
    a = build_resident_id("371102", date(1991, 1, 2), 11)
    b = build_resident_id("371102", date(1993, 4, 5), 22)
    auth.login("unit_demo")
    page = _post(client, "/entry/staff/accounts", {"lines": f"周一,{a}\n吴二,{b}"}).get_data(as_text=True)
    slips = page.split('class="account-slip"')[1:]
    assert len(slips) == 2
    assert "周一" in slips[0] and a in slips[0] and "/login" in slips[0] and "首次登录后请立即修改密码" in slips[0]
    assert "吴二" in slips[1] and b in slips[1]
    assert 'data-print' in page


@pytest.mark.parametrize("username", ["person_demo", "county_demo"])
def test_only_units_open_accounts(client, auth, demo, username):
    auth.login(username)
    assert client.get("/entry/staff/accounts").status_code == 403


# --- evidence asked for and missing ---------------------------------------------------------------

def test_no_photo_can_be_asked_for_once_another_certificate_has_gone_up(client, auth, person_demo, app):
    from portal.workflow import WorkflowError, send_back, submit

    with app.app_context():
        person, unit = _user("person_demo"), _user("unit_demo")
        assert _count(Certificate, Certificate.person_id == person.person_id, Certificate.status == "approved")
        cert = submit(person_demo["draft_id"], person, person_demo["draft_version"], True)
        cert_id, version = cert.id, cert.version
        with pytest.raises(WorkflowError, match="照片已随其他证书上报并锁定"):
            send_back(cert_id, unit, version, "请补充照片", "returned", ["evidence:photo"])
    auth.login("unit_demo")
    detail = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    assert 'value="evidence:certificate_scan"' in detail and 'value="evidence:photo"' not in detail


def test_requested_evidence_still_missing_is_shown_to_the_person_and_the_reviewer(client, auth, person_demo, app):
    from portal.workflow import send_back, submit
    from tests.http.test_uploads import make_pdf

    with app.app_context():
        person, unit = _user("person_demo"), _user("unit_demo")
        cert = submit(person_demo["draft_id"], person, person_demo["draft_version"], True)
        cert = send_back(cert.id, unit, cert.version, "扫描件不清晰，请重新上传", "returned",
                         ["evidence:certificate_scan"])
        cert = submit(cert.id, person, cert.version, True)
        cert_id = cert.id
    auth.login("unit_demo")
    detail = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    warning = detail.split('class="flash flash-warning evidence-gaps"')[1].split("</div>")[0]
    assert "退回时要求补充、至今未上传" in warning and "证书扫描件" in warning
    assert detail.index('id="actions"') < detail.index('id="evidence"'), "act without scrolling past the PDFs"
    assert "data-confirm=" in detail.split('class="approve-form"')[1].split(">")[0]
    with app.app_context():
        send_back(cert_id, _user("unit_demo"), db.session.get(Certificate, cert_id).version, "仍未上传扫描件",
                  "returned", ["evidence:certificate_scan"])
    auth.logout()
    auth.login("person_demo")
    page = client.get(f"/entry/persons/{person_demo['person_id']}").get_data(as_text=True)
    assert "要求补充、尚未上传：</strong><span class=\"tag\">证书扫描件</span>" in page
    token = csrf_token_of(client, f"/entry/certificates/{cert_id}/edit")
    client.post(f"/entry/certificates/{cert_id}/evidence", data={
        "csrf_token": token, "kind": "certificate_scan", "file": (io.BytesIO(make_pdf()), "scan.pdf")},
        content_type="multipart/form-data")
    page = client.get(f"/entry/persons/{person_demo['person_id']}").get_data(as_text=True)
    assert "要求补充、尚未上传" not in page


def test_submitting_without_evidence_warns(client, auth, person_demo, app):
    auth.login("person_demo")
    page = client.get(f"/entry/persons/{person_demo['person_id']}").get_data(as_text=True)
    form = page.split(f'action="/entry/certificates/{person_demo["draft_id"]}/submit"')[1].split(">")[0]
    assert "data-confirm=" in form and "尚未上传" in form
    page = _post(client, f"/entry/certificates/{person_demo['draft_id']}/submit",
                 {"version": person_demo["draft_version"], "commitment": "y"},
                 follow_redirects=True).get_data(as_text=True)
    flashes = re.findall(r'class="flash flash-\w+" role="status">([^<]+)<', page)
    assert any("已提交" in f for f in flashes), flashes
    assert any("提醒：该证书尚未上传" in f for f in flashes), flashes


def test_is_it_registered_answers_count_against_the_account_s_limit_and_are_logged_without_numbers(
        client, auth, demo, app, caplog):
    with app.app_context():
        elsewhere = db.session.scalar(select(Person.id_number).where(
            Person.org_id != _org("DG-RMYY").id, Person.id_type == "resident_id").limit(1))
    app.config["IDENTITY_LOOKUP_LIMIT"] = "2 per hour"
    try:
        auth.login("unit_demo")
        ask = {"validate": "id_number", "name": "王立新", "id_type": "resident_id", "id_number": elsewhere}
        with caplog.at_level("INFO", logger="portal.lookups"):
            for _ in range(3):  # inline checks of other fields spend nothing
                _post(client, "/entry/staff/new", ask | {"validate": "name"})
            answers = [_post(client, "/entry/staff/new", ask).get_data(as_text=True) for _ in range(2)]
            accounts = _post(client, "/entry/staff/accounts", {"lines": f"王立新,{elsewhere}"}).get_data(as_text=True)
            refused = _post(client, "/entry/staff/new", ask).get_data(as_text=True)
        assert all("已在平台登记" in answer for answer in answers)
        assert "次数已达上限" in accounts and "已登记在其他单位" not in accounts
        assert "次数已达上限" in refused and "已在平台登记" not in refused
        assert len([r for r in caplog.records if r.name == "portal.lookups"]) == 4
        assert elsewhere not in caplog.text
    finally:
        app.config["IDENTITY_LOOKUP_LIMIT"] = "600 per hour;3000 per day"
