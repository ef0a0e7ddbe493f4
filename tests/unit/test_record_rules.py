"""One rule set: the same record gives the same verdict through the entry form and the importer."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.domain import records
from portal.domain.idnumber import build_resident_id
from portal.domain.scope import ScopeRules
from portal.entry import services
from portal.extensions import db
from portal.imports.layouts import NATIONAL, SHAANXI
from portal.imports.pipeline import Importer
from portal.models import Certificate, Person
from portal.reference import record_context
from tests.fixtures.workbooks import national_workbook, rizhao_row, rizhao_workbook, save, shaanxi_workbook

BIRTH = date(1975, 3, 4)
HOLDER = build_resident_id("371102", BIRTH, 11)
BASE = {
    "name": "王立新", "sex": "男", "id_type": "resident_id", "id_number": HOLDER, "birth_date": BIRTH,
    "employer_name": "日照市第一中学", "phone": "13806330000",
    "cert_no": "鲁2015000001", "series": "engineering", "level": "中级", "title_name": "工程师",
    "issue_date": date(2015, 6, 30), "grant_date": date(2015, 6, 1), "has_review_specialty": False,
    "review_specialty": None, "issuing_authority": "日照市人力资源和社会保障局",
    "review_committee_name": "日照市工程技术中级评审委员会", "evaluation_region_code": "371100",
    "obtain_method": "review",
}
# How a spreadsheet names what the form posts as a key.
SHEET_NAMES = {"resident_id": "居民身份证", "passport": "护照", "engineering": "工程技术人员", "review": "评审",
               True: "是", False: "否"}
FORM_VALUES = {True: "1", False: "0"}

# The disagreements the issue found, and the cross-checks both doors gained: one verdict each.
CASES = [
    ("no issuing authority", NATIONAL, {"issuing_authority": None}, {"issuing_authority_required"}),
    ("specialty flagged but unnamed", NATIONAL, {"has_review_specialty": True}, {"review_specialty_required"}),
    ("grant date after issue date", SHAANXI, {"grant_date": date(2015, 7, 15)}, {"grant_after_issue"}),
    ("issue date before birth", NATIONAL, {"issue_date": date(1970, 1, 1)}, {"date_before_birth"}),
    ("phone 12345", SHAANXI, {"phone": "12345"}, {"phone_format"}),
    ("employer name over 128 characters", NATIONAL, {"employer_name": "单" * 129}, {"text_too_long"}),
    ("title before the age of 16", NATIONAL,
     {"id_number": build_resident_id("371102", date(2001, 2, 3), 11), "birth_date": date(2001, 2, 3)},
     {"title_too_young"}),
    ("passport number that is a resident ID", NATIONAL, {"id_type": "passport", "birth_date": None, "sex": None},
     {"id_type_resident_number"}),
    ("Latin letters in a resident-ID holder's name", NATIONAL, {"name": "王Lixin"}, {"name_latin_resident"}),
    ("date written 年月日", NATIONAL, {"issue_date": "2015年6月30日"}, {"date_reformatted"}),
    ("date written with dots", SHAANXI, {"issue_date": "2015.6.30"}, {"date_reformatted"}),
    ("a year alone is no date", NATIONAL, {"issue_date": "2012"}, {"date_year_only"}),
    ("title name of another level", NATIONAL, {"level": "副高级"}, {"title_mismatch"}),
    ("no certificate number", NATIONAL, {"cert_no": None}, {"cert_no_missing"}),
    ("a valid record", NATIONAL, {}, set()),
]


def _form_value(value, field=None):
    if value is None:
        return ""
    if isinstance(value, bool):
        return FORM_VALUES[value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _sheet_value(value, layout):
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat() if layout.date_style == "iso" else value.strftime("%Y%m%d")
    return SHEET_NAMES.get(value, value)


def _through_form(record: dict, layout) -> set[str]:
    # The form posts what the layout carries (and 取得方式, which it always asks for).
    carried = set(layout.fields) | {"obtain_method"}
    data = {f: _form_value(v, f) for f, v in record.items() if f in carried}
    person_values, problems = services.check_person(data, None)
    holder = Person(birth_date=person_values["birth_date"])
    _, cert_problems = services.check_certificate(data, holder, None, None)
    return {p.code for p in problems + cert_problems}


def _through_importer(record: dict, layout, tmp_path) -> set[str]:
    headers = {c.field: c.header for c in layout.columns}
    row = {headers[f]: _sheet_value(v, layout) for f, v in record.items() if f in headers}
    build = national_workbook if layout is NATIONAL else shaanxi_workbook
    path = save(build([row]), tmp_path / "rules.xlsx")
    report = Importer(org=None).run(path, "xlsx")
    assert report.layout == layout.key
    return {issue["code"] for issue in report.issues}


@pytest.mark.parametrize("label,layout,changes,expected", CASES, ids=[c[0] for c in CASES])
def test_the_form_and_the_importer_give_the_same_verdict(app_ctx, tmp_path, label, layout, changes, expected):
    record = BASE | changes
    assert _through_form(record, layout) == expected
    assert _through_importer(record, layout, tmp_path) == expected


def test_the_verdicts_severities_are_the_ones_decided(app_ctx):
    ctx = record_context(today=date(2026, 11, 24))
    severity = {}
    for changes in ({"issuing_authority": None}, {"grant_date": date(2015, 7, 15)}, {"employer_name": "单" * 129},
                    {"issue_date": date(1970, 1, 1)}, {"phone": "12345"}, {"has_review_specialty": True},
                    {"review_year": "1999", "issue_date": date(2019, 11, 19), "grant_date": None}):
        record = {f: _form_value(v, f) for f, v in (BASE | changes).items()}
        _, person_problems = records.check_person(record, ctx)
        _, cert_problems = records.check_certificate(record, ctx, birth_date=BIRTH)
        severity |= {p.code: p.severity for p in person_problems + cert_problems}
    assert severity == {
        "issuing_authority_required": "error", "grant_after_issue": "warning", "text_too_long": "error",
        "date_before_birth": "error", "phone_format": "error", "review_specialty_required": "error",
        "review_year_far": "warning",
    }


def test_the_form_keeps_an_over_long_employer_name_out_instead_of_cutting_it(app_ctx):
    values, problems = services.check_person({"name": "王立新", "id_type": "resident_id", "id_number": HOLDER,
                                              "employer_name": "单" * 129}, None)
    assert values["employer_name"] is None
    assert [p.message for p in problems] == ["现工作单位不能超过128个字符，实际为129个字符"]


def test_review_year_close_to_the_dates_passes_and_far_from_them_is_a_warning(app_ctx):
    ctx = record_context(today=date(2026, 11, 24))
    for year, warned in (("2019", False), ("2018", False), ("2016", True), ("2020", True), ("1999", True)):
        _, problems = records.check_certificate(
            {f: _form_value(v, f) for f, v in (BASE | {"review_year": year, "issue_date": date(2019, 11, 19),
                                                       "grant_date": None}).items()}, ctx, birth_date=BIRTH)
        assert ("review_year_far" in {p.code for p in problems}) is warned, year


@pytest.mark.parametrize("typed", ["2012", 2012, 2012.0])
def test_a_year_typed_alone_is_never_read_as_an_excel_serial(typed):
    from portal.domain.dates import parse_date

    result = parse_date(typed, field="issue_date")
    assert result.value is None and [p.code for p in result.problems] == ["date_year_only"]
    assert parse_date(43788.0, field="issue_date").value == date(2019, 11, 19)  # a real serial still is one


def test_a_serial_in_a_general_cell_is_said_back_in_the_layouts_format(app_ctx):
    ctx = record_context(today=date(2026, 11, 24), date_style="compact")
    value, problems = records.FieldReaders(ctx).read["issue_date"](43788.0)
    assert value == date(2019, 11, 19)
    assert [p.message for p in problems] == ["发证日期“43788”已识别为20191119，请按YYYYMMDD格式填写，例如20191119"]


def test_rizhao_accepts_an_unlisted_series_with_a_warning_and_the_national_template_refuses_it(app_ctx, tmp_path):
    rizhao = Importer(org=None).run(save(rizhao_workbook([rizhao_row(1, 职称系列="乡村振兴人员")]), tmp_path / "r.xlsx"),
                                    "xlsx")
    assert rizhao.rows_valid == 1
    # The Rizhao template's own sample row is reported apart (example_row), never as data.
    assert [(i["code"], i["severity"]) for i in rizhao.issues if i["code"] != "example_row"] == [
        ("series_unlisted", "warning")]
    record = BASE | {"series": "乡村振兴人员"}
    national = _through_importer(record, NATIONAL, tmp_path)
    assert national == {"series_unknown"} == _through_form(record, NATIONAL)


def test_the_title_level_rule_has_one_code(app_ctx):
    ctx = record_context(today=date(2026, 11, 24), scope=ScopeRules())
    readers = records.FieldReaders(ctx)
    assert [p.code for p in readers.title_level(("engineering", "工程师", "副高级"))] == ["title_mismatch"]
    assert [p.code for p in readers.title_level(("accounting", "工程师", "中级"))] == ["title_mismatch"]
    assert readers.title_level(("engineering", "工程师", "中级")) == ()


def test_a_certificate_number_is_unique_per_person_in_the_database(app_ctx, demo):
    from sqlalchemy.exc import IntegrityError

    cert = db.session.scalar(select(Certificate).where(Certificate.cert_no.is_not(None)).limit(1))
    twin = Certificate(person_id=cert.person_id, org_id=cert.org_id, cert_no=cert.cert_no, series=cert.series,
                       level=cert.level, title_name=cert.title_name, status="draft")
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("phone,ok", [("13806330000", True), ("0633-8000000", True), ("06338000000", True),
                                      ("0633-8000000-123", True), ("12345", False), ("138063300001", False)])
def test_one_phone_rule_for_persons_objectors_and_contacts(phone, ok):
    assert (records.check_phone(phone)[1] == []) is ok
