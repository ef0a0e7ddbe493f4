"""Scheduled work: one plain function per job, each taking `now` (an aware China-time datetime).

Jobs need an application context but no request, so a task queue's periodic task, a cron line
or a test with a fixed clock run them the same way: `run(job, now)` calls the job and logs its
outcome in `job_runs`. Every job is safe to run twice: what it has done is marked in the
database (a notice's `closed_at`, a reminder message's key), so a second run finds nothing left.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.audit import verify_chain, write_checkpoint
from portal.clock import CHINA
from portal.domain.workdays import working_days_between
from portal.domain.workflow import REVIEW_STATUS_BY_ORG_TYPE, status_label
from portal.extensions import db
from portal.imports.jobs import annotated_path, issues_path, stored_path
from portal.messages import services as messages
from portal.models import (Campaign, Certificate, ImportJob, InternalNotice, JobRun, NoticeRecipient, Organization,
                           PublicNotice, User)
from portal.models._types import utcnow
from portal.notices.services import entry_states
from portal.notices.workdays import load_overrides
from portal.stats.cube import ensure_fresh
from portal.workflow import DEADLINE_LEVELS

REMIND_WORKING_DAYS = 3
DETAIL_MAX = 2000
UNIT_TYPES = ("unit", "talent_center")
# Import jobs still working on their file; their uploads are never removed from under them.
ACTIVE_IMPORT_STATUSES = ("queued", "checking", "committing")


@dataclass
class Outcome:
    status: str  # ok | problem
    detail: str


def _today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


# --- notices whose period ended ------------------------------------------------------------------

def close_notices(now: datetime) -> Outcome:
    """Public notices past their last day, and internal notices past their deadline, are closed;
    each publisher is told what follows (report the cleared records up, chase the unread)."""
    today = _today(now)
    closed_public = 0
    for notice in db.session.scalars(select(PublicNotice).where(
            PublicNotice.end_date < today, PublicNotice.closed_at.is_(None)).order_by(PublicNotice.id)):
        states = entry_states(notice, today)
        cleared = sum(1 for s in states.values() if s in ("cleared", "cleared_after_objection"))
        pending = sum(1 for s in states.values() if s == "objected")
        body = f"{cleared}条公示期满无异议，可以审查确认后报送上级。"
        if pending:
            body += f"另有{pending}条异议尚未处理，处理完毕前不能报送。"
        messages.send(messages.staff_of([notice.org_id]), "notice_closed", f"公示“{notice.title}”已期满",
                      body=body, link=messages.link("notices.manage_show", notice_id=notice.id),
                      key=f"notice_closed:{notice.id}")
        notice.closed_at = utcnow()
        closed_public += 1
    closed_internal = 0
    for notice in db.session.scalars(select(InternalNotice).where(
            InternalNotice.deadline < today, InternalNotice.closed_at.is_(None)).order_by(InternalNotice.id)):
        unread = db.session.scalar(select(db.func.count()).select_from(NoticeRecipient).where(
            NoticeRecipient.notice_id == notice.id, NoticeRecipient.read_at.is_(None))) or 0
        messages.send(messages.staff_of([notice.org_id]), "circular_closed", f"通知“{notice.title}”已截止",
                      body=f"截止时仍有{unread}个单位未阅。" if unread else "所有接收单位均已阅知。",
                      link=messages.link("internal_notices.show", notice_id=notice.id),
                      key=f"circular_closed:{notice.id}")
        notice.closed_at = utcnow()
        closed_internal += 1
    db.session.commit()
    return Outcome("ok", f"关闭公示{closed_public}个，截止通知{closed_internal}个")


# --- deadline reminders -----------------------------------------------------------------------------

def _level_recipients(campaign: Campaign, level: str) -> list[int]:
    """Who answers for a campaign level's deadline within the campaign's organisations."""
    area = select(Organization.id, Organization.type).where(
        Organization.path.startswith(campaign.org.path, autoescape=True))
    orgs = db.session.execute(area).all()
    if level == "person":
        unit_ids = [org_id for org_id, kind in orgs if kind in UNIT_TYPES]
        people = db.session.scalars(select(User.id).join(Certificate, Certificate.person_id == User.person_id).where(
            User.role == "person", User.active.is_(True), Certificate.org_id.in_(unit_ids),
            Certificate.status.in_(("draft", "returned"))).distinct())
        return messages.staff_of(unit_ids) + list(people)
    return messages.staff_of([org_id for org_id, kind in orgs if REVIEW_STATUS_BY_ORG_TYPE.get(kind) == level])


def deadline_reminders(now: datetime) -> Outcome:
    """Each open campaign level is reminded 3 working days before its deadline, and on the day."""
    today = _today(now)
    overrides = load_overrides()
    sent = 0
    for campaign in db.session.scalars(select(Campaign).where(Campaign.is_open.is_(True)).order_by(Campaign.id)):
        for deadline in campaign.deadlines:
            if deadline.due_date < today:
                continue
            left = working_days_between(today + timedelta(days=1), deadline.due_date, overrides)
            if deadline.due_date == today:
                when, title = "day", f"今天是{_level_name(deadline.level)}的截止日期"
            elif left == REMIND_WORKING_DAYS:
                when, title = "3d", f"{_level_name(deadline.level)}将于{REMIND_WORKING_DAYS}个工作日后截止"
            else:
                continue
            sent += messages.send(
                _level_recipients(campaign, deadline.level), "deadline", title,
                body=f"采集任务“{campaign.name}”：{_level_name(deadline.level)}截止日期为{deadline.due_date:%Y年%m月%d日}，"
                     "过期不再受理。",
                link=messages.link("campaigns.show", campaign_id=campaign.id),
                key=f"deadline:{deadline.id}:{deadline.due_date.isoformat()}:{when}", once=True)
    db.session.commit()
    return Outcome("ok", f"发送截止提醒{sent}条")


def _level_name(level: str) -> str:
    return DEADLINE_LEVELS.get(level, status_label(level))


# --- nightly trail check -----------------------------------------------------------------------------

def audit_verify(now: datetime) -> Outcome:
    """Recompute the signed trail's hash chain; any break is reported to every administrator."""
    checked, problems = verify_chain()
    if not problems:
        return Outcome("ok", f"已核验{checked}条留痕，未发现问题")
    lines = [f"留痕 #{p.entry_id}（{p.object_type} {p.object_id}）：{p.message}" for p in problems[:20]]
    more = f"\n……共{len(problems)}处" if len(problems) > 20 else ""
    messages.send(messages.administrators(), "audit", f"留痕核验发现{len(problems)}处问题",
                  body="\n".join(lines) + more, link=messages.link("admin.jobs"),
                  key=f"audit:{_today(now).isoformat()}", once=True)
    db.session.commit()
    return Outcome("problem", f"已核验{checked}条留痕，发现{len(problems)}处问题：" + "；".join(lines[:5]))


