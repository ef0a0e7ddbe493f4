"""Cells that show uploaded or stored text exactly as typed, never as a formula.

Text starting with = + - or @ is what Excel and WPS take for a formula when the cell is typed
into or the file is saved as CSV ("formula injection"). Such text is written as a text cell
with Excel's quote prefix (the hidden apostrophe of typing '=…): Excel shows the text itself,
keeps it text when the cell is edited, and readers get it back unchanged.
"""
from __future__ import annotations

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def plain_text(sheet, value):
    """`value` ready for `sheet.append`: a quote-prefixed text cell when it could run as a formula."""
    if not looks_like_formula(value):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell
