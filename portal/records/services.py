"""Reading persons and certificates within the current user's scope."""
from sqlalchemy import select

from portal.access import scoped
from portal.documents.xlsx_list import MAX_ROWS
from portal.domain.idnumber import mask_id
from portal.extensions import db
from portal.models import Certificate, Person
from portal.search import certificate_condition

PAGE_SIZE = 50
EXPORT_HEADERS = ("姓名", "证件号码", "职称名称", "级别", "发证日期", "证书编号", "状态")


def _certificates(user, status: str | None, q: str):
    stmt = scoped(Certificate, user)
    if status:
        stmt = stmt.where(Certificate.status == status)
    if q:
        stmt = stmt.where(certificate_condition(q))
    return stmt


def certificate_page(user, after_id: int | None = None, status: str | None = None, q: str = ""):
    """One page of visible certificates, newest first, by keyset (stays fast on deep pages)."""
    stmt = _certificates(user, status, q).order_by(Certificate.id.desc()).limit(PAGE_SIZE + 1)
    if after_id:
        stmt = stmt.where(Certificate.id < after_id)
    rows = list(db.session.scalars(stmt))
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    persons = {}
    if rows:
        ids = {c.person_id for c in rows}
        persons = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}
    return rows, persons, (rows[-1].id if has_more else None)


def certificate_export_rows(user, status: str | None = None, q: str = ""):
    """What the list shows, every page of it (up to MAX_ROWS), for the Excel export."""
    stmt = (_certificates(user, status, q).add_columns(Person.name, Person.id_number)
            .join(Person, Person.id == Certificate.person_id)
            .order_by(Certificate.id.desc()).limit(MAX_ROWS))
    for cert, name, id_number in db.session.execute(stmt):
        yield (name, mask_id(id_number), cert.title_name, cert.level, cert.issue_date, cert.cert_no or "",
               cert.status_label)
