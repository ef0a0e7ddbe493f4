"""After the committee: the second notice of its results, objections (a false result is cancelled and
blacklisted), the office's confirmation into approved certificates, and the 报批 package."""
import io
import re
import subprocess
import zipfile
from datetime import date, timedelta

from python_calamine import CalamineWorkbook
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (Application, AuditEntry, BlacklistEntry, CommitteeMeeting, ECertificate, EvaluationPlan,
                           NoticeEntry, Objection, PublicNotice)
from tests.conftest import csrf_token_of
from tests.http.test_evaluation_applications import plan_id  # noqa: F401  (a fixture)
from tests.http.test_evaluation_committee import (close, enter, hold_meeting, post, seed_applications,
                                                  seed_experts)

MEETING_DAY = date(2027, 9, 10)


def committee_passes(client, auth, app, pid, monkeypatch) -> list[int]:
    """Three applicants before a committee of seven, all present: the first two pass, the third fails."""
    monkeypatch.setattr(clock, "today", lambda: MEETING_DAY)
    apps = seed_applications(app, pid, per_unit=(1, 1, 1))
    experts = seed_experts(app, 7)
    auth.login("committee_demo")
    mid = hold_meeting(client, app, pid, experts, experts, meeting_date=MEETING_DAY.isoformat())
    enter(client, app, pid, mid, apps[0], 6, 0, 0)  # 王建国 (same unit) recused
    enter(client, app, pid, mid, apps[1], 5, 1, 1)
    enter(client, app, pid, mid, apps[2], 3, 3, 1)
    close(client, pid, mid, minutes="2027-09-10", reason="两名申报人均为省重点项目负责人")
    auth.logout()
    with app.app_context():
        assert [db.session.get(Application, i).status for i in apps] == [
            "committee_passed", "committee_passed", "committee_failed"]
    return apps


def publish_results(client, auth, pid, start: date) -> int:
    auth.login("city_demo")
    path = f"/evaluation/plans/{pid}/result-notice"
    response = post(client, path, path, title="2027年度工程技术中级评审结果公示", body="现予公示。",
                    contact="职改办 0633-8777777", start_date=start.isoformat(), days="5")
    auth.logout()
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/notices/manage/(\d+)", response.headers["Location"]).group(1))


def confirm(client, pid, doc_no="日人社职字〔2027〕35号", doc_date="2027-09-24"):
    path = f"/evaluation/plans/{pid}/committee"
    post(client, f"/evaluation/plans/{pid}/confirm", path, doc_no=doc_no, doc_date=doc_date)
    return client.get(path).get_data(as_text=True)


