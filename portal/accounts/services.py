"""Accounts and organisations level by level, and the login log, always within the user's scope."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.clock import china_time
from portal.access import scoped, visibility
from portal.auth.services import end_sessions, reset_password
from portal.domain.accounts import ADMIN_ROLE_OF_ORG_TYPE, CHILD_ORG_TYPES, may_manage
from portal.domain.creditcode import check_credit_code
from portal.domain.idnumber import mask_id
from portal.domain.passwords import generate_password
from portal.domain.problems import Problem, error
from portal.domain.regions import SUBTREE_DIGITS
from portal.domain.text import clean
from portal.documents.xlsx_list import MAX_ROWS
from portal.extensions import db
from portal.models import LoginEvent, Organization, Region, User
from portal.models.org import OFFICE_TYPES

PAGE_SIZE = 50
PARENT_TYPES = ("department",) + OFFICE_TYPES


def manages(actor, account: User) -> bool:
    return may_manage(actor.role, actor.id, actor.org_id, account.id, account.role, account.org_id)


def _accounts(actor, q: str | None):
    stmt = scoped(User, actor).options(selectinload(User.org)).order_by(User.org_id, User.role, User.username)
    if q:
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")))
    return stmt


def accounts_page(actor, q: str | None, page: int):
    return db.paginate(_accounts(actor, q), page=page, per_page=PAGE_SIZE, error_out=False)


ACCOUNT_EXPORT_HEADERS = ("用户名", "姓名", "角色", "所属组织", "最近登录", "状态")


def account_export_rows(actor, q: str | None):
    """The account list as shown, every page of it (up to MAX_ROWS); a person's username is an ID number."""
    for account in db.session.scalars(_accounts(actor, q).limit(MAX_ROWS)):
        state = "正常" if account.active else "已停用"
        if account.must_change_password:
            state += "（待修改初始密码）"
        yield (mask_id(account.username) if account.role == "person" else account.username, account.display_name,
               account.role_label, account.org.name if account.org else "—",
               china_time(account.last_login_at) or "从未登录", state)


def login_events_page(actor, page: int, own: bool):
    stmt = select(LoginEvent).options(selectinload(LoginEvent.user)).order_by(LoginEvent.id.desc())
    stmt = stmt.where(LoginEvent.user_id == actor.id) if own else stmt.where(visibility(LoginEvent, actor))
    return db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)


def set_active(account: User, actor, active: bool) -> None:
    account.active = active
    if not active:
        end_sessions(account)
    audit.record("account_enable" if active else "account_disable", "user", account.id, actor=actor)
    db.session.commit()


def reset(account: User, actor) -> str:
    return reset_password(account, actor)


# --- organisations --------------------------------------------------------------------------------

def creatable_types(actor) -> tuple[str, ...]:
    return CHILD_ORG_TYPES.get(actor.role, ())


def organisations(actor) -> list[Organization]:
    return list(db.session.scalars(scoped(Organization, actor).where(Organization.id != (actor.org_id or 0))
                                   .order_by(Organization.path)))


def parent_choices(actor) -> list[Organization]:
    return list(db.session.scalars(scoped(Organization, actor).where(Organization.type.in_(PARENT_TYPES))
                                   .order_by(Organization.path)))


def _region_allowed(actor, code: str) -> bool:
    if actor.role == "admin" and actor.org is None:
        return True
    return actor.org is not None and code.startswith(actor.org.region_code[:SUBTREE_DIGITS.get(actor.role, 6)])


def save_organisation(actor, org: Organization | None, data: dict) -> tuple[Organization | None, list[Problem]]:
    problems = []
    name = clean(data.get("name"))
    if not name:
        problems.append(error("name", "name_missing", "请填写组织名称"))
    if data.get("type") not in creatable_types(actor):
        problems.append(error("type", "type_not_allowed", "本级不能设立该类型的组织"))
    region_code = clean(data.get("region_code"))
    if db.session.get(Region, region_code) is None or not _region_allowed(actor, region_code):
        problems.append(error("region_code", "region_outside", "行政区划代码不存在或不在本级管辖范围内"))
    parent = next((p for p in parent_choices(actor) if p.id == data.get("parent_id")), None)
    if parent is None:
        problems.append(error("parent_id", "parent_outside", "请选择本级管辖范围内的上级组织"))
    credit_code, credit_problems = check_credit_code(data.get("credit_code")) if data.get("credit_code") else (None, [])
    problems += credit_problems
    if credit_code and db.session.scalar(select(Organization.id).where(
            Organization.credit_code == credit_code, Organization.id != (org.id if org else 0))):
        problems.append(error("credit_code", "credit_code_taken", "该统一社会信用代码已被其他组织使用"))
    code = clean(data.get("code"))
    if org is None and (not code or db.session.scalar(select(Organization.id).where(Organization.code == code))):
        problems.append(error("code", "code_taken", "请填写未被使用的组织代码"))
    if problems:
        return None, problems
    before = {} if org is None else {"name": org.name, "type": org.type, "region_code": org.region_code,
                                      "parent_id": org.parent_id}
    if org is None:
        org = Organization(code=code)
        db.session.add(org)
    org.name, org.type, org.region_code, org.parent = name, data["type"], region_code, parent
    org.credit_code = credit_code
    org.contact_person = clean(data.get("contact_person")) or None
    org.contact_phone = clean(data.get("contact_phone")) or None
    db.session.flush()
    org.path = f"{parent.path}{org.id}/"
    after = {"name": org.name, "type": org.type, "region_code": org.region_code, "parent_id": org.parent_id}
    audit.record("org_update" if before else "org_create", "organization", org.id, actor=actor,
                 diff={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v})
    db.session.commit()
    return org, []


def create_admin_account(actor, org: Organization, username: str, display_name: str) -> tuple[User | None, str | None, list]:
    username, display_name = clean(username), clean(display_name)
    problems = []
    if not username or len(username) > 64:
        problems.append(error("username", "username_missing", "请填写用户名（不超过64个字符）"))
    elif db.session.scalar(select(User.id).where(User.username == username)):
        problems.append(error("username", "username_taken", "该用户名已被使用"))
    if not display_name:
        problems.append(error("display_name", "display_name_missing", "请填写管理员姓名"))
    if problems:
        return None, None, problems
    password = generate_password()
    account = User(username=username, display_name=display_name, role=ADMIN_ROLE_OF_ORG_TYPE[org.type],
                   org_id=org.id, must_change_password=True, active=True)
    account.set_password(password)
    db.session.add(account)
    db.session.flush()
    audit.record("account_create", "user", account.id, actor=actor,
                 diff={"username": username, "organization": org.name})
    db.session.commit()
    return account, password, []
