"""Issuing electronic certificates and use copies, their live status, the QR check and the holder's view.

An e-certificate is issued by a title office (职改办) for an approved Certificate in its scope,
signed with the office's key and seal the way letters are (portal.letters.services.issue_document),
and stored as an IssuedDocument with an ECertificate row beside it. Its QR code carries claims
signed with the issuer's SM2 key (portal.ecert.sm2); the check page verifies them offline first
and adds the live status from the database.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import SQLAlchemyError

from portal import audit, clock
from portal.access import scoped
from portal.clock import in_china
from portal.documents.ecert import TITLE, USE_COPY_TITLE, ECertPage, build_ecert_pdf
from portal.domain import ecert as rules
from portal.domain.idnumber import mask_id
from portal.domain.problems import Problem
from portal.domain.titles import levels_within
from portal.ecert import sm2
from portal.extensions import db
from portal.letters import services as letters
from portal.logredact import truncate_address
from portal.models import (Certificate, CertificateCorrection, CodeItem, ECertificate, ECertificateCheck,
                           IssuedDocument, Organization, Person)
from portal.models._types import utcnow
from portal.notices.workdays import load_overrides

ISSUER_ROLES = ("county_office", "city_office", "province_office")


class ECertError(Exception):
    """The e-certificate cannot be issued; ``str(error)`` is a Chinese message for users."""


# ---------------------------------------------------------------- settings and keys


def setting(name: str):
    return current_app.config[name]


def key_directory() -> Path:
    configured = current_app.config.get("ECERT_KEY_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "ecert"


def issuer_key() -> sm2.KeyPair:
    return sm2.ensure_key(key_directory())


def may_issue(user) -> bool:
    return bool(user.is_authenticated and user.role in ISSUER_ROLES and user.org is not None)


def check_url(payload: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/v/{payload}"


# ---------------------------------------------------------------- issuing


def _series_name(key: str) -> str:
    return db.session.scalar(select(CodeItem.name).where(CodeItem.kind == "title_series", CodeItem.key == key)) or key


def _approved_on(cert: Certificate) -> date | None:
    if cert.approved_at is not None:
        return in_china(cert.approved_at).date()
    return cert.issue_date


def current_original(cert_id: int) -> ECertificate | None:
    return db.session.scalar(select(ECertificate).where(
        ECertificate.certificate_id == cert_id, ECertificate.kind == "original",
        ECertificate.superseded_at.is_(None)))


def claims_for(cert: Certificate, number: str, kind: str, issued_on: date, purpose: str | None = None,
               valid_until: date | None = None) -> sm2.Claims:
    person = cert.person
    return sm2.Claims(kind=kind, number=number, name=person.name, masked_id=mask_id(person.id_number),
                      level=cert.level, title_name=cert.title_name, cert_no=cert.cert_no or "",
                      approved_on=_approved_on(cert), issued_on=issued_on, purpose=purpose, valid_until=valid_until)


def page_for(cert: Certificate, issuer: Organization, number: str, document_url: str, payload: str,
             issued_on: date, purpose: str | None = None, valid_until: date | None = None) -> ECertPage:
    """What the PDF shows: the holder's own copy, so the ID number in full."""
    person = cert.person
    committee = cert.review_committee_name or (cert.committee.name if cert.committee is not None else "")
    return ECertPage(
        number=number, document_url=document_url, qr_url=check_url(payload), name=person.name,
        id_number=person.id_number, sex=person.sex, series=_series_name(cert.series), level=cert.level,
        title_name=cert.title_name, specialty=cert.review_specialty, committee=committee or "—",
        issuing_office=issuer.name, approval_doc_no=cert.approval_doc_no or "—", approved_on=_approved_on(cert),
        grant_date=cert.grant_date or cert.issue_date, cert_no=cert.cert_no or "—", issued_on=issued_on,
        purpose=purpose, valid_until=valid_until)


