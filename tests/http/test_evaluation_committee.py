"""The committee (评审委员会): expert pool, meeting, attendance, recusal, anonymous ballots, results and
the signed 评委会投票汇总表 / 评审结果记录单."""
import subprocess
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.domain.creditcode import build_credit_code
from portal.models import (Application, AuditEntry, CommitteeMeeting, EvaluationPlan, Expert, Organization, Person,
                           User, VoteCount)
from portal.models._types import utcnow
from tests.conftest import csrf_token_of
from tests.http.test_evaluation_applications import plan_id  # noqa: F401  (a fixture)

UNITS = ("DG-RMYY", "RZ-YZ", "JX-NJZ")
EXPERTS = [("王建国", "日照市东港区人民医院", "DG-RMYY"), ("李红", "日照市中心医院", None),
           ("赵强", "日照市岚山区人民医院", None), ("钱进", "日照市第二人民医院", None),
           ("孙丽", "日照市妇幼保健院", None), ("周平", "莒县人民医院", None), ("吴敏", "五莲县人民医院", None),
           ("郑华", "日照市中医医院", None)]


def seed_applications(app, pid, per_unit=(2, 1, 1)) -> list[int]:
    """Applications sent to the committee, from the demo's units (the first unit's two share the
    unit of the first expert, who must recuse)."""
    with app.app_context():
        plan = db.session.get(EvaluationPlan, pid)
        ids = []
        for code, count in zip(UNITS, per_unit):
            unit = db.session.scalar(select(Organization).where(Organization.code == code))
            people = db.session.scalars(select(Person).where(Person.org_id == unit.id).order_by(Person.id)
                                        .limit(count))
            for person in people:
                a = Application(plan_id=plan.id, person_id=person.id, org_id=unit.id,
                                unit_region_code=unit.region_code, committee_id=plan.committee_id, year=plan.year,
                                level="中级", specialty="电气工程", route="ordinary", education="bachelor_graduate",
                                public_hours=30, professional_hours=60, status="to_committee",
                                submitted_at=utcnow())
                db.session.add(a)
                db.session.flush()
                ids.append(a.id)
        db.session.commit()
        return ids


def seed_experts(app, count=len(EXPERTS)) -> list[int]:
    with app.app_context():
        committee = db.session.scalar(select(Organization).where(Organization.code == "RZ-GCPW"))
        ids = []
        for name, unit_name, code in EXPERTS[:count]:
            unit = db.session.scalar(select(Organization).where(Organization.code == code)) if code else None
            e = Expert(committee_id=committee.id, region_code=committee.region_code, name=name, unit_name=unit_name,
                       org_id=unit.id if unit else None, series="engineering", specialty="电气工程",
                       title="正高级工程师", active=True)
            db.session.add(e)
            db.session.flush()
            ids.append(e.id)
        db.session.commit()
        return ids


def post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_token_of(client, page)} | data)


def meeting_id_of(app, pid) -> int:
    with app.app_context():
        return db.session.scalar(select(CommitteeMeeting.id).where(CommitteeMeeting.plan_id == pid))


def hold_meeting(client, app, pid, expert_ids, present, meeting_date="2027-09-10"):
    page = f"/evaluation/plans/{pid}/committee"
    post(client, page, page, meeting_date=meeting_date, place="市人社局三楼会议室",
         experts=[str(i) for i in expert_ids])
    mid = meeting_id_of(app, pid)
    post(client, f"/evaluation/meetings/{mid}/attendance", page, present=[str(i) for i in present])
    return mid


def enter(client, app, pid, mid, application_id, yes, no, abstain):
    page = f"/evaluation/plans/{pid}/committee"
    post(client, f"/evaluation/meetings/{mid}/ballots/{application_id}", page, yes=str(yes), no=str(no),
         abstain=str(abstain))
    return client.get(page).get_data(as_text=True)


def close(client, pid, mid, minutes="2027-09-12", reason=""):
    page = f"/evaluation/plans/{pid}/committee"
    post(client, f"/evaluation/meetings/{mid}/close", page, minutes_date=minutes, pass_rate_reason=reason)
    return client.get(page).get_data(as_text=True)


def statuses(app, ids):
    with app.app_context():
        return [db.session.get(Application, i).status for i in ids]


