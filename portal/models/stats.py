"""Pre-aggregated statistics: counts of certificates and of review steps, rebuilt when data change.

A province sees a million certificates; grouping them six ways on every page view would not
answer in time. The cube holds one row per distinct combination of the dimensions the
statistics page groups and filters by, plus the scope columns `portal.access` filters on, so the
page reads thousands of rows instead of millions.
"""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class StatCell(db.Model):
    """How many certificates share one combination of status, series, level, year, method and unit."""

    __tablename__ = "stat_cells"
    __table_args__ = (Index("ix_stat_cells_region", "unit_region_code"),)
    __scope__ = {"org": "org_id", "region": "unit_region_code", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_region_code: Mapped[str | None] = mapped_column(String(6))
    committee_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24))
    series: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    review_year: Mapped[int | None] = mapped_column(Integer)
    obtain_method: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)


class StatRegionCell(db.Model):
    """The cube without the unit: what an office's filtered page groups, one row per region and
    combination instead of per employer and combination (a fraction of the rows)."""

    __tablename__ = "stat_region_cells"
    __table_args__ = (Index("ix_stat_region_cells_region", "unit_region_code"),)
    __scope__ = {"region": "unit_region_code"}

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_region_code: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(24))
    series: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    review_year: Mapped[int | None] = mapped_column(Integer)
    obtain_method: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)


class StatMargin(db.Model):
    """One-dimensional totals for offices looking at their whole area without filters.

    The full cube keeps a row per unit and combination, so a province of many employers holds
    hundreds of thousands of cells; an office's unfiltered page only needs each dimension's
    totals per region, a few thousand rows. Dimension "org" holds one row per unit (its total),
    for the breakdown by subordinate body; "org_series", "org_level" and "org_review_year" one
    per unit and value, for that breakdown on a page narrowed by one of them.
    """

    __tablename__ = "stat_margins"
    __table_args__ = (Index("ix_stat_margins_dimension_region", "dimension", "unit_region_code"),)
    __scope__ = {"org": "org_id", "region": "unit_region_code", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(Integer)  # only in the "org…" dimensions
    unit_region_code: Mapped[str | None] = mapped_column(String(6))
    committee_id: Mapped[int | None] = mapped_column(Integer)  # only in the "org…" dimensions
    count: Mapped[int] = mapped_column(Integer)


class StatFlow(db.Model):
    """Review steps of one kind on one day for one unit's records: the pipeline over time.

    `level` is the status the record left (where it waited); `wait_seconds` sums how long the
    records had waited there since their previous step. Returns keep their reason.
    """

    __tablename__ = "stat_flows"
    __table_args__ = (Index("ix_stat_flows_region", "unit_region_code"),)
    __scope__ = {"org": "org_id", "region": "unit_region_code", "committee": "committee_id"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(Integer, index=True)
    unit_region_code: Mapped[str | None] = mapped_column(String(6))
    committee_id: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)  # China date of the step
    action: Mapped[str] = mapped_column(String(32))  # submit | approve | return
    level: Mapped[str | None] = mapped_column(String(24))
    series: Mapped[str] = mapped_column(String(64))
    cert_level: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)
    wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    wait_max_seconds: Mapped[int] = mapped_column(Integer, default=0)


class StatState(db.Model):
    """Which state of the data the cube was built from (one row)."""

    __tablename__ = "stat_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
