"""Reading persons and certificates within the current user's scope."""
from sqlalchemy import select

from portal.access import scoped
from portal.extensions import db
from portal.models import Certificate, Person

PAGE_SIZE = 50


def certificate_page(user, after_id: int | None = None, status: str | None = None):
    """One page of visible certificates, newest first, by keyset (stays fast on deep pages)."""
    stmt = scoped(Certificate, user).order_by(Certificate.id.desc()).limit(PAGE_SIZE + 1)
    if after_id:
        stmt = stmt.where(Certificate.id < after_id)
    if status:
        stmt = stmt.where(Certificate.status == status)
    rows = list(db.session.scalars(stmt))
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    persons = {}
    if rows:
        ids = {c.person_id for c in rows}
        persons = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    return rows, persons, (rows[-1].id if has_more else None)