def test_committee_meeting_from_pool_to_signed_results(client, auth, app, plan_id, tmp_path):  # noqa: F811
    apps = seed_applications(app, plan_id)
    experts = seed_experts(app, 7)
    auth.login("committee_demo")
    home = client.get("/evaluation/committee").get_data(as_text=True)
    assert "2027年度工程系列职称评审" in home and "王建国" in home
    post(client, "/evaluation/committee/experts", "/evaluation/committee", name="", unit_name="x",
         series="engineering", specialty="y", title="z")
    assert "请填写评审专家的姓名" in client.get("/evaluation/committee").get_data(as_text=True)
    post(client, "/evaluation/committee/experts", "/evaluation/committee", name="郑华", unit_name="日照市中医医院",
         series="engineering", specialty="电气工程", title="正高级工程师")
    with app.app_context():
        added = db.session.scalar(select(Expert.id).where(Expert.name == "郑华"))
    page_path = f"/evaluation/plans/{plan_id}/committee"

    # an even number, or fewer than the minimum, is refused
    post(client, page_path, page_path, meeting_date="2027-09-10", experts=[str(i) for i in experts[:6]])
    page = client.get(page_path).get_data(as_text=True)
    assert "评委人数应为单数" in page and "不少于7名" in page and meeting_id_of(app, plan_id) is None

    # 7 members, 4 present: no quorum, no ballots
    mid = hold_meeting(client, app, plan_id, experts[:6] + [added], experts[:4])
    page = client.get(page_path).get_data(as_text=True)
    assert "不足三分之二，不得表决" in page
    post(client, f"/evaluation/meetings/{mid}/ballots/{apps[2]}", page_path, yes="4", no="0", abstain="0")
    with app.app_context():
        assert db.session.scalar(select(VoteCount.id).where(VoteCount.meeting_id == mid)) is None

    # 5 present (5*3 >= 7*2): the vote may go on
    post(client, f"/evaluation/meetings/{mid}/attendance", page_path, present=[str(i) for i in experts[:5]])
    page = client.get(page_path).get_data(as_text=True)
    assert "达到三分之二，可以表决" in page

    # 王建国 shares the first two applicants' unit: 4 may vote on them, a 5th ballot is refused
    page = enter(client, app, plan_id, mid, apps[0], 5, 0, 0)
    assert "超过可参加表决的出席评委人数（4人，已除去回避评委）" in page
    # 李红 is marked related to the third applicant
    post(client, f"/evaluation/meetings/{mid}/related", page_path, expert_id=str(experts[1]),
         application_id=str(apps[2]), reason="同一课题组成员")
    page = enter(client, app, plan_id, mid, apps[2], 5, 0, 0)
    assert "已除去回避评委" in page

    enter(client, app, plan_id, mid, apps[0], 3, 1, 0)  # 3 of 4: passes
    enter(client, app, plan_id, mid, apps[1], 2, 1, 1)  # 2 of 4: fails
    enter(client, app, plan_id, mid, apps[2], 3, 1, 0)  # 3 of 4 (李红 recused): passes
    page = close(client, plan_id, mid)
    assert "尚未录入表决票" in page and statuses(app, apps) == ["to_committee"] * 4
    page = enter(client, app, plan_id, mid, apps[3], 4, 1, 0)  # 4 of 5: passes
    assert "本年度通过率上限 <strong>30%</strong>" in page and "超过上限，须书面说明理由" in page

    # 3 of 4 passed is above the plan's 30 %: a written reason is needed
    page = close(client, plan_id, mid)
    assert "超过本年度通过率上限30%，请书面说明理由" in page
    page = close(client, plan_id, mid, minutes="2027-09-12", reason="本批申报人员均为重点项目骨干，业绩突出")
    assert statuses(app, apps) == ["committee_passed", "committee_failed", "committee_passed", "committee_passed"]
    assert "已结束" in page and "评委会投票汇总表" in page and "评审结果记录单" in page

    with app.app_context():
        meeting = db.session.get(CommitteeMeeting, mid)
        docs = [meeting.summary_document, meeting.record_document]
        assert meeting.minutes_date == date(2027, 9, 12)
        names = [m.expert.name for m in meeting.members]
        actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "committee_meeting",
                                                                        AuditEntry.object_id == mid)))
    assert {"committee_meeting_create", "committee_attendance", "committee_recusal", "committee_ballots",
            "committee_close"} <= actions
    for doc in docs:
        response = client.get(f"/letters/documents/{doc.number}.pdf")
        assert response.status_code == 200
        path = tmp_path / f"{doc.number}.pdf"
        path.write_bytes(response.data)
        sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in sig and "日照市工程技术中级评审委员会办事机构" in sig
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        squeezed = "".join(text.split())
        assert doc.title in squeezed and "2027年9月12日" in squeezed  # the minutes' date
        assert all(name in squeezed for name in names)
        assert "本批申报人员均为重点项目骨干" in squeezed
    summary = "".join(subprocess.run(["pdftotext", "-layout", str(tmp_path / f"{docs[0].number}.pdf"), "-"],
                                     capture_output=True, text=True).stdout.split())
    assert "无记名投票" in summary and "同意" in summary

    # closed: nothing changes any more
    page = enter(client, app, plan_id, mid, apps[1], 4, 0, 0)
    assert "评审会议已结束" in page
    auth.logout()

    # the plan's office sees the results and the pass rate beside them, but not who recused by name
    auth.login("city_demo")
    page = client.get(page_path).get_data(as_text=True)
    assert "通过 3 人 / 参评 4 人" in page and "75.0%" in page
    assert "王建国</td>" not in page


