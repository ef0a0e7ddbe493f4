from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

REGION_LEVELS = {"province": "省级", "prefecture": "地级", "county": "县级"}


class Region(db.Model):
    """A GB/T 2260 administrative division; retired codes stay, with the years they were in force."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    valid_from: Mapped[int | None]
    valid_to: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
