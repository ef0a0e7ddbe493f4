from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at, updated_at

IMPORT_STATUSES = {
    "queued": "排队中",
    "checking": "正在检查",
    "checked": "检查完成",
    "committing": "正在导入",
    "committed": "已导入",
    "failed": "失败",
}
RUNNING_STATUSES = ("queued", "checking", "committing")


class ImportJob(db.Model):
    """One uploaded workbook (批量导入) from its check to its commit; the worker process updates it
    so the page can show progress while the request that started it has long returned."""

    __tablename__ = "import_jobs"
    __scope__ = {"org": "org_id", "region": "region_code", "committee": "org_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(96))
    file_kind: Mapped[str] = mapped_column(String(8))  # xlsx or xls, judged by content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    mode: Mapped[str | None] = mapped_column(String(8))  # commit mode: "all" or "valid"
    layout: Mapped[str | None] = mapped_column(String(16))
    sheet_name: Mapped[str | None] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_valid: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)  # progress of the running phase
    rows_expected: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict | None] = mapped_column(JSON)  # counts of inserted/updated and of skipped rows
    message: Mapped[str | None] = mapped_column(Text)  # why the job failed, in Chinese
    annotated_ready: Mapped[bool] = mapped_column(default=False)
    created_at = created_at()
    updated_at = updated_at()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org = relationship("Organization")
    user = relationship("User")

    @property
    def status_label(self) -> str:
        return IMPORT_STATUSES.get(self.status, self.status)

    @property
    def running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def percent(self) -> int:
        if not self.rows_expected:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_expected))
