from datetime import datetime

from sqlalchemy import DDL, JSON, DateTime, ForeignKey, Index, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from portal.extensions import db
from portal.models._types import utcnow
from portal.models.org import Organization


class AuditEntry(db.Model):
    """One signed step in the trail of a record (谁审核谁签字): append-only, hash-chained.

    Each entry carries the keyed hash of the previous entry of the same record, so removing or
    editing an entry breaks the chain; checkpoints outside the database anchor the chains' heads
    (see portal.audit).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id", "id"),)
    # The operation log shows what the people of one's subtree did.
    __scope__ = {"org": "actor_org_id", "region": "actor_org_region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(24))
    actor_org_id: Mapped[int | None] = mapped_column(Integer)
    actor_org_name: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    diff: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    # The acting organisation's region, for the scoping helper's WHERE clause only (deferred).
    actor_org_region_code = column_property(
        select(Organization.region_code).where(Organization.id == actor_org_id).correlate_except(Organization)
        .scalar_subquery(),
        deferred=True)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise PermissionError("审核留痕只能追加，不能修改或删除")


# On PostgreSQL the database itself refuses to change history, whatever the client. (TRUNCATE
# fires no row trigger; the application never truncates, the test suite's cleanup does.) The
# same statements are in the migration that introduced them.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
"""
# DDL formats its text with "%" (for %(table)s), so the function's own "%" is doubled.
event.listen(AuditEntry.__table__, "after_create",
             DDL(APPEND_ONLY_FUNCTION.replace("%", "%%")).execute_if(dialect="postgresql"))
event.listen(AuditEntry.__table__, "after_create", DDL(APPEND_ONLY_TRIGGER).execute_if(dialect="postgresql"))
