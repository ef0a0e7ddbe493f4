"""Statistics over the user's scope, read from the pre-aggregated cube (see portal.stats.cube).

Every figure comes with the arguments of the review queue that lists exactly its records, so
each number on the page and in the charts opens its own list (drill-down).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import aliased

from portal.access import can_see, scoped, visibility
from portal.domain.titles import JUNIOR_SUBLEVELS, LEVELS, levels_within
from portal.domain.workflow import REVIEW_STATUSES, STATUSES
from portal.extensions import db
from portal.models import CodeItem, Organization, StatCell, StatFlow, StatMargin, StatRegionCell
from portal.review.queue import org_subtree
from portal.stats.cube import ensure_fresh

STATS_ROLES = ("unit", "department", "county_office", "city_office", "province_office")
UNREPORTED = ("draft", "returned")
UNIT_TYPES = ("unit", "talent_center")
NO_YEAR = "未填"
WAIT_LEVELS = ("returned", *REVIEW_STATUSES)
WAIT_LABELS = {"draft": "填报人（草稿）", "returned": "填报人（退回修改）", **{s: STATUSES[s] for s in REVIEW_STATUSES}}


@dataclass
class StatsFilters:
    year_from: int | None = None
    year_to: int | None = None
    series: str = ""
    level: str = ""
    org: int | None = None

    @classmethod
    def from_args(cls, args) -> "StatsFilters":
        def year(name):
            value = args.get(name, type=int)
            return value if value and 1949 < value < 2200 else None
        level = args.get("level", "")
        return cls(year("year_from"), year("year_to"), (args.get("series") or "").strip()[:64],
                   level if level in LEVELS else "", args.get("org", type=int))

    def as_args(self) -> dict:
        values = {"year_from": self.year_from, "year_to": self.year_to, "series": self.series,
                  "level": self.level, "org": self.org}
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Row:
    key: str | int | None
    label: str
    count: int
    drill: dict  # review-queue arguments listing these records


@dataclass
class Table:
    name: str  # used in ids and the export's sheet order
    title: str
    rows: list[Row]
    chart: str  # bar | pie | line

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass
class WaitRow:
    level: str
    label: str
    now: int  # records waiting there now
    steps: int  # records that left it, counted from the trail
    average_days: float | None
    longest_days: float | None
    returned: int  # of those, sent back


@dataclass
class Statistics:
    filters: StatsFilters
    built_at: datetime
    tables: list[Table]
    waits: list[WaitRow]
    reasons: list[tuple[str, int]]
    reporting: list[tuple[date, int, int]]  # week, submitted that week, cumulative
    reported: int
    total: int
    orgs: list[Organization] = field(default_factory=list)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    @property
    def reported_share(self) -> float | None:
        return self.reported / self.total if self.total else None


def code_names(kind: str) -> dict[str, str]:
    return dict(db.session.execute(select(CodeItem.key, CodeItem.name).where(CodeItem.kind == kind)
                                   .order_by(CodeItem.sort, CodeItem.id)).all())


def filter_orgs(user, selected: int | None) -> list[Organization]:
    """The filter's choices: the user's own body and the offices and departments under it.
    Employers are many (thousands in a province); one is reached from the table of subordinate
    bodies, and stays selected once chosen."""
    stmt = scoped(Organization, user).order_by(Organization.path).where(
        Organization.type.not_in(UNIT_TYPES) | (Organization.id == selected))
    if user.org is not None:
        stmt = stmt.where(Organization.path.startswith(user.org.path, autoescape=True))
    return list(db.session.scalars(stmt))


def _where(model, user, filters: StatsFilters, level_column, series_column):
    conditions = [visibility(model, user)]
    if filters.series:
        conditions.append(series_column == filters.series)
    if filters.level:
        conditions.append(level_column.in_(levels_within(filters.level)))
    if filters.org:
        conditions.append(model.org_id.in_(org_subtree(filters.org)))
    return conditions


def _filtered(model, user, filters: StatsFilters):
    conditions = _where(model, user, filters, model.level, model.series)
    if filters.year_from:
        conditions.append(model.review_year >= filters.year_from)
    if filters.year_to:
        conditions.append(model.review_year <= filters.year_to)
    return conditions



REGION_SCOPED_ROLES = ("county_office", "city_office", "province_office")


@dataclass
class Source:
    """Where the counts come from: the full cube or an office's margins, with the scope applied."""

    model: type
    conditions: list  # rows of `model` in scope and filters
    units: type  # the table holding each unit's totals
    org_conditions: list  # its rows in scope and filters

    def count(self, dimension: str) -> dict:
        if self.model is StatMargin:
            rows = db.session.execute(select(StatMargin.value, func.sum(StatMargin.count)).where(
                *self.conditions, StatMargin.dimension == dimension).group_by(StatMargin.value)).all()
            if dimension == "review_year":
                return {int(value) if value is not None else None: number for value, number in rows}
            return dict(rows)
        column = getattr(self.model, dimension)
        return dict(db.session.execute(
            select(column, func.sum(self.model.count)).where(*self.conditions).group_by(column)).all())

    def by_branch(self, node: Organization) -> tuple[dict[int, int], int]:
        """Totals per body directly under `node` (whole branches), and `node`'s own records."""
        # Sum per unit first (one row each), then climb to the branch: the join sees units, not cells.
        units = self.units
        per_unit = (select(units.org_id.label("org_id"), func.sum(units.count).label("total"))
                    .where(*self.org_conditions).group_by(units.org_id).subquery())
        owner, child = aliased(Organization), aliased(Organization)
        branches = dict(db.session.execute(
            # A sum of sums is NUMERIC on PostgreSQL: back to an integer, not a Decimal.
            select(child.id, cast(func.sum(per_unit.c.total), Integer))
            .join(owner, owner.id == per_unit.c.org_id)
            .join(child, and_(child.parent_id == node.id, owner.path.startswith(child.path)))
            .group_by(child.id)).all())
        own = db.session.scalar(select(func.sum(units.count)).where(
            *self.org_conditions, units.org_id == node.id)) or 0
        return branches, own


