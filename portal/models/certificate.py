from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.workflow import status_label
from portal.extensions import db
from portal.models._types import created_at, updated_at


class Certificate(db.Model):
    """One title certificate (职称信息) with every field of the national template."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_status_region_id", "status", "unit_region_code", "id"),
        Index("ix_certificates_org_status_id", "org_id", "status", "id"),
        # Review-queue filters read in id order, so a filter matching few rows is still a short scan.
        Index("ix_certificates_series_id", "series", "id"),
        Index("ix_certificates_level_id", "level", "id"),
        Index("ix_certificates_review_year_id", "review_year", "id"),
        # The statistics cube is rebuilt when the newest change moves: max() must be one index probe.
        Index("ix_certificates_updated_at", "updated_at"),
        # Certificate-number prefix search: LIKE 'x%' can only use a pattern-ops index under a
        # non-"C" collation (C.UTF-8 included, before PostgreSQL 17).
        Index("ix_certificates_cert_no_pattern", "cert_no", postgresql_ops={"cert_no": "varchar_pattern_ops"}),
        # One certificate per number and holder, whichever door it comes in by (two imports of
        # the same rows at once included); certificates without a number are told apart otherwise.
        Index("uq_certificates_person_id_cert_no", "person_id", "cert_no", unique=True,
              sqlite_where=text("cert_no IS NOT NULL"), postgresql_where=text("cert_no IS NOT NULL")),
    )
    __scope__ = {"org": "org_id", "region": "unit_region_code", "person": "person_id",
                 "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # The unit holding the record and its region, copied here so queues filter without joins.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    unit_region_code: Mapped[str | None] = mapped_column(String(6))
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)

    cert_no: Mapped[str | None] = mapped_column(String(64), index=True)  # 证书编号
    issue_date: Mapped[date | None] = mapped_column(Date)  # 发证日期
    grant_date: Mapped[date | None] = mapped_column(Date)  # 授予时间
    review_year: Mapped[int | None] = mapped_column(Integer)  # 评审年度
    first_appointment_date: Mapped[date | None] = mapped_column(Date)  # 首次聘任时间
    series: Mapped[str] = mapped_column(String(64))  # 职称系列 (code-table key)
    level: Mapped[str] = mapped_column(String(8))  # 职称级别
    title_name: Mapped[str] = mapped_column(String(128))  # 职称名称 / 资格名称
    has_review_specialty: Mapped[bool | None] = mapped_column(Boolean)  # 评审活动是否设置评审专业
    review_specialty: Mapped[str | None] = mapped_column(String(128))  # 评审专业名称
    local_review_specialty: Mapped[str | None] = mapped_column(String(128))  # 本地评审专业名称
    issuing_authority: Mapped[str | None] = mapped_column(String(128))  # 发证机构
    review_committee_name: Mapped[str | None] = mapped_column(String(128))  # 评审机构（评委会名称）
    evaluation_region_code: Mapped[str | None] = mapped_column(String(6))  # 行政区划代码（评审机构所在地）
    issuing_region_code: Mapped[str | None] = mapped_column(String(6))  # 发证单位行政区
    approval_doc_no: Mapped[str | None] = mapped_column(String(128))  # 证书批文号
    approval_department: Mapped[str | None] = mapped_column(String(128))  # 审批部门
    handling_status: Mapped[str | None] = mapped_column(String(32))  # 证书办理状态
    obtain_method: Mapped[str] = mapped_column(String(32), default="review")  # 取得方式
    employer_at_grant: Mapped[str | None] = mapped_column(String(128))  # 取得职称时工作单位

    status: Mapped[str] = mapped_column(String(24), default="draft")
    return_reason: Mapped[str | None] = mapped_column(Text)
    # Set while a public-notice objection against this record is unresolved: it may not advance.
    objection_open: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    verify_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic locking: of two reviewers saving the same version, only one succeeds.
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    created_at = created_at()
    updated_at = updated_at()

    __mapper_args__ = {"version_id_col": version}

    person = relationship("Person", back_populates="certificates")
    org = relationship("Organization", foreign_keys=[org_id])
    committee = relationship("Organization", foreign_keys=[committee_id])

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    def __repr__(self) -> str:
        return f"<Certificate {self.id} {self.status}>"
