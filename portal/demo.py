"""A realistic demo: Rizhao (日照) offices, units, accounts for every role and synthetic records.

Synthetic people carry valid-looking but invented resident ID numbers (checksums correct).
Certificates are inserted in bulk with explicit ids so a million rows take minutes, not hours.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select, text

from portal.campaigns.demo import ensure_demo_campaign
from portal.evaluation.demo import (DEMO_CONFIRMED, demo_committee_pending, ensure_demo_committee,
                                   ensure_demo_evaluation)
from portal.evaluation.demo import summary as evaluation_summary
from portal.domain.creditcode import build_credit_code
from portal.domain.idnumber import build_resident_id
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Application, Certificate, CodeItem, ECertificate, Organization, Person, User
from portal.notices.demo import ensure_demo_notices
from portal.verify.keys import demo_api_key, ensure_demo_api_key

DEMO_PASSWORD = "Demo@2026"


@dataclass(frozen=True)
class DemoOrg:
    code: str
    name: str
    type: str
    parent: str | None
    region: str


ORGS = (
    DemoOrg("SD-ZGB", "山东省职称改革领导小组办公室", "province_office", None, "370000"),
    DemoOrg("RZ-ZGB", "日照市职称改革领导小组办公室", "city_office", "SD-ZGB", "371100"),
    DemoOrg("DG-ZGB", "东港区职称改革领导小组办公室", "county_office", "RZ-ZGB", "371102"),
    DemoOrg("JX-ZGB", "莒县职称改革领导小组办公室", "county_office", "RZ-ZGB", "371122"),
    DemoOrg("RZ-JYJ", "日照市教育局", "department", "RZ-ZGB", "371100"),
    DemoOrg("RZ-GCPW", "日照市工程技术中级评审委员会办事机构", "committee", "RZ-ZGB", "371100"),
    DemoOrg("DG-RMYY", "日照市东港区人民医院", "unit", "DG-ZGB", "371102"),
    DemoOrg("RZ-YZ", "日照市第一中学", "unit", "RZ-JYJ", "371100"),
    DemoOrg("JX-NJZ", "莒县农业技术推广中心", "unit", "JX-ZGB", "371122"),
    DemoOrg("RZ-RCZX", "日照市人才服务中心", "talent_center", "RZ-ZGB", "371100"),
)

# username, display name, role, organisation code
ACCOUNTS = (
    ("person_demo", "张明华", "person", "DG-RMYY"),
    ("unit_demo", "李经办", "unit", "DG-RMYY"),
    ("unit2_demo", "王经办", "unit", "RZ-YZ"),
    ("unit3_demo", "赵经办", "unit", "JX-NJZ"),
    ("center_demo", "孙经办", "unit", "RZ-RCZX"),
    ("dept_demo", "周审核", "department", "RZ-JYJ"),
    ("county_demo", "吴审核", "county_office", "DG-ZGB"),
    ("county2_demo", "郑审核", "county_office", "JX-ZGB"),
    ("city_demo", "冯审核", "city_office", "RZ-ZGB"),
    ("province_demo", "陈审核", "province_office", "SD-ZGB"),
    ("committee_demo", "褚审核", "committee", "RZ-GCPW"),
    ("admin", "系统管理员", "admin", None),
)

# Which series each unit's people mostly hold, so the data reads like the real thing.
UNIT_SERIES = {
    "DG-RMYY": ["health_technician"],
    "RZ-YZ": ["primary_secondary_teacher"],
    "JX-NJZ": ["agriculture"],
    "RZ-RCZX": ["engineering", "economics"],
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕鹏飞晓东雪梅立新春林文博思远子涵雨欣浩然佳怡"
LEVEL_ORDER = ("初级", "中级", "副高级", "正高级")


def _ensure_orgs() -> dict[str, Organization]:
    orgs = {o.code: o for o in db.session.scalars(select(Organization).where(
        Organization.code.in_([d.code for d in ORGS])))}
    for index, spec in enumerate(ORGS):
        if spec.code in orgs:
            continue
        parent = orgs.get(spec.parent) if spec.parent else None
        org = Organization(
            code=spec.code, name=spec.name, type=spec.type, parent=parent, region_code=spec.region,
            credit_code=build_credit_code(f"12{spec.region}MB{index:07d}"),
            contact_person="联系人", contact_phone="0633-8000000",
        )
        db.session.add(org)
        db.session.flush()
        org.path = f"{parent.path if parent else '/'}{org.id}/"
        orgs[spec.code] = org
    return orgs


def _person_row(index: int, person_id: int, org: Organization, rng: random.Random) -> dict:
    # (birth date, sequence) is unique per index, so every synthetic ID number is distinct.
    birth = date(1962, 1, 1) + timedelta(days=index // 1000)
    sequence = index % 1000
    id_number = build_resident_id(org.region_code, birth, sequence)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return {
        "id": person_id, "name": name, "sex": "男" if sequence % 2 else "女", "id_type": "resident_id",
        "id_number": id_number, "id_tail": id_number[-4:], "birth_date": birth, "org_id": org.id,
        "unit_region_code": org.region_code, "employer_name": org.name, "phone": f"1{rng.randint(3000000000, 9899999999)}",
    }


def _statuses_for(org: Organization) -> list[str]:
    chain_types = {o.type for o in org.chain()}
    review = ["unit_review"]
    if "department" in chain_types:
        review.append("department_review")
    if "county_office" in chain_types:
        review.append("county_review")
    review += ["city_review", "province_review"]
    # Every other certificate approved, the rest cycling through every state of the workflow.
    others = ["draft", "returned", "revoked"] + review
    return [status for other in others for status in ("approved", other)]


def _titles_by_series() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for item in db.session.scalars(select(CodeItem).where(CodeItem.kind == "title_name")):
        level = "初级" if item.level in ("助理级", "员级") else item.level
        out.setdefault(item.series, {}).setdefault(level, []).append(item.name)
    return out


def _certificate_rows(person: dict, count: int, first_id: int, org: Organization, series: str,
                      titles: dict[str, list[str]], rng: random.Random, serial: int,
                      counters: dict[int, int]) -> list[dict]:
    """`counters` holds how many certificates each organisation has, so statuses cycle evenly."""
    rows = []
    year = rng.randint(2010, 2016)
    statuses = _statuses_for(org)
    made_for_org = counters.get(org.id, 0)
    levels = [lvl for lvl in LEVEL_ORDER if titles.get(lvl)] or ["中级"]
    now = datetime.now(timezone.utc)
    for step in range(count):
        level = levels[min(step, len(levels) - 1)]
        issue = date(min(year + 3 * step, 2024), rng.randint(1, 12), rng.randint(1, 28))
        status = statuses[(made_for_org + step) % len(statuses)]
        senior = level in ("正高级", "副高级")
        title_name = rng.choice(titles.get(level) or ["工程师"])
        rows.append({
            "id": first_id + step, "person_id": person["id"], "org_id": org.id,
            "unit_region_code": org.region_code, "cert_no": f"鲁{issue.year}{serial + step:08d}",
            "issue_date": issue, "grant_date": issue - timedelta(days=30), "review_year": issue.year,
            "series": series, "level": level, "title_name": title_name,
            "issuing_authority": "山东省人力资源和社会保障厅" if senior else "日照市人力资源和社会保障局",
            "review_committee_name": ("山东省" if senior else "日照市") + "职称评审委员会",
            "evaluation_region_code": "370000" if senior else "371100",
            "approval_doc_no": f"{'鲁' if senior else '日'}职改字〔{issue.year}〕{rng.randint(1, 99)}号",
            "approval_department": "山东省职称改革领导小组办公室" if senior else "日照市职称改革领导小组办公室",
            "obtain_method": "assessment_recognition" if level == "初级" and step == 0 else "review",
            "employer_at_grant": org.name, "status": status,
            "return_reason": "发证日期与证书扫描件不一致，请核对后重新提交。" if status == "returned" else None,
            "verify_token": secrets.token_urlsafe(32) if status in ("approved", "revoked") else None,
            "revoked_at": now if status == "revoked" else None,
            "revoke_reason": "经核查，评审材料存在弄虚作假，依规撤销。" if status == "revoked" else None,
            "submitted_at": now if status != "draft" else None,
            "approved_at": now if status in ("approved", "revoked") else None,
            "version": 1, "created_at": now, "updated_at": now,
        })
    counters[org.id] = made_for_org + count
    return rows


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _fix_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("persons", "certificates"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _add_certificates(wanted: int, orgs: dict[str, Organization], seed: int, batch: int = 20000) -> None:
    units = [orgs[code] for code in UNIT_SERIES]
    titles = _titles_by_series()
    rng = random.Random(seed)
    existing_persons = db.session.scalar(select(func.count()).select_from(Person)) or 0
    person_id, cert_id = _next_id(Person), _next_id(Certificate)
    index = existing_persons
    persons, certs, made = [], [], 0
    counters = dict(db.session.execute(
        select(Certificate.org_id, func.count()).group_by(Certificate.org_id)).all())
    while made < wanted:
        org = units[index % len(units)]
        person = _person_row(index, person_id, org, rng)
        count = min((1, 2, 1, 3, 2)[index % 5], wanted - made)
        series = rng.choice(UNIT_SERIES[org.code])
        persons.append(person)
        certs += _certificate_rows(person, count, cert_id, org, series, titles.get(series, {}), rng, cert_id,
                                  counters)
        made += count
        cert_id += count
        person_id += 1
        index += 1
        if len(certs) >= batch:
            _flush(persons, certs)
            persons, certs = [], []
    _flush(persons, certs)
    _fix_sequences()


def _flush(persons: list[dict], certs: list[dict]) -> None:
    if persons:
        db.session.execute(Person.__table__.insert(), persons)
    if certs:
        db.session.execute(Certificate.__table__.insert(), certs)
    db.session.commit()


def _ensure_accounts(orgs: dict[str, Organization]) -> None:
    existing = set(db.session.scalars(select(User.username)))
    for username, display, role, org_code in ACCOUNTS:
        if username in existing:
            continue
        user = User(username=username, display_name=display, role=role,
                    org_id=orgs[org_code].id if org_code else None)
        user.set_password(DEMO_PASSWORD)
        if role == "person":
            user.person_id = _demo_person(orgs[org_code], display)
        db.session.add(user)
    db.session.commit()


def _demo_person(org: Organization, name: str) -> int:
    """The person behind the person account, with one certificate at several stages."""
    person_id, cert_id = _next_id(Person), _next_id(Certificate)
    rng = random.Random(7)
    person = _person_row(999_999, person_id, org, rng) | {"name": name, "sex": "男",
                                                          "birth_date": date(1985, 3, 14)}
    person["id_number"] = build_resident_id(org.region_code, date(1985, 3, 14), 371)
    person["id_tail"] = person["id_number"][-4:]
    titles = _titles_by_series().get("health_technician", {})
    certs = _certificate_rows(person, 3, cert_id, org, "health_technician", titles, rng, 900_000_000, {})
    for cert, status in zip(certs, ("approved", "approved", "draft")):
        cert.update(status=status, return_reason=None, revoked_at=None, revoke_reason=None,
                    verify_token=secrets.token_urlsafe(32) if status == "approved" else None)
    _flush([person], certs)
    _fix_sequences()
    return person_id


def run(certificates: int, seed: int = 2026) -> None:
    orgs = _ensure_orgs()
    db.session.commit()
    _ensure_accounts(orgs)
    ensure_demo_api_key()
    have = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.org_id.in_([o.id for o in orgs.values()]))) or 0
    # The demo's completed evaluation confirms a few certificates of its own; they count among the asked.
    reserved = DEMO_CONFIRMED if certificates > DEMO_CONFIRMED and demo_committee_pending() else 0
    if have + reserved < certificates:
        _add_certificates(certificates - have - reserved, orgs, seed + have)
    ensure_demo_notices()
    ensure_demo_campaign()
    ensure_demo_evaluation()
    ensure_demo_committee()


DEMO_E_CERTIFICATES = 1  # historical ones, besides those of the evaluation cycle


def ensure_demo_e_certificates(wanted: int) -> None:
    """The electronic certificates of the evaluation cycle's confirmed results, issued by the plan's
    office (city_demo), and of the first `wanted` approved historical certificates of 东港区
    (person_demo's first) issued by its county office; already issued ones count.

    Kept out of run(): every test's demo fixture would otherwise render and sign PDFs it never reads.
    """
    from portal.ecert import services as ecert

    city, county = (db.session.scalar(select(User).where(User.username == name)) for name in ("city_demo", "county_demo"))
    holder = db.session.scalar(select(User).where(User.username == "person_demo"))
    if city is None or county is None or holder is None:
        return
    for cert in list(db.session.scalars(_cycle_certificates().where(
            ~select(ECertificate.id).where(ECertificate.certificate_id == Certificate.id).exists()))):
        ecert.issue_ecert(cert, city)
    historical = ~Certificate.id.in_(select(Application.certificate_id).where(Application.certificate_id.is_not(None)))
    have = db.session.scalar(select(func.count()).select_from(ECertificate).join(Certificate).where(
        ECertificate.kind == "original", historical)) or 0
    if have >= wanted:
        return
    candidates = db.session.scalars(
        ecert.issuable(county).where(historical).order_by((Certificate.person_id != holder.person_id), Certificate.id)
        .limit(wanted - have))
    for cert in list(candidates):
        ecert.issue_ecert(cert, county)


def _cycle_certificates():
    """Certificates the evaluation cycle's confirmation created."""
    return select(Certificate).join(Application, Application.certificate_id == Certificate.id).where(
        Application.status == "confirmed").order_by(Certificate.id)


def _e_certificates() -> list[dict]:
    """The electronic certificates issued through the whole evaluation cycle, for other tooling."""
    from portal.ecert.services import public_pdf_path

    cycle = _cycle_certificates().with_only_columns(Certificate.id)
    rows = db.session.execute(
        select(ECertificate, Person.name, Person.id_number, Certificate.cert_no)
        .join(Person, Person.id == ECertificate.person_id).join(Certificate, Certificate.id == ECertificate.certificate_id)
        .where(ECertificate.kind == "original", ECertificate.superseded_at.is_(None), Certificate.id.in_(cycle))
        .order_by(ECertificate.id))
    return [{"name": name, "id_number": id_number, "cert_no": cert_no, "pdf_url": public_pdf_path(ecert)}
            for ecert, name, id_number, cert_no in rows]


def summary() -> dict:
    orgs = {o.id: o for o in db.session.scalars(select(Organization))}
    users = list(db.session.scalars(select(User).where(User.username.in_([a[0] for a in ACCOUNTS]))))
    by_name = {u.username: u for u in users}
    accounts = [
        {"username": name, "password": DEMO_PASSWORD, "role": role,
         "org_code": orgs[by_name[name].org_id].code if name in by_name and by_name[name].org_id else None}
        for name, _, role, _ in ACCOUNTS
    ]
    verifiable = [
        {"name": name, "id_number": id_number, "cert_no": cert_no}
        for name, id_number, cert_no in db.session.execute(
            select(Person.name, Person.id_number, Certificate.cert_no)
            .join(Certificate, Certificate.person_id == Person.id)
            .where(Certificate.status == "approved").order_by(Certificate.id).limit(20))
    ]
    counts = dict(db.session.execute(select(Certificate.status, func.count()).group_by(Certificate.status)).all())
    first_unit = by_name.get("unit_demo")
    foreign = db.session.scalar(select(Certificate.id).where(
        Certificate.org_id != first_unit.org_id).order_by(Certificate.id).limit(1)) if first_unit else None
    return {
        "accounts": accounts,
        "verifiable": verifiable,
        "api_key": demo_api_key(),
        "status_counts": {status: counts.get(status, 0) for status in STATUSES},
        "foreign_certificate_url": f"/certificates/{foreign}" if foreign else None,
        "evaluation": evaluation_summary(),
        "e_certificates": _e_certificates(),
    }
