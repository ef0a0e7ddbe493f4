"""The office's yearly evaluation plan (年度评审部署): CRUD within scope, checklist, public PDF."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Application, AuditEntry, EvaluationPlan, Organization
from tests.conftest import csrf_token_of

STAGE_DATES = {
    "application_start": "2027-06-01", "application_end": "2027-06-30",
    "unit_review_start": "2027-07-01", "unit_review_end": "2027-07-20",
    "department_review_start": "2027-07-21", "department_review_end": "2027-08-10",
    "committee_start": "2027-09-01", "committee_end": "2027-09-30",
    "result_notice_start": "2027-10-08", "result_notice_end": "2027-10-14",
    "confirmation_start": "2027-10-15", "confirmation_end": "2027-11-15",
}


def _committee_id(app):
    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == "RZ-GCPW"))


def _form(client, app, path="/evaluation/plans/new", **changes):
    data = {"csrf_token": csrf_token_of(client, path), "year": "2027", "title": "关于做好2027年度工程系列中级职称评审工作的通知",
            "series": "engineering", "levels": ["中级", "副高级"], "committee_id": str(_committee_id(app)),
            "pass_rate": "30", "deployment_text": "根据《职称评审管理暂行规定》，现将有关事项通知如下。"} | STAGE_DATES
    return {key: value for key, value in (data | changes).items() if value is not None}


def _create(client, app, **changes) -> int:
    response = client.post("/evaluation/plans/new", data=_form(client, app, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _add_item(client, plan_id, level, name, requirement="required"):
    token = csrf_token_of(client, f"/evaluation/plans/{plan_id}")
    return client.post(f"/evaluation/plans/{plan_id}/checklist", data={
        "csrf_token": token, "level": level, "requirement": requirement, "name": name, "note": ""})


def test_city_office_creates_lists_materials_and_publishes_a_plan(client, auth, app, demo):
    auth.login("city_demo")
    plan_id = _create(client, app)
    page = client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    assert "工程技术人员" in page and "日照市工程技术中级评审委员会办事机构" in page and "30%" in page
    assert "2027-09-01 至 2027-09-30" in page

    # 清单制: a plan cannot be published while a level has no checklist.
    assert _add_item(client, plan_id, "中级", "职称申报评审表").status_code == 302
    client.post(f"/evaluation/plans/{plan_id}/publish", data={"csrf_token": csrf_token_of(client, "/evaluation/plans")})
    assert "副高级尚未列出申报材料清单" in client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    assert client.get(f"/evaluation/deployments/{plan_id}.pdf").status_code == 404

    _add_item(client, plan_id, "副高级", "学历证书（学信网可查的免交）", "online")
    _add_item(client, plan_id, "副高级", "面试答辩记录")
    client.post(f"/evaluation/plans/{plan_id}/publish", data={"csrf_token": csrf_token_of(client, "/evaluation/plans")})

    # The published deployment is public and frozen.
    auth.logout()
    listing = client.get("/evaluation/deployments").get_data(as_text=True)
    assert "关于做好2027年度工程系列中级职称评审工作的通知" in listing
    pdf = client.get(f"/evaluation/deployments/{plan_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    auth.login("city_demo")
    assert client.get(f"/evaluation/plans/{plan_id}/edit").status_code == 404
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "evaluation_plan", AuditEntry.object_id == plan_id).order_by(AuditEntry.id)))
    assert actions == ["evaluation_plan_create", "evaluation_checklist_add", "evaluation_checklist_add",
                       "evaluation_checklist_add", "evaluation_plan_publish"]


def test_the_plan_text_is_rendered_into_the_pdf(app, demo):
    from datetime import date

    from portal.documents.plan_pdf import PlanDocument, plan_html
    html = plan_html(PlanDocument(
        title="部署", org_name="日照市职改办", year=2027, series="工程技术人员", levels=["中级"], committee="评委会",
        pass_rate=30, body="第一段\n第二段", published_on=date(2027, 5, 20),
        stages=[("材料准备及申报", date(2027, 6, 1), date(2027, 6, 30))],
        checklist={"中级": [("职称申报评审表", "必须提供", "")]}))
    assert "<p>第二段</p>" in html and "2027年6月1日至2027年6月30日" in html and "职称申报评审表" in html
    assert "通过率不超过30%" in html


def test_stage_and_pass_rate_problems_are_shown_with_the_form(client, auth, app, demo):
    auth.login("city_demo")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(EvaluationPlan))
    response = client.post("/evaluation/plans/new", data=_form(
        client, app, pass_rate="150", committee_end="2027-08-01"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "通过率上限应在1%至100%之间" in page and "“评审委员会评审”阶段的结束日期（2027-08-01）早于开始日期" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EvaluationPlan)) == before


def test_one_plan_per_office_year_and_series(client, auth, app, demo):
    auth.login("city_demo")
    _create(client, app)
    page = client.post("/evaluation/plans/new", data=_form(client, app)).get_data(as_text=True)
    assert "本机构2027年度已有“工程技术人员”系列的评审部署" in page


def test_the_committee_must_be_a_committee_in_the_office_region(client, auth, app, demo):
    auth.login("city_demo")
    with app.app_context():
        unit_id = db.session.scalar(select(Organization.id).where(Organization.code == "DG-RMYY"))
    page = client.post("/evaluation/plans/new", data=_form(client, app, committee_id=str(unit_id))).get_data(as_text=True)
    assert "请从列表中选择本地区的评审委员会" in page


def test_plans_are_scoped_and_only_offices_manage_them(client, auth, app, demo):
    auth.login("city_demo")
    plan_id = _create(client, app)
    auth.logout()
    auth.login("county2_demo")  # another county's office: outside the city's region subtree
    assert client.get(f"/evaluation/plans/{plan_id}").status_code == 404
    assert "关于做好" not in client.get("/evaluation/plans").get_data(as_text=True)
    auth.logout()
    auth.login("unit_demo")
    assert client.get("/evaluation/plans").status_code == 403
    assert client.post(f"/evaluation/plans/{plan_id}/publish",
                       data={"csrf_token": csrf_token_of(client, "/home")}).status_code == 403
    auth.logout()
    auth.login("province_demo")  # sees the plan in its region, but it is not its own to change
    assert client.get(f"/evaluation/plans/{plan_id}").status_code == 200
    assert client.get(f"/evaluation/plans/{plan_id}/edit").status_code == 404


def test_unpublished_plans_are_not_public(client, auth, app, demo):
    auth.login("city_demo")
    plan_id = _create(client, app)
    auth.logout()
    assert client.get(f"/evaluation/deployments/{plan_id}.pdf").status_code == 404
    assert "关于做好" not in client.get("/evaluation/deployments").get_data(as_text=True)


def test_edit_changes_the_plan_and_signs_the_diff(client, auth, app, demo):
    auth.login("city_demo")
    plan_id = _create(client, app)
    response = client.post(f"/evaluation/plans/{plan_id}/edit",
                           data=_form(client, app, path=f"/evaluation/plans/{plan_id}/edit", pass_rate="25"))
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation_plan_update"))
        assert entry.diff == {"pass_rate": [30, 25]}


def test_the_demo_has_a_published_plan_with_applications_at_each_stage(client, auth, app, demo):
    evaluation = demo["evaluation"]
    assert evaluation["applicant_account"] == "person_demo"
    assert {"draft", "unit_review", "department_review", "county_review", "city_review", "returned", "withdrawn",
            "to_committee"} <= set(evaluation["status_counts"])
    auth.login("person_demo")
    page = client.get("/evaluation/apply").get_data(as_text=True)
    assert "卫生系列高级职称评审工作安排" in page
    with app.app_context():
        draft = db.session.scalar(select(Application.id).where(
            Application.plan_id == evaluation["plan_id"], Application.status == "draft"))
    assert "保存" in client.get(f"/evaluation/applications/{draft}").get_data(as_text=True)
    assert client.get(f"/evaluation/deployments/{evaluation['plan_id']}.pdf").status_code == 200


def test_plan_progress_counts_applications_per_unit_and_status_within_scope(client, auth, app, demo):
    plan_id = demo["evaluation"]["plan_id"]
    auth.login("city_demo")
    page = client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    assert 'id="progress-table"' in page and "日照市东港区人民医院" in page
    for label in ("已申报", "已公示", "已推荐", "单位审核", "主管部门审核", "县级职改办审核", "市级职改办审核",
                  "已报送评委会", "退回补正", "撤回"):
        assert label in page
    assert "日照市第一中学" in page
    auth.logout()
    auth.login("county2_demo")  # another county reads the city's plan, not the hospital's applicants
    page = client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    assert "日照市东港区人民医院" not in page and "日照市第一中学" not in page
    auth.logout()
    auth.login("unit2_demo")  # the school sees its own applicant only
    page = client.get(f"/evaluation/plans/{plan_id}").get_data(as_text=True)
    assert "日照市第一中学" in page and "日照市东港区人民医院" not in page


def test_the_demo_city_office_can_pass_its_waiting_application(client, auth, app):
    """With the truthfulness letters the real demo issues, the application waiting at the city passes
    every check of the office: notice, signed recommendation, letter, checklist, conditions."""
    from portal import demo as demo_module

    app.config["DEMO_COMMITMENT_LETTERS"] = True
    try:
        with app.app_context():
            demo_module.run(120)
            waiting = db.session.scalar(select(Application).where(Application.status == "city_review"))
            waiting_id, version = waiting.id, waiting.version
            assert waiting.commitment_document_id is not None
            db.session.remove()
    finally:
        app.config["DEMO_COMMITMENT_LETTERS"] = False
    auth.login("city_demo")
    path = f"/evaluation/applications/{waiting_id}"
    client.post(f"{path}/approve", data={"csrf_token": csrf_token_of(client, path), "version": str(version)})
    page = client.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, waiting_id).status == "to_committee", page[page.find("flash"):][:500]
