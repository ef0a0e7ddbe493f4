from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import utcnow

OUTCOMES = {
    "success": "登录成功",
    "failure": "用户名或密码错误",
    "disabled": "账户已停用",
    "throttled": "尝试过于频繁，被延迟",
}


class LoginEvent(db.Model):
    """One login attempt (登录日志). The typed username is kept only as a keyed digest, since
    persons log in with their ID number; the address is truncated to its network."""

    __tablename__ = "login_events"
    __scope__ = {"org": "org_id", "region": "region_code", "person": "person_id"}
    __table_args__ = (
        Index("ix_login_events_username_digest_at", "username_digest", "at"),
        Index("ix_login_events_address_at", "address", "at"),
        Index("ix_login_events_user_id_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    username_digest: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user = relationship("User")

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)
