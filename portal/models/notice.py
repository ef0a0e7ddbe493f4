"""Public notices (公示), their lists, objections (异议) and the working-day table behind their periods."""
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.evaluation import ROUTES
from portal.extensions import db
from portal.models._types import created_at

OBJECTION_STATUSES = {"open": "待处理", "upheld": "异议成立", "dismissed": "异议不成立"}
# What happens to a record when an objection against it is upheld.
UPHELD_OUTCOMES = {"returned": "退回修改", "cancelled": "取消（撤销该记录）"}
# What a notice lists: granted titles (certificates), or applications of the annual evaluation,
# first the unit's applicants and later the committee's results.
NOTICE_KINDS = {"certificates": "职称信息公示", "applications": "申报人员公示", "results": "评审结果公示"}
APPLICATION_KINDS = ("applications", "results")
# A line names exactly one subject: a certificate or an application.
ONE_SUBJECT = "(certificate_id IS NULL) <> (application_id IS NULL)"


class PublicNotice(db.Model):
    """A list published for at least five working days before the publisher reports up.

    Published notices are never edited; a correction (更正公示) is a new notice whose
    `corrects_id` names the one it replaces. `end_date` and `provisional` are derived from
    `start_date`, `days` and the holiday table, and refreshed when an administrator changes it.
    """

    __tablename__ = "public_notices"
    __table_args__ = (Index("ix_public_notices_end_date_id", "end_date", "id"),)
    __scope__ = {"org": "org_id", "region": "region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The publisher's region, copied so public search and office scoping need no join.
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="certificates", server_default="certificates")
    # 补充公示: lists applications changed after an earlier notice of the same kind.
    supplementary: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer, default=5)
    end_date: Mapped[date] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("public_notices.id"), index=True)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at = created_at()
    # When the scheduled job saw the period end and told the publisher what may follow.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org = relationship("Organization")
    corrects: Mapped["PublicNotice | None"] = relationship(remote_side=[id])
    published_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return NOTICE_KINDS.get(self.kind, self.kind)

    @property
    def lists_applications(self) -> bool:
        return self.kind in APPLICATION_KINDS


class NoticeEntry(db.Model):
    """One line of a notice, a person and their title or application, copied at publication so the
    list never changes.

    Only what a public list may show is copied: never an ID number or a phone number.
    """

    __tablename__ = "notice_entries"
    __table_args__ = (Index("ix_notice_entries_notice_position", "notice_id", "position"),
                      CheckConstraint(ONE_SUBJECT, name="one_subject"))
    __scope__ = {"via": ("notice_id", "PublicNotice")}

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_applications.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 序号, from 1
    person_name: Mapped[str] = mapped_column(String(64))
    employer_name: Mapped[str] = mapped_column(String(128))
    series_name: Mapped[str] = mapped_column(String(128))
    title_name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(8))
    # For an application: the specialty and the route (a key of ROUTES) applied for.
    specialty: Mapped[str | None] = mapped_column(String(128))
    route: Mapped[str | None] = mapped_column(String(16))

    notice = relationship("PublicNotice")
    certificate = relationship("Certificate")
    application = relationship("Application")

    @property
    def route_label(self) -> str:
        return ROUTES.get(self.route, self.route or "")


class Objection(db.Model):
    """An objection (异议) filed by a member of the public against one line of a notice."""

    __tablename__ = "objections"
    __table_args__ = (CheckConstraint(ONE_SUBJECT, name="one_subject"),)
    __scope__ = {"via": ("notice_id", "PublicNotice")}

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("public_notices.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("notice_entries.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_applications.id"), index=True)
    objector_name: Mapped[str] = mapped_column(String(64))
    objector_phone: Mapped[str] = mapped_column(String(32))
    grounds: Mapped[str] = mapped_column(Text)
    evidence_path: Mapped[str | None] = mapped_column(String(255))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    # Only a hash of the receipt code is kept: the code itself is shown once to the objector.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16))  # for upheld: a key of UPHELD_OUTCOMES
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filed_at = created_at()

    notice = relationship("PublicNotice")
    entry = relationship("NoticeEntry")
    resolved_by = relationship("User")

    @property
    def status_label(self) -> str:
        return OBJECTION_STATUSES.get(self.status, self.status)

    @property
    def outcome_label(self) -> str | None:
        return UPHELD_OUTCOMES.get(self.outcome) if self.outcome else None


class WorkdayOverride(db.Model):
    """A holiday or make-up working day (调休) from the State Council's yearly schedule."""

    __tablename__ = "workday_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = created_at()


class WorkdayYear(db.Model):
    """A year whose whole holiday schedule has been entered: its end dates are no longer provisional."""

    __tablename__ = "workday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at = created_at()
