"""Aggregated exports (DOMAIN.md §7): four category workbooks in one zip, and the national layout.

The category workbooks are plain tables of up to hundreds of thousands of rows, so their sheet
XML is streamed straight into the zip with inline strings. openpyxl's write-only mode was
measured at about 10 µs a cell here, three times over the time budget for 100 000 rows; the
XML it would produce for such a table is this simple, so it is written directly. The national
layout keeps openpyxl for everything that is not row data (dropdowns, comments, protection) and
splices the rows into its 信息填报 sheet the same way.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl.utils import get_column_letter

from portal.documents.cells import looks_like_formula
from portal.documents.xlsx_template import DATA_PART, TEXT_FIELDS, TemplateData, build_template
from portal.imports.layouts import NATIONAL

CATEGORIES = (
    ("senior", "高级评审职称"),
    ("intermediate", "中级评审职称"),
    ("junior", "初级评审职称"),
    ("assessment", "考核认定职称"),
)
EXPORT_HEADERS = ("序号",) + tuple(c.header for c in NATIONAL.columns)
_TEXT_COLUMNS = {i + 1 for i, c in enumerate(NATIONAL.columns) if c.field in TEXT_FIELDS}
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '</Relationships>'
)
# Style 0: default; 1: bold header on a light fill; 2: text format "@" (numFmtId 49).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="宋体"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="宋体"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDCE6F1"/><bgColor indexed="64"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


_QUOTED = {0: 3, 2: 4}  # cell style -> the same with a quote prefix


def _columns(count: int) -> list[str]:
    return [get_column_letter(i) for i in range(1, count + 1)]


def _text(value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"
    if isinstance(value, bool):
        return "是" if value else "否"
    return _ILLEGAL_XML.sub("", str(value)).translate(_ESCAPES)


def row_xml(number: int, values: Iterable, letters: list[str], styles: dict[int, int] | None = None,
            header: bool = False, quoted: dict[int, int] = _QUOTED) -> str:
    """One <row>: numbers as numbers, everything else (dates included) as inline text."""
    cells = []
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = f"{letters[index]}{number}"
        style = 1 if header else (styles or {}).get(index + 1, 0)
        s = f' s="{style}"' if style else ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            cells.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
        elif looks_like_formula(value):
            # Inline text is never evaluated, but Excel would make it a formula once the cell
            # is edited: the quote prefix (styles 3 and 4) keeps it text.
            s = f' s="{quoted.get(style, style)}"'
            cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _sheet_head(widths: list[int]) -> str:
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f'<cols>{cols}</cols><sheetData>'
    )


def write_table(target, sheet_name: str, headers: tuple[str, ...], rows: Iterable[tuple],
                widths: list[int] | None = None, text_columns: set[int] | None = None) -> None:
    """Write a one-sheet .xlsx with a bold, frozen header row to a path or binary file object."""
    letters = _columns(len(headers))
    styles = {column: 2 for column in (text_columns or ())}
    widths = widths or [14] * len(headers)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{_text(sheet_name[:31])}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(widths).encode())
            sheet.write(row_xml(1, headers, letters, header=True).encode())
            _stream_rows(sheet, rows, letters, styles, first=2)
            sheet.write(b"</sheetData></worksheet>")


def _stream_rows(stream, rows: Iterable[tuple], letters: list[str], styles: dict[int, int], first: int,
                 quoted: dict[int, int] = _QUOTED) -> None:
    buffer = []
    for number, values in enumerate(rows, start=first):
        buffer.append(row_xml(number, values, letters, styles, quoted=quoted))
        if len(buffer) >= 2000:
            stream.write("".join(buffer).encode())
            buffer.clear()
    stream.write("".join(buffer).encode())


# Categories ------------------------------------------------------------------------------------

def safe_name(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip(" .") or "单位"


_EXPORT_WIDTHS = [6] + [{"证件号码": 22, "证书编号": 20, "职称名称": 22, "现工作单位": 26, "发证机构": 28,
                         "评审机构": 28, "行政区划代码": 30}.get(h, 14) for h in EXPORT_HEADERS[1:]]

# A category's rows: (person id, values in NATIONAL column order), already sorted by year.
Fetch = Callable[[str], Iterable[tuple[int, tuple]]]


def write_category(target, title: str, rows: Iterable[tuple[int, tuple]]) -> set[int]:
    """One category workbook, numbered from 1; returns the persons it lists."""
    persons: set[int] = set()

    def numbered():
        for index, (person_id, values) in enumerate(rows, start=1):
            persons.add(person_id)
            yield (index, *values)

    write_table(target, title, EXPORT_HEADERS, numbered(), _EXPORT_WIDTHS, {c + 1 for c in _TEXT_COLUMNS})
    return persons


@dataclass
class ExportSummary:
    folder: str
    files: dict[str, int]  # file name -> persons in it
    persons: int


def export_zip(target, unit_name: str, fetch: Fetch) -> ExportSummary:
    """The four category workbooks inside a folder "<单位名称>职称信息<N>人", zipped.

    Head counts are persons, not certificates: someone holding 中级 and 副高级 is one person
    of the unit (and one in each of the two category files).
    """
    built, everyone = [], set()
    for key, title in CATEGORIES:
        buffer = io.BytesIO()
        persons = write_category(buffer, title, fetch(key))
        everyone |= persons
        built.append((f"{title}{len(persons)}人.xlsx", len(persons), buffer.getvalue()))
    folder = f"{safe_name(unit_name)}职称信息{len(everyone)}人"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, _, content in built:
            # The workbooks are compressed already; deflating them again would only cost time.
            archive.writestr(f"{folder}/{name}", content)
    return ExportSummary(folder, {name: count for name, count, _ in built}, len(everyone))


# National layout -------------------------------------------------------------------------------

_COL_STYLE = re.compile(rb'<col\b[^>]*\bmin="(\d+)"[^>]*\bmax="(\d+)"[^>]*\bstyle="(\d+)"')


def national_export(target, data: TemplateData, rows: Iterable[tuple]) -> None:
    """The national template with the rows filled into 信息填报, for reporting upward."""
    template = io.BytesIO()
    build_template(data).save(template)
    template.seek(0)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        xml = source.read(DATA_PART)
        styles = {}
        for match in _COL_STYLE.finditer(xml):
            for column in range(int(match.group(1)), int(match.group(2)) + 1):
                styles[column] = int(match.group(3))
        style_sheet, quoted = _with_quoted_styles(source.read("xl/styles.xml"), {0, *styles.values()})
        for info in source.infolist():
            if info.filename == "xl/styles.xml":
                out.writestr(info, style_sheet)
                continue
            if info.filename != DATA_PART:
                out.writestr(info, source.read(info.filename))
                continue
            head, _, rest = xml.partition(b"</sheetData>")
            letters = _columns(len(NATIONAL.columns))
            # The template's extent (header only) would be stale; the dimension element is optional.
            head = re.sub(rb'<dimension ref="[^"]*"/>', b"", head, count=1)
            part = zipfile.ZipInfo(DATA_PART, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with out.open(part, "w", force_zip64=True) as sheet:
                sheet.write(head)
                _stream_rows(sheet, rows, letters, styles, first=2, quoted=quoted)
                sheet.write(b"</sheetData>" + rest)


_CELL_XFS = re.compile(rb'<cellXfs count="\d+">(.*?)</cellXfs>', re.DOTALL)
_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.DOTALL)


def _with_quoted_styles(xml: bytes, used: set[int]) -> tuple[bytes, dict[int, int]]:
    """The template's styles plus a quote-prefixed copy of each cell style in `used`, and the
    index of each copy (see row_xml)."""
    found = _CELL_XFS.search(xml)
    if not found:
        return xml, {}
    formats = _XF.findall(found.group(1))
    quoted, added = {}, []
    for index in sorted(i for i in used if i < len(formats)):
        quoted[index] = len(formats) + len(added)
        added.append(re.sub(rb"\s*quotePrefix=\"[01]\"", b"", formats[index]).replace(b"<xf", b'<xf quotePrefix="1"', 1))
    block = b'<cellXfs count="%d">' % (len(formats) + len(added)) + found.group(1) + b"".join(added) + b"</cellXfs>"
    return xml[:found.start()] + block + xml[found.end():], quoted

