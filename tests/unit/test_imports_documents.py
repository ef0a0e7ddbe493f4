"""The national template and the aggregated exports, read back the way an office would."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl
import python_calamine
from sqlalchemy import func, select

from portal.documents.xlsx_export import export_zip, national_export
from portal.documents.xlsx_template import template_bytes
from portal.excel.services import ExportSource, OrgScope, template_data
from portal.extensions import db
from portal.imports.pipeline import Importer
from portal.models import Certificate, Organization, Region, User
from tests.fixtures.workbooks import person_id


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def test_template_has_four_sheets_dropdowns_text_columns_and_comments(app_ctx):
    content = template_bytes(template_data())
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["填表说明", "信息填报", "行政区划代码", "隶属关系代码"]
    for name in ("填表说明", "行政区划代码", "隶属关系代码"):
        assert workbook[name].protection.sheet, name
    data = workbook["信息填报"]
    assert not data.protection.sheet
    headers = [c.value for c in data[1]]
    assert headers[:6] == ["行政区划代码", "姓名", "性别", "证件类型", "证件号码", "出生日期"]
    column = {h: openpyxl.utils.get_column_letter(i) for i, h in enumerate(headers, start=1)}
    for header in ("证件号码", "证书编号", "出生日期", "发证日期"):
        assert data.column_dimensions[column[header]].number_format == "@", header
    assert all(c.comment is not None and c.comment.text for c in data[1])

    sources = {str(v.sqref).split(":")[0]: v.formula1 for v in data.data_validations.dataValidation}
    assert sources[f"{column['行政区划代码']}2"] == "=LIST_REGION"
    assert sources[f"{column['职称级别']}2"] == "=LIST_LEVEL"
    region_range = workbook.defined_names["LIST_REGION"].attr_text
    assert region_range.startswith("'行政区划代码'!$A$2:$A$")

    current = db.session.scalar(select(func.count()).select_from(Region).where(
        Region.valid_to.is_(None), Region.name.not_in(("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"))))
    assert int(region_range.rsplit("$", 1)[1]) == current + 1 > 3000

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    regions = book.get_sheet_by_name("行政区划代码").to_python()
    assert ["370000000000山东省本级", "370000", "山东省", "省级"] in regions
    explanations = book.get_sheet_by_name("填表说明").to_python()
    assert any("20191119" in str(cell) for row in explanations for cell in row)


def test_template_filled_in_imports_as_the_national_layout(app_ctx, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(template_bytes(template_data())))
    sheet = workbook["信息填报"]
    pid = person_id(3, "女", birth=date(1982, 2, 3))
    sheet.append(["371100000000日照市本级", "孙丽", "女", "居民身份证", pid, "19820203", "日照市第一中学",
                  "事业单位", "大学本科毕业", "学士", "40市、地区", "日2016000300", "20160701", "一级教师",
                  "中小学教师", "否", None, None, "中级", "日照市人力资源和社会保障局", "日照市中小学教师中级评审委员会",
                  "日职改字〔2016〕12号", "日照市职称改革领导小组办公室", "评审"])
    path = tmp_path / "national.xlsx"
    workbook.save(path)
    report = Importer(org=None, today=date(2026, 11, 24)).run(path, "xlsx")
    assert report.layout == "national"
    assert report.rows_total == 1 and report.rows_valid == 1, report.issues


def _approve_all():
    db.session.execute(Certificate.__table__.update().values(status="approved"))
    db.session.commit()


def test_export_zip_four_categories_with_head_counts(app_ctx, demo):
    _approve_all()
    county = db.session.scalar(select(User).where(User.username == "county_demo"))
    source = ExportSource(county)
    buffer = io.BytesIO()
    summary = export_zip(buffer, county.org.name, source.category)
    visible = db.session.execute(select(Certificate.person_id, Certificate.level, Certificate.obtain_method)
                                 .where(Certificate.unit_region_code == "371102")).all()
    assert summary.persons == len({p for p, _, _ in visible})
    assert summary.folder == f"东港区职称改革领导小组办公室职称信息{summary.persons}人"
    with zipfile.ZipFile(buffer) as archive:
        names = archive.namelist()
        assert len(names) == 4 and all(n.startswith(summary.folder + "/") for n in names)
        titles = [n.split("/")[1] for n in names]
        assert [t.rstrip("0123456789人.xlsx") for t in titles] == ["高级评审职称", "中级评审职称", "初级评审职称", "考核认定职称"]
        senior = [n for n in names if "高级评审职称" in n][0]
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(archive.read(senior))).get_sheet_by_index(0).to_python()
    header, body = rows[0], rows[1:]
    assert header[0] == "序号" and header[5] == "证件号码"
    expected = [1 for _, level, method in visible if level in ("正高级", "副高级") and method != "assessment_recognition"]
    assert len(body) == len(expected)
    assert senior.endswith(f"高级评审职称{len({r[5] for r in body})}人.xlsx")
    assert {r[19] for r in body} <= {"正高级", "副高级"}
    issue_dates = [r[13] for r in body]
    assert [d[:4] for d in issue_dates] == sorted(d[:4] for d in issue_dates)
    assert all(isinstance(r[5], str) and len(r[5]) == 18 for r in body)


def test_export_only_approved_and_only_within_scope(app_ctx, demo):
    unit_org = _org("JX-NJZ")
    source = ExportSource(OrgScope.of(unit_org))
    rows = [row for key in ("senior", "intermediate", "junior", "assessment") for row in source.category(key)]
    approved = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.org_id == unit_org.id, Certificate.status == "approved"))
    assert len(rows) == approved == source.count()


def test_national_export_round_trips_through_the_importer(app_ctx, demo, tmp_path):
    _approve_all()
    city = _org("RZ-ZGB")
    source = ExportSource(OrgScope.of(city))
    path = tmp_path / "national.xlsx"
    national_export(path, template_data(), source.national())
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["填表说明", "信息填报", "行政区划代码", "隶属关系代码"]
    assert workbook["信息填报"].data_validations.dataValidation
    report = Importer(org=None).run(path, "xlsx")
    assert report.layout == "national" and report.rows_total == source.count()
    # Everything is already registered and approved: a second report is refused, not duplicated.
    assert {i["code"] for i in report.issues} == {"cert_exists"}
