"""The review queue and the progress overview: read-only queries within the user's scope.

The queue pages by keyset on the certificate id, so page 20 000 costs what page 1 costs; every
filter is an equality on an indexed column of `certificates`, or a lookup of matching persons
by an indexed column of `persons`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select

from portal.access import scoped, visibility
from portal.documents.xlsx_list import MAX_ROWS
from portal.domain.idnumber import mask_id
from portal.domain.titles import JUNIOR_SUBLEVELS, LEVELS
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Certificate, Organization, Person
from portal.search import certificate_condition
from portal.workflow import ENTRY_STATUSES, overdue_condition, user_level

PAGE_SIZE = 50
UNIT_TYPES = ("unit", "talent_center")


@dataclass
class QueueFilters:
    q: str = ""
    status: str = "pending"  # "pending" = waiting for this user's level; "all"; or a status
    level: str = ""
    series: str = ""
    year: int | None = None
    overdue: bool = False
    # Narrowing that the statistics page's drill-down links carry.
    org: int | None = None  # an organisation: its records and those of every body under it
    method: str = ""  # 取得方式
    year_from: int | None = None
    year_to: int | None = None
    after: int | None = None

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        status = args.get("status") or "pending"
        if status not in STATUSES and status not in ("pending", "all"):
            status = "pending"
        level = args.get("level", "")
        year, year_from, year_to = (_year(args.get(name, type=int)) for name in ("year", "year_from", "year_to"))
        return cls(
            q=(args.get("q") or "").strip()[:64],
            status=status,
            level=level if level in LEVELS else "",
            series=(args.get("series") or "").strip()[:64],
            year=year,
            overdue=args.get("overdue") == "1",
            org=args.get("org", type=int),
            method=(args.get("method") or "").strip()[:32],
            year_from=year_from,
            year_to=year_to,
            after=args.get("after", type=int),
        )

    def as_args(self, **changes) -> dict:
        values = {"q": self.q, "status": self.status, "level": self.level, "series": self.series,
                  "year": self.year, "overdue": "1" if self.overdue else None, "org": self.org,
                  "method": self.method, "year_from": self.year_from, "year_to": self.year_to, "after": self.after}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _year(value: int | None) -> int | None:
    return value if value and 1949 < value < 2200 else None


@dataclass
class QueuePage:
    rows: list[tuple[Certificate, Person]]
    next_after: int | None
    overdue: set[int] = field(default_factory=set)  # ids of the rows past their own deadline


def queue_statement(user, filters: QueueFilters, limit: int = PAGE_SIZE + 1):
    stmt = select(Certificate, Person).join(Person, Person.id == Certificate.person_id).where(
        visibility(Certificate, user))
    if filters.status == "pending":
        stmt = stmt.where(Certificate.status == (user_level(user) or "unit_review"))
    elif filters.status != "all":
        stmt = stmt.where(Certificate.status == filters.status)
    if filters.overdue:
        stmt = stmt.where(overdue_condition())
    if filters.level == "初级":
        stmt = stmt.where(Certificate.level.in_(("初级",) + JUNIOR_SUBLEVELS))
    elif filters.level:
        stmt = stmt.where(Certificate.level == filters.level)
    if filters.series:
        stmt = stmt.where(Certificate.series == filters.series)
    if filters.year:
        stmt = stmt.where(Certificate.review_year == filters.year)
    if filters.year_from:
        stmt = stmt.where(Certificate.review_year >= filters.year_from)
    if filters.year_to:
        stmt = stmt.where(Certificate.review_year <= filters.year_to)
    if filters.method:
        stmt = stmt.where(Certificate.obtain_method == filters.method)
    if filters.org:
        stmt = stmt.where(Certificate.org_id.in_(org_subtree(filters.org)))
    if filters.q:
        stmt = stmt.where(certificate_condition(filters.q))
    if filters.after:
        stmt = stmt.where(Certificate.id > filters.after)
    return stmt.order_by(Certificate.id).limit(limit)


def org_subtree(org_id: int):
    """Ids of an organisation and every body below it (its materialised path is their prefix)."""
    path = select(Organization.path).where(Organization.id == org_id).scalar_subquery()
    return select(Organization.id).where(Organization.path.startswith(path))


def queue_page(user, filters: QueueFilters) -> QueuePage:
    rows = [tuple(r) for r in db.session.execute(queue_statement(user, filters))]
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    ids = [c.id for c, _ in rows]
    overdue = set(db.session.scalars(select(Certificate.id).where(Certificate.id.in_(ids), overdue_condition()))) \
        if ids else set()
    return QueuePage(rows, rows[-1][0].id if has_more else None, overdue)


QUEUE_EXPORT_HEADERS = ("姓名", "证件号码", "证书编号", "系列", "级别", "职称名称", "发证日期", "单位", "状态", "逾期")


def queue_export_rows(user, filters: QueueFilters, series_names: dict[str, str]):
    """Every row the queue shows under these filters (all pages, up to MAX_ROWS), for Excel."""
    stmt = queue_statement(user, replace(filters, after=None), limit=MAX_ROWS).add_columns(overdue_condition())
    for cert, person, overdue in db.session.execute(stmt):
        yield (person.name, mask_id(person.id_number), cert.cert_no or "", series_names.get(cert.series, cert.series),
               cert.level, cert.title_name, cert.issue_date, cert.org.name if cert.org else "", cert.status_label,
               "逾期" if overdue else "")


# --- progress (应报尽报) ------------------------------------------------------------------------

@dataclass
class ProgressRow:
    org: Organization
    counts: dict[str, int]
    units: int = 0
    silent_units: int = 0  # units of this branch that have reported nothing yet

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unreported(self) -> int:
        return sum(self.counts.get(s, 0) for s in ENTRY_STATUSES)


@dataclass
class Progress:
    node: Organization
    rows: list[ProgressRow]
    silent: list[Organization]  # units in the subtree with nothing submitted
    totals: dict[str, int]
    unsent: list[tuple[Organization, int]] = field(default_factory=list)  # units that sent some, not all

    @property
    def unreported(self) -> int:
        return sum(self.totals.get(s, 0) for s in ENTRY_STATUSES)


def _branch_of(org: Organization, node: Organization) -> int | None:
    """The id of node's direct child on the way down to `org` (or org itself if a child)."""
    if not org.path.startswith(node.path) or org.id == node.id:
        return None
    rest = org.path[len(node.path):].strip("/")
    return int(rest.split("/")[0]) if rest else None


