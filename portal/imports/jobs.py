"""Import jobs: storing an upload, running its check or commit, and recording the outcome.

The check and the commit run in the worker process (portal.tasks), which writes progress to
the job row through connections of its own so the page can poll it. On SQLite the commit phase
holds the database's single write lock until it ends, so there progress is only reported while
checking, and the commit shows as one step. While a job runs, its worker touches a heartbeat
file beside the upload; a job whose heartbeat stops (the worker died) is marked failed when
its page is next polled.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import threading
import time
from datetime import timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from portal import tasks
from portal.extensions import db
from portal.imports.annotate import build_annotated
from portal.imports.pipeline import Importer, Report
from portal.imports.reader import MAX_ROWS, WorkbookError, sniff
from portal.models import ImportJob, Organization
from portal.models._types import utcnow
from portal.workflow import campaign_for_org, scope_rules

log = logging.getLogger("portal.imports")
STALE_AFTER = timedelta(minutes=30)  # a job still queued then: no worker is taking jobs
HEARTBEAT_SECONDS = 5
HEARTBEAT_TIMEOUT = timedelta(seconds=60)  # a running job silent this long has lost its worker
QUEUE_DELAYED = "任务队列暂不可用，文件已保存，检查将在队列恢复后自动开始，请稍后刷新本页。"


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(job: ImportJob) -> Path:
    return upload_dir() / job.stored_name


def issues_path(job: ImportJob) -> Path:
    return upload_dir() / f"{job.stored_name}.issues.json"


def annotated_path(job: ImportJob) -> Path:
    return upload_dir() / f"{job.stored_name}.annotated.xlsx"


def heartbeat_path(job: ImportJob) -> Path:
    return upload_dir() / f"{job.stored_name}.heartbeat"


def max_rows() -> int:
    return int(current_app.config.get("EXCEL_MAX_ROWS", MAX_ROWS))


def create_job(data: bytes, filename: str, org: Organization | None, user=None) -> ImportJob:
    """Store the upload under a random name and create its job; raises WorkbookError for non-workbooks."""
    kind = sniff(data[:8])
    stored = f"{secrets.token_hex(16)}.{kind}"
    (upload_dir() / stored).write_bytes(data)
    job = ImportJob(
        org_id=org.id if org else None, region_code=org.region_code if org else None,
        user_id=getattr(user, "id", None), filename=(filename or "upload")[:255], stored_name=stored,
        file_kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(), status="queued",
    )
    db.session.add(job)
    db.session.commit()
    return job


def enqueue(job: ImportJob, action: str) -> bool:
    """Queue `action` ("check" or "commit") for the worker; False when the queue cannot be
    reached, the job then saying so (a check is queued again when its page is polled)."""
    try:
        tasks.enqueue(tasks.import_job, job.id, action)
    except tasks.QueueUnavailable:
        db.session.rollback()
        if action == "commit":
            _set(job.id, status="checked", message="任务队列暂不可用，没有导入任何数据，请稍后再点击导入。")
        else:
            _set(job.id, status="queued", message=QUEUE_DELAYED)
        db.session.refresh(job)
        return False
    return True


def _set(job_id: int, **values) -> None:
    # A connection of its own: progress must be visible while the import's transaction is open.
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob.__table__).where(ImportJob.__table__.c.id == job_id)
                     .values(updated_at=utcnow(), **values))


def run(app, job_id: int, action: str) -> None:
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        if job is None:
            return
        beat = _Heartbeat(heartbeat_path(job))
        try:
            _run(job_id, action)
        except MemoryError:
            log.warning("import job %s ran out of memory", job_id)
            db.session.rollback()
            _set(job_id, status="failed", finished_at=utcnow(), message=(
                "文件过大，处理时超出了内存上限，没有导入任何数据。请把文件拆分为几个较小的文件后分别上传。"))
        except Exception:
            log.exception("import job %s failed", job_id)
            db.session.rollback()
            _set(job_id, status="failed", finished_at=utcnow(),
                 message="处理文件时发生意外错误，没有导入任何数据。请检查文件后重新上传，或联系系统管理员。")
        finally:
            beat.stop()
            db.session.remove()


class _Heartbeat:
    """Touches a file every few seconds while a job runs: a file, not the job row, because on
    SQLite the commit holds the only write lock for as long as it lasts."""

    def __init__(self, path: Path):
        self.path = path
        self._stop = threading.Event()
        path.touch()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{path.stem}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            self.path.touch()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.path.unlink(missing_ok=True)


def _run(job_id: int, action: str) -> None:
    job = db.session.get(ImportJob, job_id)
    write = action == "commit"
    _set(job_id, status="committing" if write else "checking", rows_done=0, rows_expected=0, message=None)
    sqlite = db.engine.dialect.name == "sqlite"
    progress = None if (write and sqlite) else (lambda done, total: _set(job_id, rows_done=done, rows_expected=total))
    org = job.org
    campaign = campaign_for_org(org)
    importer = Importer(org=org, rules=scope_rules(campaign), max_rows=max_rows(), progress=progress,
                        campaign_id=campaign.id if campaign else None, account_id=job.user_id)
    path, kind, filename, user = stored_path(job), job.file_kind, job.filename, job.user
    mode = job.mode or "valid"
    try:
        report = importer.run(path, kind, write=write, mode=mode)
    except WorkbookError as exc:
        db.session.rollback()
        _set(job_id, status="failed", message=exc.message, finished_at=utcnow())
        return
    if write:
        if report.rows_imported and not (mode == "all" and report.errors):
            importer.record_audit(job_id, filename, actor=user)
            db.session.commit()
        else:
            db.session.rollback()
            report.rows_imported = 0
    else:
        db.session.rollback()
    issues_path(job).write_text(json.dumps(report.issues, ensure_ascii=False), encoding="utf-8")
    _finish(job_id, report, write)
    if not write and report.issues:
        try:
            build_annotated(path, kind, report.issues, annotated_path(job), report.rows_total)
        except Exception:
            # The check itself succeeded; only the marked-up copy is missing.
            log.exception("annotated workbook of import job %s failed", job_id)
            _set(job_id, message="未能生成问题标注表，请按下方问题明细逐条修改。")
        else:
            _set(job_id, annotated_ready=True)


def _finish(job_id: int, report: Report, write: bool) -> None:
    values = dict(layout=report.layout, sheet_name=(report.sheet or "")[:64], rows_total=report.rows_total,
                  rows_valid=report.rows_valid, errors=report.errors, warnings=report.warnings,
                  status="committed" if write else "checked", finished_at=utcnow(),
                  summary={"skipped": report.skipped})
    if write:
        values.update(rows_imported=report.rows_imported, summary=report.counts | {"skipped": report.skipped})
        if not report.rows_imported:
            # Back to "checked": the user may still choose to import only the valid rows.
            values.update(status="checked", message=(
                "表格中有错误，按“全部导入或全部不导入”的要求没有导入任何数据。请修改后重新上传。"
                if report.errors else "没有可导入的有效数据行。"))
    _set(job_id, **values)


def load_issues(job: ImportJob) -> list[dict]:
    path = issues_path(job)
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def mark_stale(job: ImportJob) -> None:
    """Settle a job whose worker is gone, when its page is polled: a running job whose heartbeat
    stopped has failed (nothing of it was committed); a check left queued while the queue was
    down is queued again; a job queued for long is reported rather than polled forever."""
    if not job.running:
        return
    updated = job.updated_at
    if updated is not None and updated.tzinfo is None:
        updated = updated.replace(tzinfo=timezone.utc)
    silent = utcnow() - updated if updated is not None else timedelta(0)
    if job.status == "queued":
        if job.message == QUEUE_DELAYED:
            if enqueue(job, "check"):
                _set(job.id, message=None)
                db.session.refresh(job)
        elif silent > STALE_AFTER:
            _fail(job, "任务长时间未开始处理（后台处理进程可能没有启动），没有导入任何数据，请稍后重新上传或联系系统管理员。")
        return
    beat = heartbeat_path(job)
    last_beat = os.path.getmtime(beat) if beat.exists() else 0
    if silent > HEARTBEAT_TIMEOUT and time.time() - last_beat > HEARTBEAT_TIMEOUT.total_seconds():
        _fail(job, "处理该文件的后台进程已中断（文件可能过大，或服务器重启），没有导入任何数据。"
                   "请重新上传；如再次中断，请把文件拆分后分别上传。")


def _fail(job: ImportJob, message: str) -> None:
    # Only a job still in the state we judged: a worker finishing at this moment wins.
    db.session.execute(update(ImportJob.__table__)
                       .where(ImportJob.__table__.c.id == job.id, ImportJob.__table__.c.status == job.status)
                       .values(status="failed", message=message, finished_at=utcnow(), updated_at=utcnow()))
    db.session.commit()
    db.session.refresh(job)


def claim_commit(job: ImportJob, mode: str) -> bool:
    """Move a checked job to committing exactly once, even if the button is pressed twice."""
    result = db.session.execute(
        update(ImportJob.__table__)
        .where(ImportJob.__table__.c.id == job.id, ImportJob.__table__.c.status == "checked")
        .values(status="committing", mode=mode, rows_done=0, updated_at=utcnow()))
    db.session.commit()
    return result.rowcount == 1
