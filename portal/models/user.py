from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models._types import created_at
from portal.models.org import Organization

ROLES = {
    "person": "专业技术人员",
    "unit": "用人单位",
    "department": "主管部门",
    "county_office": "县级职改办",
    "city_office": "市级职改办",
    "province_office": "省级职改办",
    "committee": "评委会办事机构",
    "admin": "系统管理员",
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __scope__ = {"org": "org_id", "region": "org_region_code", "person": "person_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set for generated passwords (bulk accounts, resets): the holder must choose their own first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change or forced logout: sessions carrying an older value end.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at = created_at()

    org = relationship("Organization")
    # The owning organisation's region, so offices see the accounts of their region's subtree;
    # deferred, as only the scoping helper's WHERE clause uses it.
    org_region_code = column_property(
        select(Organization.region_code).where(Organization.id == org_id).correlate_except(Organization)
        .scalar_subquery(),
        deferred=True)
    person = relationship("Person")

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)
