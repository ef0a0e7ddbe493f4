"""Entering persons, certificates and evidence; every change is signed in the audit trail."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, clock, lookups, uploads
from portal.access import scoped
from portal.domain import records
from portal.documents.xlsx_list import MAX_ROWS
from portal.domain.dates import format_iso
from portal.domain.idnumber import mask_id
from portal.domain.passwords import generate_password
from portal.domain.problems import Problem, error, has_errors
from portal.domain.scope import HANDLING_STATUSES
from portal.domain.text import clean
from portal.domain.titles import JUNIOR_SUBLEVELS, LEVELS
from portal.domain.workflow import status_label
from portal.entry.forms import IDENTITY_FIELDS
from portal.labels import CERT_LABELS, PERSON_LABELS
from portal.extensions import db
from portal.models import Certificate, EvidenceFile, Organization, Person, Region, User
from portal.models.evidence import EVIDENCE_KINDS
from portal.reference import code_names, codes, record_context
from portal.workflow import ENTRY_STATUSES, WorkflowError, edit_refusal, scope_rules



# --- code tables ------------------------------------------------------------------------------

def _choices(kind: str, blank: str = "（未填）") -> list[tuple[str, str]]:
    return [("", blank)] + [(c.key, c.name) for c in codes(kind)]


def fill_person_choices(form) -> None:
    form.id_type.choices = [(c.key, c.name) for c in codes("id_type")]
    form.sex.choices = [("", "（按证件号码）"), ("男", "男"), ("女", "女")]
    for kind in ("unit_nature", "education", "degree", "affiliation"):
        getattr(form, kind).choices = _choices(kind)


def fill_certificate_choices(form) -> None:
    form.series.choices = _choices("title_series", "（请选择）")
    form.level.choices = [("", "（请选择）")] + [(lvl, lvl) for lvl in LEVELS + JUNIOR_SUBLEVELS]
    form.obtain_method.choices = _choices("obtain_method", "（请选择）")
    form.has_review_specialty.choices = [("", "（未填）"), ("1", "是"), ("0", "否")]
    form.handling_status.choices = [("", "（未填）")] + list(HANDLING_STATUSES.items())


def title_names() -> list[str]:
    return sorted({c.name for c in codes("title_name")})


# --- persons -------------------------------------------------------------------------------------

def identity_locked(person: Person | None, user) -> bool:
    """Name and ID travel with every reported certificate: once one has gone up, they are fixed."""
    if person is None or person.id is None:
        return False
    editable = set(ENTRY_STATUSES) | ({"unit_review"} if user.role == "unit" else set())
    statuses = set(db.session.scalars(select(Certificate.status).where(Certificate.person_id == person.id)))
    return bool(statuses - editable)


def person_input(form_data, person: Person | None, locked: bool) -> dict:
    """The posted fields; locked identity fields are shown as text, so they come from the record
    unless the request carries them (a tampered request, which check_person then refuses)."""
    data = {key: form_data.get(key, "") for key in PERSON_LABELS}
    if locked and person is not None:
        current = person_form_data(person)
        for key in IDENTITY_FIELDS:
            if key not in form_data:
                data[key] = current[key]
    return data


def _region_known(code: str) -> bool:
    return db.session.get(Region, code) is not None


def _context(campaign=None):
    return record_context(today=clock.today(), scope=scope_rules(campaign), region_known=_region_known)


def _id_taken(values: dict, person: Person | None) -> Problem | None:
    clash = db.session.scalar(select(Person.id).where(
        Person.id_type == values["id_type"], Person.id_number == values["id_number"],
        Person.id != (person.id if person is not None and person.id else 0)))
    if clash is None:
        return None
    return error("id_number", "id_taken",
                 "该证件号码已在平台登记（可能属于其他单位的人员），请勿重复录入；如有疑问请联系单位或职改办核实")


def check_person(data, person: Person | None = None, locked: bool = False, user=None, *, registry: bool = True
                 ) -> tuple[dict, list[Problem]]:
    """The record rules on the basic-information fields, then what the database says: a number
    already registered (unless the caller asks the registry its own way; counted against the
    account's lookup limit) and a locked identity."""
    values, problems = records.check_person(data, _context())
    if registry and values["id_number"] and not records.identity_blocked(problems):
        if lookups.allow(user.id if user is not None else None, "entry"):
            taken = _id_taken(values, person)
            if taken is not None:
                problems.append(taken)
        else:
            problems.append(lookups.refusal("id_number"))
    if locked and person is not None:
        for key in IDENTITY_FIELDS:
            new, old = values.get(key), getattr(person, key)
            if new is not None and new != old:
                problems.append(error(key, "identity_locked",
                                      f"{PERSON_LABELS[key]}已随证书上报并锁定，不能修改；如需更正，请联系上级审核部门退回后修改"))
    return values, problems


def _shown(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return format_iso(value)
    return str(value)


def _apply(obj, values: dict, labels: dict) -> dict:
    diff = {}
    for key, new in values.items():
        old = getattr(obj, key)
        if old != new:
            diff[key] = [_shown(old), _shown(new)]
            setattr(obj, key, new)
    return {k: v for k, v in diff.items() if k in labels}


def save_person(person: Person | None, values: dict, user, org: Organization) -> Person:
    creating = person is None
    if creating:
        person = Person(org_id=org.id, unit_region_code=org.region_code)
        values = dict(values, employer_name=values.get("employer_name") or org.name)
        db.session.add(person)
    diff = _apply(person, values, PERSON_LABELS)
    if person.id_number:
        person.id_tail = person.id_number[-4:]
    db.session.flush()
    if creating or diff:
        audit.record("create" if creating else "update", "person", person.id, diff=diff, actor=user)
    db.session.commit()
    return person


# --- certificates --------------------------------------------------------------------------------

def check_certificate(data, person: Person, cert: Certificate | None, campaign) -> tuple[dict, list[Problem]]:
    """The record rules on every certificate field (with the campaign scope), then the database:
    the same certificate number already registered for this person."""
    values, problems = records.check_certificate(data, _context(campaign), birth_date=person.birth_date)
    cert_no = values["cert_no"]
    if cert_no and person.id is not None:
        clash = db.session.scalar(select(Certificate.id).where(
            Certificate.person_id == person.id, Certificate.cert_no == cert_no,
            Certificate.id != (cert.id if cert is not None and cert.id else 0)))
        if clash is not None:
            problems.append(error("cert_no", "cert_no_duplicate", f"该人员已登记过证书编号为{cert_no}的证书，请勿重复录入"))
    return values, problems


def certificates_of(person: Person) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.person_id == person.id)
                                   .order_by(Certificate.issue_date, Certificate.id)))


