from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._types import created_at

EVIDENCE_KINDS = {
    "photo": "照片",
    "certificate_scan": "证书扫描件",
    "qualification_doc": "资格文件",
    "review_form": "评审表/认定表",
    "application_material": "职称申报材料",
}
# What every submitted certificate should carry; 评审表/认定表 is asked for case by case.
REQUIRED_EVIDENCE = ("photo", "certificate_scan", "qualification_doc")


class EvidenceFile(db.Model):
    """An uploaded evidence file (佐证材料), stored outside static/ and addressed by its SHA-256."""

    __tablename__ = "evidence_files"
    __scope__ = {"via": ("person_id", "Person")}

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_path: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at = created_at()
