"""Electronic title certificates (职称电子证书), their use copies (使用件) and the checks of their QR codes.

The signed PDF itself is an IssuedDocument (portal.models.document): the same file store, the same
public page /documents/<number> and the same upload check as the letters. An ECertificate row adds
what the certificate is about: which Certificate, which original a use copy was made from, its
purpose and end date, the SM2-signed QR payload printed on it, and the public download token.
"""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models._types import created_at

ECERT_KINDS = {"original": "电子证书", "use_copy": "使用件"}


class ECertificate(db.Model):
    __tablename__ = "e_certificates"
    __table_args__ = (
        # "Which approved certificates have no current e-certificate" is one anti-join on this.
        Index("ix_e_certificates_certificate_id_kind", "certificate_id", "kind"),
    )
    # The holder's unit, its region and the committee, copied from the certificate, as the
    # certificate scopes them: whoever may see the record may see its e-certificate.
    __scope__ = {"org": "org_id", "region": "region_code", "person": "person_id", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The office whose seal and key sign it.
    issuer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("issued_documents.id"), unique=True)
    # A use copy's original.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("e_certificates.id"), index=True)
    purpose: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[str] = mapped_column(Text)
    # GET /ecert/file/<token>.pdf: the holder hands the file on by this link.
    public_token: Mapped[str] = mapped_column(String(43), unique=True)
    # An original replaced by a newer one (re-issued after a correction); a copy withdrawn by its holder.
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(64))
    issued_at = created_at()

    certificate = relationship("Certificate")
    person = relationship("Person")
    issuer = relationship("Organization", foreign_keys=[issuer_org_id])
    document = relationship("IssuedDocument")
    parent = relationship("ECertificate", remote_side=[id])

    @property
    def kind_label(self) -> str:
        return ECERT_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<ECertificate {self.number}>"


class ECertificateCheck(db.Model):
    """One scan of an e-certificate's QR code (核验记录): when, from which (truncated) address, what it showed."""

    __tablename__ = "e_certificate_checks"
    __scope__ = {"via": ("e_certificate_id", "ECertificate")}

    id: Mapped[int] = mapped_column(primary_key=True)
    e_certificate_id: Mapped[int] = mapped_column(ForeignKey("e_certificates.id"), index=True)
    at = created_at()
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
