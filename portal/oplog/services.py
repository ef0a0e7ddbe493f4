"""The operation log (操作日志): the signed trail, searched within the user's scope."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from openpyxl import Workbook

from portal.access import scoped
from portal.clock import CHINA
from portal.domain.text import clean
from portal.extensions import db
from portal.models import AuditEntry
from portal.models.user import ROLES
from portal.labels import ACTIONS, OBJECTS, action_label, object_label
from portal.clock import china_time

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000


@dataclass
class LogFilter:
    person: str = ""
    organisation: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "LogFilter":
        def day(name):
            try:
                return date.fromisoformat(args.get(name, ""))
            except ValueError:
                return None
        return cls(clean(args.get("person")), clean(args.get("organisation")),
                   args.get("action") if args.get("action") in ACTIONS else "",
                   args.get("object_type") if args.get("object_type") in OBJECTS else "",
                   args.get("object_id", type=int), day("date_from"), day("date_to"))

    def as_args(self) -> dict:
        values = {"person": self.person, "organisation": self.organisation, "action": self.action,
                  "object_type": self.object_type, "object_id": self.object_id,
                  "date_from": self.date_from.isoformat() if self.date_from else None,
                  "date_to": self.date_to.isoformat() if self.date_to else None}
        return {k: v for k, v in values.items() if v not in (None, "")}


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def query(user, f: LogFilter):
    stmt = scoped(AuditEntry, user).order_by(AuditEntry.id.desc())
    if f.person:
        stmt = stmt.where(AuditEntry.actor_name.like(_like(f.person), escape="\\"))
    if f.organisation:
        stmt = stmt.where(AuditEntry.actor_org_name.like(_like(f.organisation), escape="\\"))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.object_type:
        stmt = stmt.where(AuditEntry.object_type == f.object_type)
    if f.object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == f.object_id)
    # Days are Beijing days; the trail stores UTC.
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(f.date_from, time(), CHINA).astimezone(timezone.utc))
    if f.date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(f.date_to + timedelta(days=1), time(), CHINA)
                          .astimezone(timezone.utc))
    return stmt


def page(user, f: LogFilter, number: int):
    return db.paginate(query(user, f), page=number, per_page=PAGE_SIZE, error_out=False)


COLUMNS = ("编号", "时间（北京时间）", "操作人", "角色", "所属组织", "操作", "对象", "对象编号", "原因", "哈希")


def export_workbook(user, f: LogFilter) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("操作日志")
    sheet.append(COLUMNS)
    for entry in db.session.scalars(query(user, f).limit(EXPORT_MAX_ROWS)):
        sheet.append([entry.id, china_time(entry.at), entry.actor_name, ROLES.get(entry.actor_role, entry.actor_role),
                      entry.actor_org_name or "", action_label(entry.action), object_label(entry.object_type),
                      entry.object_id, entry.reason or "", entry.hash])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
