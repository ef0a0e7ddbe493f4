"""Commitment letters and sign-off sheets: what a batch holds, issuing signed documents, checking them.

A unit's *batch* (上报批次) is what it has reviewed and passed upwards: the records it may see
(portal.access.scoped) whose status is past its own review level, the same rule public notices
use (portal.notices.services.publishing_statuses). A committee, which does not review in the
workflow, covers the finally approved records of its committee. Revoked, returned and draft
records are never part of a batch. Optional filters narrow it to one title level or review year.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import case, distinct, func, select

from portal import audit, clock
from portal.access import scoped
from portal.documents.letters import (
    INDIVIDUAL_LETTER_TITLE,
    REVIEW_SHEET_TITLE,
    UNIT_LETTER_TITLE,
    IndividualLetter,
    LevelCount,
    ReviewSheet,
    SheetRecord,
    SignedStep,
    SubmittedCertificate,
    UnitLetter,
    build_individual_letter_pdf,
    build_review_sheet_pdf,
    build_unit_letter_pdf,
)
from portal.clock import in_china
from portal.documents.signing import SigningError, sign_pdf, verify_pdf
from portal.documents.xlsx_list import MAX_ROWS
from portal.domain.idnumber import mask_id
from portal.domain.titles import JUNIOR_SUBLEVELS, LEVELS, levels_within
from portal.domain.workflow import REVIEW_STATUS_BY_ORG_TYPE, REVIEW_STATUSES, status_label
from portal.extensions import db
from portal.labels import action_label
from portal.letters import credentials
from portal.models import AuditEntry, Certificate, CodeItem, IssuedDocument, Organization, Person, User
from portal.models.user import ROLES
from portal.notices.services import publishing_statuses

ISSUER_ROLES = ("unit", "department", "county_office", "city_office", "province_office", "committee")
SHEET_MAX_RECORDS = 300
NUMBER_PREFIX = {"unit_letter": "DW", "individual_letter": "GR", "review_sheet": "SH", "verification_report": "HY",
                 "e_certificate": "DZ", "e_certificate_copy": "SY", "vote_summary": "TP", "result_record": "JG",
                 "results_report": "BP"}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_PATTERN = re.compile(r"(%s)\d{8}-[0-9A-HJKMNP-TV-Z]{8}" % "|".join(NUMBER_PREFIX.values()))
SUBMITTED_STATUSES = (*REVIEW_STATUSES, "approved")
# Trail actions that are a named person's decision on a record (谁审核谁签字).
# The trail actions the sign-off sheet lists; their names come from portal/labels.py.
SIGNED_STEPS = ("submit", "approve", "return", "objection_resolve", "revoke")
PERSONAL_COMMITMENT = (
    "本人承诺：以上职称信息及上传的佐证材料真实、准确、完整，均为本人依规取得的职称；"
    "如有虚假，本人愿承担相应责任，并接受撤销职称、列入诚信黑名单等处理。"
)
APPLICATION_COMMITMENT = (
    "本人承诺：所提交的职称申报材料、业绩成果及上述职称信息真实、准确、完整，不存在弄虚作假、学术不端等情形；"
    "如有虚假，本人愿承担相应责任，接受取消申报资格、撤销取得的职称、列入诚信黑名单等处理。"
)
IN_CHUNK = 500


class LetterError(Exception):
    """The document cannot be issued; ``str(error)`` is a Chinese message for users."""


def may_issue_for_org(user) -> bool:
    return user.is_authenticated and user.role in ISSUER_ROLES and user.org is not None


def may_issue_individual(user) -> bool:
    return user.is_authenticated and user.role == "person" and user.person_id is not None


# ---------------------------------------------------------------- the batch


@dataclass(frozen=True)
class BatchFilter:
    level: str | None = None
    review_year: int | None = None

    def describe(self) -> str:
        parts = []
        if self.level:
            parts.append(f"职称级别：{self.level}")
        if self.review_year:
            parts.append(f"评审年度：{self.review_year}")
        return "；".join(parts)

    def as_dict(self) -> dict:
        return {"level": self.level, "review_year": self.review_year}


@dataclass(frozen=True)
class BatchSummary:
    levels: list[LevelCount]
    total_persons: int
    total_certificates: int


def batch_statuses(org: Organization) -> tuple[str, ...]:
    if org.type in REVIEW_STATUS_BY_ORG_TYPE:
        return publishing_statuses(org)
    return ("approved",)


def batch_query(org: Organization, user, flt: BatchFilter):
    stmt = scoped(Certificate, user).where(Certificate.status.in_(batch_statuses(org)))
    if flt.level:
        stmt = stmt.where(Certificate.level.in_(levels_within(flt.level)))
    if flt.review_year:
        stmt = stmt.where(Certificate.review_year == flt.review_year)
    return stmt


def batch_label(org: Organization, flt: BatchFilter, as_of: date) -> str:
    if org.type in ("unit", "talent_center"):
        what = "本单位审核确认并已报送上级的职称信息"
    elif org.type in REVIEW_STATUS_BY_ORG_TYPE:
        what = "本级审核确认并已报送上级或已审核通过的职称信息"
    else:
        what = "本评委会评审并已审核通过的职称信息"
    extra = flt.describe()
    return f"{what}{'（' + extra + '）' if extra else ''}，截至{as_of.year}年{as_of.month}月{as_of.day}日"


def summarize(stmt) -> BatchSummary:
    """Head counts per title level (助理级/员级 count as 初级); a person is counted once per level."""
    batch = stmt.order_by(None).subquery()
    level = case((batch.c.level.in_(JUNIOR_SUBLEVELS), "初级"), else_=batch.c.level).label("level")
    rows = db.session.execute(
        select(level, func.count(distinct(batch.c.person_id)), func.count()).group_by(level)).all()
    by_level = {name: (persons, certs) for name, persons, certs in rows}
    order = [*LEVELS, *sorted(set(by_level) - set(LEVELS))]
    levels = [LevelCount(name, *by_level.get(name, (0, 0))) for name in order
              if name in LEVELS or name in by_level]
    total_persons = db.session.scalar(select(func.count(distinct(batch.c.person_id)))) or 0
    return BatchSummary(levels, total_persons, sum(c.certificates for c in levels))


def ids_digest(stmt) -> str:
    """SHA-256 over the batch's certificate ids in order: pins exactly which records a document covers."""
    batch = stmt.order_by(None).subquery()
    digest = hashlib.sha256()
    for cert_id in db.session.scalars(select(batch.c.id).order_by(batch.c.id).execution_options(yield_per=5000)):
        digest.update(f"{cert_id},".encode())
    return digest.hexdigest()


