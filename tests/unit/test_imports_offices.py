"""Files as offices send them: totals and signature rows, the template's sample row, error
values left by formulas, spaced ID numbers and every document type of the published lists."""
from __future__ import annotations

from datetime import date

import zipfile

import openpyxl
import pytest

from portal.imports.pipeline import Importer
from tests.fixtures.workbooks import (
    RIZHAO_HEADERS, first_data_row, person_id, rizhao_row, rizhao_workbook, save, shared_strings_xlsx,
)


def _check(path):
    return Importer(org=None, today=date(2026, 11, 24)).run(path, "xlsx")


def _codes(report):
    return [(i["row"], i["column"], i["severity"], i["code"]) for i in report.issues]


def _with_footer(rows, footer):
    workbook = rizhao_workbook(rows)
    sheet = workbook.active
    # Below the data, before the template's own 填表说明 line the fixture appends.
    notes = [c.value for c in sheet[sheet.max_row]]
    sheet.delete_rows(sheet.max_row)
    for line in footer:
        sheet.append(line)
    sheet.append(notes)
    return workbook


FOOTER = [
    ["合计", None, None, None, "共2人"],
    [None, None, None, None, "共2人"],
    ["填表人：王五", None, None, None, "审核人：赵六", None, "联系电话：0633-8781234"],
    ["经办人（签字）：", None, "13812345678"],
    ["单位负责人：", None, None, "填报日期：2021年5月10日"],
    ["联系电话", "0633-8781234"],
]


def test_totals_and_signature_rows_are_skipped_and_counted_apart(app_ctx, tmp_path):
    report = _check(save(_with_footer([rizhao_row(1), rizhao_row(2)], FOOTER), tmp_path / "f.xlsx"))
    assert report.rows_total == 2 and report.rows_valid == 2
    assert (report.totals_rows, report.footer_rows, report.example_rows) == (2, 4, 1)
    assert report.as_json()["rows_skipped"] == {"totals": 2, "footers": 4, "examples": 1}
    assert report.errors == 0


def test_the_template_sample_row_is_a_warning_naming_its_row(app_ctx, tmp_path):
    report = _check(save(rizhao_workbook([rizhao_row(1)]), tmp_path / "r.xlsx"))
    example_row = first_data_row() - 2  # the sample sits right below the header
    assert _codes(report) == [(example_row, "证件号码", "warning", "example_row")]
    assert f"第{example_row}行" in report.issues[0]["message"] and "示例" in report.issues[0]["message"]
    assert report.rows_total == 1 and report.example_rows == 1


def test_the_sample_row_pasted_among_data_of_another_layout_is_skipped(app_ctx, tmp_path):
    # An office that started from the Rizhao file and pasted its rows, sample included.
    workbook = rizhao_workbook([rizhao_row(1), rizhao_row(2, 证件号码="370102197308291817", 姓名="张三")],
                               decorated=False)
    report = _check(save(workbook, tmp_path / "r.xlsx"))
    assert report.rows_total == 1 and report.example_rows == 1
    assert _codes(report) == [(first_data_row(False) + 1, "证件号码", "warning", "example_row")]


def test_a_person_row_is_never_taken_for_a_totals_row(app_ctx, tmp_path):
    # "共" starts some given names; only 共 + a number + a counter word is a total.
    report = _check(save(rizhao_workbook([rizhao_row(1, 姓名="共和平")]), tmp_path / "r.xlsx"))
    assert report.rows_total == 1 and report.rows_valid == 1 and report.totals_rows == 0


@pytest.mark.parametrize("value", ["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!"])
def test_error_values_are_errors_naming_the_cell(app_ctx, tmp_path, value):
    workbook = rizhao_workbook([rizhao_row(1), rizhao_row(2, 发证日期=value)])
    cell = workbook.active.cell(row=first_data_row() + 1, column=RIZHAO_HEADERS.index("发证日期") + 1)
    assert cell.data_type == "e"  # openpyxl writes it as Excel does: an error cell, not text
    report = _check(save(workbook, tmp_path / "e.xlsx"))
    issues = [i for i in report.issues if i["row"] == first_data_row() + 1]
    assert [(i["column"], i["code"], i["cell"]) for i in issues] == [("发证日期", "cell_error_value", f"J{first_data_row() + 1}")]
    assert value in issues[0]["message"] and f"J{first_data_row() + 1}" in issues[0]["message"]
    assert report.rows_valid == 1


def test_a_row_of_lookup_errors_is_not_taken_for_an_empty_row(app_ctx, tmp_path):
    # A VLOOKUP sheet whose source is missing: every cell shows #N/A, calamine reads blanks.
    path = tmp_path / "lookup.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(RIZHAO_HEADERS)
    sheet.append(rizhao_row(1))
    sheet.append(["#N/A"] * len(RIZHAO_HEADERS))
    workbook.save(path)
    report = _check(str(path))
    assert report.rows_total == 2 and report.rows_valid == 1
    codes = {(i["cell"], i["code"]) for i in report.issues}
    assert ("D3", "cell_error_value") in codes and ("E3", "cell_error_value") in codes


def test_error_cells_written_with_a_formula_are_found(app_ctx, tmp_path):
    # Excel keeps the formula and the cached error value; the attribute order varies by producer.
    path = tmp_path / "formula.xlsx"
    shared_strings_xlsx(path, "职称证书信息", [RIZHAO_HEADERS, rizhao_row(1), rizhao_row(2)])
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    start = xml.index('<c r="J3"')
    end = xml.index("</c>", start) + 4
    xml = xml[:start] + '<c t="e" s="0" r="J3"><f>VLOOKUP(A3,Sheet2!A:B,2,0)</f><v>#N/A</v></c>' + xml[end:]
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    report = _check(str(path))
    assert [(i["cell"], i["code"]) for i in report.issues] == [("J3", "cell_error_value")]


@pytest.mark.parametrize("spaced", ["{a} {b}", "{a}\t{b}", "{a}\u00a0{b}", "{a}\u3000{b}", " {a}  {b} "])
def test_spaces_inside_an_id_number_are_removed_with_a_warning(app_ctx, tmp_path, spaced):
    number = person_id(1)
    report = _check(save(rizhao_workbook([rizhao_row(1, 证件号码=spaced.format(a=number[:6], b=number[6:]))],
                                         decorated=False), tmp_path / "s.xlsx"))
    assert report.rows_valid == 1
    assert _codes(report) == [(first_data_row(False), "证件号码", "warning", "id_spaces_removed")]


@pytest.mark.parametrize("id_type", ["身份证", "护照", "港澳台居民居住证", "香港特区护照/港澳居民来往内地通行证",
                                     "澳门特区护照/港澳居民来往内地通行证", "台湾居民来往大陆通行证"])
def test_every_document_type_of_the_rizhao_list_is_recognised(app_ctx, tmp_path, id_type):
    number = person_id(1) if id_type == "身份证" else "H60012345"
    report = _check(save(rizhao_workbook([rizhao_row(1, 证件类型=id_type, 证件号码=number)], decorated=False),
                         tmp_path / "t.xlsx"))
    assert report.errors == 0, report.issues
    assert report.rows_valid == 1
