"""Scheduled jobs, each run once (or twice) against a fixed clock."""
import secrets
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from portal import scheduled
from portal.domain.workdays import working_days_between
from portal.extensions import db
from portal.models import (AuditEntry, Campaign, CampaignDeadline, ImportJob, InternalNotice, JobRun, Message,
                           NoticeEntry, NoticeRecipient, PublicNotice)
from tests.conftest import csrf_token_of, tamper
from tests.http.test_review import _new_cert, _org, _submit, _user

CHINA = timezone(timedelta(hours=8))
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=CHINA)  # a Monday
TODAY = NOW.date()


def _messages(username, kind):
    user = _user(username)
    return list(db.session.scalars(select(Message).where(Message.user_id == user.id, Message.kind == kind)))


def test_deadline_reminders_three_working_days_before_and_on_the_day(app, demo):
    three_ahead = date(2026, 6, 4)  # Tue, Wed, Thu are working days
    with app.app_context():
        assert working_days_between(TODAY + timedelta(days=1), three_ahead) == 3
        campaign = Campaign(name="日照市2026年职称信息采集", org_id=_org("RZ-ZGB").id, is_open=True)
        campaign.deadlines = [CampaignDeadline(level="unit_review", due_date=three_ahead),
                              CampaignDeadline(level="county_review", due_date=TODAY),
                              CampaignDeadline(level="city_review", due_date=date(2026, 6, 5))]
        db.session.add(campaign)
        db.session.commit()
        first = scheduled.run(scheduled.deadline_reminders, NOW)
        second = scheduled.run(scheduled.deadline_reminders, NOW + timedelta(hours=1))
        assert first.outcome == "ok" and second.detail == "发送截止提醒0条"

        for username in ("unit_demo", "unit2_demo", "unit3_demo"):
            reminders = _messages(username, "deadline")
            assert [m.title for m in reminders] == ["单位审核报送将于3个工作日后截止"]
            assert "2026年06月04日" in reminders[0].body
        assert [m.title for m in _messages("county_demo", "deadline")] == ["今天是县级职改办审核报送的截止日期"]
        assert [m.title for m in _messages("county2_demo", "deadline")] == ["今天是县级职改办审核报送的截止日期"]
        assert _messages("city_demo", "deadline") == []  # four working days ahead: not yet
        assert _messages("province_demo", "deadline") == []  # above the campaign's organisation

        # The next day the unit level is two working days away: no new reminder; on its day, one more.
        scheduled.run(scheduled.deadline_reminders, NOW + timedelta(days=1))
        assert len(_messages("unit_demo", "deadline")) == 1
        scheduled.run(scheduled.deadline_reminders, datetime(2026, 6, 4, 8, 0, tzinfo=CHINA))
        assert [m.title for m in _messages("unit_demo", "deadline")][-1] == "今天是单位审核报送的截止日期"


def test_person_level_reminders_reach_people_with_unsubmitted_records(app, demo):
    with app.app_context():
        campaign = Campaign(name="个人填报", org_id=_org("RZ-ZGB").id, is_open=True)
        campaign.deadlines = [CampaignDeadline(level="person", due_date=TODAY)]
        db.session.add(campaign)
        db.session.commit()
        scheduled.deadline_reminders(NOW)
        person = _user("person_demo")
        from portal.models import Certificate
        has_draft = db.session.scalar(select(Certificate.id).where(
            Certificate.person_id == person.person_id, Certificate.status.in_(("draft", "returned"))))
        assert bool(_messages("person_demo", "deadline")) == bool(has_draft)
        assert _messages("unit_demo", "deadline")


def _public_notice(org_code, end, cert_ids):
    org = _org(org_code)
    notice = PublicNotice(org_id=org.id, region_code=org.region_code, title="东港区人民医院第二批公示", body="公示",
                          contact="李经办", start_date=end - timedelta(days=6), days=5, end_date=end,
                          entry_count=len(cert_ids))
    db.session.add(notice)
    db.session.flush()
    for position, cert_id in enumerate(cert_ids, start=1):
        db.session.add(NoticeEntry(notice_id=notice.id, certificate_id=cert_id, position=position,
                                   person_name="林审核", employer_name=org.name, series_name="卫生技术人员",
                                   title_name="主治医师", level="中级"))
    db.session.commit()
    return notice.id


def test_ended_notices_are_closed_once_and_the_publisher_told_what_follows(app, demo):
    ended_cert, open_cert = _new_cert(app), _new_cert(app)
    with app.app_context():
        ended = _public_notice("DG-RMYY", TODAY - timedelta(days=1), [ended_cert])
        running = _public_notice("DG-RMYY", TODAY, [open_cert])
        scheduled.run(scheduled.close_notices, NOW)
        scheduled.run(scheduled.close_notices, NOW)
        assert db.session.get(PublicNotice, ended).closed_at is not None
        assert db.session.get(PublicNotice, running).closed_at is None  # its last day is today
        told = _messages("unit_demo", "notice_closed")
        assert len(told) == 1 and told[0].body.startswith("1条公示期满无异议，可以审查确认后报送上级")
        assert told[0].link == f"/notices/manage/{ended}"
        assert _messages("county_demo", "notice_closed") == []