def _source(user, filters: StatsFilters) -> Source:
    """An office reads tables by region, whose size does not grow with the number of employers:
    the margins without filters, the region cube with them. Departments, units and anyone
    narrowing to one organisation read the cube by unit, which their scope keeps small."""
    cells = _filtered(StatCell, user, filters)
    if user.role in REGION_SCOPED_ROLES and not filters.org:
        if not (filters.year_from or filters.year_to or filters.series or filters.level):
            scope = visibility(StatMargin, user)
            return Source(StatMargin, [scope], StatMargin, [scope, StatMargin.dimension == "org"])
        units = _unit_margins(user, filters)
        if units is not None:
            return Source(StatRegionCell, _filtered(StatRegionCell, user, filters), StatMargin, units)
        return Source(StatRegionCell, _filtered(StatRegionCell, user, filters), StatCell, cells)
    return Source(StatCell, cells, StatCell, cells)


def _unit_margins(user, filters: StatsFilters) -> list | None:
    """Conditions on the per-unit totals by one dimension when the filters narrow only that one
    (series, level or a year range), else None: summing the cube by unit for the table of
    subordinate bodies reads every cell of the area (300 000 for a province of 2 000 employers)."""
    narrowed = [name for name, used in (("series", filters.series), ("level", filters.level),
                                        ("review_year", filters.year_from or filters.year_to)) if used]
    if len(narrowed) != 1:
        return None
    dimension = narrowed[0]
    conditions = [visibility(StatMargin, user), StatMargin.dimension == f"org_{dimension}"]
    if dimension == "series":
        conditions.append(StatMargin.value == filters.series)
    elif dimension == "level":
        levels = levels_within(filters.level)
        conditions.append(StatMargin.value.in_(levels))
    else:
        # Guarded so that no other dimension's value is ever read as a number.
        year = case((StatMargin.dimension == "org_review_year", cast(StatMargin.value, Integer)))
        if filters.year_from:
            conditions.append(year >= filters.year_from)
        if filters.year_to:
            conditions.append(year <= filters.year_to)
    return conditions


def _drill(filters: StatsFilters, **narrow) -> dict:
    args = {"status": "all", **filters.as_args(), **narrow}
    return {k: v for k, v in args.items() if v not in (None, "")}


def _by_org(user, filters: StatsFilters, source: Source) -> list[Row]:
    """Counts per body directly under the chosen organisation (or the user's own), whole branches summed."""
    node = db.session.get(Organization, filters.org) if filters.org else user.org
    if node is None:
        return []
    branches, own = source.by_branch(node)
    children = {o.id: o for o in db.session.scalars(scoped(Organization, user).where(
        Organization.parent_id == node.id))}
    rows = [Row(org_id, children[org_id].name, number, _drill(filters, org=org_id))
            for org_id, number in sorted(branches.items(), key=lambda item: -item[1]) if org_id in children]
    if own:
        rows.insert(0, Row(node.id, f"{node.name}（本级）", own, _drill(filters, org=node.id)))
    return rows


