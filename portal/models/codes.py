from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

CODE_KINDS = {
    "id_type": "证件类型",
    "title_level": "职称级别",
    "title_series": "职称系列",
    "title_name": "职称名称",
    "obtain_method": "取得方式",
    "unit_nature": "单位性质",
    "education": "学历",
    "degree": "学位",
    "affiliation": "隶属关系",
}


class CodeItem(db.Model):
    """One entry of a code table (代码表); administrators may rename or retire entries."""

    __tablename__ = "code_items"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    key: Mapped[str] = mapped_column(String(64))
    official_code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    former_names: Mapped[str | None] = mapped_column(String(512))  # "|"-separated
    level: Mapped[str | None] = mapped_column(String(8))
    series: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def former_name_list(self) -> tuple[str, ...]:
        return tuple(n for n in (self.former_names or "").split("|") if n)
