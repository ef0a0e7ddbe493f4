"""评审专业技术职务资格报批名册表: the passed applicants for the approving office, one row each."""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.documents.cells import plain_text

ROSTER_HEADERS = ("序号", "姓名", "性别", "出生年月", "工作单位", "学历", "现职称", "申报系列", "申报级别",
                  "资格名称", "评审专业", "申报方式", "同意", "不同意", "弃权", "评审结果", "备注")


def roster_workbook(title: str, caption: str, rows: Iterable[Sequence]) -> bytes:
    """A caption line (committee, meeting date), the header, then the rows; codes stay text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    head = WriteOnlyCell(sheet, value=caption)
    head.font = bold
    sheet.append([head])
    header_cells = []
    for text in ROSTER_HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([plain_text(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
