"""The task queue and the worker: uploads are queued, a real `flask worker` process runs them,
a worker that died leaves a failed job (never one "checking" for ever), and an unreachable
queue delays the work instead of breaking the page."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.imports import jobs
from portal.models import ImportJob, Organization
from portal.models._types import utcnow
from tests.conftest import csrf_token_of
from tests.fixtures.workbooks import rizhao_row, rizhao_workbook, to_bytes
from tests.http.test_excel import _job_id, _upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue(app, monkeypatch):
    """Change the app's queue settings (by default out of immediate mode); restored afterwards."""
    def switch(**settings):
        for name, value in ({"TASKS_IMMEDIATE": False} | settings).items():
            monkeypatch.setitem(app.config, name, value)
    return switch


def _job(app, job_id) -> ImportJob:
    with app.app_context():
        return db.session.get(ImportJob, job_id)


def test_a_real_worker_process_runs_a_queued_check(client, auth, demo, app, queue, tmp_path):
    queue_file = tmp_path / "tasks.sqlite3"
    queue(TASK_QUEUE_PATH=str(queue_file))
    auth.login("unit_demo")
    job_id = _job_id(_upload(client, to_bytes(rizhao_workbook([rizhao_row(1), rizhao_row(2)]))))
    assert _job(app, job_id).status == "queued"  # nothing ran in the request

    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_DIR=app.config["UPLOAD_DIR"],
               TASK_QUEUE_PATH=str(queue_file), SECRET_KEY=app.config["SECRET_KEY"], TASKS_IMMEDIATE="0",
               WORKER_MEMORY_MB="1536", WORKER_PROCESSES="1", REDIS_URL="")
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        limits = Path(f"/proc/{worker.pid}/limits")
        deadline = time.monotonic() + 120  # a generous bound on a loaded machine, not a measurement
        status = "queued"
        while status in ("queued", "checking") and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            status = _job(app, job_id).status
        address_space = re.search(r"Max address space\s+(\d+)", limits.read_text()) if limits.exists() else None
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0]
    job = _job(app, job_id)
    assert job.status == "checked", output
    assert job.rows_total == 2 and job.rows_valid == 2
    assert address_space and int(address_space.group(1)) == 1536 * 1024 * 1024


def _running_job(app, *, silent_for: timedelta, stored: str) -> int:
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        job = ImportJob(org_id=org.id, region_code=org.region_code, filename="x.xlsx", stored_name=stored,
                        file_kind="xlsx", size=1, sha256="0" * 64, status="checking")
        db.session.add(job)
        db.session.commit()
        db.session.execute(update(ImportJob).where(ImportJob.id == job.id).values(updated_at=utcnow() - silent_for))
        db.session.commit()
        return job.id


def test_a_job_whose_worker_died_is_marked_failed(client, auth, demo, app):
    auth.login("unit_demo")
    job_id = _running_job(app, silent_for=timedelta(minutes=3), stored="dead.xlsx")
    page = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "后台进程已中断" in page and "没有导入任何数据" in page
    assert _job(app, job_id).status == "failed"


def test_a_job_with_a_live_heartbeat_keeps_running(client, auth, demo, app):
    # A long commit on SQLite writes no progress to the row; the heartbeat file says it lives.
    auth.login("unit_demo")
    job_id = _running_job(app, silent_for=timedelta(minutes=3), stored="alive.xlsx")
    with app.app_context():
        jobs.heartbeat_path(db.session.get(ImportJob, job_id)).touch()
    fragment = client.get(f"/excel/import/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="load delay:500ms"' in fragment
    assert _job(app, job_id).status == "checking"


def test_unreachable_redis_delays_the_work_instead_of_failing(client, auth, demo, app, queue):
    queue(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    auth.login("unit_demo")
    response = _upload(client, to_bytes(rizhao_workbook([rizhao_row(1)])))
    job_id = _job_id(response)
    page = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "队列暂不可用" in page
    assert _job(app, job_id).status == "queued"

    queue(REDIS_URL=None, TASKS_IMMEDIATE=True)  # the queue is back: polling the page queues the check again
    client.get(f"/excel/import/{job_id}")
    job = _job(app, job_id)
    assert job.status == "checked" and job.rows_total == 1 and job.message is None


def test_memory_limit_turns_a_huge_allocation_into_memory_error():
    script = ("from portal.tasks import limit_memory\n"
              "limit_memory(512)\n"
              "try:\n    bytearray(1024 * 1024 * 1024)\nexcept MemoryError:\n    print('MemoryError')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "MemoryError"


def _batch_upload(client):
    from tests.http.test_verify_batch import _xlsx

    token = csrf_token_of(client, "/verify/batch")
    return client.post("/verify/batch", data={"file": (io.BytesIO(_xlsx([[1, "张三", None, "鲁1"]])), "b.xlsx"),
                                              "csrf_token": token}, content_type="multipart/form-data")


def test_batch_check_goes_through_the_queue_and_only_its_owner_sees_it(client, auth, demo):
    auth.login("unit_demo")
    location = _batch_upload(client).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "核验完成" in page and "未查到 1 行" in page
    auth.logout()
    auth.login("unit2_demo")
    assert client.get(location).status_code == 404
    assert client.get(location + "/result.xlsx").status_code == 404


def test_batch_check_with_the_queue_down_is_delayed(client, auth, demo, app, queue):
    queue(REDIS_URL="redis://127.0.0.1:1/0")
    auth.login("unit_demo")
    response = _batch_upload(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "队列暂不可用" in page and 'hx-trigger="load delay:1s"' in page
    queue(REDIS_URL=None, TASKS_IMMEDIATE=True)
    client.get(response.headers["Location"])  # queued again, and run at once in the tests
    assert "核验完成" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_with_redis_url_the_job_waits_in_redis(client, auth, demo, app, queue):
    from portal import tasks

    queue(REDIS_URL="redis://127.0.0.1:6379/13")  # a database of its own, emptied below
    auth.login("unit_demo")
    try:
        job_id = _job_id(_upload(client, to_bytes(rizhao_workbook([rizhao_row(1)]))))
        assert _job(app, job_id).status == "queued" and _job(app, job_id).message is None
        assert tasks.huey.pending_count() == 1
        assert tasks.huey.pending()[0].args == (job_id, "check")
    finally:
        tasks.huey.flush()
