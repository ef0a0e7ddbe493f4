"""Loading the reference data shipped in portal/data/ (regions, code tables; idempotent), and
reading it into the context the record rules look values up in."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.domain.records import CODED_KINDS, CodeBook, RecordContext, squeeze
from portal.domain.scope import ScopeRules
from portal.extensions import db
from portal.models import CodeItem, Region

DATA_DIR = Path(__file__).resolve().parent / "data"
LEVEL_ORDER = {"province": 0, "prefecture": 1, "county": 2}


def _rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _int_or_none(text: str) -> int | None:
    return int(text) if text and text.strip() else None


def _sync(model, key_of, wanted: list[dict]) -> tuple[int, int]:
    """Insert missing rows and update changed ones; rows edited away by nobody stay as they are."""
    existing = {key_of(row): row for row in db.session.scalars(select(model))}
    inserted = updated = 0
    new_rows = []
    for values in wanted:
        row = existing.get(key_of(values))
        if row is None:
            new_rows.append(values)
            inserted += 1
            continue
        changed = False
        for field, value in values.items():
            if getattr(row, field) != value:
                setattr(row, field, value)
                changed = True
        updated += changed
    if new_rows:
        db.session.execute(model.__table__.insert(), new_rows)
    return inserted, updated


def load_regions() -> tuple[int, int]:
    rows = sorted(_rows("regions.csv"), key=lambda r: (LEVEL_ORDER[r["level"]], r["code"]))
    wanted = [
        {
            "code": r["code"],
            "name": r["name"],
            "level": r["level"],
            "parent_code": r["parent_code"] or None,
            "valid_from": _int_or_none(r["valid_from"]),
            "valid_to": _int_or_none(r["valid_to"]),
            "note": r["note"] or None,
        }
        for r in rows
    ]
    return _sync(Region, lambda r: r["code"] if isinstance(r, dict) else r.code, wanted)


def load_code_tables() -> tuple[int, int]:
    """Code tables are seeded once per entry: an administrator's later edit is not overwritten."""
    existing = {(kind, key) for kind, key in db.session.execute(select(CodeItem.kind, CodeItem.key))}
    new_rows = []
    for sort, r in enumerate(_rows("code_tables.csv")):
        if (r["kind"], r["key"]) in existing:
            continue
        new_rows.append({
            "kind": r["kind"],
            "key": r["key"],
            "official_code": r["official_code"] or None,
            "name": r["name"],
            "former_names": r["former_names"] or None,
            "level": r["level"] or None,
            "series": r["series"] or None,
            "note": r["note"] or None,
            "active": True,
            "sort": sort,
        })
        existing.add((r["kind"], r["key"]))
    if new_rows:
        db.session.execute(CodeItem.__table__.insert(), new_rows)
    return len(new_rows), 0


def seed() -> dict:
    regions = load_regions()
    codes = load_code_tables()
    db.session.commit()
    return {"regions": regions, "codes": codes}


def record_context(*, today: date, scope: ScopeRules | None = None, region_known=None, **settings) -> RecordContext:
    """The code tables, title names and region codes the record rules look values up in, read
    once (a whole import run uses one); `settings` are a door's or layout's RecordContext options.
    A caller checking one record passes `region_known` to look codes up one at a time instead."""
    books = {kind: CodeBook(kind) for kind in CODED_KINDS}
    series, title_levels = [], {}
    for item in db.session.scalars(select(CodeItem).where(CodeItem.active.is_(True))
                                   .order_by(CodeItem.sort, CodeItem.id)):
        former = item.former_name_list
        if item.kind in books:
            books[item.kind].add(item.key, item.name, former, item.official_code)
        elif item.kind == "title_series":
            series.append((item.key, item.official_code, item.name, former))
        elif item.kind == "title_name" and item.series and item.level:
            for name in (item.name, *former):
                title_levels.setdefault((item.series, squeeze(name)), set()).add(item.level)
    if region_known is None:
        region_known = frozenset(db.session.scalars(select(Region.code))).__contains__
    return RecordContext(books, series, title_levels, region_known, today, scope or ScopeRules(), **settings)


def codes(kind: str) -> list[CodeItem]:
    """The active entries of one code table, in their order."""
    return list(db.session.scalars(select(CodeItem).where(CodeItem.kind == kind, CodeItem.active)
                                   .order_by(CodeItem.sort, CodeItem.id)))


def code_names(kind: str) -> dict[str, str]:
    return {c.key: c.name for c in codes(kind)}
