"""Public certificate lookup (网查): parsing a query, finding published certificates, logging
the lookup, the verification URL and its QR code, and revocation.

A miss is a miss whatever its cause (no such ID, wrong name, certificate not yet approved): the
same query runs and the same log row is written either way, so neither the page nor its timing
tells a real ID number from an invented one.
"""
from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass, replace
from datetime import date, datetime

import segno
from flask import current_app, request
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.access import scoped
from portal.audit import record
from portal.clock import in_china
from portal.documents.xlsx_list import MAX_ROWS
from portal.documents.verification_report import REPORT_TITLE, VerificationReport, build_report_pdf
from portal.domain.idnumber import check_resident_id, mask_id
from portal.domain.names import check_person_name
from portal.domain.text import clean, has_control_characters
from portal.extensions import db
from portal.models import Certificate, CertificateCorrection, CodeItem, IssuedDocument, Person, VerificationLookup
from portal.models._types import utcnow
from portal.models.verification import PUBLISHED_STATUSES
from portal.letters import services as letters
from portal.letters.credentials import PLATFORM_NAME
from portal.logredact import truncate_address
from portal.verify.lookup_log import lookup_log
from portal.verify.readpath import fetch_all

MAX_NAME = 50
MAX_ID_NUMBER = 32
MAX_CERT_NO = 64
STATUS_LABELS = {"valid": "有效", "revoked": "已撤销", "corrected": "信息已更正"}
REVOKER_ROLES = ("county_office", "city_office", "province_office")


@dataclass(frozen=True)
class Query:
    """A normalised lookup: 姓名 plus 证件号码 and/or 证书编号."""

    name: str
    id_number: str | None = None
    cert_no: str | None = None

    @property
    def kind(self) -> str:
        return "id_number" if self.id_number else "cert_no"

    @property
    def identity(self) -> str:
        """What the per-identity throttle and the log key on: the number, never the name."""
        return f"id:{self.id_number}" if self.id_number else f"cert:{self.cert_no}"


def _normalise_id_number(raw) -> str:
    text = clean(raw).upper()
    if len(text) == 15 and text.isdigit():
        # Old 15-digit numbers are stored in their 18-digit form.
        converted = check_resident_id(text)
        if converted.ok:
            return converted.value
    return text


CONTROL_CHARACTERS = "查询内容含有不可见的控制字符，请删除后重新输入。"


def parse_query(name, id_number, cert_no) -> tuple[Query | None, str | None]:
    """(query, None) or (None, message in Chinese) when something required is missing."""
    if any(has_control_characters(value) for value in (name, id_number, cert_no)):
        return None, CONTROL_CHARACTERS
    name_text = clean(name)
    id_text = _normalise_id_number(id_number) if id_number is not None else ""
    cert_text = clean(cert_no)
    if not name_text:
        return None, "请填写姓名。"
    if not id_text and not cert_text:
        return None, "请填写证件号码或证书编号（至少一项）。"
    if len(name_text) > MAX_NAME or len(id_text) > MAX_ID_NUMBER or len(cert_text) > MAX_CERT_NO:
        return None, "填写的内容过长，请核对后重新输入。"
    if "\x00" in name_text + id_text + cert_text:
        # No stored text holds it, and PostgreSQL refuses it in a query.
        return None, "填写的内容含有无效字符，请核对后重新输入。"
    normalised, _ = check_person_name(name_text)
    return Query(normalised or name_text, id_text or None, cert_text or None), None