def _levels_json(summary: BatchSummary) -> list[dict]:
    return [{"level": c.level, "persons": c.persons, "certificates": c.certificates} for c in summary.levels]


# ---------------------------------------------------------------- issuing


def new_number(kind: str) -> str:
    stamp = clock.today().strftime("%Y%m%d")
    tail = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"{NUMBER_PREFIX[kind]}{stamp}-{tail}"


def public_url(number: str) -> str:
    # The configured address, not a request's Host header, goes into printed QR codes.
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/documents/{number}"


def documents_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "documents"


def document_path(doc: IssuedDocument) -> Path:
    return documents_dir() / doc.file_name


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def stamp_lines(name: str, width: int = 16) -> list[str]:
    """The organisation's name cut into lines that fit the stamp box."""
    return [name[i:i + width] for i in range(0, len(name), width)] or [name]


def issue_document(*, kind: str, title: str, org: Organization | None, person: Person | None, covers: dict,
           build: Callable[[str, str], bytes], signer_org: Organization | None, stamp: list[str], reason: str,
           user, register: Callable[[IssuedDocument], None] | None = None) -> IssuedDocument:
    """Number, sign, store and register a document, so /documents/<number> and the upload check find it.

    `register(doc)` adds the caller's own rows to the same transaction (the e-certificate's, say)."""
    try:
        signer = credentials.signer_for(signer_org, user)
    except credentials.CredentialError as exc:
        db.session.rollback()
        raise LetterError(str(exc)) from None
    number = new_number(kind)
    try:
        # The signed reason names the trail's latest checkpoint: a later rewrite of history
        # contradicts every document issued since.
        anchor = audit.checkpoint_stamp()
        signed = sign_pdf(build(number, public_url(number)), signer, reason=f"{reason}（{anchor}）" if anchor else reason,
                          stamp_text_lines=stamp)
    except SigningError as exc:
        db.session.rollback()
        raise LetterError(str(exc)) from None
    signer_name = signer.signing_cert.subject.native.get("common_name") or stamp[0]
    doc = IssuedDocument(
        number=number, kind=kind, title=title, org_id=org.id if org is not None else None,
        person_id=person.id if person is not None else None,
        region_code=(org.region_code if org is not None else person.unit_region_code if person else None),
        covers=covers, sha256=hashlib.sha256(signed).hexdigest(), size=len(signed), file_name=f"{number}.pdf",
        signer_name=signer_name[:128], created_by_id=getattr(user, "id", None),
        created_by_name=(getattr(user, "display_name", None) or "命令行")[:64],
    )
    path = documents_dir() / doc.file_name
    _write_file(path, signed)
    try:
        db.session.add(doc)
        db.session.flush()
        audit.record("document_issue", "document", doc.id, actor=user,
                     diff={"number": number, "kind": kind, "sha256": doc.sha256})
        if register is not None:
            register(doc)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return doc


