"""Social insurance, talent centres, the truthfulness letter, the recommendation sheet, the 评审表,
the applicants' register and the progress of a plan."""
import io
import subprocess
from datetime import date

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import Application, EvaluationPlan, IssuedDocument, Organization, User
from tests.conftest import csrf_token_of
from tests.http.test_evaluation_applications import (  # noqa: F401  (plan_id is a fixture)
    _item_id, _new, _submit, _upload, plan_id)
from tests.http.test_evaluation_review import OPINION, _approve, _return, _status, _submitted, hold_notice
from tests.http.test_uploads import make_pdf

INTERVIEW = {"interview_date": "2027-06-12", "interview_experts": "王工、李工、赵工"}
UNIT = "日照市东港区人民医院"


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _person(app, username="person_demo"):
    return db.session.scalar(select(User).where(User.username == username)).person


def _set_nature(app, nature):
    with app.app_context():
        _person(app).unit_nature = nature
        db.session.commit()


def _enter_insurance(client, application_id, text, with_file=True):
    path = f"/evaluation/applications/{application_id}"
    data = {"csrf_token": csrf_token_of(client, path), "periods": text}
    if with_file:
        data["file"] = (io.BytesIO(make_pdf()), "社保缴费明细.pdf")
    client.post(f"{path}/insurance", data=data, content_type="multipart/form-data")
    return client.get(path).get_data(as_text=True)


def test_a_private_enterprise_applicant_needs_six_months_of_insurance_confirmed_by_the_office(
        client, auth, app, plan_id, monkeypatch):  # noqa: F811
    _set_nature(app, "private_enterprise")
    application_id = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, application_id)
    auth.login("unit_demo")
    page = _approve(client, app, application_id, **OPINION, **INTERVIEW)
    assert "须在申报单位连续缴纳社会保险满6个月（2026年12月至2027年05月）" in page
    assert "请上传社会保险缴费记录" in page
    assert "第1行格式不正确" in _enter_insurance(client, application_id, "去年全年都交了")
    # A gap in March: the record is kept, the recommendation refused with the month named.
    page = _enter_insurance(client, application_id, f"2026-12 至 2027-02 {UNIT}\n2027-04 至 2027-05 {UNIT}")
    assert "2026-12 至 2027-02" in page
    page = _approve(client, app, application_id, **OPINION, **INTERVIEW)
    assert "以下月份没有在“日照市东港区人民医院”的缴费记录：2027年03月" in page
    assert _status(app, application_id) == "unit_review"
    _enter_insurance(client, application_id, f"2026-12 至 2027-05 {UNIT}", with_file=False)
    _approve(client, app, application_id, **OPINION, **INTERVIEW)
    assert _status(app, application_id) == "county_review"
    auth.logout()

    auth.login("county_demo")
    _approve(client, app, application_id)
    auth.logout()
    auth.login("city_demo")
    page = _approve(client, app, application_id)
    assert "不能报送评审委员会：社会保险缴纳记录尚未经职改部门确认" in page
    path = f"/evaluation/applications/{application_id}"
    client.post(f"{path}/insurance/confirm", data={"csrf_token": csrf_token_of(client, path)})
    assert "已由冯审核于" in client.get(path).get_data(as_text=True)
    _approve(client, app, application_id)
    assert _status(app, application_id) == "to_committee"


