"""Recording and checking the signed, hash-chained trail of every change and review step."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timezone

from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry
from portal.models._types import utcnow


def _naive_utc(moment):
    # SQLite hands back naive datetimes, PostgreSQL aware ones: hash the same text for both.
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _digest(entry: AuditEntry) -> str:
    payload = {
        "at": _naive_utc(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "actor_org_id": entry.actor_org_id,
        "action": entry.action,
        "object": [entry.object_type, entry.object_id],
        "reason": entry.reason,
        "diff": entry.diff,
        "prev": entry.prev_hash,
    }
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def record(action: str, object_type: str, object_id: int, *, reason: str | None = None,
           diff: dict | None = None, actor=None) -> AuditEntry:
    """Append a trail entry in the current transaction.

    Callers hold a lock on (or a version of) the record they change, so entries of one record
    are appended one at a time and the chain stays linear.
    """
    actor = actor if actor is not None else (current_user if current_user and current_user.is_authenticated else None)
    prev_hash = db.session.scalar(
        select(AuditEntry.hash)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "系统",
        actor_role=getattr(actor, "role", None) or "system",
        actor_org_id=getattr(actor, "org_id", None),
        actor_org_name=actor.org.name if getattr(actor, "org", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        diff=diff,
        prev_hash=prev_hash,
    )
    entry.hash = _digest(entry)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class ChainProblem:
    entry_id: int
    object_type: str
    object_id: int
    message: str


def verify_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Recompute every entry's hash and link; returns (entries checked, problems)."""
    last_hash: dict[tuple[str, int], str] = {}
    problems: list[ChainProblem] = []
    checked = 0
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch_size)
    for entry in db.session.scalars(stmt):
        checked += 1
        key = (entry.object_type, entry.object_id)
        if entry.prev_hash != last_hash.get(key):
            problems.append(ChainProblem(entry.id, *key, "与上一条留痕的哈希不相连（可能有记录被删除或插入）"))
        if _digest(entry) != entry.hash:
            problems.append(ChainProblem(entry.id, *key, "内容与哈希不符（记录被篡改）"))
        last_hash[key] = entry.hash
    return checked, problems
