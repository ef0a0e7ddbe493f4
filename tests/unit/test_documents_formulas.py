"""Exports never turn stored or uploaded text into a formula: text starting with = + - @ comes
back as the same text from Excel's own reader model (openpyxl) and from python-calamine."""
from __future__ import annotations

import io

import openpyxl
from python_calamine import CalamineWorkbook

from portal.documents.xlsx_export import national_export, write_table
from portal.documents.xlsx_template import TemplateData
from portal.imports.annotate import build_annotated
from portal.imports.layouts import NATIONAL
from portal.imports.pipeline import Importer
from tests.fixtures.workbooks import RIZHAO_HEADERS, rizhao_row, save

HOSTILE = ['=HYPERLINK("http://evil.example","点击")', "+86 13812345678", "-2+3", "@SUM(A1:A9)", "=1+1"]


def _read_back(data: bytes, sheet: str | None = None):
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet] if sheet else book.active
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(data))
    texts = {v for row in (calamine.get_sheet_by_name(sheet) if sheet else calamine.get_sheet_by_index(0)).to_python()
             for v in row}
    return cells, texts


def _assert_text(cells, texts):
    for value in HOSTILE:
        assert value in cells and value in texts
        assert cells[value].data_type == "s" and cells[value].quotePrefix, value


def test_table_exports_keep_formula_like_text_as_text():
    buffer = io.BytesIO()
    write_table(buffer, "名单", ("姓名", "备注"), [(v, v) for v in HOSTILE], text_columns={2})
    _assert_text(*_read_back(buffer.getvalue()))


def test_national_export_keeps_formula_like_text_as_text():
    buffer = io.BytesIO()
    row = [None] * len(NATIONAL.columns)
    rows = []
    for value in HOSTILE:
        values = list(row)
        values[NATIONAL.fields.index("name")] = value
        values[NATIONAL.fields.index("cert_no")] = value  # a text-formatted column
        rows.append(tuple(values))
    national_export(buffer, TemplateData([], {}, []), rows)
    _assert_text(*_read_back(buffer.getvalue(), "信息填报"))


def test_annotated_copy_keeps_formula_like_text_as_text(app_ctx, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(RIZHAO_HEADERS)
    for value in HOSTILE:
        cell_row = rizhao_row(1, 姓名="x")
        sheet.append(cell_row)
        sheet.cell(row=sheet.max_row, column=5).value = value
        sheet.cell(row=sheet.max_row, column=5).data_type = "s"  # uploaded as text
    source = save(workbook, tmp_path / "in.xlsx")
    report = Importer(org=None).run(source, "xlsx")
    out = tmp_path / "out.xlsx"
    build_annotated(source, "xlsx", report.issues, out, report.rows_total)
    _assert_text(*_read_back(out.read_bytes()))
