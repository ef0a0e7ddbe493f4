"""The write path of a committed import: bulk inserts (COPY on PostgreSQL, executemany on
SQLite) store every value as the ORM would, inside the caller's transaction."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.pipeline import Importer
from portal.models import Certificate, Organization, Person
from tests.fixtures.workbooks import person_id, rizhao_row, rizhao_workbook, save


def _org():
    return db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))


def test_bulk_inserted_rows_read_back_as_the_orm_writes_them(app_ctx, tmp_path, demo):
    rows = [rizhao_row(1, 发证日期="20150630"), rizhao_row(2, 证件类型="护照", 证件号码="E1234 5678")]
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    report = Importer(org=_org()).run(save(rizhao_workbook(rows), tmp_path / "w.xlsx"), "xlsx", write=True)
    db.session.commit()
    assert report.rows_imported == 2
    person = db.session.scalar(select(Person).where(Person.id_number == person_id(1)))
    assert person.birth_date == date(1961, 2, 2) and person.id_tail == person_id(1)[-4:]
    created = person.created_at if person.created_at.tzinfo else person.created_at.replace(tzinfo=timezone.utc)
    assert created >= before
    cert = db.session.scalar(select(Certificate).where(Certificate.person_id == person.id))
    assert cert.issue_date == date(2015, 6, 30) and cert.status == "draft" and cert.objection_open is False
    assert cert.version == 1 and cert.org_id == _org().id
    passport = db.session.scalar(select(Person).where(Person.id_number == "E12345678"))
    assert passport.id_type == "passport" and passport.birth_date is None


def test_a_rolled_back_import_leaves_nothing(app_ctx, tmp_path, demo):
    before = db.session.scalar(select(func.count()).select_from(Certificate))
    rows = [rizhao_row(n) for n in range(1, 1500)]  # two chunks, both written in bulk
    report = Importer(org=_org()).run(save(rizhao_workbook(rows), tmp_path / "r.xlsx"), "xlsx", write=True)
    assert report.rows_imported == 1499
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == before