def _issue(cert: Certificate, issuer: Organization, actor, *, kind: str, parent: ECertificate | None = None,
           purpose: str | None = None, valid_until: date | None = None) -> ECertificate:
    person: Person = cert.person
    issued_on = clock.today()
    key = issuer_key()
    made: dict = {}

    def build(number: str, url: str) -> bytes:
        made["payload"] = payload = sm2.sign(claims_for(cert, number, kind, issued_on, purpose, valid_until), key)
        return build_ecert_pdf(page_for(cert, issuer, number, url, payload, issued_on, purpose, valid_until))

    def register(doc: IssuedDocument) -> None:
        row = ECertificate(
            number=doc.number, kind=kind, certificate_id=cert.id, person_id=cert.person_id, org_id=cert.org_id,
            region_code=cert.unit_region_code, committee_id=cert.committee_id, issuer_org_id=issuer.id,
            document_id=doc.id, parent_id=parent.id if parent is not None else None, purpose=purpose,
            valid_until=valid_until, payload=made["payload"], public_token=secrets.token_urlsafe(32),
            created_by_id=getattr(actor, "id", None),
            created_by_name=(getattr(actor, "display_name", None) or "命令行")[:64])
        if kind == "original":
            previous = current_original(cert.id)
            if previous is not None:
                previous.superseded_at = utcnow()
        db.session.add(row)
        db.session.flush()
        made["row"] = row
        diff = {"ecert_number": doc.number, "sha256": doc.sha256}
        if purpose:
            diff |= {"purpose": purpose, "valid_until": valid_until.isoformat()}
        audit.record("ecert_issue" if kind == "original" else "ecert_use_copy", "certificate", cert.id,
                     actor=actor, diff=diff)

    covers = {"person_name_masked": letters.mask_name(person.name), "masked_id": mask_id(person.id_number),
              "title_name": cert.title_name, "level": cert.level, "cert_no": cert.cert_no,
              "purpose": purpose, "valid_until": valid_until.isoformat() if valid_until else None}
    try:
        letters.issue_document(
            kind="e_certificate" if kind == "original" else "e_certificate_copy",
            title=USE_COPY_TITLE if purpose else TITLE, org=issuer, person=person, covers=covers, build=build,
            signer_org=issuer, stamp=letters.stamp_lines(issuer.name),
            reason="职称电子证书" + (f"使用件：{purpose}" if purpose else "签发"), user=actor, register=register)
    except letters.LetterError as exc:
        raise ECertError(str(exc)) from None
    return made["row"]


def issue_ecert(certificate: Certificate, actor, *, reissue: bool = False) -> ECertificate:
    """The electronic certificate of an approved `certificate`, issued by `actor`'s office.

    The caller has loaded `certificate` through the actor's scope. `reissue` replaces a current
    e-certificate (after a correction): the old one then checks as 已换发新证.
    """
    issuer = getattr(actor, "org", None)
    if issuer is None or getattr(actor, "role", None) not in ISSUER_ROLES:
        raise ECertError("只有职称改革办公室（县、市、省级）可以签发职称电子证书。")
    if certificate.status != "approved":
        raise ECertError("只有经最终审核通过（确认）的职称证书可以签发电子证书。")
    if not reissue and current_original(certificate.id) is not None:
        raise ECertError("该证书已签发电子证书。")
    return _issue(certificate, issuer, actor, kind="original")


# ---------------------------------------------------------------- use copies (使用件)


def copies_of(original: ECertificate) -> list[ECertificate]:
    return list(db.session.scalars(select(ECertificate).where(ECertificate.parent_id == original.id)
                                   .order_by(ECertificate.id.desc())))


def live_copies(original: ECertificate, today: date) -> int:
    return sum(rules.is_live_copy(c.valid_until, c.withdrawn_at, today) for c in copies_of(original))