def identity_digest(identity: str) -> str:
    """A keyed digest of the queried number: lets the log group lookups without storing it."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class CertificateView:
    """What the public may see of one certificate: the page, the API and the batch all use it."""

    certificate_id: int
    person_id: int
    name: str
    masked_id: str
    series: str
    title_name: str
    level: str
    issue_date: date | None
    cert_no: str | None
    issuing_authority: str | None
    review_committee: str | None
    status: str
    revoked_at: datetime | None
    revoke_reason: str | None
    corrected_at: datetime | None
    # The QR link's token: whoever matched the name and number may print the report that links back.
    verify_token: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "id_number_masked": self.masked_id,
            "series": self.series,
            "title_name": self.title_name,
            "level": self.level,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "cert_no": self.cert_no,
            "issuing_authority": self.issuing_authority,
            "review_committee": self.review_committee,
            "status": self.status,
            "status_label": self.status_label,
            "revoked_at": in_china(self.revoked_at).date().isoformat() if self.revoked_at else None,
            "revoke_reason": self.revoke_reason,
            "corrected_at": in_china(self.corrected_at).date().isoformat() if self.corrected_at else None,
        }


_last_correction = (
    select(func.max(CertificateCorrection.corrected_at))
    .where(CertificateCorrection.certificate_id == Certificate.id)
    .scalar_subquery()
)

# Built once: every lookup is one indexed query (persons.id_number or certificates.cert_no).
PUBLISHED_CERTIFICATES = (
    select(
        Certificate.id, Certificate.person_id, Person.name, Person.id_number,
        func.coalesce(CodeItem.name, Certificate.series), Certificate.title_name, Certificate.level,
        Certificate.issue_date, Certificate.cert_no, Certificate.issuing_authority,
        Certificate.review_committee_name, Certificate.status, Certificate.revoked_at,
        Certificate.revoke_reason, _last_correction, Certificate.verify_token,
    )
    .select_from(Certificate)
    .join(Person, Person.id == Certificate.person_id)
    .outerjoin(CodeItem, and_(CodeItem.kind == "title_series", CodeItem.key == Certificate.series))
    .where(Certificate.status.in_(PUBLISHED_STATUSES))
    .order_by(Certificate.issue_date, Certificate.id)
)
_BY_ID_NUMBER = PUBLISHED_CERTIFICATES.where(Person.id_number == bindparam("id_number"),
                                             Person.name == bindparam("name"))
_BY_CERT_NO = PUBLISHED_CERTIFICATES.where(Certificate.cert_no == bindparam("cert_no"),
                                           Person.name == bindparam("name"))
_BY_BOTH = _BY_ID_NUMBER.where(Certificate.cert_no == bindparam("cert_no"))
_BY_TOKEN = PUBLISHED_CERTIFICATES.where(Certificate.verify_token == bindparam("token"))


def certificate_view(row) -> CertificateView:
    (cert_id, person_id, name, id_number, series, title_name, level, issue_date, cert_no,
     issuing_authority, review_committee, status, revoked_at, revoke_reason, corrected_at, token) = row
    if status == "revoked":
        public_status = "revoked"
    elif corrected_at is not None:
        public_status = "corrected"
    else:
        public_status = "valid"
    return CertificateView(cert_id, person_id, name, mask_id(id_number), series, title_name, level,
                           issue_date, cert_no, issuing_authority, review_committee, public_status,
                           revoked_at, revoke_reason, corrected_at, token)


def find_certificates(query: Query) -> list[CertificateView]:
    if query.id_number and query.cert_no:
        stmt, params = _BY_BOTH, {"id_number": query.id_number, "cert_no": query.cert_no, "name": query.name}
    elif query.id_number:
        stmt, params = _BY_ID_NUMBER, {"id_number": query.id_number, "name": query.name}
    else:
        stmt, params = _BY_CERT_NO, {"cert_no": query.cert_no, "name": query.name}
    return [certificate_view(row) for row in fetch_all(stmt, params)]


def find_by_token(token: str) -> list[CertificateView]:
    if not token or len(token) > 64:
        return []
    return [certificate_view(row) for row in fetch_all(_BY_TOKEN, {"token": token})]


@dataclass(frozen=True)
class Requester:
    channel: str  # web, qr, api, batch
    address: str | None
    api_key_id: int | None = None
    org_name: str | None = None

    @classmethod
    def from_request(cls, channel: str, api_key=None, org_name: str | None = None) -> "Requester":
        """`api_key` is the ActiveKey the API request authenticated with."""
        return cls(channel, request.remote_addr, api_key.id if api_key else None,
                   api_key.org_name if api_key else org_name)


def log_rows(requester: Requester, query_kind: str, identity: str, found: list[CertificateView]) -> list[dict]:
    """One row per person found, or one row saying nothing was found."""
    base = {
        "at": utcnow(), "channel": requester.channel, "query_kind": query_kind,
        "identity_digest": identity_digest(identity), "api_key_id": requester.api_key_id,
        "requester_org": requester.org_name, "address": truncate_address(requester.address),
    }
    if not found:
        return [base | {"found": False, "person_id": None, "certificate_ids": None}]
    by_person: dict[int, list[str]] = {}
    for view in found:
        by_person.setdefault(view.person_id, []).append(str(view.certificate_id))
    return [base | {"found": True, "person_id": person_id, "certificate_ids": ",".join(ids)[:255]}
            for person_id, ids in by_person.items()]


def log_lookup(query: Query, requester: Requester, found: list[CertificateView]) -> None:
    lookup_log.add(log_rows(requester, query.kind, query.identity, found))


def lookup_token(token: str, requester: Requester) -> list[CertificateView]:
    found = find_by_token(token)
    lookup_log.add(log_rows(requester, "token", f"token:{token}", found))
    return found


def token_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/v/{token}"


def issue_report(token: str, requester: Requester) -> IssuedDocument | None:
    """The signed 核验报告 of the certificate behind a QR token, or None when there is none.

    Logged like any lookup (the holder sees who printed a report), signed by the portal itself and
    registered like the letters, so a paper copy's number finds it at /documents/<number>.
    """
    found = lookup_token(token, requester)
    if not found:
        return None
    view = found[0]
    if view.status == "revoked":
        note = f"该证书已于{in_china(view.revoked_at):%Y年%m月%d日}撤销。撤销原因：{view.revoke_reason or '未注明'}"
    elif view.status == "corrected":
        note = f"该证书信息已于{in_china(view.corrected_at):%Y年%m月%d日}更正，以本报告显示的信息为准。"
    else:
        note = None
    looked_up_at = in_china(utcnow())
    report = VerificationReport(
        name=view.name, masked_id=view.masked_id, series=view.series, title_name=view.title_name,
        level=view.level, issue_date=view.issue_date, cert_no=view.cert_no,
        issuing_authority=view.issuing_authority, review_committee=view.review_committee,
        status_label=view.status_label, status_note=note, looked_up_at=looked_up_at, url=token_url(token))
    # What the public page of the number shows: the report's facts with the name masked, since
    # anyone holding the paper may type the number in.
    covers = {"person_name_masked": letters.mask_name(view.name), "masked_id": view.masked_id,
              "title_name": view.title_name, "level": view.level, "cert_no": view.cert_no,
              "status_label": view.status_label, "status_note": note,
              "looked_up_at": f"{looked_up_at:%Y-%m-%d %H:%M:%S}", "live_url": report.url}
    return letters.issue_document(
        kind="verification_report", title=REPORT_TITLE, org=None, person=db.session.get(Person, view.person_id),
        covers=covers, build=lambda number, url: build_report_pdf(replace(report, number=number, document_url=url)),
        signer_org=None, stamp=[PLATFORM_NAME], reason=REPORT_TITLE, user=None)


def verification_url(cert: Certificate) -> str:
    """The public URL printed as a QR code on the holder's page and on PDFs."""
    if not cert.verify_token:
        raise ValueError("只有审核通过的证书才有核验码")
    return token_url(cert.verify_token)


