"""Issued documents (承诺书, 审核签字表) and the signing credentials (电子印章证书) behind them."""
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at

DOCUMENT_KINDS = {
    "unit_letter": "数据上报承诺书",
    "individual_letter": "个人真实性承诺书",
    "review_sheet": "审核签字表",
    "verification_report": "职称证书核验报告",
    "e_certificate": "职称电子证书",
    "e_certificate_copy": "职称电子证书使用件",
    "vote_summary": "评委会投票汇总表",
    "result_record": "评审结果记录单",
    "results_report": "报送评审通过人员名单的报告",
}
CREDENTIAL_SOURCES = {
    "uploaded": "单位上传的证书",
    "portal_ca": "平台 CA 签发的证书",
}


class IssuedDocument(db.Model):
    """A signed PDF the portal issued; the bytes live on disk, the record says what they cover.

    `number` is printed on the document and behind its QR code; the public page
    /documents/<number> shows `covers` and `sha256` so a copy can be checked.
    """

    __tablename__ = "issued_documents"
    __scope__ = {"org": "org_id", "region": "region_code", "person": "person_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(128))
    # The issuing organisation; for an individual letter the person's unit, which collects it.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    covers: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(128))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(64))
    created_at = created_at()

    org = relationship("Organization")
    person = relationship("Person")

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<IssuedDocument {self.number}>"


class SigningCredential(db.Model):
    """An organisation's signing key and certificate, as PKCS#12 re-encrypted by the portal.

    The uploader's passphrase is never stored: the file is opened with it once and wrapped
    again under a key derived from SIGNING_KEY (or SECRET_KEY) and this row's `salt`
    (portal.letters.credentials). `org_id` is empty for the portal's own credential, which
    seals individuals' letters.
    """

    __tablename__ = "signing_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    subject_name: Mapped[str] = mapped_column(String(255))
    issuer_name: Mapped[str] = mapped_column(String(255))
    serial_hex: Mapped[str] = mapped_column(String(64))
    fingerprint_sha256: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pkcs12: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = created_at()

    org = relationship("Organization")

    @property
    def source_label(self) -> str:
        return CREDENTIAL_SOURCES.get(self.source, self.source)
