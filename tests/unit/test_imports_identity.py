"""The importer obeys the form's identity rules: other units' persons, locked names, corrections,
no duplicates from two imports at once."""
import os
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.pipeline import Importer
from portal.models import Certificate, CertificateCorrection, Organization, Person, User
from tests.fixtures.workbooks import person_id, rizhao_row, rizhao_workbook, save


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def _holder(org, status):
    """A person of `org` with a certificate in `status`, and that certificate."""
    return db.session.execute(select(Person, Certificate).join(Certificate, Certificate.person_id == Person.id)
                              .where(Person.org_id == org.id, Certificate.status == status,
                                     Person.id_type == "resident_id").limit(1)).one()


def _row_of(person: Person, n: int, **changes):
    return rizhao_row(n, **({"证件号码": person.id_number, "姓名": person.name, "性别": person.sex} | changes))


def _codes(report):
    return {(issue["code"], issue["severity"]) for issue in report.issues}


def test_a_row_renaming_a_person_whose_certificate_is_approved_is_refused(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    person, _ = _holder(org, "approved")
    row = _row_of(person, 1, 姓名="改名字", 证书编号="新证2020000001")
    report = Importer(org=org).run(save(rizhao_workbook([row]), tmp_path / "r.xlsx"), "xlsx", write=True)
    db.session.commit()
    assert ("identity_locked", "error") in _codes(report) and report.rows_imported == 0
    assert db.session.get(Person, person.id).name == person.name


def test_a_person_of_another_unit_is_an_error_that_does_not_tell_a_right_name_from_a_wrong_one(
        app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    foreign = db.session.scalar(select(Person).where(Person.org_id != org.id, Person.id_type == "resident_id")
                                .limit(1))
    before = db.session.scalar(select(func.count()).select_from(Certificate).where(Certificate.person_id == foreign.id))
    errors = []
    for n, name in ((1, foreign.name), (2, "错名字")):
        row = _row_of(foreign, n, 证书编号=f"外单位202000000{n}", 姓名=name)
        report = Importer(org=org).run(save(rizhao_workbook([row]), tmp_path / f"f{n}.xlsx"), "xlsx", write=True)
        db.session.commit()
        errors.append([(i["code"], i["message"]) for i in report.issues if i["severity"] == "error"])
    assert errors[0] == errors[1]  # the same words for the right and the wrong name
    assert [code for code, _ in errors[0]] == ["person_other_unit"] and "该人员不属于本单位" in errors[0][0][1]
    assert foreign.name not in errors[0][0][1]
    assert db.session.scalar(select(func.count()).select_from(Certificate)
                             .where(Certificate.person_id == foreign.id)) == before


def test_a_change_to_a_once_published_certificate_is_recorded_as_a_correction(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    person, cert = _holder(org, "draft")
    # Published once, then sent back for a fix: the public has seen it.
    cert.status, cert.approved_at, cert.verify_token = "returned", cert.created_at, "t" * 43
    cert.cert_no = "鲁更正2019000001"
    db.session.commit()
    earlier = db.session.scalar(select(func.max(CertificateCorrection.id))) or 0
    row = _row_of(person, 1, 证书编号=cert.cert_no, 职称系列="卫生技术人员", 职称级别=cert.level,
                  职称名称=cert.title_name, 发证机构="日照市人力资源和社会保障局（更正）")
    report = Importer(org=org).run(save(rizhao_workbook([row]), tmp_path / "c.xlsx"), "xlsx", write=True)
    db.session.commit()
    assert report.counts["certificates_updated"] == 1, report.issues
    fields = db.session.scalars(select(CertificateCorrection.fields).where(
        CertificateCorrection.certificate_id == cert.id, CertificateCorrection.id > earlier)).all()
    [changed] = [f.split(",") for f in fields]
    assert "issuing_authority" in changed and "cert_no" not in changed and "title_name" not in changed


def test_renaming_a_person_with_a_published_certificate_records_a_correction(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    person, cert = _holder(org, "draft")
    cert.status, cert.verify_token = "returned", "u" * 43
    db.session.execute(Certificate.__table__.update().where(
        Certificate.person_id == person.id, Certificate.id != cert.id).values(status="draft"))
    db.session.commit()
    row = _row_of(person, 1, 姓名="新名字", 证书编号="改名2020000001", 发证日期="20200101")
    report = Importer(org=org).run(save(rizhao_workbook([row]), tmp_path / "n.xlsx"), "xlsx", write=True)
    db.session.commit()
    assert ("person_name_changed", "warning") in _codes(report)
    assert db.session.get(Person, person.id).name == "新名字"
    assert db.session.scalar(select(CertificateCorrection.fields)
                             .where(CertificateCorrection.certificate_id == cert.id)) == "person.name"


def test_existence_checks_of_an_import_count_against_the_account_s_limit(app, app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    account = db.session.scalar(select(User).where(User.username == "unit_demo"))
    foreign = db.session.scalars(select(Person).where(Person.org_id != org.id, Person.id_type == "resident_id")
                                 .limit(3)).all()
    app.config["IDENTITY_LOOKUP_LIMIT"] = "2 per hour"
    try:
        rows = [_row_of(p, n, 证书编号=f"外单位20200000{n}") for n, p in enumerate(foreign, start=1)]
        path = save(rizhao_workbook(rows), tmp_path / "l.xlsx")
        first = Importer(org=org, account_id=account.id).run(path, "xlsx")
        assert {i["code"] for i in first.issues if i["severity"] == "error"} == {"lookup_limit"}
        single = save(rizhao_workbook(rows[:1]), tmp_path / "one.xlsx")
        assert {i["code"] for i in Importer(org=org, account_id=account.id).run(single, "xlsx").issues
                if i["severity"] == "error"} == {"person_other_unit"}
    finally:
        app.config["IDENTITY_LOOKUP_LIMIT"] = "600 per hour;3000 per day"


@pytest.mark.postgres_only
@pytest.mark.skipif(os.environ.get("TEST_DATABASE") != "postgres", reason="needs PostgreSQL row locking")
def test_two_imports_of_the_same_rows_at_once_create_no_duplicates(app, tmp_path, demo):
    with app.app_context():
        org_id = _org("DG-RMYY").id
    rows = [rizhao_row(n, 证件号码=person_id(n, birth=date(1961, 1, 1 + n % 28)), 证书编号=f"并发{n:08d}")
            for n in range(1, 61)]
    path = save(rizhao_workbook(rows), tmp_path / "same.xlsx")
    barrier = threading.Barrier(2)
    outcomes = []

    def commit():
        with app.app_context():
            try:
                org = db.session.get(Organization, org_id)
                barrier.wait()
                report = Importer(org=org).run(path, "xlsx", write=True)
                db.session.commit()
                outcomes.append(report.counts)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 2
    with app.app_context():
        numbers = [f"并发{n:08d}" for n in range(1, 61)]
        assert db.session.scalar(select(func.count()).select_from(Certificate)
                                 .where(Certificate.cert_no.in_(numbers))) == 60
    assert sorted(o["certificates_inserted"] for o in outcomes) == [0, 60]
    assert sorted(o["certificates_updated"] for o in outcomes) == [0, 60]