def verification_qr_svg(cert: Certificate, scale: int = 4) -> str:
    """A standalone SVG (with its namespace, so PDF renderers accept it too) of the URL's QR code."""
    buffer = io.BytesIO()
    segno.make(verification_url(cert), error="m").save(
        buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgclass="verify-qr",
        title="证书核验二维码", nl=False)
    return buffer.getvalue().decode()


def is_holder(user, cert: Certificate) -> bool:
    return bool(user.is_authenticated and user.role == "person" and user.person_id == cert.person_id)


def may_revoke(user, cert: Certificate) -> bool:
    """Offices revoke; the caller has already loaded `cert` through portal.access (scope)."""
    return bool(user.is_authenticated and user.role in REVOKER_ROLES and cert.status == "approved")


def revoke(cert: Certificate, reason: str, version: int | None, actor) -> str | None:
    """Revoke an approved certificate; returns an error message, or None when done."""
    reason = (reason or "").strip()
    if cert.status != "approved":
        return "只有审核通过的证书可以撤销。"
    if len(reason) < 4:
        return "请填写撤销原因（至少4个字）。"
    if version != cert.version:
        return "该证书已被他人修改，请刷新页面后重试。"
    cert.status = "revoked"
    cert.revoked_at = utcnow()
    cert.revoke_reason = reason[:500]
    try:
        # record() flushes, which is where a concurrent change shows up (optimistic lock).
        record("revoke", "certificate", cert.id, reason=cert.revoke_reason,
               diff={"status": ["approved", "revoked"]}, actor=actor)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return "该证书已被他人修改，请刷新页面后重试。"
    return None


HISTORY_PAGE = 50


HISTORY_EXPORT_HEADERS = ("时间（北京时间）", "核验方式", "核验单位", "网络地址", "查到的证书")


def history_export_rows(user):
    """The holder's lookup history as the page shows it, every page (up to MAX_ROWS), for Excel."""
    rows = list(db.session.scalars(scoped(VerificationLookup, user).where(VerificationLookup.found.is_(True))
                                   .order_by(VerificationLookup.id.desc()).limit(MAX_ROWS)))
    titles = {c.id: f"{c.level} {c.title_name}" for c in db.session.scalars(scoped(Certificate, user))}
    for row in rows:
        hit = "；".join(titles.get(int(i), "证书") for i in (row.certificate_ids or "").split(",") if i.isdigit())
        yield (in_china(row.at).strftime("%Y-%m-%d %H:%M"), row.channel_label, row.requester_org or "",
               row.address or "未知", hit)


def history_page(user, before_id: int | None = None):
    """The holder's successful lookups, newest first (keyset pages), and the titles they hit."""
    stmt = (scoped(VerificationLookup, user).where(VerificationLookup.found.is_(True))
            .order_by(VerificationLookup.id.desc()).limit(HISTORY_PAGE + 1))
    if before_id:
        stmt = stmt.where(VerificationLookup.id < before_id)
    rows = list(db.session.scalars(stmt))
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    ids = {int(i) for row in rows for i in (row.certificate_ids or "").split(",") if i.isdigit()}
    titles = {}
    if ids:
        titles = {c.id: f"{c.level} {c.title_name}" for c in db.session.scalars(
            scoped(Certificate, user).where(Certificate.id.in_(ids)))}
    return rows, titles, (rows[-1].id if more else None)
