"""Messages generated from the signed trail: whatever step a record takes, its people are told.

Every step of a certificate appends an `AuditEntry` in the transaction that makes it, so
listening for new entries catches each door (review page, bulk approval, objection filing)
without the workflow code knowing about messages. Entries are collected after each flush and
turned into messages just before the transaction commits, so a rolled-back step sends nothing.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.domain.workflow import REVIEW_STATUSES, status_label
from portal.extensions import db
from portal.messages import services
from portal.models import AuditEntry, Certificate
from portal.workflow import review_path

_PENDING = "trail_events"


def _entrants(cert: Certificate) -> list[int]:
    """The professional and the unit's staff: whoever may correct the record."""
    return services.accounts_of_person(cert.person_id) + services.staff_of([cert.org_id])


def _reviewers_at(cert: Certificate, status: str) -> list[int]:
    body = dict(review_path(cert.org)).get(status)
    return services.staff_of([body.id]) if body is not None else []


def _subject(cert: Certificate) -> str:
    return f"{cert.person.name}的“{cert.title_name}”"


def on_return(cert: Certificate, entry: AuditEntry) -> None:
    target = ((entry.diff or {}).get("status") or [None, None])[1]
    reason = f"退回原因：{entry.reason}" if entry.reason else None
    if target == "returned":
        services.send(_entrants(cert), "returned", f"{_subject(cert)}已被{entry.actor_org_name or ''}退回，请修改后重新提交",
                      body=reason, link=services.link("records.certificate", cert_id=cert.id))
    elif target in REVIEW_STATUSES:
        services.send(_reviewers_at(cert, target), "returned",
                      f"{_subject(cert)}已被{entry.actor_org_name or ''}退回本级（{status_label(target)}）",
                      body=reason, link=services.link("review.detail", cert_id=cert.id))


def on_forward(cert: Certificate, entry: AuditEntry) -> None:
    """Submitted or passed up: the next level has work. One unread reminder per level, not one per record."""
    target = ((entry.diff or {}).get("status") or [None, None])[1]
    if target in REVIEW_STATUSES:
        services.send(_reviewers_at(cert, target), "waiting", f"有新的记录待本级审核（{status_label(target)}）",
                      link=services.link("review.queue"), key=f"waiting:{target}")


def on_objection(cert: Certificate, entry: AuditEntry) -> None:
    services.send(_entrants(cert), "objection", f"{_subject(cert)}在公示期间收到异议，记录暂停流转",
                  body="公示单位将核实处理，处理结果会在记录的审核留痕中显示。",
                  link=services.link("records.certificate", cert_id=cert.id))


def on_certificate_issued(cert: Certificate, entry: AuditEntry) -> None:
    services.send(_entrants(cert), "certificate_issued", f"{_subject(cert)}的电子证书已签发",
                  link=services.link("records.certificate", cert_id=cert.id))


# Trail action → who is told. "ecert_issue" is the action the electronic-certificate step is to
# record when certificates are issued; until that step exists nothing records it.
HANDLERS = {
    "return": on_return,
    "submit": on_forward,
    "approve": on_forward,
    "objection_freeze": on_objection,
    "ecert_issue": on_certificate_issued,
}


def _collect(session: Session, flush_context) -> None:
    for obj in session.new:
        if isinstance(obj, AuditEntry) and obj.object_type == "certificate" and obj.action in HANDLERS:
            session.info.setdefault(_PENDING, []).append(obj)


def _dispatch(session: Session) -> None:
    entries = session.info.pop(_PENDING, None)
    if not entries:
        return
    for entry in entries:
        cert = session.get(Certificate, entry.object_id)
        if cert is not None:
            HANDLERS[entry.action](cert, entry)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def init_app(app) -> None:
    # The listeners are module functions on the one session factory, so creating several apps
    # (as tests do) registers nothing twice.
    factory = db.session.session_factory
    for name, listener in (("after_flush", _collect), ("before_commit", _dispatch),
                           ("after_rollback", _forget)):
        if not event.contains(factory, name, listener):
            event.listen(factory, name, listener)
