"""Level-by-level review: approve, return, lock, deadlines, conflicts, signed trail."""
import os
import threading
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from portal.access import visibility
from portal.domain.idnumber import build_resident_id
from portal.extensions import db
from portal.models import (AuditEntry, BlacklistEntry, Campaign, CampaignDeadline, Certificate, Organization,
                           Person, User)
from portal import workflow as services
from tests.conftest import csrf_token_of, tamper

_sequence = count(100)


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def _new_cert(app, org_code="DG-RMYY", name="林审核", **fields) -> int:
    """A fresh draft certificate of a new person in `org_code`."""
    with app.app_context():
        org = _org(org_code)
        number = build_resident_id(org.region_code, date(1980, 1, 1) + timedelta(days=next(_sequence)), 101)
        person = Person(name=name, sex="男", id_type="resident_id", id_number=number, id_tail=number[-4:],
                        org_id=org.id, unit_region_code=org.region_code)
        db.session.add(person)
        db.session.flush()
        cert = Certificate(person_id=person.id, org_id=org.id, unit_region_code=org.region_code,
                           cert_no=f"RZ{next(_sequence):08d}", issue_date=date(2016, 5, 20), review_year=2016,
                           series="health_technician", level="中级", title_name="主治医师", obtain_method="review",
                           issuing_authority="日照市人力资源和社会保障局", status="draft", **fields)
        db.session.add(cert)
        db.session.commit()
        return cert.id


def _submit(app, cert_id, by="unit_demo"):
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        services.submit(cert_id, _user(by), cert.version, True)


def _approve_as(app, cert_id, *usernames):
    with app.app_context():
        for username in usernames:
            cert = db.session.get(Certificate, cert_id, populate_existing=True)
            services.approve(cert_id, _user(username), cert.version)


def _state(app, cert_id):
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        return cert.status, cert.version, cert.return_reason


def _post(client, path, data, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token_of(client, "/home"), **data}, **kwargs)


def _act(client, auth, app, username, cert_id, action, **data):
    """Log in, post one review action with the version the page showed, log out; the page seen."""
    version = data.pop("version", None)
    if version is None:
        version = _state(app, cert_id)[1]
    auth.login(username)
    page = _post(client, f"/review/certificates/{cert_id}/{action}", {"version": version, **data},
                 follow_redirects=True).get_data(as_text=True)
    auth.logout()
    return page


# --- the whole chain ---------------------------------------------------------------------------------

def test_a_record_climbs_unit_county_city_province_and_every_step_is_signed(client, auth, demo, app):
    cert_id = _new_cert(app)
    _submit(app, cert_id, by="unit_demo")
    expected = [("unit_demo", "county_review"), ("county_demo", "city_review"),
                ("city_demo", "province_review"), ("province_demo", "approved")]
    for username, status in expected:
        page = _act(client, auth, app, username, cert_id, "approve")
        assert "已审查确认" in page
        assert _state(app, cert_id)[0] == status
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert cert.approved_at is not None and len(cert.verify_token) == 43
        steps = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_type == "certificate", AuditEntry.object_id == cert_id).order_by(AuditEntry.id)))
        assert [s.action for s in steps] == ["submit", "approve", "approve", "approve", "approve"]
        assert [(s.actor_name, s.actor_role, s.actor_org_name) for s in steps[1:]] == [
            ("李经办", "unit", "日照市东港区人民医院"),
            ("吴审核", "county_office", "东港区职称改革领导小组办公室"),
            ("冯审核", "city_office", "日照市职称改革领导小组办公室"),
            ("陈审核", "province_office", "山东省职称改革领导小组办公室"),
        ]
        assert steps[-1].diff == {"status": ["province_review", "approved"]}
    auth.login("city_demo")
    timeline = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    assert timeline.count('class="step step-approve"') == 4
    assert "陈审核" in timeline and "省级职改办 · 山东省职称改革领导小组办公室" in timeline
    assert "待市级职改办审核 → 待省级职改办审核" in timeline


