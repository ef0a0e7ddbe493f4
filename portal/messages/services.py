"""站内消息: sending messages to people or to an organisation's staff, reading and marking them read."""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import Message, User
from portal.models._types import utcnow

PAGE_SIZE = 30
KINDS = {
    "returned": "退回",
    "waiting": "待审核",
    "deadline": "截止提醒",
    "objection": "公示异议",
    "certificate_issued": "电子证书",
    "notice_closed": "公示期满",
    "circular_closed": "通知截止",
    "audit": "留痕核验",
}


def link(endpoint: str, **values) -> str:
    """A path inside the portal, built without a request so scheduled jobs can link too."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def staff_of(org_ids: Iterable[int]) -> list[int]:
    """Active accounts of these organisations (their reviewers and clerks; not professionals)."""
    ids = [i for i in set(org_ids) if i is not None]
    if not ids:
        return []
    return list(db.session.scalars(select(User.id).where(
        User.org_id.in_(ids), User.role != "person", User.active.is_(True))))


def accounts_of_person(person_id: int | None) -> list[int]:
    if person_id is None:
        return []
    return list(db.session.scalars(select(User.id).where(User.person_id == person_id, User.active.is_(True))))


def administrators() -> list[int]:
    return list(db.session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))))


def send(user_ids: Iterable[int], kind: str, title: str, *, body: str | None = None, link: str | None = None,
         key: str | None = None, once: bool = False) -> int:
    """Add a message for each user. With a `key`, users who have it unread get no second copy;
    with `once`, users who ever had it get none (a reminder for a given day is sent one time)."""
    user_ids = list(dict.fromkeys(user_ids))
    if key and user_ids:
        have = select(Message.user_id).where(Message.user_id.in_(user_ids), Message.key == key)
        if not once:
            have = have.where(Message.read_at.is_(None))
        held = set(db.session.scalars(have))
        user_ids = [u for u in user_ids if u not in held]
    db.session.add_all(Message(user_id=u, kind=kind, key=key, title=title[:200], body=body, link=link)
                       for u in user_ids)
    return len(user_ids)


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.user_id == user.id, Message.read_at.is_(None))) or 0


def page_of(user, before: int | None, unread_only: bool) -> tuple[list[Message], int | None]:
    stmt = select(Message).where(Message.user_id == user.id).order_by(Message.id.desc()).limit(PAGE_SIZE + 1)
    if before:
        stmt = stmt.where(Message.id < before)
    if unread_only:
        stmt = stmt.where(Message.read_at.is_(None))
    rows = list(db.session.scalars(stmt))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, rows[-1].id if more else None


def mark_read(user, message_id: int | None = None) -> int:
    """Mark one of the user's messages (or all of them) read; another user's id changes nothing."""
    stmt = update(Message).where(Message.user_id == user.id, Message.read_at.is_(None)).values(read_at=utcnow())
    if message_id is not None:
        stmt = stmt.where(Message.id == message_id)
    changed = db.session.execute(stmt).rowcount
    db.session.commit()
    return changed


def own_message(user, message_id: int) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id, Message.user_id == user.id))
