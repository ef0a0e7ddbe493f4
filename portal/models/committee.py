"""The evaluation committee (评审委员会): its expert pool, a plan's meeting, attendance, recusals and the
anonymous vote; and the office's confirmation document (确认文件) of the passed list.

The vote is kept anonymous in the database too: the paper ballots of one applicant are stored as
counts, and an expert voting on their own account leaves a row saying *that* they voted (so nobody
votes twice and recused experts are refused) apart from the counts saying *how*.
"""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.evaluation import MEETING_STATUSES
from portal.extensions import db
from portal.models._types import created_at


class Expert(db.Model):
    """One expert of a committee's pool (评审专家库)."""

    __tablename__ = "committee_experts"
    __scope__ = {"committee": "committee_id", "region": "region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The committee's region, copied so offices see the pools of their region without a join.
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    name: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(128))
    # The expert's unit when it is in the portal: recusal by unit compares it with the applicant's.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    series: Mapped[str] = mapped_column(String(64))  # title_series code-table key
    specialty: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(128))
    # An account the expert votes on themselves with (optional: the office may enter paper ballots).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = created_at()

    committee = relationship("Organization", foreign_keys=[committee_id])
    org = relationship("Organization", foreign_keys=[org_id])
    user = relationship("User")


class CommitteeMeeting(db.Model):
    """The committee's meeting on one plan (评审会议), its members and, once closed, its minutes' date."""

    __tablename__ = "committee_meetings"
    __table_args__ = (UniqueConstraint("plan_id"),)
    __scope__ = {"committee": "committee_id", "region": "region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"))
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    meeting_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="preparing")  # a key of MEETING_STATUSES
    minutes_date: Mapped[date | None] = mapped_column(Date)  # 会议纪要日期
    pass_rate_reason: Mapped[str | None] = mapped_column(Text)  # required when above the plan's limit
    summary_document_id: Mapped[int | None] = mapped_column(ForeignKey("issued_documents.id"))
    record_document_id: Mapped[int | None] = mapped_column(ForeignKey("issued_documents.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at = created_at()

    plan = relationship("EvaluationPlan")
    committee = relationship("Organization")
    members = relationship("MeetingMember", back_populates="meeting", order_by="MeetingMember.id",
                           cascade="all, delete-orphan")
    summary_document = relationship("IssuedDocument", foreign_keys=[summary_document_id])
    record_document = relationship("IssuedDocument", foreign_keys=[record_document_id])

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES.get(self.status, self.status)


class MeetingMember(db.Model):
    """An expert picked for the meeting, and whether they attended."""

    __tablename__ = "committee_meeting_members"
    __table_args__ = (UniqueConstraint("meeting_id", "expert_id"),)
    __scope__ = {"via": ("meeting_id", "CommitteeMeeting")}

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("committee_experts.id"))
    present: Mapped[bool] = mapped_column(Boolean, default=False)

    meeting = relationship("CommitteeMeeting", back_populates="members")
    expert = relationship("Expert")


class RelatedMark(db.Model):
    """An expert marked as related to an applicant (利害关系): they take no part in that vote."""

    __tablename__ = "committee_related_marks"
    __table_args__ = (UniqueConstraint("meeting_id", "expert_id", "application_id"),)
    __scope__ = {"via": ("meeting_id", "CommitteeMeeting")}

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("committee_experts.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"))
    reason: Mapped[str] = mapped_column(String(200))

    expert = relationship("Expert")


class VoteCount(db.Model):
    """The ballots on one applicant at the meeting, as counts only; the result once the meeting closes."""

    __tablename__ = "committee_votes"
    __table_args__ = (UniqueConstraint("meeting_id", "application_id"),)
    __scope__ = {"via": ("meeting_id", "CommitteeMeeting")}

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"), index=True)
    # paper: counted by the committee office; online: cast by the experts on their accounts.
    source: Mapped[str] = mapped_column(String(8))
    yes: Mapped[int] = mapped_column(Integer, default=0)
    no: Mapped[int] = mapped_column(Integer, default=0)
    abstain: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)

    application = relationship("Application")


class BallotCast(db.Model):
    """That an expert voted on an applicant on their own account; how they voted is not kept here."""

    __tablename__ = "committee_ballot_casts"
    __table_args__ = (UniqueConstraint("meeting_id", "application_id", "expert_id"),)
    __scope__ = {"via": ("meeting_id", "CommitteeMeeting")}

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("committee_meetings.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("committee_experts.id"))


class Confirmation(db.Model):
    """The office's confirmation document (确认文件：文号、日期) of a plan's passed list."""

    __tablename__ = "evaluation_confirmations"
    __scope__ = {"org": "org_id", "region": "region_code", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    doc_no: Mapped[str] = mapped_column(String(128))
    doc_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = created_at()

    plan = relationship("EvaluationPlan")
