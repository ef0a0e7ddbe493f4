"""Objections (异议): filing by the public, freezing the record, and the publisher's decision."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select, update

from portal import clock
from portal.audit import record
from portal.domain.evaluation import fraud_blacklist_period
from portal.domain.problems import Problem, error
from portal.domain.receipts import new_receipt_code, normalise_receipt_code
from portal.extensions import db
from portal.models import Application, BlacklistEntry, Certificate, NoticeEntry, Objection, PublicNotice
from portal.models._types import utcnow
from portal.notices.services import correction_of, phase_of

MAX_EVIDENCE_BYTES = 2 * 1024 * 1024
# An application returned on an upheld objection may be corrected within this many days.
OBJECTION_RESUBMIT_DAYS = 10

# Filing happens without an account; the trail names the public as the actor.
PUBLIC_ACTOR = SimpleNamespace(id=None, display_name="社会公众（异议人）", role="public", org_id=None, org=None)


def check_evidence_pdf(data: bytes) -> Problem | None:
    """A real, readable, unencrypted PDF of at most 2 MB; judged by content, never by file name."""
    if len(data) > MAX_EVIDENCE_BYTES:
        return error("evidence", "evidence_too_large",
                     f"证明材料不能超过 2 MB，所选文件为 {len(data) / 1024 / 1024:.1f} MB")
    if not data.startswith(b"%PDF-"):
        return error("evidence", "evidence_not_pdf", "证明材料必须是 PDF 文件")
    # pyHanko's reader (0.35 s to import with its dependencies) only for an uploaded PDF.
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            return error("evidence", "evidence_encrypted", "证明材料 PDF 已加密，请上传未加密的文件")
        pages = int(reader.root["/Pages"]["/Count"])
    # Untrusted bytes can fail anywhere in the parser; any failure means "not a readable PDF".
    except Exception:  # noqa: BLE001
        return error("evidence", "evidence_unreadable", "证明材料 PDF 已损坏或无法读取，请重新导出后上传")
    if pages < 1:
        return error("evidence", "evidence_empty", "证明材料 PDF 没有页面")
    return None


def receipt_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def can_object(notice: PublicNotice) -> str | None:
    """Why objections to this notice are not accepted now, or None when they are."""
    if correction_of(notice) is not None:
        return "本公示已发布更正公示，请对更正后的公示提出异议。"
    phase = phase_of(notice)
    if phase.key == "upcoming":
        return "公示尚未开始，暂不受理异议。"
    if phase.is_closed:
        return "公示期满，不再受理异议。"
    return None


def _store_evidence(data: bytes) -> str:
    directory = Path(current_app.config["UPLOAD_DIR"]) / "objections"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.pdf"
    temp = directory / f".{name}.tmp"
    temp.write_bytes(data)
    os.replace(temp, directory / name)
    return f"objections/{name}"


def evidence_file(objection: Objection) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / objection.evidence_path


@dataclass
class Filing:
    entry: NoticeEntry
    name: str
    phone: str
    grounds: str
    evidence: bytes | None


def file_objection(notice: PublicNotice, filing: Filing) -> tuple[Objection, str]:
    """Record the objection, freeze the record, and return the receipt code (shown once)."""
    code = new_receipt_code()
    objection = Objection(
        notice_id=notice.id, entry_id=filing.entry.id, certificate_id=filing.entry.certificate_id,
        application_id=filing.entry.application_id,
        objector_name=filing.name, objector_phone=filing.phone.strip().replace(" ", ""),
        grounds=filing.grounds, receipt_hash=receipt_hash(code), status="open")
    if filing.evidence:
        objection.evidence_path = _store_evidence(filing.evidence)
        objection.evidence_size = len(filing.evidence)
        objection.evidence_sha256 = hashlib.sha256(filing.evidence).hexdigest()
    db.session.add(objection)
    db.session.flush()
    model, object_type, subject_id = _subject(objection)
    # One UPDATE that also bumps the version: a reviewer saving a copy read before the objection
    # fails the optimistic lock instead of advancing a record that is now frozen.
    db.session.execute(
        update(model).where(model.id == subject_id)
        .values(objection_open=True, version=model.version + 1)
        .execution_options(synchronize_session=False))
    record("objection_file", "objection", objection.id, actor=PUBLIC_ACTOR,
           diff={"notice": notice.id, "entry": filing.entry.position, "evidence": bool(filing.evidence)})
    record("objection_freeze", object_type, subject_id, actor=PUBLIC_ACTOR,
           reason="公示期间收到异议，记录暂停流转，待公示单位处理", diff={"objection": objection.id, "notice": notice.id})
    db.session.commit()
    return objection, code


def _subject(objection: Objection):
    """(model, trail object type, id) of what the objection is against: a certificate or an application."""
    if objection.application_id is not None:
        return Application, "evaluation_application", objection.application_id
    return Certificate, "certificate", objection.certificate_id


def find_by_receipt(code: str) -> Objection | None:
    if not code or not code.strip():
        return None
    # Codes issued before the short alphabet were URL-safe tokens, matched exactly as typed.
    canonical = normalise_receipt_code(code)
    hashes = {receipt_hash(code)} | ({receipt_hash(canonical)} if canonical else set())
    return db.session.scalar(select(Objection).where(Objection.receipt_hash.in_(hashes)).limit(1))


class ResolveError(ValueError):
    pass


def resolve(objection: Objection, user, decision: str, outcome: str | None, reason: str) -> None:
    """Record the publisher's decision; unfreeze the record once no objection to it is open.

    Upheld: the record is returned to the unit with the reason, or cancelled (revoked).
    Raises sqlalchemy.orm.exc.StaleDataError when someone changed the record meanwhile.
    """
    if objection.status != "open":
        raise ResolveError("该异议已处理。")
    reason = (reason or "").strip()
    if not reason:
        raise ResolveError("请填写处理意见（理由）。")
    if decision not in ("upheld", "dismissed"):
        raise ResolveError("请选择处理结果。")
    if decision == "upheld" and outcome not in ("returned", "cancelled"):
        raise ResolveError("异议成立时，请选择退回修改或取消该记录。")
    if decision == "upheld" and outcome == "returned" and objection.notice.kind == "results":
        raise ResolveError("评审结果公示的异议成立时，评审结果作废：请选择取消该记录。")
    # Claim the objection with a conditional UPDATE: of two reviewers deciding at once, one wins.
    claimed = db.session.execute(
        update(Objection).where(Objection.id == objection.id, Objection.status == "open")
        .values(status=decision, outcome=outcome if decision == "upheld" else None, resolution=reason,
                resolved_by_id=user.id, resolved_at=utcnow())
        .execution_options(synchronize_session="fetch")).rowcount
    if claimed != 1:
        raise ResolveError("该异议已由他人处理。")
    model, object_type, subject_id = _subject(objection)
    subject = db.session.get(model, subject_id)
    before = {"status": subject.status, "objection_open": subject.objection_open}
    if model is Application:
        _apply_to_application(subject, decision, outcome, reason)
        if decision == "upheld" and objection.notice.kind == "results":
            _blacklist_false_result(subject, reason, user)
    elif decision == "upheld" and outcome == "returned":
        subject.status = "returned"
        subject.return_reason = f"公示异议成立：{reason}"
    elif decision == "upheld":
        subject.status = "revoked"
        subject.revoked_at = utcnow()
        subject.revoke_reason = f"公示异议成立：{reason}"
    db.session.flush()
    subject_column = Objection.application_id if model is Application else Objection.certificate_id
    still_open = db.session.scalar(select(Objection.id).where(
        subject_column == subject.id, Objection.status == "open").limit(1)) is not None
    subject.objection_open = still_open
    db.session.flush()
    record(f"objection_{decision}", "objection", objection.id, actor=user, reason=reason,
           diff={"outcome": objection.outcome})
    after = {"status": subject.status, "objection_open": subject.objection_open}
    record("objection_resolve", object_type, subject.id, actor=user, reason=reason,
           diff={k: [before[k], after[k]] for k in before if before[k] != after[k]} | {"objection": objection.id})
    db.session.commit()


def _apply_to_application(app: Application, decision: str, outcome: str | None, reason: str) -> None:
    """An upheld objection returns the application to the applicant, or cancels it (取消申报)."""
    if decision != "upheld":
        return
    if outcome == "returned":
        app.status = "returned"
        app.return_items = []
        app.return_reason = f"公示异议成立：{reason}"
        app.resubmit_by = clock.today() + timedelta(days=OBJECTION_RESUBMIT_DAYS)
    else:
        app.status = "cancelled"
        app.return_reason = f"公示异议成立，取消申报：{reason}"


def _blacklist_false_result(app: Application, reason: str, user) -> None:
    """A committee result found false (评审结果公示异议成立): the person goes on the integrity
    blacklist for FRAUD_BLACKLIST_YEARS (人社部令第40号: 3 years)."""
    start, end = fraud_blacklist_period(clock.today(), current_app.config["FRAUD_BLACKLIST_YEARS"])
    entry = BlacklistEntry(person_id=app.person_id, region_code=app.unit_region_code or user.org.region_code,
                           reason=f"评审结果公示异议成立，评审结果作废：{reason}", start_date=start, end_date=end,
                           created_by_id=user.id, created_by_org_id=user.org_id)
    db.session.add(entry)
    db.session.flush()
    record("blacklist_add", "blacklist", entry.id, actor=user, reason=entry.reason,
           diff={"person_id": app.person_id, "subject": app.person.name, "period": entry.period_label,
                 "application": app.id})