def test_internal_notices_past_their_deadline_leave_the_home_page(client, auth, app, demo):
    with app.app_context():
        city = _org("RZ-ZGB")
        notice = InternalNotice(org_id=city.id, region_code=city.region_code, title="材料报送通知", body="请报送",
                                deadline=TODAY - timedelta(days=1))
        db.session.add(notice)
        db.session.flush()
        db.session.add(NoticeRecipient(notice_id=notice.id, org_id=_org("DG-RMYY").id))
        db.session.commit()
    auth.login("unit_demo")
    assert "材料报送通知" in client.get("/home").get_data(as_text=True)
    with app.app_context():
        scheduled.close_notices(NOW)
        told = _messages("city_demo", "circular_closed")
        assert len(told) == 1 and told[0].body == "截止时仍有1个单位未阅。"
    assert "材料报送通知" not in client.get("/home").get_data(as_text=True)
    assert "材料报送通知" in client.get("/internal-notices/").get_data(as_text=True)  # still listed


def test_audit_verify_reports_a_broken_trail_to_administrators(app, demo):
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    with app.app_context():
        clean = scheduled.run(scheduled.audit_verify, NOW)
        assert clean.outcome == "ok" and _messages("admin", "audit") == []
        entry_id = db.session.scalar(select(AuditEntry.id).where(AuditEntry.object_id == cert_id))
        tamper("UPDATE audit_entries SET reason = '改过' WHERE id = :id", id=entry_id)
        broken = scheduled.run(scheduled.audit_verify, NOW)
        assert broken.outcome == "problem" and f"留痕 #{entry_id}" in broken.detail
        scheduled.run(scheduled.audit_verify, NOW)
        alerts = _messages("admin", "audit")
        assert len(alerts) == 1 and "内容与哈希不符" in alerts[0].body
        assert _messages("province_demo", "audit") == []


def test_old_import_files_are_removed_and_recent_ones_kept(app, demo):
    from portal.imports.jobs import annotated_path, stored_path

    with app.app_context():
        app.config["IMPORT_FILE_RETENTION_DAYS"] = 30
        jobs = {}
        for name, age, status in (("old", 31, "done"), ("recent", 29, "done"), ("busy", 40, "checking")):
            job = ImportJob(filename=f"{name}.xlsx", stored_name=f"{secrets.token_hex(8)}.xlsx", file_kind="xlsx",
                            size=3, sha256="0" * 64, status=status, annotated_ready=True,
                            created_at=NOW - timedelta(days=age))
            db.session.add(job)
            db.session.flush()
            stored_path(job).write_bytes(b"xls")
            annotated_path(job).write_bytes(b"xls")
            jobs[name] = job.id
        db.session.commit()
        outcome = scheduled.run(scheduled.remove_old_import_files, NOW)
        assert outcome.detail == "删除过期导入文件2个"
        old, recent, busy = (db.session.get(ImportJob, jobs[n]) for n in ("old", "recent", "busy"))
        assert not stored_path(old).exists() and not annotated_path(old).exists() and not old.annotated_ready
        assert stored_path(recent).exists() and annotated_path(recent).exists()
        assert stored_path(busy).exists()


def test_a_failing_job_is_logged_and_does_not_raise(app):
    def broken(now):
        raise RuntimeError("数据库不可用")

    with app.app_context():
        run = scheduled.run(broken, NOW)
        assert run.outcome == "failed" and run.detail == "RuntimeError: 数据库不可用"
        assert run.finished_at is not None
        assert db.session.scalar(select(JobRun.outcome).where(JobRun.job == "broken")) == "failed"


def test_the_administrator_sees_the_schedule_and_each_runs_outcome(client, auth, app, demo):
    with app.app_context():
        scheduled.run(scheduled.refresh_statistics, NOW)
    auth.login("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    for job, cron, description in scheduled.SCHEDULE:
        assert f'data-job="{job.__name__}"' in page and description in page
    assert "更新统计数据" in page and "正常" in page
    response = client.post("/admin/jobs/audit_verify/run", data={"csrf_token": csrf_token_of(client, "/admin/jobs")},
                           follow_redirects=True)
    assert "已运行“留痕核验”" in response.get_data(as_text=True)
    token = csrf_token_of(client, "/admin/jobs")
    assert client.post("/admin/jobs/nothing/run", data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login("province_demo")
    assert client.get("/admin/jobs").status_code == 403


def test_jobs_need_no_request(app):
    with app.app_context():
        for job, _, _ in scheduled.SCHEDULE:
            assert job(NOW).status in ("ok", "problem")


def test_a_job_runs_from_the_command_line(app, demo):
    result = app.test_cli_runner().invoke(args=["run-job", "refresh_statistics"])
    assert result.exit_code == 0 and result.output.startswith("更新统计数据：ok，统计数据截至")
    with app.app_context():
        assert db.session.scalar(select(JobRun.job).order_by(JobRun.id.desc()).limit(1)) == "refresh_statistics"