def test_a_department_sits_between_its_unit_and_the_city(app, demo):
    cert_id = _new_cert(app, "RZ-YZ")
    _submit(app, cert_id, by="unit2_demo")
    _approve_as(app, cert_id, "unit2_demo")
    assert _state(app, cert_id)[0] == "department_review"
    _approve_as(app, cert_id, "dept_demo")
    assert _state(app, cert_id)[0] == "city_review"  # no county office above 日照市教育局


def test_approval_locks_the_record_against_the_unit(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    auth.login("unit_demo")
    assert client.get(f"/entry/certificates/{cert_id}/edit").status_code == 200
    auth.logout()
    _approve_as(app, cert_id, "unit_demo")
    auth.login("unit_demo")
    page = client.get(f"/entry/certificates/{cert_id}/edit").get_data(as_text=True)
    assert "已提交审核并锁定，不能修改" in page and "<fieldset disabled>" in page


# --- who may act ----------------------------------------------------------------------------------------

def test_only_the_level_holding_the_record_may_act(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    assert "不在您的审核环节" in _act(client, auth, app, "city_demo", cert_id, "approve")
    assert "不存在或不在您的管辖范围内" in _act(client, auth, app, "county2_demo", cert_id, "approve")
    assert "不存在或不在您的管辖范围内" in _act(client, auth, app, "unit2_demo", cert_id, "approve")
    assert _state(app, cert_id)[:2] == ("unit_review", 2)
    auth.login("person_demo")
    assert _post(client, f"/review/certificates/{cert_id}/approve", {"version": 2}).status_code == 403


def test_an_open_objection_stops_the_record(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    with app.app_context():
        db.session.get(Certificate, cert_id).objection_open = True  # set by the public-notice feature
        db.session.commit()
    page = _act(client, auth, app, "unit_demo", cert_id, "approve")
    assert "公示异议，异议处理完成前不能审查确认" in page
    assert _state(app, cert_id)[0] == "unit_review"
    blocked_draft = _new_cert(app, objection_open=True)
    with app.app_context():
        with pytest.raises(services.WorkflowError, match="异议处理完成前不能提交"):
            services.submit(blocked_draft, _user("unit_demo"), 1, True)
        assert db.session.get(Certificate, blocked_draft).status == "draft"


# --- returning ---------------------------------------------------------------------------------------------

def test_return_needs_a_reason(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    page = _act(client, auth, app, "unit_demo", cert_id, "return", target="returned", reason="   ")
    assert "退回必须填写原因" in page
    assert _state(app, cert_id)[0] == "unit_review"


def test_a_higher_level_may_return_to_any_lower_level(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo", "county_demo")
    auth.login("city_demo")
    form = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    assert 'value="returned"' in form and 'value="unit_review"' in form and 'value="county_review"' in form
    assert 'value="city_review"' not in form
    auth.logout()
    page = _act(client, auth, app, "city_demo", cert_id, "return", target="county_review",
                reason="请县级核对评审机构名称", fix_fields=["review_committee_name"])
    assert "已退回，记录当前为“待县级职改办审核”" in page
    assert _state(app, cert_id)[0::2] == ("county_review", "请县级核对评审机构名称")
    auth.login("county_demo")
    queue = client.get("/review/").get_data(as_text=True)
    assert "上级退回" in queue
    detail = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    assert "上级退回原因" in detail and "请县级核对评审机构名称" in detail
    auth.logout()
    with app.app_context():
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "return"))
        assert step.reason == "请县级核对评审机构名称" and step.actor_role == "city_office"
        assert step.diff == {"status": ["city_review", "county_review"], "fix_fields": ["review_committee_name"]}


@pytest.mark.parametrize("target", ["province_review", "approved", "city_review", "draft"])
def test_return_cannot_go_up_or_sideways(client, auth, app, demo, target):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo", "county_demo")
    page = _act(client, auth, app, "city_demo", cert_id, "return", target=target, reason="测试")
    assert "退回对象不正确" in page
    assert _state(app, cert_id)[0] == "city_review"


def test_returned_to_the_entrant_it_is_corrected_and_climbs_again(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo")
    _act(client, auth, app, "county_demo", cert_id, "return", target="returned", reason="证书编号有误")
    assert _state(app, cert_id)[0::2] == ("returned", "证书编号有误")
    auth.login("unit_demo")
    assert client.get(f"/entry/certificates/{cert_id}/edit").status_code == 200
    auth.logout()
    _submit(app, cert_id)
    status, _, reason = _state(app, cert_id)
    assert (status, reason) == ("unit_review", None)


# --- conflicts ------------------------------------------------------------------------------------------

def test_a_stale_or_tampered_version_is_refused_and_changes_nothing(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    assert "已被他人处理" in _act(client, auth, app, "unit_demo", cert_id, "approve", version="1")
    assert "缺少记录版本信息" in _act(client, auth, app, "unit_demo", cert_id, "approve", version="abc")
    assert "已被他人处理" in _act(client, auth, app, "unit_demo", cert_id, "return", version="7",
                              target="returned", reason="x")
    assert _state(app, cert_id)[:2] == ("unit_review", 2)


@pytest.mark.postgres_only
def test_of_two_simultaneous_approvals_exactly_one_wins(app, demo):
    """On PostgreSQL two threads on two connections approve at the same moment; elsewhere the
    second reviewer's save lands after the first one committed (the optimistic version check)."""
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    with app.app_context():
        org = _org("DG-RMYY")
        second = User(username="unit_demo_b", display_name="钱经办", role="unit", org_id=org.id)
        second.set_password("Demo@2026-b")
        db.session.add(second)
        db.session.commit()
    outcomes = {}
    if os.environ.get("TEST_DATABASE") == "postgres":
        barrier = threading.Barrier(2)

        def reviewer(username):
            with app.app_context():
                user = _user(username)
                barrier.wait()
                try:
                    services.approve(cert_id, user, 2)
                    outcomes[username] = "won"
                except services.Conflict as conflict:
                    outcomes[username] = conflict.message
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=reviewer, args=(name,)) for name in ("unit_demo", "unit_demo_b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        from portal import workflow as module

        original = module.audit.record

        def first_reviewer_commits_in_between(*args, **kwargs):
            # Reviewer B has read version 2 and is about to save; reviewer A saves first.
            module.audit.record = original
            with app.app_context():
                services.approve(cert_id, _user("unit_demo"), 2)
                outcomes["unit_demo"] = "won"
            return original(*args, **kwargs)

        with app.app_context():
            module.audit.record = first_reviewer_commits_in_between
            try:
                services.approve(cert_id, _user("unit_demo_b"), 2)
                outcomes["unit_demo_b"] = "won"
            except services.Conflict as conflict:
                outcomes["unit_demo_b"] = conflict.message
            finally:
                module.audit.record = original
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert len(outcomes) == 2 and len(winners) == 1
    loser_message = next(outcome for outcome in outcomes.values() if outcome != "won")
    assert "在您打开之后已被他人处理" in loser_message and "您的操作未生效" in loser_message
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert (cert.status, cert.version) == ("county_review", 3)
        approvals = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.object_id == cert_id, AuditEntry.action == "approve")))
        assert len(approvals) == 1 and approvals[0].actor_id == _user(winners[0]).id


# --- bulk -------------------------------------------------------------------------------------------------

def test_bulk_approve_handles_each_record_on_its_own(client, auth, app, demo):
    ids = [_new_cert(app, name=f"批量{i}") for i in range(3)]
    for cert_id in ids:
        _submit(app, cert_id)
    auth.login("unit_demo")
    page = client.get("/review/?q=批量").get_data(as_text=True)
    for cert_id in ids:
        assert f'value="{cert_id}:2"' in page
    stale = f"{ids[2]}:1"
    result = _post(client, "/review/bulk-approve", {"item": [f"{ids[0]}:2", f"{ids[1]}:2", stale, "x:y"],
                                                    "back": "q=批量&status=pending"}, follow_redirects=True)
    body = result.get_data(as_text=True)
    assert "已批量审查确认2条记录" in body and f"记录 {ids[2]} 未处理" in body and "1条选择的数据格式不正确" in body
    assert [_state(app, i)[0] for i in ids] == ["county_review", "county_review", "unit_review"]
    assert result.request.args.get("q") == "批量"


# --- deadlines -------------------------------------------------------------------------------------------

def _campaign(app, deadlines):
    with app.app_context():
        campaign = Campaign(name="2026年职称信息采集", org_id=_org("SD-ZGB").id)
        campaign.deadlines = [CampaignDeadline(level=k, due_date=v) for k, v in deadlines.items()]
        db.session.add(campaign)
        db.session.commit()


def test_after_its_deadline_a_level_cannot_report_and_its_queue_is_marked_overdue(client, auth, app, demo):
    yesterday = date.today() - timedelta(days=1)
    # The campaign exists before submission, as in life: a record is tied to the campaign it is submitted under.
    _campaign(app, {"county_review": yesterday})
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo")
    page = _act(client, auth, app, "county_demo", cert_id, "approve")
    assert f"县级职改办审核报送的截止日期为{yesterday.isoformat()}，已过截止时间，不再受理" in page
    assert _state(app, cert_id)[0] == "county_review"
    auth.login("county_demo")
    queue = client.get("/review/").get_data(as_text=True)
    assert "已超过截止时间" in queue and 'class="overdue' in queue and "逾期" in queue
    only_overdue = client.get("/review/?overdue=1&status=all").get_data(as_text=True)
    assert f"/review/certificates/{cert_id}" in only_overdue
    assert "待市级职改办审核</span>" not in only_overdue


def test_the_queue_calls_overdue_what_the_record_s_own_campaign_enforces(client, auth, app, demo):
    yesterday, later = date.today() - timedelta(days=1), date.today() + timedelta(days=30)
    _campaign(app, {"county_review": yesterday})  # the province's, under which the first record is submitted
    late = _new_cert(app)
    _submit(app, late)
    _approve_as(app, late, "unit_demo")
    with app.app_context():  # then the county opens a campaign of its own, with a later deadline
        county = Campaign(name="东港区2026年职称信息采集", org_id=_org("DG-ZGB").id)
        county.deadlines = [CampaignDeadline(level="county_review", due_date=later)]
        db.session.add(county)
        db.session.commit()
    on_time = _new_cert(app)
    _submit(app, on_time)
    _approve_as(app, on_time, "unit_demo")
    assert "已过截止时间，不再受理" in _act(client, auth, app, "county_demo", late, "approve")
    auth.login("county_demo")
    only_overdue = client.get("/review/?overdue=1").get_data(as_text=True)
    assert f"/review/certificates/{late}" in only_overdue
    assert f"/review/certificates/{on_time}" not in only_overdue
    queue = client.get("/review/").get_data(as_text=True)
    rows = {cert_id: next(row for row in queue.split("<tr") if f"/review/certificates/{cert_id}" in row)
            for cert_id in (late, on_time)}
    assert "逾期" in rows[late] and "逾期" not in rows[on_time]


# --- the queue ----------------------------------------------------------------------------------------

def test_queue_searches_by_name_id_tail_and_certificate_number(client, auth, app, demo):
    cert_id = _new_cert(app, name="欧阳查找")
    _submit(app, cert_id)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        tail, cert_no = cert.person.id_tail, cert.cert_no
    auth.login("unit_demo")
    for query in ("欧阳", tail, cert_no[:6]):
        page = client.get("/review/", query_string={"q": query}).get_data(as_text=True)
        assert f"/review/certificates/{cert_id}" in page, query
    nothing = client.get("/review/", query_string={"q": "不存在的人"}).get_data(as_text=True)
    assert "没有符合条件的记录" in nothing


def test_queue_answers_htmx_with_the_results_fragment_only(client, auth, app, demo):
    auth.login("city_demo")
    full = client.get("/review/?status=all").get_data(as_text=True)
    assert '<form method="get" action="/review/"' in full and 'hx-trigger="input changed delay:300ms' in full
    fragment = client.get("/review/?status=all", headers={"HX-Request": "true", "HX-Target": "queue-results"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="queue-rows"' in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_queue_filters_and_keyset_pages(client, auth, app, demo):
    auth.login("province_demo")
    with app.app_context():
        province = _user("province_demo")
        expected = list(db.session.scalars(select(Certificate.id).where(
            visibility(Certificate, province), Certificate.level == "中级").order_by(Certificate.id)))
    assert len(expected) > 0
    seen, after = [], None
    from portal.review.queue import PAGE_SIZE, QueueFilters, queue_page

    with app.app_context():
        user = _user("province_demo")
        while True:
            page = queue_page(user, QueueFilters(status="all", level="中级", after=after))
            seen += [c.id for c, _ in page.rows]
            assert len(page.rows) <= PAGE_SIZE
            if page.next_after is None:
                break
            after = page.next_after
    assert seen == expected
    page = client.get("/review/", query_string={"status": "all", "level": "正高级", "series": "health_technician",
                                                "year": "2016"}).get_data(as_text=True)
    assert "主治医师" not in page  # a 中级 title never appears under 正高级


def test_queue_is_for_reviewers_only(client, auth, demo):
    auth.login("person_demo")
    assert client.get("/review/").status_code == 403
    auth.logout()
    auth.login("committee_demo")
    assert client.get("/review/").status_code == 403


# --- progress ----------------------------------------------------------------------------------------

def test_progress_counts_by_subordinate_and_names_units_that_reported_nothing(client, auth, app, demo):
    with app.app_context():
        city = _org("RZ-ZGB")
        quiet = Organization(code="RZ-QUIET", name="日照市静默单位", type="unit", parent=city, region_code="371100")
        db.session.add(quiet)
        db.session.flush()
        quiet.path = f"{city.path}{quiet.id}/"
        db.session.commit()
        expected = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.unit_region_code == "371102"))
    auth.login("city_demo")
    page = client.get("/review/progress").get_data(as_text=True)
    assert "东港区职称改革领导小组办公室" in page and "日照市教育局" in page
    row = page.split("东港区职称改革领导小组办公室</a>")[1].split("</tr>")[0]
    assert f'<td class="num">{expected}</td>' in row
    silent = page.split('id="silent-units"')[1].split('id="unsent-units"')[0]
    assert "日照市静默单位" in silent and "日照市东港区人民医院" not in silent
    drill = client.get(f"/review/progress?org={_org_id(app, 'DG-ZGB')}").get_data(as_text=True)
    assert "日照市东港区人民医院" in drill
    auth.logout()
    auth.login("county2_demo")
    assert client.get(f"/review/progress?org={_org_id(app, 'DG-ZGB')}").status_code == 404


def test_progress_never_says_all_sent_while_records_are_unsent(client, auth, app, demo):
    with app.app_context():
        hospital = _org("DG-RMYY")
        unsent = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.org_id == hospital.id, Certificate.status.in_(("draft", "returned"))))
        assert unsent, "the demo leaves drafts at the hospital"
    auth.login("city_demo")
    page = client.get("/review/progress").get_data(as_text=True)
    section = page.split('id="silent-units"')[1].split("</section>")[0]
    assert "所有单位均已报送" not in section
    listed = section.split('id="unsent-units"')[1]
    assert f"日照市东港区人民医院：<strong>{unsent}</strong> 条未报送" in listed


