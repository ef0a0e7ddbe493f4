from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at

ORG_TYPES = {
    "unit": "用人单位",
    "talent_center": "人才服务/档案托管机构",
    "department": "主管部门",
    "county_office": "县级职改办",
    "city_office": "市级职改办",
    "province_office": "省级职改办",
    "committee": "评委会办事机构",
}
OFFICE_TYPES = ("county_office", "city_office", "province_office")


class Organization(db.Model):
    """Any body that enters, reviews or owns title data; `parent` is the body it reports to (隶属)."""

    __tablename__ = "organizations"
    __scope__ = {"org": "id", "region": "region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # Materialised path "/1/4/9/" so a department can see its whole subtree with one prefix match.
    path: Mapped[str] = mapped_column(String(255), default="/", index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    nature: Mapped[str | None] = mapped_column(String(64))
    affiliation: Mapped[str | None] = mapped_column(String(64))
    contact_person: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    office_phone: Mapped[str | None] = mapped_column(String(32))
    # Set by an office for a unit leaving 参公 management: its staff may apply during the transition.
    civil_service_transition: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at = created_at()

    parent: Mapped["Organization | None"] = relationship(remote_side=[id])
    region = relationship("Region")

    @property
    def type_label(self) -> str:
        return ORG_TYPES.get(self.type, self.type)

    def chain(self) -> list["Organization"]:
        """This organisation and every body above it, nearest first: the review path."""
        out, org = [], self
        while org is not None:
            out.append(org)
            org = org.parent
        return out

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.name}>"