@dataclass(frozen=True)
class Contact:
    person: str | None
    phone: str | None
    office_phone: str | None


def save_contact(org: Organization, contact: Contact, user) -> None:
    """Keep the letter's contact lines on the organisation, so the next letter starts from them."""
    before = {"contact_person": org.contact_person, "contact_phone": org.contact_phone,
              "office_phone": org.office_phone}
    after = {"contact_person": contact.person, "contact_phone": contact.phone, "office_phone": contact.office_phone}
    diff = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
    if not diff:
        return
    org.contact_person, org.contact_phone, org.office_phone = contact.person, contact.phone, contact.office_phone
    audit.record("contact_update", "organization", org.id, actor=user, diff=diff)


def account_of(org: Organization) -> User | None:
    """The organisation's own system account (the first active one), named in its letter."""
    return db.session.scalar(
        select(User).where(User.org_id == org.id, User.role != "person", User.active.is_(True)).order_by(User.id))


def issue_unit_letter(org: Organization, user, flt: BatchFilter = BatchFilter()) -> IssuedDocument:
    """The unit's 数据上报承诺书 over its current batch, signed with its certificate.

    `user` is the account issuing it; the command line passes the organisation's own account.
    """
    if user is None or user.org_id != org.id:
        raise LetterError("只能由本单位的平台账号出具本单位的承诺书。")
    as_of = clock.today()
    stmt = batch_query(org, user, flt)
    summary = summarize(stmt)
    if summary.total_certificates == 0:
        raise LetterError("本次上报范围内没有记录：承诺书只能针对本单位已审核并报送上级的职称信息出具。")
    label = batch_label(org, flt, as_of)
    covers = {
        "org_name": org.name, "org_code": org.code, "account": user.username, "batch": label,
        "filters": flt.as_dict(), "as_of": as_of.isoformat(), "total_persons": summary.total_persons,
        "total_certificates": summary.total_certificates, "levels": _levels_json(summary),
        "certificate_ids_sha256": ids_digest(stmt),
    }

    def build(number: str, url: str) -> bytes:
        return build_unit_letter_pdf(UnitLetter(
            number=number, url=url, org_name=org.name, credit_code=org.credit_code, account=user.username,
            contact_person=org.contact_person, contact_phone=org.contact_phone, office_phone=org.office_phone,
            batch_label=label, levels=summary.levels, total_persons=summary.total_persons,
            total_certificates=summary.total_certificates, issued_on=as_of))

    return issue_document(kind="unit_letter", title=UNIT_LETTER_TITLE, org=org, person=None, covers=covers,
                          build=build, signer_org=org, stamp=stamp_lines(org.name),
                          reason="数据上报承诺：对上报数据的真实性负责", user=user)


def _series_names() -> dict[str, str]:
    return dict(db.session.execute(select(CodeItem.key, CodeItem.name).where(CodeItem.kind == "title_series")).all())


def _trail(cert_ids: list[int], actions) -> list[AuditEntry]:
    """Trail entries of these (already scoped) certificates, by record then in order."""
    entries: list[AuditEntry] = []
    for start in range(0, len(cert_ids), IN_CHUNK):
        chunk = cert_ids[start:start + IN_CHUNK]
        entries += db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "certificate", AuditEntry.object_id.in_(chunk),
                                     AuditEntry.action.in_(tuple(actions)))
            .order_by(AuditEntry.object_id, AuditEntry.id))
    return entries