def test_results_noticed_then_confirmed_into_verifiable_certificates(client, auth, app, plan_id, monkeypatch,
                                                                     tmp_path):  # noqa: F811
    apps = committee_passes(client, auth, app, plan_id, monkeypatch)
    start = date(2027, 9, 13)
    monkeypatch.setattr(clock, "today", lambda: start)
    auth.login("city_demo")
    page = client.get(f"/evaluation/plans/{plan_id}/committee").get_data(as_text=True)
    assert "待公示 2 人" in page
    auth.logout()
    notice_id = publish_results(client, auth, plan_id, start)
    with app.app_context():
        notice = db.session.get(PublicNotice, notice_id)
        end = notice.end_date
        entries = {e.application_id: e.id for e in db.session.scalars(
            select(NoticeEntry).where(NoticeEntry.notice_id == notice_id))}
        assert notice.kind == "results" and set(entries) == set(apps[:2])
        assert [db.session.get(Application, i).status for i in apps[:2]] == ["result_notice"] * 2
    public = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "评审结果公示" in public

    # an objection against the second freezes it
    client.post(f"/notices/{notice_id}/objections/new", data={
        "entry_id": str(entries[apps[1]]), "name": "刘某", "phone": "13905331234",
        "grounds": "该人员的业绩材料系伪造。", "csrf_token": csrf_token_of(client, f"/notices/{notice_id}")},
        content_type="multipart/form-data")
    with app.app_context():
        assert db.session.get(Application, apps[1]).objection_open is True
        objection_id = db.session.scalar(select(Objection.id).where(Objection.application_id == apps[1]))

    # during the notice nothing can be confirmed
    auth.login("city_demo")
    page = confirm(client, plan_id, doc_date=start.isoformat())
    assert "没有评审结果公示期满且无异议的评审通过人员" in page
    monkeypatch.setattr(clock, "today", lambda: end + timedelta(days=1))
    page = client.get(f"/evaluation/plans/{plan_id}/committee").get_data(as_text=True)
    assert "可确认 1 人" in page  # the frozen one waits

    # a false result cannot be "returned": it is cancelled, and the person blacklisted for three years
    resolve_path = f"/notices/manage/objections/{objection_id}/resolve"
    client.post(resolve_path, data={"csrf_token": csrf_token_of(client, f"/notices/manage/{notice_id}"),
                                    "decision": "upheld", "outcome": "returned", "reason": "业绩材料伪造属实。"})
    with app.app_context():
        assert db.session.get(Application, apps[1]).status == "result_notice"
    client.post(resolve_path, data={"csrf_token": csrf_token_of(client, f"/notices/manage/{notice_id}"),
                                    "decision": "upheld", "outcome": "cancelled", "reason": "业绩材料伪造属实。"})
    with app.app_context():
        cancelled = db.session.get(Application, apps[1])
        assert cancelled.status == "cancelled" and cancelled.objection_open is False
        entry = db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.person_id == cancelled.person_id))
        today = end + timedelta(days=1)
        assert entry.start_date == today and entry.end_date == date(today.year + 3, today.month, today.day) \
            - timedelta(days=1)
        assert "评审结果作废" in entry.reason

    # the document needs a number and a date not in the future
    page = confirm(client, plan_id, doc_no=" ", doc_date=(end + timedelta(days=5)).isoformat())
    assert "请填写确认文件的文号" in page and "不能晚于今天" in page
    page = confirm(client, plan_id, doc_date=(end + timedelta(days=1)).isoformat())
    assert "1人取得职称" in page
    with app.app_context():
        first = db.session.get(Application, apps[0])
        cert = first.certificate
        assert first.status == "confirmed" and cert.status == "approved" and cert.verify_token
        assert cert.approval_doc_no == "日人社职字〔2027〕35号" and cert.issue_date == end + timedelta(days=1)
        assert cert.review_committee_name == "日照市工程技术中级评审委员会办事机构"
        assert cert.committee_id == first.committee_id and cert.review_year == 2027 and cert.level == "中级"
        assert cert.title_name == "工程师" and cert.obtain_method == "review"  # the only one at 中级
        name, id_number, cert_no = first.person.name, first.person.id_number, cert.cert_no
        assert db.session.scalar(select(AuditEntry.action).where(
            AuditEntry.object_type == "certificate", AuditEntry.object_id == cert.id)) == "evaluation_certify"
    assert cert_no in page
    # its electronic certificate was issued in the background, signed by the confirming office
    with app.app_context():
        ecert = db.session.scalar(select(ECertificate).where(ECertificate.certificate_id == cert.id))
        assert ecert is not None and ecert.kind == "original" and ecert.issuer.code == "RZ-ZGB"
    # a second confirmation finds nobody left
    assert "没有评审结果公示期满且无异议的评审通过人员" in confirm(client, plan_id)
    auth.logout()

    # verifiable at once on the public lookup
    body = client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), "name": name,
                                        "id_number": id_number}).get_data(as_text=True)
    assert "查到" in body and cert_no in body and "日照市工程技术中级评审委员会办事机构" in body
    assert id_number not in body

    # the 报批 package: report, roster, result record and vote summary
    auth.login("city_demo")
    response = client.get(f"/evaluation/plans/{plan_id}/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names == ["1-报送评审通过人员名单的报告.pdf", "2-评审专业技术职务资格报批名册表.xlsx", "3-评审结果记录单.pdf",
                     "4-评委会投票汇总表.pdf"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(archive.read(names[1]))).get_sheet_by_index(0).to_python()
    assert rows[1][:3] == ["序号", "姓名", "性别"]
    listed = [r[1] for r in rows[2:]]
    assert listed == [name]  # the cancelled one is not reported
    assert [int(v) for v in rows[2][12:15]] == [6, 0, 0] and rows[2][15] == "通过"
    texts = {}
    for n in (names[0], names[2], names[3]):
        path = tmp_path / n
        path.write_bytes(archive.read(n))
        assert "Signature is Valid" in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        texts[n] = "".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                                          text=True).stdout.split())
    report = texts[names[0]]
    assert "报送" in report and name in report and "日照市职称改革领导小组办公室" in report
    assert "2027年9月10日" in report and "山东省职称改革领导小组办公室" in report
    assert "评审结果记录单" in texts[names[2]] and "评委会投票汇总表" in texts[names[3]]
    # the same list reuses the signed report
    again = zipfile.ZipFile(io.BytesIO(client.get(f"/evaluation/plans/{plan_id}/package.zip").data))
    assert again.read(names[0]) == archive.read(names[0])


def test_only_the_plans_office_confirms_and_publishes(client, auth, app, plan_id, monkeypatch):  # noqa: F811
    committee_passes(client, auth, app, plan_id, monkeypatch)
    auth.login("committee_demo")
    assert client.get(f"/evaluation/plans/{plan_id}/result-notice").status_code == 403
    assert client.get(f"/evaluation/plans/{plan_id}/package.zip").status_code == 302
    page = confirm(client, plan_id)
    assert "只有本部署的组织单位" in page
    auth.logout()
    auth.login("province_demo")  # sees the plan, but it is not its own
    assert client.get(f"/evaluation/plans/{plan_id}/result-notice").status_code == 403


def test_the_demo_cycle_signs_its_committee_documents_on_request_then_packages(client, auth, app, demo):
    assert {"committee_failed", "result_notice", "confirmed", "cancelled"} <= set(
        demo["evaluation"]["status_counts"])
    with app.app_context():
        plan_id = db.session.scalar(select(EvaluationPlan.id).where(EvaluationPlan.series == "agriculture"))
    path = f"/evaluation/plans/{plan_id}/committee"
    auth.login("city_demo")
    response = client.get(f"/evaluation/plans/{plan_id}/package.zip")
    assert response.status_code == 302
    assert "评审委员会尚未出具签章的评审结果记录单" in client.get(path).get_data(as_text=True)
    auth.logout()
    auth.login("committee_demo")
    page = client.get(path).get_data(as_text=True)
    assert "出具签章文书" in page and "超过上限的书面理由" in page
    with app.app_context():
        meeting_id = db.session.scalar(select(CommitteeMeeting.id).where(CommitteeMeeting.plan_id == plan_id))
    post(client, f"/evaluation/meetings/{meeting_id}/documents", path)
    page = client.get(path).get_data(as_text=True)
    assert "评委会投票汇总表和评审结果记录单已签章出具" in page and "出具签章文书</button>" not in page
    auth.logout()
    auth.login("city_demo")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/evaluation/plans/{plan_id}/package.zip").data))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(archive.read("2-评审专业技术职务资格报批名册表.xlsx"))) \
        .get_sheet_by_index(0).to_python()
    # confirmed twice, and the one on the running notice; not the cancelled or failed ones
    assert [r[16] for r in rows[2:]].count("已确认") == 2 and len(rows) - 2 == 3