def _org_id(app, code):
    with app.app_context():
        return _org(code).id


# --- blacklist ----------------------------------------------------------------------------------------

def test_office_blacklists_a_person_and_reviewers_see_the_flag(client, auth, app, demo):
    cert_id = _new_cert(app, name="黑名单人")
    _submit(app, cert_id)
    with app.app_context():
        id_number = db.session.get(Certificate, cert_id).person.id_number
    auth.login("county_demo")
    page = _post(client, "/review/blacklist", {"kind": "person", "id_number": id_number, "reason": "伪造证书",
                                               "start_date": "2026-01-01"},
                 follow_redirects=True).get_data(as_text=True)
    assert "已列入诚信黑名单" in page and "伪造证书" in page
    auth.logout()
    auth.login("unit_demo")
    queue = client.get("/review/?q=黑名单人").get_data(as_text=True)
    assert "tag-danger\">黑名单" in queue
    detail = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    assert "诚信黑名单" in detail and "伪造证书" in detail
    with app.app_context():
        step = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "blacklist_add"))
        assert step.actor_name == "吴审核" and step.reason == "伪造证书"


def test_blacklist_banner_has_no_doubled_punctuation(client, auth, app, demo):
    cert_id = _new_cert(app, name="标点人")
    _submit(app, cert_id)
    with app.app_context():
        id_number = db.session.get(Certificate, cert_id).person.id_number
    auth.login("county_demo")
    _post(client, "/review/blacklist", {"kind": "person", "id_number": id_number, "reason": "伪造证书。",
                                        "start_date": "2026-01-01"})
    detail = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    banner = detail.split("诚信黑名单：")[1].split("</div>")[0]
    assert "伪造证书；期限" in banner and "。；" not in banner