def progress(user, node: Organization) -> Progress:
    orgs = {o.id: o for o in db.session.scalars(
        scoped(Organization, user).where(Organization.path.startswith(node.path, autoescape=True)))}
    counts_by_org: dict[int, dict[str, int]] = defaultdict(dict)
    for org_id, status, count in db.session.execute(
            select(Certificate.org_id, Certificate.status, func.count())
            .where(visibility(Certificate, user), Certificate.org_id.in_(list(orgs)))
            .group_by(Certificate.org_id, Certificate.status)):
        counts_by_org[org_id][status] = count

    rows: dict[int, ProgressRow] = {}
    for org in sorted(orgs.values(), key=lambda o: o.path):
        if org.parent_id == node.id:
            rows[org.id] = ProgressRow(org, {})
    silent, unsent, totals = [], [], defaultdict(int)
    for org in orgs.values():
        counts = counts_by_org.get(org.id, {})
        branch = rows.get(_branch_of(org, node))
        if branch is not None:
            for status, count in counts.items():
                branch.counts[status] = branch.counts.get(status, 0) + count
        for status, count in counts.items():
            totals[status] += count
        if org.type in UNIT_TYPES:
            reported = sum(c for s, c in counts.items() if s != "draft")
            if branch is not None:
                branch.units += 1
                branch.silent_units += reported == 0
            unsent_records = sum(counts.get(s, 0) for s in ENTRY_STATUSES)
            if reported == 0:
                silent.append(org)
            elif unsent_records:
                unsent.append((org, unsent_records))
    silent.sort(key=lambda o: o.path)
    unsent.sort(key=lambda item: item[0].path)
    return Progress(node, list(rows.values()), silent, dict(totals), unsent)


PROGRESS_COLUMNS = ("unit_review", "department_review", "county_review", "city_review", "province_review",
                    "draft", "returned", "approved", "revoked")
PROGRESS_EXPORT_HEADERS = ("下级组织", "类型", "单位数", "未报送单位", "未报送记录",
                           *(STATUSES[s] for s in PROGRESS_COLUMNS), "合计")


def progress_export_rows(report: Progress):
    """The progress table as shown, with the units that have not reported everything below it."""
    for row in report.rows:
        yield (row.org.name, row.org.type_label, row.units, row.silent_units, row.unreported,
               *(row.counts.get(s, 0) for s in PROGRESS_COLUMNS), row.total)
    yield ("合计", "", "", len(report.silent), report.unreported,
           *(report.totals.get(s, 0) for s in PROGRESS_COLUMNS), sum(report.totals.values()))
    for org in report.silent:
        yield (org.name, org.type_label, "", "尚未报送任何记录")
    for org, count in report.unsent:
        yield (org.name, org.type_label, "", f"{count} 条未报送")