def test_a_freelancer_applies_through_the_talent_centre_with_its_consent(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    with app.app_context():
        centre = db.session.scalar(select(Organization).where(Organization.code == "RZ-RCZX"))
        assert centre.type == "talent_center"
        person = _person(app)
        person.org_id, person.unit_region_code = centre.id, centre.region_code
        db.session.commit()
    application_id = _submitted(client, auth, app, plan_id)
    with app.app_context():
        assert db.session.get(Application, application_id).org.code == "RZ-RCZX"
    hold_notice(app, monkeypatch, application_id, unit="center_demo")
    auth.login("center_demo")
    assert "张明华" in client.get("/evaluation/review").get_data(as_text=True)
    page = _approve(client, app, application_id, **INTERVIEW)
    assert "须由该机构先确认同意受理" in page
    assert "请上传社会保险缴费记录" in page  # the freelancer's record is asked for too
    path = f"/evaluation/applications/{application_id}"
    client.post(f"{path}/consent", data={"csrf_token": csrf_token_of(client, path)})
    # Paid with a company until last autumn, nothing in the six months before June: allowed.
    page = _enter_insurance(client, application_id, "2025-01 至 2026-11 日照某某科技有限公司")
    assert "确认同意受理。" in page and "同意受理（档案由本机构托管）" not in page
    page = _enter_insurance(client, application_id, "2025-01 至 2026-12 日照某某科技有限公司", with_file=False)
    page = _approve(client, app, application_id, **INTERVIEW)
    assert "自由职业者申报前6个月（2026年12月至2027年05月）内不得在任何单位缴纳社会保险" in page
    _enter_insurance(client, application_id, "2025-01 至 2026-11 日照某某科技有限公司", with_file=False)
    # No opinion: a freelancer's recommending body may skip it; the interview stays required.
    _approve(client, app, application_id, **INTERVIEW)
    assert _status(app, application_id) == "city_review"
    pdf = _pdf_text(client.get(f"{path}/recommendation.pdf").data)
    assert "未出具单位推荐意见" in pdf and "日照市人才服务中心" in pdf
    auth.logout()
    auth.login("city_demo")
    client.post(f"{path}/insurance/confirm", data={"csrf_token": csrf_token_of(client, path)})
    _approve(client, app, application_id)
    assert _status(app, application_id) == "to_committee"


def test_submission_issues_the_truthfulness_letter_over_the_application(client, auth, app, plan_id):  # noqa: F811
    auth.login("person_demo")
    application_id = _new(client, app, plan_id)
    _upload(client, application_id, f"item-{_item_id(app, plan_id)}")
    _submit(client, application_id, committed=False)
    assert _status(app, application_id) == "draft"
    assert _submit(client, application_id).status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        doc = db.session.get(IssuedDocument, application.commitment_document_id)
        assert doc.kind == "individual_letter" and doc.covers["application_id"] == application_id
        number = doc.number
    page = client.get(f"/evaluation/applications/{application_id}").get_data(as_text=True)
    assert number in page
    public = client.get(f"/documents/{number}").get_data(as_text=True)
    assert "职称申报：2027年度工程系列职称评审：申报" in public
    letter = client.get(f"/letters/documents/{number}.pdf")
    assert letter.status_code == 200
    text = _pdf_text(letter.data)
    assert "本人通过职称信息管理服务平台提交职称申报" in text and "取消申报资格" in text


def test_recommendation_sheet_review_form_and_register(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    from python_calamine import CalamineWorkbook

    application_id = _submitted(client, auth, app, plan_id)
    path = f"/evaluation/applications/{application_id}"
    auth.login("unit_demo")
    assert client.get(f"{path}/recommendation.pdf").status_code == 404  # not signed yet
    hold_notice(app, monkeypatch, application_id)
    _approve(client, app, application_id, **OPINION, **INTERVIEW)
    sheet = _pdf_text(client.get(f"{path}/recommendation.pdf").data)
    for text in ("职称申报推荐表", "张明华", "思想品德", "王工、李工、赵工", "公示期满无异议", "李经办", UNIT):
        assert text in sheet, text
    form = _pdf_text(client.get(f"{path}/review-form.pdf").data)
    with app.app_context():
        id_number = _person(app).id_number
    for text in ("专业技术职称评审表", "申报材料清单", "职称申报评审表", "已提供：材料.pdf", "在线共享核验，免交",
                 "个人真实性承诺书", "单位签署推荐意见", "电气工程", id_number[:6]):
        assert text in form, text
    assert id_number not in form
    auth.logout()

    auth.login("city_demo")
    response = client.get(f"/evaluation/plans/{plan_id}/register.xlsx")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["序号", "姓名", "性别", "出生日期"] and "单位公示" in rows[0]
    assert len(rows) == 2 and rows[1][1] == "张明华" and rows[1][5] == UNIT and rows[1][7] == "副高级"
    assert id_number not in [str(v) for v in rows[1]] and "公示期满无异议" in rows[1]
    committee = client.get(f"/evaluation/plans/{plan_id}/register.xlsx?committee=1")
    assert len(CalamineWorkbook.from_filelike(io.BytesIO(committee.data)).get_sheet_by_index(0).to_python()) == 1
    auth.logout()
    auth.login("county_demo")  # passes it on: then the committee's register lists it
    _approve(client, app, application_id)
    auth.logout()
    auth.login("city_demo")
    _approve(client, app, application_id)
    auth.logout()
    auth.login("committee_demo")  # the plan's committee downloads what it received
    committee = client.get(f"/evaluation/plans/{plan_id}/register.xlsx?committee=1")
    assert committee.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(committee.data)).get_sheet_by_index(0).to_python()
    assert len(rows) == 2 and rows[1][1] == "张明华" and rows[1][16] == "已报送评审委员会"


def _progress(client, plan_id) -> dict[str, str]:
    import re

    page = client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    row = re.search(r'<tr><td>日照市东港区人民医院</td>(.*?)</tr>', page, re.S)
    if row is None:
        return {}
    return dict(re.findall(r'data-column="(\w+)">(\d+)<', row.group(1)))


def test_progress_per_plan_and_unit_counts_a_late_return_as_withdrawn(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    first = _submitted(client, auth, app, plan_id)
    hold_notice(app, monkeypatch, first)
    auth.login("unit_demo")
    _approve(client, app, first, **OPINION, **INTERVIEW)
    auth.logout()
    auth.login("county_demo")
    _return(client, app, first, [_item_id(app, plan_id)], reason="评审表缺盖章", days="3")
    counts = _progress(client, plan_id)  # the county office reads the city's plan
    assert counts["applied"] == "1" and counts["noticed"] == "1" and counts["recommended"] == "1"
    assert counts["returned"] == "1" and counts["withdrawn"] == "0"
    auth.logout()
    today = clock.today()
    monkeypatch.setattr(clock, "today", lambda: date.fromordinal(today.toordinal() + 4))
    auth.login("city_demo")
    counts = _progress(client, plan_id)
    assert counts["returned"] == "0" and counts["withdrawn"] == "1"
    auth.logout()
    auth.login("unit_demo")  # a unit sees its own applicants
    assert _progress(client, plan_id)["applied"] == "1"
    auth.logout()
    auth.login("unit2_demo")  # another unit reads the plan but not these applicants
    assert client.get(f"/evaluation/plans/{plan_id}").status_code == 200
    assert _progress(client, plan_id) == {}


def test_a_county_office_opens_the_city_plan_its_applicants_apply_under(client, auth, app, plan_id):  # noqa: F811
    auth.login("county_demo")
    assert client.get(f"/evaluation/plans/{plan_id}").status_code == 200
    assert "2027年度工程系列职称评审" in client.get("/evaluation/plans").get_data(as_text=True)
    with app.app_context():  # an unpublished plan of the city stays closed to it
        plan = db.session.get(EvaluationPlan, plan_id)
        plan.published_at = None
        db.session.commit()
    assert client.get(f"/evaluation/plans/{plan_id}").status_code == 404
