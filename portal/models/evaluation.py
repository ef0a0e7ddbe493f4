"""The annual title evaluation (职称申报评审): an office's yearly plan (年度评审部署), its stage
dates and its material checklist (清单制)."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.evaluation import REQUIREMENTS, STAGES
from portal.extensions import db
from portal.models._types import created_at, updated_at


class EvaluationPlan(db.Model):
    """One office's deployment for one year and series; published plans are frozen."""

    __tablename__ = "evaluation_plans"
    __table_args__ = (UniqueConstraint("org_id", "year", "series"),)
    __scope__ = {"org": "org_id", "region": "region_code", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The office's region, copied so offices' scoping needs no join.
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    series: Mapped[str] = mapped_column(String(64))  # title_series code-table key
    levels: Mapped[str] = mapped_column(String(64))  # "正高级,副高级" in LEVELS order
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    pass_rate: Mapped[int] = mapped_column(Integer)  # 通过率上限, percent
    deployment_text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at = created_at()
    updated_at = updated_at()

    org = relationship("Organization", foreign_keys=[org_id])
    committee = relationship("Organization", foreign_keys=[committee_id])
    stages = relationship("EvaluationStage", back_populates="plan", order_by="EvaluationStage.start_date",
                          cascade="all, delete-orphan")
    checklist = relationship("ChecklistItem", back_populates="plan",
                             order_by="ChecklistItem.position", cascade="all, delete-orphan")

    @property
    def level_list(self) -> list[str]:
        return [level for level in self.levels.split(",") if level]

    def stage_dates(self) -> dict[str, tuple[date, date]]:
        return {s.stage: (s.start_date, s.end_date) for s in self.stages}


class EvaluationStage(db.Model):
    __tablename__ = "evaluation_stages"
    __table_args__ = (UniqueConstraint("plan_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"))
    stage: Mapped[str] = mapped_column(String(24))  # a key of STAGES
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)

    plan = relationship("EvaluationPlan", back_populates="stages")

    @property
    def label(self) -> str:
        return STAGES.get(self.stage, self.stage)


class ChecklistItem(db.Model):
    """One material of the plan's checklist for one level: nothing beyond the list may be asked."""

    __tablename__ = "evaluation_checklist_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str] = mapped_column(String(16))  # a key of REQUIREMENTS
    note: Mapped[str | None] = mapped_column(String(500))

    plan = relationship("EvaluationPlan", back_populates="checklist")

    @property
    def requirement_label(self) -> str:
        return REQUIREMENTS.get(self.requirement, self.requirement)
