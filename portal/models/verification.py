"""Public verification (网查 / 跨地区在线核验): API keys, the lookup log and recorded corrections.

Two invariants of published certificates are kept here, for every code path that goes through
the ORM (review, entry, revocation):
- an approved certificate always has an unguessable verification token (核验码);
- a change to a field the public sees, made after the certificate was first published, is
  recorded as a correction, so lookups show 信息已更正 with the date.
Bulk Core inserts bypass these hooks; `flask --app wsgi verify-tokens` backfills the tokens.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (Boolean, DateTime, ForeignKey, Index, Integer, String, event, insert, inspect, literal,
                        or_, select)
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models._types import created_at, utcnow
from portal.models.certificate import Certificate
from portal.models.person import Person

PUBLISHED_STATUSES = ("approved", "revoked")
# What a lookup shows; a change to any of these after publication is a correction (信息更正).
PUBLIC_CERTIFICATE_FIELDS = ("cert_no", "issue_date", "series", "level", "title_name",
                             "issuing_authority", "review_committee_name")
PUBLIC_PERSON_FIELDS = ("name", "id_number")
CHANNELS = {"web": "网页查询", "qr": "扫码核验", "api": "接口核验", "batch": "单位批量核验", "report": "打印核验报告"}


def new_verify_token() -> str:
    return secrets.token_urlsafe(32)


class ApiKey(db.Model):
    """A key issued to one client organisation (another province's system, an employer's HR
    system) for POST /api/v1/verify. Only the SHA-256 of the key is stored."""

    __tablename__ = "verification_api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_name: Mapped[str] = mapped_column(String(128))
    # First characters of the key, shown in the admin list so a key can be recognised.
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = created_at()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class VerificationLookup(db.Model):
    """One public lookup, found or not (核验记录). Holds no full ID number: the queried identity
    is kept as a keyed digest (to spot abuse) and the address truncated (to show the holder).

    A log, so its references are plain integers: writing it never fails or blocks on the rows
    it mentions.
    """

    __tablename__ = "verification_lookups"
    __table_args__ = (Index("ix_verification_lookups_person_id_id", "person_id", "id"),)
    # Only the holder (and a system administrator) reads who looked them up.
    __scope__ = {"person": "person_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(8))
    query_kind: Mapped[str] = mapped_column(String(16))  # id_number, cert_no, token
    identity_digest: Mapped[str] = mapped_column(String(32), index=True)
    found: Mapped[bool] = mapped_column(Boolean)
    person_id: Mapped[int | None] = mapped_column(Integer)
    certificate_ids: Mapped[str | None] = mapped_column(String(255))
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    requester_org: Mapped[str | None] = mapped_column(String(128))
    address: Mapped[str | None] = mapped_column(String(64))

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class CertificateCorrection(db.Model):
    """A change to the public fields of a certificate after it was published (信息已更正)."""

    __tablename__ = "certificate_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    corrected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fields: Mapped[str] = mapped_column(String(255))


def _changed(target, names) -> list[str]:
    state = inspect(target)
    return [name for name in names if state.attrs[name].history.has_changes()]


def _before_flush_value(target, name):
    history = inspect(target).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else None


def _was_published(target) -> bool:
    """Whether the row had been published before this flush (a first approval is no correction)."""
    return (_before_flush_value(target, "status") in PUBLISHED_STATUSES
            or _before_flush_value(target, "approved_at") is not None
            or _before_flush_value(target, "verify_token") is not None)


@event.listens_for(Certificate, "before_insert")
def _token_on_insert(mapper, connection, target):
    if target.status in PUBLISHED_STATUSES and not target.verify_token:
        target.verify_token = new_verify_token()


@event.listens_for(Certificate, "before_update")
def _token_and_correction_on_update(mapper, connection, target):
    changed = _changed(target, PUBLIC_CERTIFICATE_FIELDS)
    if changed and _was_published(target):
        connection.execute(insert(CertificateCorrection.__table__).values(
            certificate_id=target.id, corrected_at=utcnow(), fields=",".join(changed)))
    if target.status in PUBLISHED_STATUSES and not target.verify_token:
        target.verify_token = new_verify_token()


def record_certificate_corrections(connection, changes) -> None:
    """Corrections for published certificates changed outside the ORM (a bulk import):
    `changes` holds (certificate id, public values before, values after)."""
    rows = []
    for cert_id, before, after in changes:
        changed = [name for name in PUBLIC_CERTIFICATE_FIELDS if name in after and after[name] != before.get(name)]
        if changed:
            rows.append({"certificate_id": cert_id, "corrected_at": utcnow(), "fields": ",".join(changed)})
    if rows:
        connection.execute(insert(CertificateCorrection.__table__), rows)


def record_person_corrections(connection, person_ids, changed) -> None:
    """A correction on every published certificate of these persons, whose `changed` public
    fields (name, ID number) were changed."""
    if not person_ids or not changed:
        return
    published = select(
        Certificate.id,
        literal(utcnow(), DateTime(timezone=True)),
        literal(",".join(f"person.{name}" for name in changed)),
    ).where(Certificate.person_id.in_(list(person_ids)),
            or_(Certificate.status.in_(PUBLISHED_STATUSES), Certificate.verify_token.is_not(None)))
    connection.execute(insert(CertificateCorrection.__table__).from_select(
        ["certificate_id", "corrected_at", "fields"], published))


@event.listens_for(Person, "before_update")
def _correction_on_person_update(mapper, connection, target):
    record_person_corrections(connection, [target.id], _changed(target, PUBLIC_PERSON_FIELDS))