def save_certificate(cert: Certificate | None, person: Person, values: dict, user, expected_version) -> Certificate:
    creating = cert is None
    if creating:
        cert = Certificate(person_id=person.id, org_id=person.org_id, unit_region_code=person.unit_region_code,
                           status="draft")
        db.session.add(cert)
    else:
        refusal = edit_refusal(cert, user)
        if refusal:
            raise WorkflowError(refusal)
        if str(cert.version) != str(expected_version):
            raise WorkflowError("该记录在您打开之后已被他人修改或处理，您的修改未保存，请刷新后重新填写")
    diff = _apply(cert, values, CERT_LABELS)
    try:
        db.session.flush()
        if creating or diff:
            audit.record("create" if creating else "update", "certificate", cert.id, diff=diff, actor=user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise WorkflowError("该记录在您打开之后已被他人修改或处理，您的修改未保存，请刷新后重新填写") from None
    return cert


def certificate_form_data(cert: Certificate) -> dict:
    data = {}
    for name in CERT_LABELS:
        value = getattr(cert, name)
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, date):
            value = format_iso(value)
        data[name] = "" if value is None else str(value)
    return data


def person_form_data(person: Person) -> dict:
    data = {}
    for name in PERSON_LABELS:
        value = getattr(person, name)
        data[name] = format_iso(value) if isinstance(value, date) else ("" if value is None else str(value))
    return data


# --- the unit's staff ------------------------------------------------------------------------------

STAFF_PAGE = 50


@dataclass
class StaffPage:
    persons: list[Person]
    counts: dict[int, dict[str, int]]  # person id -> {status: certificates}
    accounts: set[int]  # person ids that have a login
    next_after: int | None


def _staff(user, q: str):
    stmt = scoped(Person, user).order_by(Person.id)
    if q:
        text = q.upper()
        stmt = stmt.where(Person.id_tail == text if len(text) == 4 and text[:3].isdigit()
                          else Person.name.startswith(q, autoescape=True))
    return stmt


