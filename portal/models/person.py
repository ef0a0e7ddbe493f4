from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at, updated_at


class Person(db.Model):
    """A professional (专业技术人员) and their basic information (基本信息)."""

    __tablename__ = "persons"
    __table_args__ = (UniqueConstraint("id_type", "id_number"),)
    __scope__ = {"org": "org_id", "region": "unit_region_code", "person": "id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str | None] = mapped_column(String(2))
    id_type: Mapped[str] = mapped_column(String(32), default="resident_id")
    id_number: Mapped[str] = mapped_column(String(32), index=True)
    # Last four characters, indexed, so reviewers can search by ID tail without a table scan.
    id_tail: Mapped[str] = mapped_column(String(4), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    unit_region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    employer_name: Mapped[str | None] = mapped_column(String(128))
    unit_nature: Mapped[str | None] = mapped_column(String(64))
    education: Mapped[str | None] = mapped_column(String(64))
    degree: Mapped[str | None] = mapped_column(String(64))
    affiliation: Mapped[str | None] = mapped_column(String(64))
    social_security_no: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(128))
    created_at = created_at()
    updated_at = updated_at()

    org = relationship("Organization")
    certificates = relationship("Certificate", back_populates="person", order_by="Certificate.issue_date")

    def __repr__(self) -> str:
        return f"<Person {self.id}>"
