"""Which evidence a record still lacks: the required kinds, and the kinds a reviewer asked for
when returning it that have not been uploaded since. Entry and review pages both show it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import AuditEntry, Certificate, EvidenceFile
from portal.models.evidence import EVIDENCE_KINDS, REQUIRED_EVIDENCE

PHOTO_FIX = "evidence:photo"
# Statuses in which the photo may still change: nothing of the person has been reported yet.
_PHOTO_OPEN_STATUSES = ("draft", "returned")


@dataclass(frozen=True)
class EvidenceGaps:
    missing: list[str] = field(default_factory=list)  # required kinds with no file
    requested: list[str] = field(default_factory=list)  # asked for at the last return, not uploaded since

    @property
    def missing_labels(self) -> list[str]:
        return [EVIDENCE_KINDS[k] for k in self.missing]

    @property
    def requested_labels(self) -> list[str]:
        return [EVIDENCE_KINDS[k] for k in self.requested]

    def __bool__(self) -> bool:
        return bool(self.missing or self.requested)


def _utc(moment):
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def last_return(cert_id: int) -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).where(
        AuditEntry.object_type == "certificate", AuditEntry.object_id == cert_id,
        AuditEntry.action == "return").order_by(AuditEntry.id.desc()).limit(1))


def gaps_of(cert: Certificate) -> EvidenceGaps:
    files = {}
    for upload in db.session.scalars(select(EvidenceFile).where(
            EvidenceFile.person_id == cert.person_id,
            or_(EvidenceFile.certificate_id == cert.id, EvidenceFile.certificate_id.is_(None)))):
        # The photo belongs to the person, every other kind to one certificate.
        if (upload.kind == "photo") == (upload.certificate_id is None):
            files[upload.kind] = upload
    missing = [kind for kind in REQUIRED_EVIDENCE if kind not in files]
    requested = []
    step = last_return(cert.id)
    if step is not None and step.diff:
        for fix in step.diff.get("fix_fields") or []:
            kind = fix.removeprefix("evidence:")
            if fix.startswith("evidence:") and kind in EVIDENCE_KINDS:
                upload = files.get(kind)
                if upload is None or _utc(upload.uploaded_at) < _utc(step.at):
                    requested.append(kind)
    return EvidenceGaps(missing, requested)


def photo_locked_by_others(cert: Certificate) -> bool:
    """The person's photo went up with another certificate, so nobody may ask for a new one."""
    return db.session.scalar(select(Certificate.id).where(
        Certificate.person_id == cert.person_id, Certificate.id != cert.id,
        Certificate.status.not_in(_PHOTO_OPEN_STATUSES)).limit(1)) is not None
