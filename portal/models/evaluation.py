"""The annual title evaluation (职称申报评审): an office's yearly plan (年度评审部署), its stage
dates and its material checklist (清单制)."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
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


class Application(db.Model):
    """One person's application (申报) under a plan, through their unit."""

    __tablename__ = "evaluation_applications"
    __scope__ = {"org": "org_id", "region": "unit_region_code", "person": "person_id",
                 "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("evaluation_plans.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # The applying unit and its region, copied so queues and scoping need no join.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    unit_region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    specialty: Mapped[str] = mapped_column(String(128))
    title_name: Mapped[str | None] = mapped_column(String(128))  # 拟申报职称名称, of the code table
    route: Mapped[str] = mapped_column(String(16))  # a key of ROUTES
    exceptional_condition: Mapped[str | None] = mapped_column(String(16))
    # The title held: one of the person's approved certificates (no paper), or typed with evidence.
    current_certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    current_level: Mapped[str | None] = mapped_column(String(8))
    current_title_name: Mapped[str | None] = mapped_column(String(128))
    education: Mapped[str | None] = mapped_column(String(64))
    chsi_no: Mapped[str | None] = mapped_column(String(18))  # 学历证书编号, checked on 学信网
    work_history: Mapped[str | None] = mapped_column(Text)
    public_hours: Mapped[int | None] = mapped_column(Integer)
    professional_hours: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="draft")
    # The unit's recommendation: {aspect: opinion} over RECOMMENDATION_ASPECTS, and for senior
    # levels the interview (面试答辩) that must come first.
    opinion: Mapped[dict | None] = mapped_column(JSON)
    interview_date: Mapped[date | None] = mapped_column(Date)
    interview_experts: Mapped[str | None] = mapped_column(String(500))
    # The last return, told all at once (一次性告知): the checklist items ticked, the reason, the deadline.
    return_items: Mapped[list | None] = mapped_column(JSON)
    return_reason: Mapped[str | None] = mapped_column(Text)
    resubmit_by: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A freelancer applying through a talent centre (人才服务/档案托管机构): its consent to take the
    # application on, recorded by its reviewer before it reviews.
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The signed truthfulness commitment: the individual letter issued for this application.
    commitment_document_id: Mapped[int | None] = mapped_column(ForeignKey("issued_documents.id"))
    # The day of the first submission: the basic conditions (window, retirement age) are judged on it,
    # also when the application comes back after a return.
    applied_on: Mapped[date | None] = mapped_column(Date)
    # Set while an objection to one of its notices is open: nobody moves it until decided.
    objection_open: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The last change of what the applicant declared or provided: after a notice it needs a 补充公示.
    content_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # After confirmation: the confirming document and the approved certificate the application became.
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_confirmations.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at = created_at()
    updated_at = updated_at()

    __mapper_args__ = {"version_id_col": version}

    plan = relationship("EvaluationPlan")
    person = relationship("Person")
    org = relationship("Organization", foreign_keys=[org_id])
    current_certificate = relationship("Certificate", foreign_keys=[current_certificate_id])
    certificate = relationship("Certificate", foreign_keys=[certificate_id])
    confirmation = relationship("Confirmation")
    commitment_document = relationship("IssuedDocument")
    achievements = relationship("Achievement", back_populates="application", order_by="Achievement.id",
                                cascade="all, delete-orphan")
    materials = relationship("ApplicationMaterial", back_populates="application", cascade="all, delete-orphan")
    insurance = relationship("SocialInsuranceRecord", back_populates="application", uselist=False,
                             cascade="all, delete-orphan")


class Achievement(db.Model):
    """One achievement (业绩成果) of an application: a typed list item with its evidence PDF."""

    __tablename__ = "evaluation_achievements"
    __scope__ = {"via": ("application_id", "Application")}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a key of ACHIEVEMENT_KINDS
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int | None] = mapped_column(Integer)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))

    application = relationship("Application", back_populates="achievements")
    evidence = relationship("EvidenceFile")


class ApplicationMaterial(db.Model):
    """A file provided for one item of the plan's checklist, or for one of the application's own proofs
    (`slot`: current_title, education_scan, exceptional_evidence, entrusting_letter)."""

    __tablename__ = "evaluation_materials"
    __table_args__ = (UniqueConstraint("application_id", "checklist_item_id", "slot"),)
    __scope__ = {"via": ("application_id", "Application")}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"), index=True)
    checklist_item_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_checklist_items.id"))
    slot: Mapped[str | None] = mapped_column(String(24))
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))

    application = relationship("Application", back_populates="materials")
    evidence = relationship("EvidenceFile")


class SocialInsuranceRecord(db.Model):
    """The applicant's social-insurance payment record, entered by the unit with the statement it
    uploads, and confirmed by an office (社保缴纳记录)."""

    __tablename__ = "evaluation_insurance_records"
    __scope__ = {"via": ("application_id", "Application")}

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("evaluation_applications.id"), unique=True)
    # [{"start": "2026-11", "end": "2027-04", "unit": "…"}], read by portal/domain/evaluation.py.
    periods: Mapped[list] = mapped_column(JSON)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    application = relationship("Application", back_populates="insurance")
    evidence = relationship("EvidenceFile")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
