"""Administrator maintenance of the code tables, every change written to the trail."""
from sqlalchemy import select

from portal.audit import record
from portal.extensions import db
from portal.models import CodeItem

EDITABLE_FIELDS = ("key", "official_code", "name", "former_names", "level", "series", "note", "sort", "active")


def items_of(kind: str) -> list[CodeItem]:
    return list(db.session.scalars(
        select(CodeItem).where(CodeItem.kind == kind).order_by(CodeItem.sort, CodeItem.id)))


def key_taken(kind: str, key: str, except_id: int | None = None) -> bool:
    stmt = select(CodeItem.id).where(CodeItem.kind == kind, CodeItem.key == key)
    if except_id is not None:
        stmt = stmt.where(CodeItem.id != except_id)
    return db.session.scalar(stmt) is not None


def save_item(item: CodeItem, data: dict) -> CodeItem:
    diff = {}
    for field in EDITABLE_FIELDS:
        new = data.get(field)
        if isinstance(new, str):
            new = new.strip() or None
        if field in ("key", "name") and new is None:
            continue
        if field == "sort":
            new = new or 0
        old = getattr(item, field)
        if old != new:
            diff[field] = [old, new]
            setattr(item, field, new)
    if item.id is None:
        db.session.add(item)
        db.session.flush()
        record("code_create", "code_item", item.id, diff=diff)
    elif diff:
        record("code_update", "code_item", item.id, diff=diff)
    db.session.commit()
    return item
