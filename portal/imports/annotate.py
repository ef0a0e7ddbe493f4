"""The uploaded workbook handed back with every faulty cell highlighted and explained.

A modest .xlsx is opened with openpyxl and marked in place, so the user gets their own file
(formats, other sheets, dropdowns) back. An .xls, or a file too large for openpyxl's full
in-memory model, is rewritten from its values in write-only mode: same sheet, same rows and
columns, the values as text where they were text.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import coordinate_to_tuple

from portal.documents.cells import looks_like_formula
from portal.imports.reader import find_data_sheet

IN_PLACE_MAX_ROWS = 10_000
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
AUTHOR = "职称信息平台"
log = logging.getLogger("portal.imports")


def _notes_by_cell(issues: list[dict]) -> dict[str, tuple[str, str]]:
    """Cell -> (worst severity, all messages); row-level issues without a cell are left out."""
    messages: dict[str, list[str]] = defaultdict(list)
    worst: dict[str, str] = {}
    for issue in issues:
        cell = issue.get("cell")
        if not cell:
            continue
        label = "错误" if issue["severity"] == "error" else "提示"
        messages[cell].append(f"{label}：{issue['message']}")
        if worst.get(cell) != "error":
            worst[cell] = issue["severity"]
    return {cell: (worst[cell], "\n".join(lines)) for cell, lines in messages.items()}


def _comment(text: str) -> Comment:
    comment = Comment(text, AUTHOR)
    comment.width, comment.height = 320, 40 + 18 * text.count("\n") + len(text) // 2
    return comment


def build_annotated(source: Path, kind: str, issues: list[dict], out: Path, rows_total: int) -> None:
    notes = _notes_by_cell(issues)
    if kind == "xlsx" and rows_total <= IN_PLACE_MAX_ROWS:
        try:
            _mark_in_place(source, kind, notes, out)
            return
        except Exception:  # openpyxl refuses some files calamine reads; the rewrite still works
            log.warning("marking %s in place failed; rewriting it from its values", source, exc_info=True)
    _rewrite(source, kind, notes, out)


def _mark_in_place(source: Path, kind: str, notes: dict, out: Path) -> None:
    sheet = find_data_sheet(source, kind)
    workbook = openpyxl.load_workbook(source)
    worksheet = workbook[sheet.name]
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "s" and looks_like_formula(cell.value):
                cell.quotePrefix = True  # uploaded text stays text when the office edits the copy
    for cell_ref, (severity, text) in notes.items():
        cell = worksheet[cell_ref]
        cell.fill = ERROR_FILL if severity == "error" else WARNING_FILL
        cell.comment = _comment(text)
    workbook.save(out)


def _rewrite(source: Path, kind: str, notes: dict, out: Path) -> None:
    sheet = find_data_sheet(source, kind)
    by_row: dict[int, dict[int, tuple[str, str]]] = defaultdict(dict)
    for cell_ref, note in notes.items():
        row, col = coordinate_to_tuple(cell_ref)
        by_row[row][col] = note
    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet.name[:31])
    bold = Font(bold=True)
    header_row = sheet.header_row
    next_row = 1
    for row_number, cells in sheet.rows:
        # write-only sheets take rows in order; empty rows keep the original numbering.
        while next_row < row_number:
            worksheet.append([])
            next_row += 1
        marks = by_row.get(row_number, {})
        out_cells = []
        for offset, value in enumerate(cells):
            column = offset + 1
            cell = WriteOnlyCell(worksheet, value=None if value == "" else value)
            if isinstance(value, str):
                cell.data_type = "s"  # keep text that looks like a formula as text
                cell.number_format = "@"
                cell.quotePrefix = looks_like_formula(value)
            if row_number == header_row:
                cell.font = bold
            note = marks.get(column)
            if note:
                cell.fill = ERROR_FILL if note[0] == "error" else WARNING_FILL
                cell.comment = _comment(note[1])
            out_cells.append(cell)
        worksheet.append(out_cells)
        next_row += 1
    workbook.save(out)

