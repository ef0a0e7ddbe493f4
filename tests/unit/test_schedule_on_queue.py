"""The worker runs portal.scheduled's jobs as periodic tasks, their times read in China time."""
from datetime import datetime

from sqlalchemy import select

from portal import scheduled, tasks
from portal.extensions import db
from portal.models import JobRun


def test_cron_expressions_are_read_in_china_time():
    at_eight = tasks.china_crontab("0 8 * * *")
    assert at_eight(datetime(2026, 6, 1, 0, 0))  # 00:00 UTC is 08:00 in China
    assert not at_eight(datetime(2026, 6, 1, 8, 0))
    nightly = tasks.china_crontab("30 2 * * *")
    assert nightly(datetime(2026, 5, 31, 18, 30))  # the evening before, in UTC


def test_the_worker_registers_every_scheduled_job_once():
    names = tasks.register_schedule()
    assert names == [f"scheduled.{job.__name__}" for job, _, _ in scheduled.SCHEDULE]
    tasks.register_schedule()
    periodic = [task.name for task in tasks.huey._registry.periodic_tasks]
    assert sorted(periodic) == sorted(names)


def test_a_periodic_task_runs_its_job_and_logs_the_run(app, demo):
    tasks.register_schedule()
    task = next(t for t in tasks.huey._registry.periodic_tasks if t.name == "scheduled.audit_checkpoint")
    with app.app_context():
        task.execute()
        run = db.session.scalar(select(JobRun).where(JobRun.job == "audit_checkpoint").order_by(JobRun.id.desc()))
        assert run.outcome == "ok" and run.detail.startswith("已写入检查点")
