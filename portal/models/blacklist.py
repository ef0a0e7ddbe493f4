from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at


class BlacklistEntry(db.Model):
    """An entry of the integrity blacklist (诚信黑名单): a person or a unit barred for a period.

    Kept by title offices; `region_code` is the region of the barred party (the person's unit
    or the unit itself), so each office sees the entries of its own region subtree.
    """

    __tablename__ = "blacklist_entries"
    __table_args__ = (
        Index("ix_blacklist_entries_person_id", "person_id"),
        Index("ix_blacklist_entries_org_id", "org_id"),
    )
    __scope__ = {"region": "region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    reason: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # None: until lifted
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    created_at = created_at()
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    person = relationship("Person")
    org = relationship("Organization", foreign_keys=[org_id])
    created_by_org = relationship("Organization", foreign_keys=[created_by_org_id])

    def active_on(self, day: date) -> bool:
        if self.lifted_at is not None or day < self.start_date:
            return False
        return self.end_date is None or day <= self.end_date

    @property
    def period_label(self) -> str:
        end = self.end_date.isoformat() if self.end_date else "解除前长期有效"
        return f"{self.start_date.isoformat()} 至 {end}"