def submitted_certificates(user) -> list[Certificate]:
    """The person's own records that went in for review and were not sent back or revoked."""
    return list(db.session.scalars(
        scoped(Certificate, user).where(Certificate.status.in_(SUBMITTED_STATUSES))
        .order_by(Certificate.issue_date, Certificate.id)))


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def issue_individual_letter(user, application=None) -> IssuedDocument:
    """The person's truthfulness commitment over what they submitted, sealed by the portal.

    Individuals hold no signing key: the portal's own certificate seals the letter, and the stamp
    names the person who confirmed it while logged in under their real-name account.
    With `application` (职称申报) the same letter also covers that application and its materials;
    the caller links it to the application.
    """
    if not may_issue_individual(user):
        raise LetterError("只有专业技术人员本人可以出具个人承诺书。")
    person = db.session.get(Person, user.person_id)
    certs = submitted_certificates(user)
    if not certs and application is None:
        raise LetterError("您还没有已提交审核的职称证书信息，提交后再出具承诺书。")
    if application is not None and application.person_id != person.id:
        raise LetterError("只能为本人的职称申报出具承诺书。")
    submits: dict[int, AuditEntry] = {}
    for entry in _trail([c.id for c in certs], ("submit",)):
        submits[entry.object_id] = entry  # the latest submission of each record
    series = _series_names()
    confirmed_at = datetime.now(UTC)
    rows = []
    for position, cert in enumerate(certs, start=1):
        step = submits.get(cert.id)
        rows.append(SubmittedCertificate(
            position=position, cert_no=cert.cert_no or "", series=series.get(cert.series, cert.series),
            level=cert.level, title_name=cert.title_name, issue_date=cert.issue_date,
            submitted_at=step.at if step is not None else cert.submitted_at,
            submitted_by=step.actor_name if step is not None else "", status=status_label(cert.status)))
    counts: dict[str, int] = {}
    for cert in certs:
        level = "初级" if cert.level in JUNIOR_SUBLEVELS else cert.level
        counts[level] = counts.get(level, 0) + 1
    employer = person.org.name if person.org is not None else (person.employer_name or "")
    covers = {
        "person_name_masked": mask_name(person.name), "employer": employer,
        "total_certificates": len(certs),
        "levels": [{"level": level, "persons": 1, "certificates": n} for level, n in counts.items()],
        "certificate_ids_sha256": hashlib.sha256("".join(f"{c.id}," for c in sorted(
            certs, key=lambda c: c.id)).encode()).hexdigest(),
        "confirmed_at": confirmed_at.isoformat(timespec="seconds"),
    }
    application_line = None
    if application is not None:
        application_line = (f"{application.plan.title}：申报{series.get(application.plan.series, application.plan.series)}"
                            f"{application.level}职称（{application.specialty}），申报材料"
                            f"{len(application.materials)}份、业绩成果{len(application.achievements)}项")
        covers |= {"application_id": application.id, "application": application_line}

    def build(number: str, url: str) -> bytes:
        return build_individual_letter_pdf(IndividualLetter(
            number=number, url=url, person_name=person.name, id_number_masked=mask_id(person.id_number),
            employer=employer, commitment=APPLICATION_COMMITMENT if application is not None else PERSONAL_COMMITMENT,
            certificates=rows, confirmed_at=confirmed_at, application=application_line))

    return issue_document(kind="individual_letter", title=INDIVIDUAL_LETTER_TITLE, org=person.org, person=person,
                          covers=covers, build=build, signer_org=None,
                          stamp=[credentials.PLATFORM_NAME, f"承诺人：{person.name}（在线确认）"],
                          reason="专业技术人员本人承诺所提交职称信息真实" if application is None
                          else "专业技术人员本人承诺职称申报材料真实", user=user)


def _opinion(entry: AuditEntry) -> str:
    if entry.action == "submit":
        return "已作诚信承诺"
    if entry.action == "approve":
        return entry.reason or "同意"
    return entry.reason or ""


def _signer_org(entry: AuditEntry) -> str:
    if entry.actor_org_name:
        return entry.actor_org_name
    return "本人" if entry.actor_role == "person" else "平台"