def test_a_forged_org_id_in_the_blacklist_form_changes_nothing(client, auth, app, demo):
    foreign = _org_id(app, "JX-NJZ")  # a unit of 莒县, outside 东港区
    auth.login("county_demo")
    page = _post(client, "/review/blacklist", {"kind": "unit", "org_id": foreign, "reason": "测试",
                                               "start_date": "2026-01-01"}).get_data(as_text=True)
    assert "所选单位不存在或不在您的管辖范围内，未作任何修改" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BlacklistEntry)) == 0


def test_blacklist_entry_is_lifted_with_a_reason(client, auth, app, demo):
    auth.login("county_demo")
    _post(client, "/review/blacklist", {"kind": "unit", "org_id": _org_id(app, "DG-RMYY"), "reason": "集体造假",
                                        "start_date": "2026-01-01"})
    with app.app_context():
        entry_id = db.session.scalar(select(BlacklistEntry.id))
        assert services.blacklist_flags(None, _org("DG-RMYY").id)
    page = _post(client, f"/review/blacklist/{entry_id}/lift", {"reason": "已整改"},
                 follow_redirects=True).get_data(as_text=True)
    assert "已解除：已整改" in page
    with app.app_context():
        assert services.blacklist_flags(None, _org("DG-RMYY").id) == []