def create_use_copy(original: ECertificate, purpose: str | None, valid_until,
                    user) -> tuple[ECertificate | None, list[Problem]]:
    """A copy of the holder's e-certificate stamped with a purpose and an end date, or the problems."""
    today = clock.today()
    if original.kind != "original" or original.superseded_at is not None or original.certificate.status != "approved":
        raise ECertError("只能为当前有效的电子证书制作使用件。")
    text, end, problems = rules.check_use_copy(
        purpose, valid_until, today=today, live_copies=live_copies(original, today),
        max_days=setting("ECERT_USE_COPY_MAX_DAYS"), max_live=setting("ECERT_USE_COPY_MAX_LIVE"))
    if problems:
        return None, problems
    copy = _issue(original.certificate, original.issuer, user, kind="use_copy", parent=original,
                  purpose=text, valid_until=end)
    return copy, []


def withdraw_use_copy(copy: ECertificate, user) -> None:
    if copy.kind != "use_copy" or copy.withdrawn_at is not None:
        return
    copy.withdrawn_at = utcnow()
    audit.record("ecert_use_copy_withdraw", "certificate", copy.certificate_id, actor=user,
                 diff={"ecert_number": copy.number})
    db.session.commit()


# ---------------------------------------------------------------- status


def status_of(ecert: ECertificate, today: date | None = None) -> str:
    today = today or clock.today()
    cert = ecert.certificate
    original = ecert.parent if ecert.kind == "use_copy" else ecert
    corrected = db.session.scalar(select(exists().where(
        CertificateCorrection.certificate_id == cert.id, CertificateCorrection.corrected_at > ecert.issued_at)))
    return rules.public_status(
        certificate_status=cert.status, corrected_since_issue=bool(corrected),
        superseded=original is not None and original.superseded_at is not None, kind=ecert.kind,
        valid_until=ecert.valid_until, withdrawn=ecert.withdrawn_at is not None, today=today)


def status_label(status: str) -> str:
    return rules.STATUS_LABELS[status]


# ---------------------------------------------------------------- the QR check (/v/<payload>)


@dataclass
class CheckView:
    outcome: str  # "valid" (signature), "forged", "malformed"
    claims: sm2.Claims | None = None
    expired: bool = False  # a use copy past its end date: refused even without the database
    live: str | None = None  # the database's status, None when it could not answer
    live_error: bool = False
    unknown: bool = False  # signature fine, but the portal has no such e-certificate
    revoke_reason: str | None = None
    revoked_at: datetime | None = None
    fingerprint: str = ""

    @property
    def live_label(self) -> str | None:
        return rules.STATUS_LABELS.get(self.live) if self.live else None


def check_payload(payload: str, address: str | None) -> CheckView:
    key = issuer_key()
    try:
        claims, signature_ok = sm2.read(payload, key.public_hex)
    except sm2.PayloadError:
        return CheckView("malformed", fingerprint=key.fingerprint)
    if not signature_ok:
        return CheckView("forged", fingerprint=key.fingerprint)
    today = clock.today()
    view = CheckView("valid", claims, fingerprint=key.fingerprint,
                     expired=claims.kind == "use_copy" and claims.valid_until is not None and claims.valid_until < today)
    try:
        row = db.session.scalar(select(ECertificate).where(ECertificate.number == claims.number))
        if row is None:
            view.unknown = True
            return view
        view.live = status_of(row, today)
        if view.live == "revoked":
            view.revoke_reason, view.revoked_at = row.certificate.revoke_reason, row.certificate.revoked_at
        db.session.add(ECertificateCheck(e_certificate_id=row.id, address=truncate_address(address)[:64],
                                         outcome=view.live, note=None))
        db.session.commit()
    except SQLAlchemyError:
        # The signed claims stand on their own: the page says the live status is unavailable.
        db.session.rollback()
        current_app.logger.warning("e-certificate live status unavailable", exc_info=True)
        view.live, view.live_error = None, True
    return view


def by_public_token(token: str) -> ECertificate | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(ECertificate).where(ECertificate.public_token == token))


def public_pdf_path(ecert: ECertificate) -> str:
    return f"/ecert/file/{ecert.public_token}.pdf"


# ---------------------------------------------------------------- the holder


