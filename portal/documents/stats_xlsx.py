"""The statistics page's tables as one workbook: a sheet per table, the chosen one first."""
from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

TOTAL_LABEL = "合计"


def stats_workbook(sheets: Sequence[tuple[str, tuple[str, str], list[tuple[str, int]]]],
                   extra: Sequence[tuple[str, tuple[str, ...], list[tuple]]] = ()) -> bytes:
    """`sheets`: (title, (label header, count header), rows of (label, count)), each closed by a 合计 row;
    `extra`: further plain tables (title, headers, rows) without a total."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(headers))
        for label, count in rows:
            sheet.append([label, count])
        sheet.append([TOTAL_LABEL, sum(count for _, count in rows)])
        _style(sheet, bold)
    for title, headers, rows in extra:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        _style(sheet, bold)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _style(sheet, bold) -> None:
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 28
