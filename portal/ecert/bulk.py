"""Bulk issuance of e-certificates for approved (historical) certificates: one Huey job of up to
ECERT_BULK_MAX certificates, its progress kept in a small JSON file the page polls (as the
employer's batch verification does, portal.verify.batch).

The request picks the certificates (the office's scope and filter, fixed as a list of ids when
the job starts); the worker issues them one by one as the office's account, each in its own
transaction, so a failure costs one certificate and the progress is real.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal import tasks
from portal.access import scoped
from portal.ecert import services
from portal.extensions import db
from portal.models import Certificate, Person, User

log = logging.getLogger("portal.ecert")
STALE_SECONDS = 600  # no progress for this long: the worker is gone
QUEUE_DELAYED = "任务队列暂不可用，签发将在队列恢复后自动开始，请稍后刷新本页。"


def _dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "ecert-jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(token: str) -> Path:
    return _dir() / f"{token}.json"


def _save(token: str, job: dict) -> None:
    path = _path(token)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def _load(token: str) -> dict | None:
    if not token.isalnum():
        return None
    path = _path(token)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def start(user, flt: services.IssueFilter) -> tuple[str, int, bool]:
    """Queue the issuance of what `flt` selects in the user's scope (up to ECERT_BULK_MAX): (token, count, queued)."""
    limit = current_app.config["ECERT_BULK_MAX"]
    return start_for(user, list(db.session.scalars(services.issuable(user, flt).with_only_columns(Certificate.id)
                                                   .order_by(Certificate.id).limit(limit))))


def start_for(user, ids: list[int]) -> tuple[str, int, bool]:
    """Queue the issuance of these certificates (each is checked against the user's scope when issued)."""
    token = secrets.token_hex(16)
    job = {"user_id": user.id, "status": "queued", "since": time.time(), "ids": ids, "total": len(ids),
           "done": 0, "failed": 0, "errors": []}
    _save(token, job)
    return token, len(ids), _enqueue(token, job)


def _enqueue(token: str, job: dict) -> bool:
    try:
        tasks.enqueue(tasks.ecert_bulk, token)
    except tasks.QueueUnavailable:
        job |= {"status": "delayed", "message": QUEUE_DELAYED}
        _save(token, job)
        return False
    return True


def state(token: str, user_id: int) -> dict | None:
    """The job for its owner only; a job whose worker stopped making progress is marked failed."""
    job = _load(token)
    if job is None or job.get("user_id") != user_id:
        return None
    if job["status"] == "running" and time.time() - job["since"] > STALE_SECONDS:
        job |= {"status": "failed", "message": "处理该任务的后台进程已中断，已签发的证书保留，请对剩余证书重新发起签发。"}
        _save(token, job)
    elif job["status"] == "delayed":
        job |= {"status": "queued", "message": None}
        _save(token, job)
        _enqueue(token, job)
    return job


def run(token: str) -> None:
    """The worker's part: issue each selected certificate as the office account that asked."""
    job = _load(token)
    if job is None or job["status"] not in ("queued", "delayed"):
        return
    user = db.session.get(User, job["user_id"])
    job |= {"status": "running", "since": time.time()}
    _save(token, job)
    for cert_id in job["ids"]:
        try:
            cert = db.session.scalar(scoped(Certificate, user).where(Certificate.id == cert_id))
            if cert is None:
                raise services.ECertError("该证书已不在本机关的管辖范围内。")
            services.issue_ecert(cert, user)
            job["done"] += 1
        except Exception as exc:  # one certificate's failure must not stop the other 999
            db.session.rollback()
            job["failed"] += 1
            if len(job["errors"]) < 20:
                message = str(exc) if isinstance(exc, services.ECertError) else "签发时发生意外错误"
                job["errors"].append({"certificate_id": cert_id, "message": message})
            if not isinstance(exc, services.ECertError):
                log.exception("bulk e-certificate %s: certificate %s failed", token, cert_id)
        job["since"] = time.time()
        _save(token, job)
    job["status"] = "done"
    _save(token, job)


def names(job: dict) -> dict[int, str]:
    """Who the failed certificates belong to, for the result list."""
    ids = [e["certificate_id"] for e in job.get("errors", [])]
    if not ids:
        return {}
    return dict(db.session.execute(select(Certificate.id, Person.name).join(Person, Person.id == Certificate.person_id)
                                   .where(Certificate.id.in_(ids))).all())
