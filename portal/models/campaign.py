from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at


class Campaign(db.Model):
    """A collection campaign (采集任务) run by an office, with its scope rules and deadlines."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    window_start: Mapped[date | None] = mapped_column(Date)
    window_end: Mapped[date | None] = mapped_column(Date)
    exclude_exam_only: Mapped[bool] = mapped_column(Boolean, default=True)
    exclude_electronic: Mapped[bool] = mapped_column(Boolean, default=True)
    exclude_other_province: Mapped[bool] = mapped_column(Boolean, default=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=5)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = created_at()

    org = relationship("Organization")
    deadlines = relationship("CampaignDeadline", back_populates="campaign",
                             order_by="CampaignDeadline.due_date", cascade="all, delete-orphan")


class CampaignDeadline(db.Model):
    """The last day on which one level may submit or report within a campaign."""

    __tablename__ = "campaign_deadlines"
    __table_args__ = (UniqueConstraint("campaign_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    level: Mapped[str] = mapped_column(String(24))  # a workflow status such as "unit_review", or "person"
    due_date: Mapped[date] = mapped_column(Date)

    campaign = relationship("Campaign", back_populates="deadlines")