def staff_page(user, q: str = "", after: int | None = None) -> StaffPage:
    """The unit's persons by id (keyset), searched by name prefix or ID tail."""
    stmt = _staff(user, q).limit(STAFF_PAGE + 1)
    if after:
        stmt = stmt.where(Person.id > after)
    persons = list(db.session.scalars(stmt))
    next_after = persons[STAFF_PAGE - 1].id if len(persons) > STAFF_PAGE else None
    persons = persons[:STAFF_PAGE]
    counts, accounts = _staff_details([p.id for p in persons])
    return StaffPage(persons, counts, accounts, next_after)


STAFF_EXPORT_HEADERS = ("姓名", "证件号码", "手机号", "账户", "证书（按状态）")


def staff_export_rows(user, q: str = ""):
    """The staff list as shown, every page of it (up to MAX_ROWS), for Excel."""
    persons = list(db.session.scalars(_staff(user, q).limit(MAX_ROWS)))
    counts, accounts = _staff_details([p.id for p in persons])
    for p in persons:
        shown = "；".join(f"{status_label(s)} {n}" for s, n in counts.get(p.id, {}).items()) or "未填报"
        yield p.name, mask_id(p.id_number), p.phone or "", "已开通" if p.id in accounts else "未开通", shown


def _staff_details(ids: list[int]) -> tuple[dict[int, dict[str, int]], set[int]]:
    counts: dict[int, dict[str, int]] = {}
    accounts: set[int] = set()
    if ids:
        for person_id, status, count in db.session.execute(
                select(Certificate.person_id, Certificate.status, func.count())
                .where(Certificate.person_id.in_(ids)).group_by(Certificate.person_id, Certificate.status)):
            counts.setdefault(person_id, {})[status] = count
        accounts = set(db.session.scalars(select(User.person_id).where(User.person_id.in_(ids))))
    return counts, accounts


# --- evidence ------------------------------------------------------------------------------------

def add_evidence(user, person: Person, cert: Certificate | None, kind: str, filename: str, data: bytes) -> EvidenceFile:
    """Check and store one file; it replaces the earlier file of the same kind."""
    if kind not in EVIDENCE_KINDS or (kind == "photo") != (cert is None):
        raise WorkflowError("材料类型不正确")
    if cert is not None:
        refusal = edit_refusal(cert, user)
        if refusal:
            raise WorkflowError(refusal)
    elif identity_locked(person, user):
        raise WorkflowError("照片已随证书上报并锁定，不能更换；如需更换，请联系上级审核部门退回后修改")
    try:
        checked = uploads.check_file(kind, filename, data)
    except uploads.UploadRejected as rejected:
        raise WorkflowError(f"“{filename or '所选文件'}”未上传：{rejected}") from None
    stored = uploads.store(data, checked)
    previous = db.session.scalar(select(EvidenceFile).where(
        EvidenceFile.person_id == person.id, EvidenceFile.kind == kind,
        EvidenceFile.certificate_id.is_(None) if cert is None else EvidenceFile.certificate_id == cert.id))
    replaced = None
    if previous is not None:
        replaced = previous.sha256
        db.session.delete(previous)
    safe_name = re.sub(r'[\x00-\x1f"\\/]', "_", filename or "")[-120:] or f"{EVIDENCE_KINDS[kind]}.{checked.format}"
    evidence = EvidenceFile(person_id=person.id, certificate_id=cert.id if cert else None, kind=kind,
                            filename=safe_name, content_type=checked.content_type, size=checked.size,
                            sha256=checked.sha256, storage_path=stored, uploaded_by_id=user.id)
    db.session.add(evidence)
    db.session.flush()
    audit.record("evidence_upload", "certificate" if cert else "person", cert.id if cert else person.id,
                 diff={"kind": kind, "filename": safe_name, "sha256": checked.sha256, "size": checked.size,
                       "replaced_sha256": replaced}, actor=user)
    db.session.commit()
    if replaced and replaced != checked.sha256:
        still_used = db.session.scalar(select(func.count()).select_from(EvidenceFile).where(
            EvidenceFile.sha256 == replaced)) > 0
        uploads.remove_if_unused(f"{replaced[:2]}/{replaced}", still_used)
    return evidence