@dataclass
class HeldCertificate:
    certificate: Certificate
    original: ECertificate | None
    status: str | None
    copies: list[tuple[ECertificate, str, list[ECertificateCheck]]]
    checks: list[ECertificateCheck]
    live_copies: int


def _checks(ecert_id: int, limit: int = 20) -> list[ECertificateCheck]:
    return list(db.session.scalars(select(ECertificateCheck).where(ECertificateCheck.e_certificate_id == ecert_id)
                                   .order_by(ECertificateCheck.id.desc()).limit(limit)))


def holdings(user) -> list[HeldCertificate]:
    """The person's published certificates, each with its e-certificate, copies and their checks."""
    today = clock.today()
    certs = db.session.scalars(scoped(Certificate, user).where(Certificate.status.in_(("approved", "revoked")))
                               .order_by(Certificate.issue_date, Certificate.id))
    held = []
    for cert in certs:
        original = db.session.scalar(scoped(ECertificate, user).where(
            ECertificate.certificate_id == cert.id, ECertificate.kind == "original")
            .order_by(ECertificate.superseded_at.is_not(None), ECertificate.id.desc()).limit(1))
        copies = []
        if original is not None:
            copies = [(c, status_of(c, today), _checks(c.id)) for c in copies_of(original)]
        held.append(HeldCertificate(
            cert, original, status_of(original, today) if original else None, copies,
            _checks(original.id) if original else [],
            sum(1 for _, status, _ in copies if status == "valid")))
    return held


# ---------------------------------------------------------------- the office: what is due, bulk issuance


@dataclass(frozen=True)
class IssueFilter:
    level: str | None = None
    review_year: int | None = None
    overdue_only: bool = False


def _without_ecert():
    return ~exists().where(and_(ECertificate.certificate_id == Certificate.id, ECertificate.kind == "original",
                                ECertificate.superseded_at.is_(None)))


def overdue_cutoff(today: date | None = None) -> datetime:
    """Approvals before this moment (UTC) are overdue: past ECERT_DUE_WORKDAYS working days without an e-cert."""
    last = rules.latest_overdue_approval(today or clock.today(), setting("ECERT_DUE_WORKDAYS"), load_overrides())
    return clock.china_midnight_utc(last + timedelta(days=1))


def issuable(user, flt: IssueFilter = IssueFilter()):
    """Approved certificates in the user's scope without a current e-certificate."""
    stmt = scoped(Certificate, user).where(Certificate.status == "approved", _without_ecert())
    if flt.level:
        stmt = stmt.where(Certificate.level.in_(levels_within(flt.level)))
    if flt.review_year:
        stmt = stmt.where(Certificate.review_year == flt.review_year)
    if flt.overdue_only:
        stmt = stmt.where(Certificate.approved_at.is_not(None), Certificate.approved_at < overdue_cutoff())
    return stmt


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


@dataclass(frozen=True)
class OverdueRow:
    certificate: Certificate
    name: str
    approved_on: date
    deadline: date


def overdue(user, limit: int = 50) -> tuple[list[OverdueRow], int]:
    """Confirmed (approved) certificates past their issuing deadline without an e-certificate, oldest first."""
    stmt = issuable(user, IssueFilter(overdue_only=True))
    total = count(stmt)
    overrides = load_overrides()
    rows = []
    for cert, name in db.session.execute(stmt.join(Person, Person.id == Certificate.person_id)
                                         .add_columns(Person.name).order_by(Certificate.approved_at, Certificate.id)
                                         .limit(limit)):
        approved_on = in_china(cert.approved_at).date()
        rows.append(OverdueRow(cert, name, approved_on,
                               rules.issue_deadline(approved_on, setting("ECERT_DUE_WORKDAYS"), overrides)))
    return rows, total


def recent(user, limit: int = 20) -> list[ECertificate]:
    return list(db.session.scalars(scoped(ECertificate, user).where(ECertificate.kind == "original")
                                   .order_by(ECertificate.id.desc()).limit(limit)))