def test_an_expert_votes_on_their_own_account_and_a_recused_ballot_is_refused(client, auth, app,
                                                                                 plan_id):  # noqa: F811
    apps = seed_applications(app, plan_id, per_unit=(1, 1, 0))
    experts = seed_experts(app, 7)
    with app.app_context():
        committee = db.session.scalar(select(Organization).where(Organization.code == "RZ-GCPW"))
        person_user = db.session.scalar(select(User).where(User.username == "person_demo"))
        voter = User(username="expert_wang", display_name="王建国", role="person", org_id=None,
                     password_hash=person_user.password_hash, active=True)
        db.session.add(voter)
        db.session.flush()
        db.session.get(Expert, experts[0]).user_id = voter.id  # 王建国, of the first applicant's unit
        db.session.commit()
        assert committee is not None
    auth.login("committee_demo")
    mid = hold_meeting(client, app, plan_id, experts, experts)
    auth.logout()

    auth.login("expert_wang")
    page = client.get(f"/evaluation/meetings/{mid}/my-ballots").get_data(as_text=True)
    assert "回避，不参加表决" in page
    post(client, f"/evaluation/meetings/{mid}/vote/{apps[0]}", f"/evaluation/meetings/{mid}/my-ballots",
         choice="yes")
    page = client.get(f"/evaluation/meetings/{mid}/my-ballots").get_data(as_text=True)
    assert "该评委须回避" in page
    post(client, f"/evaluation/meetings/{mid}/vote/{apps[1]}", f"/evaluation/meetings/{mid}/my-ballots",
         choice="no")
    post(client, f"/evaluation/meetings/{mid}/vote/{apps[1]}", f"/evaluation/meetings/{mid}/my-ballots",
         choice="yes")
    page = client.get(f"/evaluation/meetings/{mid}/my-ballots").get_data(as_text=True)
    assert "您已对该申报人投过票" in page and "已投票" in page
    with app.app_context():
        counts = {v.application_id: (v.yes, v.no, v.abstain)
                  for v in db.session.scalars(select(VoteCount).where(VoteCount.meeting_id == mid))}
        trail = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "committee_ballot_cast")))
    assert counts == {apps[1]: (0, 1, 0)}
    # the trail says a ballot came in, never which way
    assert len(trail) == 1 and "no" not in str(trail[0].diff) and "yes" not in str(trail[0].diff)
    # the office may not enter paper ballots over online ones
    auth.logout()
    auth.login("committee_demo")
    page = enter(client, app, plan_id, mid, apps[1], 3, 0, 0)
    assert "评委已在线投票" in page


@pytest.mark.parametrize("username", ["unit_demo", "county_demo"])
def test_only_the_committee_office_runs_the_meeting(client, auth, app, plan_id, username):  # noqa: F811
    seed_applications(app, plan_id)
    experts = seed_experts(app, 7)
    auth.login(username)
    assert client.get("/evaluation/committee").status_code == 403
    page_path = f"/evaluation/plans/{plan_id}/committee"
    response = client.post(page_path, data={"csrf_token": csrf_token_of(client, "/home"),
                                            "meeting_date": "2027-09-10", "experts": [str(i) for i in experts]})
    assert response.status_code in (403, 404)
    assert meeting_id_of(app, plan_id) is None


def test_an_expert_is_linked_to_a_registered_unit_and_their_own_account(client, auth, app, plan_id):  # noqa: F811
    with app.app_context():
        unit = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        unit_id, credit_code = unit.id, unit.credit_code
        person_account = db.session.scalar(select(User).where(User.username == "person_demo")).id
    auth.login("committee_demo")
    form = dict(series="engineering", specialty="电气工程", title="正高级工程师")

    def add(**fields):
        post(client, "/evaluation/committee/experts", "/evaluation/committee", **(form | fields))
        return client.get("/evaluation/committee").get_data(as_text=True)

    unregistered = build_credit_code("91371100MA3C12345")
    page = add(name="冯远", unit_name="某单位", credit_code=unregistered)
    assert f"平台中没有统一社会信用代码为{unregistered}的单位" in page
    page = add(name="冯远", unit_name="某单位", credit_code=credit_code[:17] + ("0" if credit_code[17] != "0" else "1"))
    assert "统一社会信用代码校验位错误" in page
    assert "冯远" not in page.split('id="expert-table"')[1].split("</table>")[0], "nothing saved on a problem"
    page = add(name="冯远", unit_name="东港区人民医院", credit_code="", username="nobody_here")
    assert "没有这个可用的平台账号" in page
    page = add(name="冯远", unit_name="东港区人民医院", credit_code=credit_code.lower(), username="person_demo")
    with app.app_context():
        expert = db.session.scalar(select(Expert).where(Expert.name == "冯远"))
        assert expert.org_id == unit_id and expert.user_id == person_account
    page = add(name="卫东", unit_name="东港区人民医院", username="person_demo")
    assert "该账号已关联其他评审专家" in page
    with app.app_context():
        assert db.session.scalar(select(Expert.id).where(Expert.name == "卫东")) is None