# --- accounts for a unit's staff --------------------------------------------------------------------

_SPLIT = re.compile(r"[\t,，;；]+|\s{2,}|\s+(?=[0-9A-Za-z])")


@dataclass
class AccountLine:
    line_no: int
    name: str
    id_number: str
    phone: str | None
    problems: list[Problem]
    username: str | None = None
    password: str | None = None
    person_existed: bool = False


def parse_account_lines(text: str, org: Organization, user=None) -> list[AccountLine]:
    """Each line: 姓名, 证件号码[, 手机号] (resident IDs; separated by tab, comma or spaces)."""
    lines = []
    seen: dict[str, int] = {}
    id_types = code_names("id_type")
    for line_no, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p for p in _SPLIT.split(clean(raw)) if p]
        name_raw = parts[0] if parts else ""
        id_raw = parts[1] if len(parts) > 1 else ""
        phone = parts[2] if len(parts) > 2 else ""
        values, problems = check_person({"name": name_raw, "id_type": "resident_id", "id_number": id_raw,
                                         "phone": phone}, None, registry=False)
        item = AccountLine(line_no, values.get("name") or name_raw, values.get("id_number") or id_raw,
                           values.get("phone"), problems)
        if "resident_id" not in id_types:
            item.problems.append(error("id_type", "id_type_unknown", "代码表中没有居民身份证"))
        number = values.get("id_number")
        if number:
            if number in seen:
                item.problems.append(error("id_number", "id_repeated", f"与第{seen[number]}行的证件号码重复"))
            seen.setdefault(number, line_no)
            if not lookups.allow(user.id if user is not None else None, "accounts"):
                item.problems.append(lookups.refusal())
                lines.append(item)
                continue
            existing = db.session.scalar(select(Person).where(Person.id_type == "resident_id",
                                                              Person.id_number == number))
            if existing is not None and existing.org_id != org.id:
                item.problems.append(error("id_number", "id_other_unit", "该证件号码已登记在其他单位，不能由本单位开通账户"))
            elif existing is not None:
                item.person_existed = True
                if values.get("name") and existing.name != values["name"]:
                    item.problems.append(error("name", "name_mismatch",
                                               f"本单位已登记该证件号码，姓名为“{existing.name}”，与填写的姓名不一致"))
            # A person may already log in under another username (e.g. one an office gave them).
            holder = User.username == number
            if existing is not None:
                holder = or_(holder, User.person_id == existing.id)
            if db.session.scalar(select(User.id).where(holder).limit(1)) is not None:
                item.problems.append(error("id_number", "account_exists", "该人员已开通账户"))
        lines.append(item)
    return lines



MAX_ACCOUNT_LINES = 200


def create_accounts(user, text: str) -> tuple[list[AccountLine], str | None]:
    """All or nothing: if any line has an error, nothing is created and every line says why."""
    org = user.org
    lines = parse_account_lines(text, org, user)
    if not lines:
        return lines, "请粘贴至少一行人员名单"
    if len(lines) > MAX_ACCOUNT_LINES:
        return lines, f"一次最多开通{MAX_ACCOUNT_LINES}个账户，请分批提交"
    if any(has_errors(line.problems) for line in lines):
        return lines, "名单中有错误，未开通任何账户；请按提示修改后重新提交"
    for line in lines:
        person = db.session.scalar(select(Person).where(Person.id_type == "resident_id",
                                                        Person.id_number == line.id_number))
        if person is None:
            values, _ = check_person({"name": line.name, "id_type": "resident_id", "id_number": line.id_number,
                                      "phone": line.phone}, None, registry=False)
            person = Person(**(values | {"org_id": org.id, "unit_region_code": org.region_code,
                                         "employer_name": org.name, "id_tail": line.id_number[-4:]}))
            db.session.add(person)
            db.session.flush()
            audit.record("create", "person", person.id, actor=user,
                         diff={"name": [None, person.name], "id_number": [None, person.id_number]})
        line.username = line.id_number
        line.password = generate_password()
        account = User(username=line.username, display_name=person.name, role="person", org_id=org.id,
                       person_id=person.id, phone=line.phone, must_change_password=True)
        account.set_password(line.password)
        db.session.add(account)
        db.session.flush()
        audit.record("account_create", "person", person.id, actor=user, diff={"username": line.username})
    db.session.commit()
    return lines, None
