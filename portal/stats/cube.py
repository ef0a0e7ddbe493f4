"""Keeping the statistics cube in step with the data.

Three tables of certificate counts, from fine to coarse: `StatCell` per unit and combination of
dimensions (for departments, units and any narrowing to an organisation), `StatRegionCell` per
region and combination (an office's filtered page), `StatMargin` per region and single dimension
(an office's unfiltered page), plus per unit its total and its totals by series, level and year
(the table of subordinate bodies on an office's page narrowed by one of those). They are built in
the database with INSERT … SELECT … GROUP BY whenever the newest certificate id or change time
moves; each is a single index probe, as is the newest trail entry, so an unchanged database costs
three lookups per page. After a change only the units whose certificates changed since the last
build (found through the index on `updated_at`) and the regions they are in are redone.
The trail is append-only, so review steps are added to `StatFlow` incrementally: only entries
newer than the last one counted are read. Certificates are never deleted (they are revoked),
which is why id and change time suffice.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import String, cast, delete, false, func, insert, literal, or_, select, true
from sqlalchemy.exc import IntegrityError

from portal.clock import CHINA
from portal.extensions import db
from portal.models import AuditEntry, Certificate, StatCell, StatFlow, StatMargin, StatRegionCell, StatState
from portal.models._types import utcnow

FLOW_ACTIONS = ("submit", "approve", "return")
_CELL_COLUMNS = ("org_id", "unit_region_code", "committee_id", "status", "series", "level", "review_year",
                 "obtain_method")
REASON_MAX = 200
MARGIN_DIMENSIONS = ("status", "series", "level", "review_year", "obtain_method")
_REGION_COLUMNS = ("unit_region_code", *MARGIN_DIMENSIONS)


# Part of the fingerprint: a build by an older recipe (other tables or rows) is rebuilt whole.
CUBE_VERSION = "v2"
# The unit totals the office pages narrow with one filter: one row per unit and value.
ORG_DIMENSIONS = {"org": None, "org_series": "series", "org_level": "level", "org_review_year": "review_year"}
# Changes are looked for from this long before the newest change last counted, so that a
# transaction that committed after a build, with a change time before it, is still counted.
REVISIT = timedelta(minutes=5)
# Beyond this many changed units a whole rebuild is as cheap as redoing them one by one.
PARTIAL_UNITS_MAX = 500


def _fingerprint() -> tuple[str, int]:
    last_id = db.session.scalar(select(func.max(Certificate.id))) or 0
    last_change = db.session.scalar(select(func.max(Certificate.updated_at)))
    last_step = db.session.scalar(select(func.max(AuditEntry.id))) or 0
    stamp = _aware(last_change).isoformat() if last_change else "-"
    return f"{CUBE_VERSION}|{last_id}|{stamp}", last_step


def _state(lock: bool) -> StatState | None:
    stmt = select(StatState).where(StatState.id == 1)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt.execution_options(populate_existing=True))


def ensure_fresh(max_age: float | None = None) -> datetime:
    """Bring the cube up to date if the data moved; return when it was last built.

    With `max_age` (seconds; default the STATS_MAX_AGE_SECONDS setting) a cube built that
    recently is served even if the data moved since, so that on a busy day page views do not
    each pay for a rebuild; the page shows the time its figures are from.
    """
    if max_age is None:
        max_age = float(current_app.config.get("STATS_MAX_AGE_SECONDS", 0))
    cells_mark, steps_mark = _fingerprint()
    wanted = f"{cells_mark}|{steps_mark}"
    state = _state(lock=False)
    if state is not None and state.fingerprint:
        if state.fingerprint == wanted or (utcnow() - _aware(state.built_at)).total_seconds() < max_age:
            return state.built_at
    if state is None:
        try:
            db.session.add(StatState(id=1, fingerprint="", built_at=utcnow()))
            db.session.commit()
        except IntegrityError:  # another request created it first
            db.session.rollback()
    # One builder at a time; whoever waited finds the work done.
    state = _state(lock=True)
    if state.fingerprint != wanted:
        old_cells, _, old_steps = state.fingerprint.rpartition("|")
        if old_cells != cells_mark:
            _update_cells(old_cells)
        _add_flows(int(old_steps) if old_steps.isdigit() else 0, steps_mark)
        state.fingerprint = wanted
        state.built_at = utcnow()
    db.session.commit()
    return state.built_at


def _update_cells(old_mark: str) -> None:
    """Redo the cells of the units whose certificates changed since the build marked `old_mark`,
    or all of them when that build is of another recipe, too many units changed, or the counts
    then disagree with the table (a certificate moved to another unit leaves its old unit's cells
    counting it: only a whole rebuild finds the unit it left)."""
    version, _, rest = old_mark.partition("|")
    last_id, _, stamp = rest.partition("|")
    if version != CUBE_VERSION or not last_id.isdigit() or stamp in ("", "-"):
        _rebuild_cells(None)
        return
    since = datetime.fromisoformat(stamp) - REVISIT
    changed = set(db.session.scalars(select(Certificate.org_id).where(
        (Certificate.id > int(last_id)) | (Certificate.updated_at >= since)).distinct()
        .limit(PARTIAL_UNITS_MAX + 1)))
    if len(changed) > PARTIAL_UNITS_MAX:
        _rebuild_cells(None)
        return
    _rebuild_cells(changed)
    counted = db.session.scalar(select(func.sum(StatCell.count))) or 0
    if counted != db.session.scalar(select(func.count()).select_from(Certificate)):
        _rebuild_cells(None)


def _among(column, values: set | None):
    """`column` is one of `values` (None among them matches NULL); everything when `values` is None."""
    if values is None:
        return true()
    known = [value for value in values if value is not None]
    condition = column.in_(known) if known else false()
    return or_(condition, column.is_(None)) if None in values else condition


def _rebuild_cells(units: set | None) -> None:
    """Rebuild the cells of `units` (org ids) and of the regions they are in; all cells if None."""
    regions = None
    if units is not None:
        regions = set(db.session.scalars(select(StatCell.unit_region_code).where(
            _among(StatCell.org_id, units)).distinct()))
    db.session.execute(delete(StatCell).where(_among(StatCell.org_id, units)))
    columns = [getattr(Certificate, name) for name in _CELL_COLUMNS]
    db.session.execute(insert(StatCell).from_select(
        [*_CELL_COLUMNS, "count"],
        select(*columns, func.count()).where(_among(Certificate.org_id, units)).group_by(*columns)))
    if units is not None:
        regions |= set(db.session.scalars(select(StatCell.unit_region_code).where(
            _among(StatCell.org_id, units)).distinct()))
    # The coarser tables are summed from the cube just built, not from the certificates again.
    db.session.execute(delete(StatRegionCell).where(_among(StatRegionCell.unit_region_code, regions)))
    region_columns = [getattr(StatCell, name) for name in _REGION_COLUMNS]
    db.session.execute(insert(StatRegionCell).from_select(
        [*_REGION_COLUMNS, "count"],
        select(*region_columns, func.sum(StatCell.count)).where(_among(StatCell.unit_region_code, regions))
        .group_by(*region_columns)))
    db.session.execute(delete(StatMargin).where(StatMargin.dimension.in_(MARGIN_DIMENSIONS),
                                                _among(StatMargin.unit_region_code, regions)))
    for dimension in MARGIN_DIMENSIONS:
        value = cast(getattr(StatRegionCell, dimension), String)
        db.session.execute(insert(StatMargin).from_select(
            ["dimension", "value", "unit_region_code", "count"],
            select(literal(dimension), value, StatRegionCell.unit_region_code, func.sum(StatRegionCell.count))
            .where(_among(StatRegionCell.unit_region_code, regions))
            .group_by(value, StatRegionCell.unit_region_code)))
    db.session.execute(delete(StatMargin).where(StatMargin.dimension.in_(ORG_DIMENSIONS),
                                                _among(StatMargin.org_id, units)))
    for dimension, source in ORG_DIMENSIONS.items():
        value = cast(getattr(StatCell, source), String) if source else literal(None, String)
        db.session.execute(insert(StatMargin).from_select(
            ["dimension", "value", "org_id", "unit_region_code", "committee_id", "count"],
            select(literal(dimension), value, StatCell.org_id, StatCell.unit_region_code, StatCell.committee_id,
                   func.sum(StatCell.count))
            .where(_among(StatCell.org_id, units))
            .group_by(value, StatCell.org_id, StatCell.unit_region_code, StatCell.committee_id)))


def _china_day(moment: datetime):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA).date()


def _add_flows(after_id: int, up_to: int) -> None:
    """Count review steps with after_id < id <= up_to, each with the wait since the record's previous step."""
    if up_to <= after_id:
        return
    earlier = AuditEntry.__table__.alias("earlier")
    previous_at = (select(earlier.c.at).where(
        earlier.c.object_type == "certificate", earlier.c.object_id == AuditEntry.object_id,
        earlier.c.id < AuditEntry.id, earlier.c.action.in_(FLOW_ACTIONS))
        .order_by(earlier.c.id.desc()).limit(1).scalar_subquery())
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.at, AuditEntry.reason, AuditEntry.diff, previous_at,
               Certificate.org_id, Certificate.unit_region_code, Certificate.committee_id,
               Certificate.series, Certificate.level)
        .join(Certificate, Certificate.id == AuditEntry.object_id)
        .where(AuditEntry.id > after_id, AuditEntry.id <= up_to, AuditEntry.object_type == "certificate",
               AuditEntry.action.in_(FLOW_ACTIONS)))
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for action, at, reason, diff, before_at, org_id, region, committee_id, series, level in rows:
        left = ((diff or {}).get("status") or [None])[0]
        wait = int((_aware(at) - _aware(before_at)).total_seconds()) if before_at is not None else 0
        key = (org_id, region, committee_id, _china_day(at), action, left, series, level,
               (reason or "")[:REASON_MAX] if action == "return" else None)
        total = totals[key]
        total[0] += 1
        total[1] += max(wait, 0)
        total[2] = max(total[2], wait)
    db.session.add_all(StatFlow(
        org_id=k[0], unit_region_code=k[1], committee_id=k[2], day=k[3], action=k[4], level=k[5], series=k[6],
        cert_level=k[7], reason=k[8], count=v[0], wait_seconds=v[1], wait_max_seconds=v[2])
        for k, v in totals.items())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
