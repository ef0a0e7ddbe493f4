"""The application (申报): a person applies under a published plan through their unit."""
import io
from datetime import date

import pytest
from sqlalchemy import delete, select

from portal import clock
from portal.extensions import db
from portal.models import (Achievement, Application, ApplicationMaterial, AuditEntry, BallotCast, BlacklistEntry,
                           ChecklistItem, EvaluationPlan, EvaluationStage, NoticeEntry, Objection, Organization, Person,
                           PublicNotice, RelatedMark, SocialInsuranceRecord, User, VoteCount)
from portal.models._types import utcnow
from tests.conftest import csrf_token_of
from tests.http.test_uploads import make_pdf

TODAY = date(2027, 6, 10)
STAGES = {"application": (date(2027, 6, 1), date(2027, 6, 30)), "unit_review": (date(2027, 7, 1), date(2027, 7, 20)),
          "department_review": (date(2027, 7, 21), date(2027, 8, 10)), "committee": (date(2027, 9, 1), date(2027, 9, 30)),
          "result_notice": (date(2027, 10, 8), date(2027, 10, 14)),
          "confirmation": (date(2027, 10, 15), date(2027, 11, 15))}


@pytest.fixture
def plan_id(app, demo, monkeypatch):
    """A published city plan for 中级 and 副高级 engineering titles, with today in its application window."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with app.app_context():
        # The demo's own applications (of the current year) stay out of this plan's rules, with what
        # refers to them: their notices and the committee's votes.
        clear_applications()
        office = db.session.scalar(select(Organization).where(Organization.code == "RZ-ZGB"))
        committee = db.session.scalar(select(Organization).where(Organization.code == "RZ-GCPW"))
        plan = EvaluationPlan(
            org_id=office.id, region_code=office.region_code, year=2027, title="2027年度工程系列职称评审",
            series="engineering", levels="副高级,中级", committee_id=committee.id, pass_rate=30,
            deployment_text="通知", published_at=utcnow(),
            stages=[EvaluationStage(stage=k, start_date=s, end_date=e) for k, (s, e) in STAGES.items()],
            checklist=[ChecklistItem(level="副高级", position=1, name="职称申报评审表", requirement="required"),
                       ChecklistItem(level="副高级", position=2, name="学历证书", requirement="online"),
                       ChecklistItem(level="中级", position=3, name="职称申报评审表", requirement="required")])
        db.session.add(plan)
        db.session.commit()
        return plan.id


def clear_applications() -> None:
    application_notices = select(PublicNotice.id).where(PublicNotice.kind != "certificates")
    for model in (Objection, NoticeEntry):
        db.session.execute(delete(model).where(model.notice_id.in_(application_notices)))
    db.session.execute(delete(PublicNotice).where(PublicNotice.kind != "certificates"))
    applications = select(Application.id)
    for model in (Objection, NoticeEntry, ApplicationMaterial, Achievement, SocialInsuranceRecord):
        db.session.execute(delete(model).where(model.application_id.in_(applications)))
    for model in (BallotCast, VoteCount, RelatedMark):
        db.session.execute(delete(model))
    db.session.execute(delete(Application))


def _cert_id(app, level="中级"):
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == "person_demo")).person
        return next(c.id for c in person.certificates if c.level == level and c.status == "approved")


def _fields(client, path, **changes):
    data = {"csrf_token": csrf_token_of(client, path), "level": "副高级", "specialty": "电气工程", "route": "ordinary",
            "exceptional_condition": "", "current_certificate_id": "", "current_level": "", "current_title_name": "",
            "education": "bachelor_graduate", "chsi_no": "105611200905000123",
            "work_history": "2008.07—今 东港区人民医院 设备科", "public_hours": "30", "professional_hours": "60"}
    return data | changes


def _apply(client, plan_id, **changes):
    path = f"/evaluation/apply/{plan_id}"
    return client.post(path, data=_fields(client, path, **changes))


def _new(client, app, plan_id, **changes) -> int:
    response = _apply(client, plan_id, current_certificate_id=str(_cert_id(app)), **changes)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _upload(client, application_id, target, name="材料.pdf", data=None):
    return client.post(f"/evaluation/applications/{application_id}/materials", data={
        "csrf_token": csrf_token_of(client, f"/evaluation/applications/{application_id}"), "target": target,
        "file": (io.BytesIO(data if data is not None else make_pdf()), name)}, content_type="multipart/form-data")


def _submit(client, application_id, committed=True):
    data = {"csrf_token": csrf_token_of(client, f"/evaluation/applications/{application_id}")}
    if committed:
        data["commitment"] = "1"
    return client.post(f"/evaluation/applications/{application_id}/submit", data=data)


def _item_id(app, plan_id, level="副高级", name="职称申报评审表"):
    with app.app_context():
        return db.session.scalar(select(ChecklistItem.id).where(
            ChecklistItem.plan_id == plan_id, ChecklistItem.level == level, ChecklistItem.name == name))


def test_a_person_applies_sees_what_is_missing_provides_it_and_submits(client, auth, app, plan_id):
    auth.login("person_demo")
    assert "2027年度工程系列职称评审" in client.get("/evaluation/apply").get_data(as_text=True)
    application_id = _new(client, app, plan_id)
    page = client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert "尚缺" in page and "免交" in page and "主管护师" in page

    refused = _submit(client, application_id).get_data(as_text=True)
    assert "尚未提供清单材料：职称申报评审表" in refused
    with app.app_context():
        assert db.session.get(Application, application_id).status == "draft"

    assert _upload(client, application_id, f"item-{_item_id(app, plan_id)}", "评审表.pdf").status_code == 302
    client.post(f"/evaluation/applications/{application_id}/achievements", data={
        "csrf_token": csrf_token_of(client, f"/evaluation/applications/{application_id}"), "kind": "paper",
        "title": "变电站接地网腐蚀检测", "year": "2025", "file": (io.BytesIO(make_pdf()), "论文.pdf")},
        content_type="multipart/form-data")
    assert "请阅读并勾选真实性承诺" in _submit(client, application_id, committed=False).get_data(as_text=True)
    assert _submit(client, application_id).status_code == 302
    page = client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert "待单位审核" in page and "变电站接地网腐蚀检测" in page and "已提供：" in page and "尚缺" not in page
    assert _upload(client, application_id, "education_scan").status_code == 302
    with app.app_context():
        app_row = db.session.get(Application, application_id)
        assert app_row.status == "unit_review" and app_row.current_certificate_id == _cert_id(app)
        assert len(app_row.materials) == 1  # the late upload was refused: submitted applications are frozen
        submit_step = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation_apply_submit"))
        assert "真实、准确、完整" in submit_step.reason


def test_a_second_same_level_application_in_one_year_is_refused(client, auth, app, plan_id):
    auth.login("person_demo")
    _new(client, app, plan_id)
    page = _apply(client, plan_id, current_certificate_id=str(_cert_id(app))).get_data(as_text=True)
    assert "同一年度申报两个以上同级别职称的，该年度所有评审结果无效" in page


def test_past_retirement_age_is_refused_by_the_setting(client, auth, app, plan_id):
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == "person_demo")).person
        person.birth_date = date(1966, 5, 1)  # 61 on TODAY
        db.session.commit()
    auth.login("person_demo")
    assert "已达到规定退休年龄（60周岁）" in _apply(client, plan_id).get_data(as_text=True)
    app.config["EVALUATION_RETIREMENT_AGES"] = {"男": 63, "女": 58}
    try:
        assert _apply(client, plan_id, current_certificate_id=str(_cert_id(app))).status_code == 302
    finally:
        app.config["EVALUATION_RETIREMENT_AGES"] = {"男": 60, "女": 55}


def test_civil_servants_are_refused_unless_their_unit_is_in_transition(client, auth, app, plan_id):
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == "person_demo")).person
        person.unit_nature = "civil_service_managed_institution"
        db.session.commit()
    auth.login("person_demo")
    assert "公务员（含参照公务员法管理单位人员）不得参加" in _apply(client, plan_id).get_data(as_text=True)
    with app.app_context():
        db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY")).civil_service_transition = True
        db.session.commit()
    assert _apply(client, plan_id, current_certificate_id=str(_cert_id(app))).status_code == 302


def test_blacklisted_persons_are_refused(client, auth, app, plan_id):
    with app.app_context():
        person = db.session.scalar(select(User).where(User.username == "person_demo")).person
        db.session.add(BlacklistEntry(person_id=person.id, region_code="371102", reason="伪造论文",
                                      start_date=date(2026, 1, 1), end_date=date(2028, 12, 31)))
        db.session.commit()
    auth.login("person_demo")
    assert "您在诚信黑名单期限内" in _apply(client, plan_id).get_data(as_text=True)


def test_exam_only_titles_cannot_be_applied_for(client, auth, app, plan_id):
    with app.app_context():
        db.session.get(EvaluationPlan, plan_id).series = "accounting"
        db.session.commit()
    auth.login("person_demo")
    assert "实行以考代评" in _apply(client, plan_id, level="中级").get_data(as_text=True)


def test_outside_the_application_window_is_refused(client, auth, app, plan_id, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2027, 7, 2))
    auth.login("person_demo")
    assert "当前不在申报时间内" in _apply(client, plan_id).get_data(as_text=True)


def test_submission_checks_title_route_education_and_hours(client, auth, app, plan_id):
    auth.login("person_demo")
    application_id = _new(client, app, plan_id)
    _upload(client, application_id, f"item-{_item_id(app, plan_id)}")
    path = f"/evaluation/applications/{application_id}"
    # 破格 without its proof, no title of the level below, an unverifiable diploma, too few hours.
    client.post(path, data=_fields(client, path, route="exceptional", current_certificate_id="",
                                   current_level="初级", chsi_no="", public_hours="40", professional_hours="20"))
    page = _submit(client, application_id).get_data(as_text=True)
    for message in ("申报副高级须已取得中级职称（现有职称为初级）；破格申报只放宽学历或资历条件",
                    "破格申报请选择所符合的破格条件", "破格申报须上传达到破格条件的证明材料",
                    "请填写学历证书编号以便在学信网核验", "本年度继续教育累计60学时，少于规定的90学时"):
        assert message in page
    client.post(path, data=_fields(client, path, route="entrusted", current_certificate_id="", current_level="中级",
                                   current_title_name="工程师", chsi_no="12345"))
    page = _submit(client, application_id).get_data(as_text=True)
    assert "委托评审须上传申报人所属职改部门出具的委托函" in page
    assert "请从本人已审核通过的职称证书中选择现有职称，或上传现有职称的证书材料" in page
    assert "学历证书编号应为18位数字" in page
    _upload(client, application_id, "entrusting_letter")
    _upload(client, application_id, "current_title")
    client.post(path, data=_fields(client, path, route="entrusted", current_certificate_id="", current_level="中级",
                                   current_title_name="工程师"))
    assert _submit(client, application_id).status_code == 302


def test_a_certificate_of_someone_else_cannot_be_picked(client, auth, app, plan_id):
    with app.app_context():
        other = db.session.scalar(select(Person).where(Person.name != "张明华").limit(1))
        foreign = next(c.id for c in other.certificates)
    auth.login("person_demo")
    assert "请从本人已审核通过的职称证书中选择" in _apply(
        client, plan_id, current_certificate_id=str(foreign)).get_data(as_text=True)


def test_uploads_are_checked_as_evidence_is(client, auth, app, plan_id):
    auth.login("person_demo")
    application_id = _new(client, app, plan_id)
    _upload(client, application_id, f"item-{_item_id(app, plan_id)}", "评审表.pdf", b"PK\x03\x04 not a pdf")
    page = client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert "该材料应为PDF文件，但所选文件的内容是Word/Excel文档或压缩包" in page
    _upload(client, application_id, f"item-{_item_id(app, plan_id, '中级')}")
    assert "该材料不在本级别的申报材料清单中" in client.get(
        f"/evaluation/applications/{application_id}").get_data(as_text=True)


def test_applications_are_scoped(client, auth, app, plan_id):
    auth.login("person_demo")
    application_id = _new(client, app, plan_id)
    auth.logout()
    auth.login("unit2_demo")  # another unit
    assert client.get(f"/evaluation/applications/{application_id}").status_code == 404
    auth.logout()
    auth.login("unit_demo")  # the applying unit sees it, but only the applicant edits
    assert client.get(f"/evaluation/applications/{application_id}").status_code == 200
    path = f"/evaluation/applications/{application_id}"
    assert client.post(path, data=_fields(client, path)).status_code == 403


def test_the_title_applied_for_must_be_one_of_the_level(client, auth, app, plan_id):
    auth.login("person_demo")
    page = _apply(client, plan_id, current_certificate_id=str(_cert_id(app)), title_name="工程师").get_data(as_text=True)
    assert "“工程师”不是本系列副高级的职称名称，应为高级工程师之一" in page
    with app.app_context():
        assert db.session.scalar(select(Application.id).where(Application.plan_id == plan_id)) is None
    application_id = _new(client, app, plan_id, title_name="高级工程师")
    with app.app_context():
        assert db.session.get(Application, application_id).title_name == "高级工程师"
    assert "申报副高级职称（高级工程师）" in client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