def issue_review_sheet(org: Organization, user, flt: BatchFilter = BatchFilter()) -> IssuedDocument:
    """The 审核签字表 of the batch: every signed step of every record, sealed by the organisation."""
    if user is None or user.org_id != org.id:
        raise LetterError("只能由本单位的平台账号出具本单位的审核签字表。")
    as_of = clock.today()
    stmt = batch_query(org, user, flt)
    summary = summarize(stmt)
    if summary.total_certificates == 0:
        raise LetterError("本次范围内没有记录，无法出具审核签字表。")
    if summary.total_certificates > SHEET_MAX_RECORDS:
        raise LetterError(f"本次范围共 {summary.total_certificates} 条记录，审核签字表每次最多 {SHEET_MAX_RECORDS} 条，"
                          "请按职称级别或评审年度分批出具。")
    rows = db.session.execute(
        stmt.join(Person, Person.id == Certificate.person_id).add_columns(Person.name).order_by(Certificate.id)).all()
    trail = _trail([cert.id for cert, _ in rows], SIGNED_STEPS)
    steps_of: dict[int, list[SignedStep]] = {}
    for entry in trail:
        steps_of.setdefault(entry.object_id, []).append(SignedStep(
            action=action_label(entry.action), org_name=_signer_org(entry), signer=entry.actor_name,
            role=ROLES.get(entry.actor_role, "系统"), at=entry.at, opinion=_opinion(entry),
            trail_ref=f"#{entry.id} {entry.hash[:8]}"))
    records = [SheetRecord(position=n, person_name=name, title=f"{cert.level} {cert.title_name}",
                           cert_no=cert.cert_no or "", steps=steps_of.get(cert.id, []))
               for n, (cert, name) in enumerate(rows, start=1)]
    label = batch_label(org, flt, as_of)
    issued_at = datetime.now(UTC)
    covers = {
        "org_name": org.name, "org_code": org.code, "batch": label, "filters": flt.as_dict(),
        "as_of": as_of.isoformat(), "total_persons": summary.total_persons,
        "total_certificates": summary.total_certificates, "levels": _levels_json(summary),
        "signed_steps": len(trail), "unsigned_records": sum(1 for r in records if not r.steps),
        "certificate_ids_sha256": ids_digest(stmt),
    }

    def build(number: str, url: str) -> bytes:
        return build_review_sheet_pdf(ReviewSheet(
            number=number, url=url, org_name=org.name, batch_label=label, records=records,
            total_steps=len(trail), issued_at=issued_at))

    return issue_document(kind="review_sheet", title=REVIEW_SHEET_TITLE, org=org, person=None, covers=covers,
                          build=build, signer_org=org, stamp=stamp_lines(org.name),
                          reason="审核签字确认：谁审核、谁签字、谁负责", user=user)


# ---------------------------------------------------------------- reading and checking


def documents_of(user, limit: int = 50) -> list[IssuedDocument]:
    return list(db.session.scalars(scoped(IssuedDocument, user).order_by(IssuedDocument.id.desc()).limit(limit)))


DOCUMENT_EXPORT_HEADERS = ("编号", "文件", "单位 / 人员", "出具人", "出具时间")


def document_export_rows(user):
    """The issued-documents list as shown, every document in scope (up to MAX_ROWS), for Excel."""
    for doc in documents_of(user, limit=MAX_ROWS):
        covers = doc.org.name if doc.org else ""
        if doc.covers.get("person_name_masked"):
            covers += f" · {doc.covers['person_name_masked']}"
        yield (doc.number, doc.kind_label, covers, doc.created_by_name,
               clock.china_time(doc.created_at, "%Y-%m-%d %H:%M:%S"))


def by_number(number: str) -> IssuedDocument | None:
    """The public record of a document: anyone holding its number may see what it covers."""
    if not NUMBER_PATTERN.fullmatch(number):
        return None
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.number == number))


def read_document(doc: IssuedDocument) -> bytes:
    return document_path(doc).read_bytes()


@dataclass
class CheckReport:
    sha256: str
    size: int
    result: object  # portal.documents.signing.VerificationResult
    trusted_by: str | None
    signing_time: datetime | None
    document: IssuedDocument | None


class UploadProblem(ValueError):
    """The uploaded file is not checked at all; the message says why, in Chinese."""


def check_upload(data: bytes, max_bytes: int) -> CheckReport:
    """Signature check of an uploaded PDF against the portal CA and the operator's trusted roots."""
    if not data:
        raise UploadProblem("请选择要核验的 PDF 文件。")
    if len(data) > max_bytes:
        raise UploadProblem(f"文件过大：最多 {max_bytes // (1024 * 1024)} MB。")
    if not data.startswith(b"%PDF-"):
        raise UploadProblem("文件不是 PDF：PDF 文件以“%PDF-”开头，请上传平台出具的 PDF 原文件，不要上传截图或扫描件。")
    roots = credentials.trust_roots()
    portal_root, configured = roots[0], roots[1:]
    result = verify_pdf(data, [portal_root.certificate])
    label = portal_root.label if result.trusted else None
    if result.signed and result.intact and not result.trusted and configured:
        wider = verify_pdf(data, [root.certificate for root in roots])
        if wider.trusted:
            result, label = wider, "运营方配置的受信任根证书"
    digest = hashlib.sha256(data).hexdigest()
    document = db.session.scalar(select(IssuedDocument).where(IssuedDocument.sha256 == digest))
    signing_time = in_china(result.signing_time) if result.signing_time else None
    return CheckReport(digest, len(data), result, label, signing_time, document)
