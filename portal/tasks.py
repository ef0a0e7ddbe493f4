"""Work done outside web requests, by the worker process (`flask worker`).

The queue is Huey's: a SQLite file in the instance folder by default (nothing to install), or
Redis when REDIS_URL is set. Either way the queue outlives any web process and is shared by all
of them; the worker runs each task in a child process whose address space is capped
(WORKER_MEMORY_MB), so a hostile or huge workbook can cost a task, never the web server.

Tasks receive ids and plain values, never ORM objects, and run inside an application context
of the worker's app. With TASKS_IMMEDIATE (the tests) a task runs at once where it is enqueued.
The schedule of portal.scheduled (closing notices, reminders, the trail's check and
checkpoints, clean-up, statistics) runs here too: the worker registers one periodic task per
entry, its cron expression read in China time.
"""
from __future__ import annotations

import logging
import resource
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import click
from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey.exceptions import HueyException
from huey.storage import RedisStorage, SqliteStorage
from redis import ConnectionPool
from redis.exceptions import RedisError

log = logging.getLogger("portal.tasks")

huey = Huey("portal", immediate=True)  # configured by configure()
_app: Flask | None = None  # the worker's app
_active: tuple | None = None  # the settings the queue was last configured with

# What an unreachable queue store raises when a task is enqueued.
QUEUE_ERRORS = (RedisError, sqlite3.Error, HueyException, OSError)


class QueueUnavailable(Exception):
    """The queue store (Redis, or the SQLite file) could not take the task."""


def configure(config: Mapping) -> None:
    """Point the queue at Redis (REDIS_URL) or the SQLite file, or run tasks at once."""
    global _active
    settings = (config.get("REDIS_URL") or None, config.get("TASK_QUEUE_PATH"), bool(config.get("TASKS_IMMEDIATE")))
    if settings == _active:
        return
    if config.get("REDIS_URL"):
        # Bounded waits: an unreachable Redis makes the page say "delayed" in seconds, not minutes.
        pool = ConnectionPool.from_url(config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10)
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"connection_pool": pool}
    else:
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": config["TASK_QUEUE_PATH"]}
    huey.immediate = bool(config.get("TASKS_IMMEDIATE"))
    huey.storage = huey.create_storage()
    _active = settings


def init_app(app: Flask) -> None:
    configure(app.config)
    app.cli.add_command(worker_command)


def flask_app() -> Flask:
    """The app a task runs in: the caller's (immediate mode) or the worker's."""
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:  # a worker process started fresh rather than forked from `flask worker`
        from portal import create_app

        _app = create_app()
    return _app


def enqueue(task, *args) -> None:
    """Queue `task(*args)`; QueueUnavailable when the store cannot be reached."""
    # The queueing app's settings decide: one process may hold several apps (the tests do).
    configure(current_app.config)
    try:
        task(*args)
    except QUEUE_ERRORS as exc:
        log.warning("task queue unavailable: %s", type(exc).__name__)
        raise QueueUnavailable() from exc


@huey.on_startup()
def _fresh_connections() -> None:
    # Each worker process is forked from the consumer: database connections must be its own.
    with flask_app().app_context():
        from portal.extensions import db

        db.engine.dispose(close=False)


@huey.task()
def import_job(job_id: int, action: str) -> None:
    """Check or commit an uploaded workbook (portal.imports.jobs)."""
    from portal.imports import jobs

    jobs.run(flask_app(), job_id, action)


@huey.task()
def verify_batch(token: str, requester: dict) -> None:
    """An employer's batch verification (portal.verify.batch)."""
    from portal.verify import batch

    with flask_app().app_context():
        batch.run(token, requester)


@huey.task()
def ecert_bulk(token: str) -> None:
    """An office's bulk issuance of electronic certificates (portal.ecert.bulk)."""
    from portal.ecert import bulk

    with flask_app().app_context():
        bulk.run(token)


def china_crontab(expression: str) -> Callable[[datetime], bool]:
    """A cron expression ("minute hour day month weekday") read in China time. Huey hands the
    validator the time in UTC (naive), whatever the machine's zone."""
    matches = crontab(*expression.split())

    def validate(moment: datetime) -> bool:
        from portal.clock import in_china

        return matches(in_china(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).replace(tzinfo=None))

    return validate


def register_schedule() -> list[str]:
    """One periodic task per entry of portal.scheduled.SCHEDULE; returns their names."""
    from portal import scheduled

    names, registered = [], {task.name for task in huey._registry.periodic_tasks}
    for job, expression, _ in scheduled.SCHEDULE:
        name = f"scheduled.{job.__name__}"
        if name not in registered:
            huey.periodic_task(china_crontab(expression), name=name)(_scheduled_runner(job))
        names.append(name)
    return names


def _scheduled_runner(job) -> Callable[[], None]:
    def run_scheduled() -> None:
        from portal import scheduled

        with flask_app().app_context():
            scheduled.run(job)

    return run_scheduled


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space; children (the worker processes) inherit the cap."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@click.command("worker")
@click.option("--workers", type=int, default=None, help="worker processes (default WORKER_PROCESSES)")
@click.option("--no-schedule", is_flag=True, help="leave the scheduled jobs to another worker (several machines)")
def worker_command(workers: int | None, no_schedule: bool) -> None:
    """Run queued imports and batch checks, and the scheduled jobs, until stopped (Ctrl-C or SIGTERM)."""
    global _app
    app = _app = current_app._get_current_object()
    configure(app.config)
    if huey.immediate:
        raise click.ClickException("TASKS_IMMEDIATE is set: tasks run where they are queued, no worker needed")
    limit_memory(app.config["WORKER_MEMORY_MB"])
    if not no_schedule:
        register_schedule()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(processName)s %(name)s %(levelname)s %(message)s")
    click.echo(f"任务队列：{'Redis' if app.config.get('REDIS_URL') else app.config['TASK_QUEUE_PATH']}；"
               f"每个进程内存上限 {app.config['WORKER_MEMORY_MB']} MB")
    # Worker processes: one that dies (say, out of memory inside calamine) is replaced.
    huey.create_consumer(workers=workers or app.config["WORKER_PROCESSES"], worker_type="process",
                         check_worker_health=True, health_check_interval=5, periodic=not no_schedule).run()
