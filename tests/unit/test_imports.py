"""The importer: layouts recognised by their header, every row checked, nothing written twice."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.domain.scope import ScopeRules
from portal.extensions import db
from portal.imports.pipeline import Importer
from portal.imports.reader import WorkbookError
from portal.models import Certificate, Organization, Person
from tests.fixtures.workbooks import (
    RIZHAO_HEADERS, SHAANXI_HEADERS, first_data_row, person_id, rizhao_row, rizhao_workbook, save,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def _check(path, kind="xlsx", org=None, **kwargs):
    return Importer(org=org, today=date(2026, 11, 24), **kwargs).run(path, kind)


def _codes(report):
    return [(i["row"], i["column"], i["code"]) for i in report.issues]


def test_rizhao_layout_skips_titles_numbers_example_and_notes(app_ctx, tmp_path):
    path = save(rizhao_workbook([rizhao_row(1), rizhao_row(2, 姓名="李秀英", 性别="女",
                                                            证件号码=person_id(2, "女"))]), tmp_path / "r.xlsx")
    report = _check(path)
    assert report.layout == "rizhao12"
    assert report.rows_total == 2 and report.rows_valid == 2
    assert [i["code"] for i in report.issues] == ["example_row"] and report.example_rows == 1


def test_problems_carry_the_excel_row_number_and_the_header_text(app_ctx, tmp_path):
    rows = [rizhao_row(1), rizhao_row(2, 姓名="赵 强"), rizhao_row(3, 职称级别="高级")]
    report = _check(save(rizhao_workbook(rows), tmp_path / "r.xlsx"))
    first = first_data_row()
    assert (first + 1, "姓名", "name_inner_space") in _codes(report)
    assert (first + 2, "职称级别", "level_ambiguous") in _codes(report)
    assert report.rows_valid == 1


def test_legacy_xls_file_is_read(app_ctx):
    report = _check(FIXTURES / "rizhao_sample.xls", kind="xls")
    assert report.layout == "rizhao12"
    assert report.rows_total == 3 and report.rows_valid == 2
    # Row 5 is the template's sample row; row 8 writes its date with dots: read, and said back in
    # the template's YYYYMMDD form.
    assert {(r, c) for r, c, _ in _codes(report)} == {(5, "证件号码"), (8, "发证日期"), (9, "证件号码"), (9, "姓名")}


def test_numeric_id_cell_is_an_error_asking_for_text_format(app_ctx, tmp_path):
    number = int(person_id(1))
    rows = [rizhao_row(1, 证件号码=number), rizhao_row(2, 证书编号=12345)]
    report = _check(save(rizhao_workbook(rows, text_format=False), tmp_path / "n.xlsx"))
    by_code = {i["code"]: i for i in report.issues}
    assert by_code["id_excel_number"]["column"] == "证件号码"
    assert "文本" in by_code["id_excel_number"]["message"]
    assert by_code["cert_no_excel_number"]["column"] == "证书编号"
    assert report.rows_valid == 0


def test_date_cells_and_serials_are_read_as_dates(app_ctx, tmp_path):
    rows = [rizhao_row(1, 发证日期=date(2015, 6, 30)), rizhao_row(2, 发证日期=42185), rizhao_row(3, 发证日期="2015.6.30")]
    importer = Importer(org=None, today=date(2026, 11, 24))
    report = importer.run(save(rizhao_workbook(rows), tmp_path / "d.xlsx"), "xlsx")
    assert report.rows_valid == 3, report.issues


def test_cross_field_checks(app_ctx, tmp_path):
    male_1980 = person_id(5, "男", birth=date(1980, 5, 6))
    rows = [
        rizhao_row(5, 证件号码=male_1980, 性别="女"),
        rizhao_row(6, 证件号码=person_id(6, birth=date(1990, 1, 1)), 发证日期="19891231"),
        rizhao_row(7, 发证日期="20991231"),
    ]
    report = _check(save(rizhao_workbook(rows), tmp_path / "x.xlsx"))
    codes = {code for _, _, code in _codes(report)}
    assert {"sex_mismatch", "date_before_birth", "date_future"} <= codes
    assert report.rows_valid == 0


def test_shaanxi_layout_with_approval_number_line(app_ctx, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["陕西省专业技术职称资格证书上报信息表（汇总）"])
    sheet.append(["批准文号：陕职改字（2016）10号"])
    sheet.append(SHAANXI_HEADERS)
    sheet.append([None, None, "字与字之间不能有空格", None, None, "必须为二代身份证", None, None, None, None, None,
                  "yyyy-mm-dd", None, None, "yyyy-mm-dd"])
    pid = person_id(9, "女", region="610102", birth=date(1979, 3, 4))
    sheet.append([1, "西安市第一医院", "刘芳", "女", "居民身份证", pid, "1979-03-04", "副高级", "卫生技术人员",
                  "内科", "副主任医师", "2016-09-01", "陕2016000099", "已发证", "2016-10-08",
                  "陕西省人力资源和社会保障厅", "陕西省卫生高级评审委员会", "13800000000"])
    sheet.append([2])  # a pre-numbered empty line
    org = _org_or_make("SX-UNIT", "610102")
    path = save(workbook, tmp_path / "s.xlsx")
    importer = Importer(org=org, today=date(2026, 11, 24))
    report = importer.run(path, "xlsx", write=True)
    assert report.layout == "shaanxi18"
    assert report.rows_total == 1 and report.rows_imported == 1, report.issues
    cert = db.session.scalar(select(Certificate).where(Certificate.cert_no == "陕2016000099"))
    assert cert.approval_doc_no == "陕职改字(2016)10号"  # full-width brackets made half-width
    assert cert.grant_date == date(2016, 9, 1) and cert.issue_date == date(2016, 10, 8)
    assert cert.series == "health_technician" and cert.review_specialty == "内科"
    db.session.rollback()


def _org_or_make(code, region):
    org = _org(code)
    if org is None:
        org = Organization(code=code, name="测试单位" + code, type="unit", region_code=region, path="/")
        db.session.add(org)
        db.session.flush()
    return org


def test_unknown_layout_lists_the_expected_columns(app_ctx, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["编号", "人员", "身份证件", "备注"])
    with pytest.raises(WorkbookError) as caught:
        _check(save(workbook, tmp_path / "u.xlsx"))
    assert caught.value.code == "layout_unknown"
    assert "证件号码" in caught.value.message and "全国上报数据模板" in caught.value.message


def test_partial_layout_names_the_missing_columns(app_ctx, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([h for h in RIZHAO_HEADERS if h not in ("职称级别", "发证日期")])
    with pytest.raises(WorkbookError) as caught:
        _check(save(workbook, tmp_path / "p.xlsx"))
    assert "缺少以下列：职称级别、发证日期" in caught.value.message


def test_duplicates_within_the_file(app_ctx, tmp_path):
    rows = [rizhao_row(1), rizhao_row(1), rizhao_row(1, 姓名="王力", 证书编号="日2016000001"),
            rizhao_row(2, 证书编号=rizhao_row(1)[1])]
    report = _check(save(rizhao_workbook(rows), tmp_path / "dup.xlsx"))
    first = first_data_row()
    codes = _codes(report)
    assert (first + 1, "证书编号", "duplicate_row") in codes
    assert (first + 2, "姓名", "person_name_conflict") in codes
    assert (first + 3, "证书编号", "cert_no_repeated") in codes
    assert report.rows_valid == 1


def test_commit_upserts_and_reimport_creates_no_duplicates(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    rows = [rizhao_row(1), rizhao_row(1, 证书编号="日2019000001", 职称级别="副高级", 职称名称="高级工程师",
                                        发证日期="20190101"), rizhao_row(2, 证书编号=None)]
    path = save(rizhao_workbook(rows), tmp_path / "c.xlsx")
    before = db.session.scalar(select(func.count()).select_from(Certificate))
    report = Importer(org=org).run(path, "xlsx", write=True)
    db.session.commit()
    assert report.rows_imported == 3
    assert report.counts["persons_inserted"] == 2 and report.counts["certificates_inserted"] == 3
    person = db.session.scalar(select(Person).where(Person.id_number == person_id(1)))
    assert person.org_id == org.id and person.unit_region_code == org.region_code
    assert person.birth_date is not None and person.id_tail == person_id(1)[-4:]
    statuses = set(db.session.scalars(select(Certificate.status).where(Certificate.person_id == person.id)))
    assert statuses == {"draft"}

    again = Importer(org=org).run(path, "xlsx", write=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == before + 3
    assert again.counts["certificates_updated"] == 3 and again.counts["certificates_inserted"] == 0
    assert {i["code"] for i in again.issues} == {"example_row", "cert_will_update", "cert_no_missing"}


def test_approved_certificate_is_not_overwritten(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    path = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "a.xlsx")
    Importer(org=org).run(path, "xlsx", write=True)
    db.session.execute(Certificate.__table__.update().values(status="approved")
                       .where(Certificate.cert_no == rizhao_row(1)[1]))
    db.session.commit()
    report = Importer(org=org).run(path, "xlsx", write=True)
    assert [i["code"] for i in report.issues] == ["example_row", "cert_exists"]
    assert report.rows_imported == 0
    db.session.rollback()


def test_all_or_nothing_writes_nothing_when_a_row_fails(app_ctx, tmp_path, demo):
    org = _org("DG-RMYY")
    rows = [rizhao_row(n) for n in range(1, 2500)] + [rizhao_row(3000, 姓名="赵 强")]
    path = save(rizhao_workbook(rows), tmp_path / "all.xlsx")
    before = db.session.scalar(select(func.count()).select_from(Person))
    report = Importer(org=org).run(path, "xlsx", write=True, mode="all")
    db.session.rollback()
    assert report.errors == 1 and report.rows_imported == 0
    assert db.session.scalar(select(func.count()).select_from(Person)) == before


def test_import_by_an_office_waits_in_its_own_review_queue(app_ctx, tmp_path, demo):
    county = _org("DG-ZGB")
    report = Importer(org=county).run(save(rizhao_workbook([rizhao_row(1)]), tmp_path / "o.xlsx"), "xlsx", write=True)
    assert report.rows_imported == 1
    assert db.session.scalar(select(Certificate.status).where(Certificate.cert_no == rizhao_row(1)[1])) == "county_review"
    db.session.rollback()


def test_campaign_window_is_applied(app_ctx, tmp_path):
    rules = ScopeRules(window_start=date(2010, 1, 1), window_end=date(2014, 12, 31))
    report = _check(save(rizhao_workbook([rizhao_row(1)]), tmp_path / "w.xlsx"), rules=rules)
    assert [i["code"] for i in report.issues] == ["example_row", "scope_after_window"]
    assert report.issues[-1]["column"] == "发证日期"


def test_row_cap_is_stated(app_ctx, tmp_path):
    path = save(rizhao_workbook([rizhao_row(n) for n in range(1, 12)]), tmp_path / "cap.xlsx")
    with pytest.raises(WorkbookError) as caught:
        _check(path, max_rows=5)
    assert "5行" in caught.value.message