# --- the trail cannot be edited unnoticed -----------------------------------------------------------

def test_audit_verify_fails_after_an_entry_is_tampered_with(app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo", "county_demo")
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["audit-verify"])
    assert clean.exit_code == 0 and "发现 0 处问题" in clean.output
    with app.app_context():
        step_id = db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "approve").limit(1))
        tamper("UPDATE audit_entries SET actor_name = '冒名者' WHERE id = :id", id=step_id)
    tampered = runner.invoke(args=["audit-verify"])
    assert tampered.exit_code == 1
    assert f"留痕 #{step_id}（certificate {cert_id}）[content_changed]：内容与哈希不符" in tampered.output


# --- entry points ------------------------------------------------------------------------------------

def test_home_page_links_each_role_to_its_queue_with_the_count(client, auth, app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    with app.app_context():
        waiting = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.org_id == _org("DG-RMYY").id, Certificate.status == "unit_review"))
    auth.login("unit_demo")
    home = client.get("/home").get_data(as_text=True)
    assert f'href="/review/">待本级审核（{waiting}）</a>' in home and "本单位人员与代为填报" in home
    record = client.get(f"/certificates/{cert_id}").get_data(as_text=True)
    assert "审核此记录" in record and 'id="timeline"' in record and "提交（承诺真实）" in record
    auth.logout()
    auth.login("person_demo")
    home = client.get("/home").get_data(as_text=True)
    assert "我的职称信息填报" in home and "待本级审核" not in home


def test_the_units_navigation_has_its_review_queue(client, auth, demo):
    auth.login("unit_demo")
    nav = client.get("/home").get_data(as_text=True).split('aria-label="主导航"')[1].split("</nav>")[0]
    assert 'href="/review/">审核队列</a>' in nav and 'href="/entry/">人员填报</a>' in nav