def statistics(user, filters: StatsFilters) -> Statistics:
    built_at = ensure_fresh()
    if filters.org is not None and not can_see(Organization, filters.org, user):
        filters.org = None  # not the user's to pick: count the whole scope instead
    orgs = filter_orgs(user, filters.org)
    source = _source(user, filters)
    count = source.count
    series_names = code_names("title_series")
    method_names = code_names("obtain_method")

    by_status = count("status")
    status_rows = [Row(s, label, by_status.get(s, 0), _drill(filters, status=s)) for s, label in STATUSES.items()]

    by_series = count("series")
    series_rows = [Row(k, series_names.get(k, k), v, _drill(filters, series=k))
                   for k, v in sorted(by_series.items(), key=lambda item: -item[1])]

    by_level = count("level")
    level_totals = {lvl: 0 for lvl in LEVELS}
    for lvl, number in by_level.items():
        key = "初级" if lvl in JUNIOR_SUBLEVELS else lvl
        level_totals[key] = level_totals.get(key, 0) + number
    level_rows = [Row(k, k, v, _drill(filters, level=k)) for k, v in level_totals.items()]

    by_year = count("review_year")
    year_rows = [Row(y, str(y), c, _drill(filters, year=y)) for y, c in sorted(
        ((y, c) for y, c in by_year.items() if y is not None))]
    if by_year.get(None):
        year_rows.append(Row(None, NO_YEAR, by_year[None], _drill(filters)))

    by_method = count("obtain_method")
    method_rows = [Row(k, method_names.get(k, k or "未填"), v, _drill(filters, method=k))
                   for k, v in sorted(by_method.items(), key=lambda item: -item[1])]

    tables = [
        Table("status", "按状态", status_rows, "bar"),
        Table("series", "按职称系列", series_rows, "bar"),
        Table("level", "按职称级别", level_rows, "pie"),
        Table("year", "按评审年度", year_rows, "line"),
        Table("method", "按取得方式", method_rows, "pie"),
        Table("org", "按下级单位", _by_org(user, filters, source), "bar"),
    ]
    total = sum(by_status.values())
    reported = total - sum(by_status.get(s, 0) for s in UNREPORTED)
    waits, reasons, reporting = _pipeline(user, filters, by_status)
    return Statistics(filters, built_at, tables, waits, reasons, reporting, reported, total, orgs)


def _pipeline(user, filters: StatsFilters, by_status: dict):
    conditions = _where(StatFlow, user, filters, StatFlow.cert_level, StatFlow.series)
    waits = {level: [0, 0, 0, 0] for level in WAIT_LEVELS}
    for level, action, count, seconds, longest in db.session.execute(
            select(StatFlow.level, StatFlow.action, func.sum(StatFlow.count), func.sum(StatFlow.wait_seconds),
                   func.max(StatFlow.wait_max_seconds))
            .where(*conditions, StatFlow.level.in_(WAIT_LEVELS)).group_by(StatFlow.level, StatFlow.action)):
        total = waits[level]
        total[0] += count
        total[1] += seconds or 0
        total[2] = max(total[2], longest or 0)
        if action == "return":
            total[3] += count
    day = 86400
    wait_rows = [WaitRow(level, WAIT_LABELS[level], by_status.get(level, 0), steps,
                         round(seconds / steps / day, 1) if steps else None,
                         round(longest / day, 1) if steps else None, returned)
                 for level, (steps, seconds, longest, returned) in waits.items()]
    reasons = [(reason, count) for reason, count in db.session.execute(
        select(StatFlow.reason, func.sum(StatFlow.count).label("n"))
        .where(*conditions, StatFlow.action == "return").group_by(StatFlow.reason)
        .order_by(func.sum(StatFlow.count).desc(), StatFlow.reason).limit(10))]
    weekly: dict[date, int] = defaultdict(int)
    for day_, count in db.session.execute(
            select(StatFlow.day, func.sum(StatFlow.count))
            .where(*conditions, StatFlow.action == "submit").group_by(StatFlow.day)):
        weekly[day_ - timedelta(days=day_.weekday())] += count
    reporting, running = [], 0
    for week in sorted(weekly):
        running += weekly[week]
        reporting.append((week, weekly[week], running))
    return wait_rows, reasons, reporting


# --- public summary ------------------------------------------------------------------------------

def public_summary() -> tuple[list[tuple[str, dict[str, int], int]], dict[str, int], int]:
    """Approved certificates by series and level across the portal: counts only, no one named."""
    ensure_fresh()
    series_names = code_names("title_series")
    grid: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LEVELS, 0))
    for series, level, count in db.session.execute(
            select(StatCell.series, StatCell.level, func.sum(StatCell.count))
            .where(StatCell.status == "approved").group_by(StatCell.series, StatCell.level)):
        grid[series]["初级" if level in JUNIOR_SUBLEVELS else level] += count
    rows = sorted(((series_names.get(s, s), levels, sum(levels.values())) for s, levels in grid.items()),
                  key=lambda row: -row[2])
    level_totals = {lvl: sum(levels[lvl] for _, levels, _ in rows) for lvl in LEVELS}
    return rows, level_totals, sum(level_totals.values())
