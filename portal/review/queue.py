"""The review queue and the progress overview: read-only queries within the user's scope.

The queue pages by keyset on the certificate id, so page 20 000 costs what page 1 costs; every
filter is an equality on an indexed column of `certificates`, or a lookup of matching persons
by an indexed column of `persons`.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.access import scoped, visibility
from portal.domain.titles import JUNIOR_SUBLEVELS, LEVELS
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Certificate, Organization, Person
from portal.workflow import ENTRY_STATUSES, overdue_condition, user_level

PAGE_SIZE = 50
UNIT_TYPES = ("unit", "talent_center")
_ID_TAIL = re.compile(r"[0-9]{3}[0-9X]")
_ID_NUMBER = re.compile(r"[0-9]{14}[0-9X]|[0-9]{17}[0-9X]")
_HAS_DIGIT = re.compile(r"[0-9]")


@dataclass
class QueueFilters:
    q: str = ""
    status: str = "pending"  # "pending" = waiting for this user's level; "all"; or a status
    level: str = ""
    series: str = ""
    year: int | None = None
    overdue: bool = False
    after: int | None = None

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        status = args.get("status") or "pending"
        if status not in STATUSES and status not in ("pending", "all"):
            status = "pending"
        level = args.get("level", "")
        year = args.get("year", type=int)
        return cls(
            q=(args.get("q") or "").strip()[:64],
            status=status,
            level=level if level in LEVELS else "",
            series=(args.get("series") or "").strip()[:64],
            year=year if year and 1949 < year < 2200 else None,
            overdue=args.get("overdue") == "1",
            after=args.get("after", type=int),
        )

    def as_args(self, **changes) -> dict:
        values = {"q": self.q, "status": self.status, "level": self.level, "series": self.series,
                  "year": self.year, "overdue": "1" if self.overdue else None, "after": self.after}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class QueuePage:
    rows: list[tuple[Certificate, Person]]
    next_after: int | None
    overdue: set[int] = field(default_factory=set)  # ids of the rows past their own deadline


def _search_condition(q: str):
    text = q.upper()
    if _ID_TAIL.fullmatch(text):
        return Certificate.person_id.in_(select(Person.id).where(Person.id_tail == text))
    if _ID_NUMBER.fullmatch(text):
        return Certificate.person_id.in_(select(Person.id).where(Person.id_number == text))
    if _HAS_DIGIT.search(q):
        return Certificate.cert_no.startswith(q, autoescape=True)
    return Certificate.person_id.in_(select(Person.id).where(Person.name.startswith(q, autoescape=True)))


def queue_statement(user, filters: QueueFilters):
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
    if filters.q:
        stmt = stmt.where(_search_condition(filters.q))
    if filters.after:
        stmt = stmt.where(Certificate.id > filters.after)
    return stmt.order_by(Certificate.id).limit(PAGE_SIZE + 1)


def queue_page(user, filters: QueueFilters) -> QueuePage:
    rows = [tuple(r) for r in db.session.execute(queue_statement(user, filters))]
    has_more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    ids = [c.id for c, _ in rows]
    overdue = set(db.session.scalars(select(Certificate.id).where(Certificate.id.in_(ids), overdue_condition()))) \
        if ids else set()
    return QueuePage(rows, rows[-1][0].id if has_more else None, overdue)


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
    silent, totals = [], defaultdict(int)
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
            if reported == 0:
                silent.append(org)
    silent.sort(key=lambda o: o.path)
    return Progress(node, list(rows.values()), silent, dict(totals))