def audit_checkpoint(now: datetime) -> Outcome:
    """Anchor every chain's head in a signed file outside the database, so that a deleted tail
    or a chain rewritten since is found by the next check."""
    checkpoint = write_checkpoint()
    return Outcome("ok", f"已写入检查点 #{checkpoint['id']}：{len(checkpoint['heads'])} 条链，{checkpoint['entries']} 条留痕")


# --- old import files ---------------------------------------------------------------------------------

def remove_old_import_files(now: datetime) -> Outcome:
    """Uploaded workbooks, their issue lists and annotated copies go after IMPORT_FILE_RETENTION_DAYS;
    the job rows (counts, outcome) stay as the record of what was imported."""
    cutoff = now - timedelta(days=int(current_app.config["IMPORT_FILE_RETENTION_DAYS"]))
    removed = 0
    for job in db.session.scalars(select(ImportJob).where(
            ImportJob.created_at < cutoff, ImportJob.status.not_in(ACTIVE_IMPORT_STATUSES))):
        for path in (stored_path(job), issues_path(job), annotated_path(job)):
            if path.exists():
                path.unlink()
                removed += 1
        job.annotated_ready = False
    db.session.commit()
    return Outcome("ok", f"删除过期导入文件{removed}个")


# --- statistics ----------------------------------------------------------------------------------------

def refresh_statistics(now: datetime) -> Outcome:
    """Keep the statistics cube warm so a page view after a busy day does not pay for the rebuild."""
    built = ensure_fresh(max_age=0)
    if built.tzinfo is None:  # SQLite hands back naive UTC
        built = built.replace(tzinfo=timezone.utc)
    return Outcome("ok", f"统计数据截至 {built.astimezone(CHINA):%Y-%m-%d %H:%M}")


# (job, cron expression "minute hour day month weekday", description shown to administrators)
SCHEDULE: list[tuple[Callable[[datetime], Outcome], str, str]] = [
    (close_notices, "5 0 * * *", "每天 00:05 关闭期满的公示和截止的通知，并通知发布单位"),
    (deadline_reminders, "0 8 * * *", "每天 08:00 发送截止前3个工作日和截止当天的提醒"),
    (audit_verify, "30 2 * * *", "每天 02:30 核验审核留痕哈希链，有问题时通知系统管理员"),
    (audit_checkpoint, "0 * * * *", "每小时整点 把各留痕链的链尾写入数据库之外的签名检查点"),
    (remove_old_import_files, "0 3 * * *", "每天 03:00 删除超过保留期限的导入文件和标注副本"),
    (refresh_statistics, "*/10 * * * *", "每10分钟 更新统计分析的汇总数据"),
]
JOBS = {job.__name__: job for job, _, _ in SCHEDULE}
JOB_LABELS = {
    "close_notices": "关闭期满公示",
    "deadline_reminders": "截止提醒",
    "audit_verify": "留痕核验",
    "audit_checkpoint": "留痕检查点",
    "remove_old_import_files": "清理导入文件",
    "refresh_statistics": "更新统计数据",
}


def run(job: Callable[[datetime], Outcome], now: datetime | None = None) -> JobRun:
    """Run one job and log it; a failure is logged, not raised, so the scheduler keeps going."""
    now = now or clock.now()
    entry = JobRun(job=job.__name__, started_at=utcnow(), outcome="running")
    db.session.add(entry)
    db.session.commit()
    try:
        outcome = job(now)
    except Exception as error:  # noqa: BLE001 - any failure is the run's outcome
        db.session.rollback()
        current_app.logger.exception("scheduled job %s failed", job.__name__)
        entry.outcome, entry.detail = "failed", f"{type(error).__name__}: {error}"[:DETAIL_MAX]
    else:
        entry.outcome, entry.detail = outcome.status, outcome.detail[:DETAIL_MAX]
    entry.finished_at = utcnow()
    db.session.commit()
    return entry


def last_runs() -> dict[str, JobRun]:
    latest = select(db.func.max(JobRun.id)).group_by(JobRun.job)
    return {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def recent_runs(limit: int = 50) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))
