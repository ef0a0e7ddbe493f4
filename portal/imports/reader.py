"""Reading uploaded workbooks safely: content sniffing, size caps, then python-calamine.

Files come from the public side of an office, so nothing is trusted: the container is checked
by content (not by name), the uncompressed size is capped, and the sheet's real extent is
measured from its XML before calamine builds its dense in-memory range (a single cell at
XFD1048576 would otherwise ask for seventeen billion cells).
"""
from __future__ import annotations

import functools
import io
import itertools
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from portal.domain.text import clean
from portal.imports.layouts import LAYOUTS, HeaderMatch, match_header

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")

MAX_ROWS = 100_000  # data rows per file; a larger file is refused with this number in the message
MAX_COLUMNS = 256
MAX_UNCOMPRESSED = 400 * 1024 * 1024
# Every reader loads the shared-strings table and the styles whole, whatever the sheet's size:
# they are capped on their own, by bytes and by entries. The national template's 100 000 rows,
# every cell a different text, need about a fifth of these.
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
MAX_SHARED_STRINGS = 3_000_000
MAX_STYLES_BYTES = 16 * 1024 * 1024
MAX_STYLES = 100_000  # cell formats (<xf>); Excel itself stops at 64 000
HEADER_SEARCH_ROWS = 30  # the header row must appear within the first rows of the sheet
# Sheets of the national template that carry no data.
REFERENCE_SHEETS = ("填表说明", "行政区划代码", "隶属关系代码")

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_ROW_OPEN = re.compile(rb"<" + _NS + rb"row\b([^>]*)>")
_CELL_OPEN = re.compile(rb"<" + _NS + rb"c\b")
_ROW_NUMBER = re.compile(rb'\br="(\d{1,9})"')
_WIDE_REF = re.compile(rb' r="([A-Z]{2,})\d')
_CHUNK = 1 << 20
_XF_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?xf[\s>/]")
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_SHARED_PARTS = ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
_ROW_TAG = re.compile(rb"<row[\s>/]")
_SST_ENTRY = re.compile(rb"<si[\s>/]")
_SST_ENTRY_ANY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")
_SST_REF = re.compile(rb't="s"(?:\s[^>]*)?><v>(\d{1,9})</v>')
# Digits read as "0", capitals and quotes as "A": a reference r="AB100001" reads rAAA000000, so a
# substring search finds the chunks that may hold a long row number or a column past Z.
_REF_SHAPES = bytes.maketrans(b'"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', b"A" + b"0" * 10 + b"A" * 26)
PIECE_ROWS = 4_000  # rows handed to calamine at a time: its dense range stays small
# A cell holding an error (t="e"): calamine reads it as an empty string, so the importer takes
# the value from the XML to report it instead of seeing a blank.
_ERROR_CELL = re.compile(rb"<" + _NS + rb'c\b[^>]*?\br="([A-Z]{1,3})(\d{1,9})"[^>]*?\bt="e"[^>]*>'
                         rb"(?:<" + _NS + rb"f\b[^>]*?(?:/>|>.*?</" + _NS + rb"f>))?<" + _NS + rb"v>([^<]{1,16})</")
_ERROR_CELL_OTHER_ORDER = re.compile(rb"<" + _NS + rb'c\b[^>]*?\bt="e"[^>]*?\br="([A-Z]{1,3})(\d{1,9})"[^>]*>'
                                     rb"(?:<" + _NS + rb"f\b[^>]*?(?:/>|>.*?</" + _NS + rb"f>))?<" + _NS
                                     + rb"v>([^<]{1,16})</")


class WorkbookError(Exception):
    """The file cannot be imported at all; `message` is shown to the user as is."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def sniff(head: bytes) -> str:
    """'xlsx' or 'xls' judged by the first bytes of the file, never by its name."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    raise WorkbookError("not_workbook", "上传的文件不是Excel工作簿（.xlsx或.xls），请使用WPS或Excel另存为Excel格式后重新上传")


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - 64)
    return number


def _relationships(archive: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(id, type, part path) of every relationship of the workbook part."""
    name = "xl/_rels/workbook.xml.rels"
    rels = archive.read(name).decode("utf-8", "replace") if name in archive.namelist() else ""
    out = []
    for rel in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", rels):
        attrs = rel.group(1)
        rid = re.search(r'\bId="([^"]+)"', attrs)
        kind = re.search(r'\bType="([^"]+)"', attrs)
        target = re.search(r'\bTarget="([^"]+)"', attrs)
        if rid and target:
            path = target.group(1)
            path = path[1:] if path.startswith("/") else "xl/" + path
            out.append((rid.group(1), kind.group(1) if kind else "", path))
    return out


def _workbook_parts(archive: zipfile.ZipFile, kinds: tuple[str, ...]) -> list[str]:
    return [path for _, kind, path in _relationships(archive) if kind.rsplit("/", 1)[-1] in kinds]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part path, read from the workbook's own relationships."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    targets = {rid: path for rid, _, path in _relationships(archive)}
    parts = {}
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)>", workbook):
        attrs = sheet.group(1)
        name = re.search(r'\bname="([^"]*)"', attrs)
        rid = re.search(r'\b(?:\w+:)?id="([^"]+)"', attrs)
        if name and rid and rid.group(1) in targets:
            parts[_unescape(name.group(1))] = targets[rid.group(1)]
    return parts


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _measure_sheet(archive: zipfile.ZipFile, part: str, max_rows: int,
                   errors: dict[int, dict[int, str]] | None = None) -> tuple[int, int, bool]:
    """(rows, columns, every tag referenced) of a sheet, read by streaming its XML; raises when
    the sheet is too large. Error cells found on the way go to `errors` (row -> column -> value).

    Producers write a reference on every row and cell; then a few C-level scans per chunk
    suffice: tag counts, any reference beyond the row cap, any column past Z. Cells or rows
    without a reference are placed one after another, so when a chunk has any, its rows are
    walked one by one and their cells counted: neither trick can hide a wide or long sheet.
    """
    height = width = current = last_row = 0
    referenced = prefixed = None
    tail = carry = b""
    # A row number above the limit has at least as many digits as the limit.
    long_number = b"A" + b"0" * len(str(max_rows + HEADER_SEARCH_ROWS))
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if prefixed is None:
                # <x:worksheet …>: tags carry a prefix the fast counts below do not see.
                prefixed = b"<worksheet" not in chunk[:4096]
                referenced = not prefixed
            data = tail + chunk
            # Only complete tags are scanned; the last one may continue in the next chunk.
            cut = data.rfind(b"<") if chunk else len(data)
            cut = len(data) if cut < 0 else cut
            body, tail = data[:cut], data[cut:]
            if prefixed or not _all_referenced(body):
                referenced = False
                position = 0
                for match in _ROW_OPEN.finditer(body):
                    current += len(_CELL_OPEN.findall(body, position, match.start()))
                    width = max(width, current)
                    current = 0
                    number = _ROW_NUMBER.search(match.group(1))
                    last_row = int(number.group(1)) if number else last_row + 1
                    position = match.end()
                current += len(_CELL_OPEN.findall(body, position))
                width = max(width, current)
            else:
                last = body.rfind(b'<row r="')
                if last >= 0:
                    last_row = int(_ROW_NUMBER.match(body, last + 5).group(1))
                    current = 0
            # Any row or cell reference beyond the cap: calamine would size its range to it.
            # The regular expressions run only on chunks whose shapes allow a match.
            shapes = body.translate(_REF_SHAPES)
            if long_number in shapes and _beyond(max_rows + HEADER_SEARCH_ROWS).search(body):
                _check_extent(max_rows + HEADER_SEARCH_ROWS + 1, width, max_rows)
            if b" rAAA" in shapes:
                for ref in _WIDE_REF.finditer(body):
                    width = max(width, _column_number(ref.group(1)))
            height = max(height, last_row)
            _check_extent(height, width, max_rows)
            if errors is not None:
                # The end of the previous chunk too: a cell may be cut between its tags.
                scan = carry + body
                if b't="e"' in scan:
                    _collect_errors(scan, errors)
                carry = body[-512:]
            if not chunk:
                break
    return height, width, referenced


def _collect_errors(body: bytes, errors: dict[int, dict[int, str]]) -> None:
    for pattern in (_ERROR_CELL, _ERROR_CELL_OTHER_ORDER):
        for letters, row, value in pattern.findall(body):
            errors.setdefault(int(row), {})[_column_number(letters) - 1] = value.decode("ascii", "replace")


@functools.lru_cache(maxsize=4)
def _beyond(limit: int) -> re.Pattern:
    """A reference (row "123" or cell "AB123") whose row number is greater than `limit`."""
    digits = str(limit)
    options = [rb"[1-9]\d{%d,}" % len(digits)]
    for index, digit in enumerate(digits):
        if digit != "9":
            options.append(digits[:index].encode() + b"[%d-9]" % (int(digit) + 1)
                           + rb"\d{%d}" % (len(digits) - index - 1))
    return re.compile(rb' r="[A-Z]{0,3}(?:' + b"|".join(options) + rb')"')


def _all_referenced(body: bytes) -> bool:
    """True when every cell and row tag in `body` starts with its reference (as Excel, WPS,
    LibreOffice and openpyxl write them); counting is far cheaper than parsing. Sheets whose
    tags carry a namespace prefix never get here (see _measure_sheet)."""
    if body.count(b"<c") == body.count(b'<c r="') and body.count(b"<row") == body.count(b'<row r="'):
        return True  # every tag starting "<c" or "<row" (<col, <rowBreaks… included) has a reference
    return (body.count(b"<c ") == body.count(b'<c r="') and body.count(b"<row ") == body.count(b'<row r="')
            and b"<c>" not in body and b"<c/>" not in body and b"<row>" not in body)


def _check_extent(height: int, width: int, max_rows: int) -> None:
    if width > MAX_COLUMNS:
        raise WorkbookError("too_many_columns",
                            f"表格有{width}列，超过了{MAX_COLUMNS}列的上限。请只保留模板中的列后重新上传")
    # A few rows of titles, column numbers and notes come on top of the data rows.
    if height > max_rows + HEADER_SEARCH_ROWS:
        raise WorkbookError("too_many_rows",
                            f"表格超过{max_rows}行的上限（每个文件最多导入{max_rows}行数据），请拆分为多个文件后分别导入")


def _guard_parts(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a shared-strings or styles part that is too big, by the size the zip declares
    and by what it really inflates to (a reader may trust neither the same way), or that holds
    too many entries. Inflating runs a megabyte at a time and stops at the cap."""
    strings = set(_workbook_parts(archive, ("sharedStrings",)))
    styles = set(_workbook_parts(archive, ("styles",)))
    # By name as well: a reader may look for the usual path without following relationships.
    for info in archive.infolist():
        lower = info.filename.lower()
        if info.filename in strings or lower.endswith("sharedstrings.xml"):
            what, limit, entries, pattern = "共享字符串", MAX_SHARED_STRINGS_BYTES, MAX_SHARED_STRINGS, _SST_ENTRY_ANY
        elif info.filename in styles or lower.endswith("styles.xml"):
            what, limit, entries, pattern = "样式", MAX_STYLES_BYTES, MAX_STYLES, _XF_ENTRY
        else:
            continue
        too_big = WorkbookError("part_too_large", (
            f"工作簿中的{what}部分过大（超过{limit // (1024 * 1024)}MB），无法安全读取。请在WPS或Excel中把数据"
            "复制到新建的工作簿（只粘贴数值），删除多余的格式后另存为.xlsx再上传"))
        if info.file_size > limit:
            raise too_big
        count = 0
        for size, piece in _inflate(path, info, limit):
            if size > limit:
                raise too_big
            count += len(pattern.findall(piece))
            if count > entries:
                raise WorkbookError("part_too_many_entries", (
                    f"工作簿中的{what}条目超过{entries}个，无法安全读取。请把数据复制到新建的工作簿"
                    "（只粘贴数值）后另存为.xlsx再上传"))


def _inflate(path: Path, info: zipfile.ZipInfo, limit: int) -> Iterator[tuple[int, bytes]]:
    """(bytes so far, next piece) of a zip member as really stored, whatever sizes its headers
    state. Each piece starts with the last 3 bytes of the one before: a 4-byte tag such as
    "<si>" cut between two is seen whole, and never counted twice."""
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        magic, name_length, extra_length = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
        if magic != b"PK\x03\x04":
            raise zipfile.BadZipFile("local header")
        handle.seek(name_length + extra_length, io.SEEK_CUR)
        left = info.compress_size
        if info.compress_type == zipfile.ZIP_STORED:
            inflater = None
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        else:
            raise WorkbookError("unsupported_compression",
                                "工作簿使用了不常见的压缩方式，请在WPS或Excel中重新保存为.xlsx后上传")
        total, overlap = 0, b""
        while left > 0 or (inflater is not None and inflater.unconsumed_tail):
            if inflater is not None and inflater.unconsumed_tail:
                piece = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            else:
                raw = handle.read(min(_CHUNK, left))
                if not raw:
                    break
                left -= len(raw)
                piece = inflater.decompress(raw, _CHUNK) if inflater is not None else raw
            total += len(piece)
            yield total, overlap + piece
            if total > limit:
                return
            overlap = piece[-3:]
            if inflater is not None and inflater.eof:
                return


@dataclass
class XlsxLayout:
    """Where a checked .xlsx keeps its sheets and the parts a sheet needs to be read alone."""

    parts: dict[str, str]  # sheet name -> part path
    extents: dict[str, tuple[int, int, bool]]  # part path -> (rows, columns, every tag referenced)
    shared_parts: tuple[str, ...]  # workbook, relationships, shared strings, styles
    errors: dict[str, dict[int, dict[int, str]]] = field(default_factory=dict)  # part -> error cells


def check_xlsx(path: Path, max_rows: int = MAX_ROWS) -> XlsxLayout:
    """Refuse damaged, encrypted, oversized and bomb-like .xlsx containers before parsing."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise WorkbookError("bad_zip", "文件已损坏，无法作为Excel工作簿打开，请重新保存后上传") from None
    with archive:
        names = set(archive.namelist())
        if not all(member in names for member in XLSX_MEMBERS):
            raise WorkbookError("not_workbook", "压缩包中没有Excel工作簿的内容，请上传.xlsx或.xls文件")
        total = sum(info.file_size for info in archive.infolist())
        if total > MAX_UNCOMPRESSED:
            raise WorkbookError("too_large_uncompressed",
                                f"文件解压后超过{MAX_UNCOMPRESSED // (1024 * 1024)}MB，请删除多余的工作表、图片或空白行列后重新上传")
        try:
            _guard_parts(path, archive)
            parts = {name: part for name, part in _sheet_parts(archive).items() if part in names}
            errors = {part: {} for part in parts.values()}
            extents = {part: _measure_sheet(archive, part, max_rows, errors[part]) for part in parts.values()}
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, struct.error):
            raise WorkbookError("bad_zip", "文件内容已损坏（压缩数据校验失败），请重新保存后上传") from None
        shared = tuple(n for n in (*_SHARED_PARTS, *_workbook_parts(archive, ("sharedStrings", "styles")))
                       if n in names)
    return XlsxLayout(parts, extents, shared, {part: found for part, found in errors.items() if found})


@dataclass
class Sheet:
    """The data sheet of an upload: header match plus the rows below the header."""

    name: str
    match: HeaderMatch
    rows: Iterator[tuple[int, list]]  # (row number as Excel shows it, cells from column A), header included
    header_row: int
    height: int = 0  # rows the sheet spans, for progress
    notes: dict = field(default_factory=dict)  # values read from title rows, e.g. 批准文号
    errors: dict[int, dict[int, str]] = field(default_factory=dict)  # row -> column index -> "#N/A"…


def open_workbook(path: Path, kind: str):
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise WorkbookError("encrypted", "文件设置了打开密码，请在WPS或Excel中取消密码后重新上传") from None
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError, OSError) as exc:
        if kind == "xls" and _ole_is_encrypted_xlsx(path):
            raise WorkbookError("encrypted", "文件设置了打开密码，请在WPS或Excel中取消密码后重新上传") from None
        raise WorkbookError("unreadable", f"无法读取该工作簿：{_short(exc)}。请用WPS或Excel打开后另存为.xlsx再上传") from None


def _ole_is_encrypted_xlsx(path: Path) -> bool:
    # A password-protected .xlsx is an OLE2 file holding the encrypted package under this name.
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    return "EncryptionInfo".encode("utf-16-le") in head or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in head


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _get_sheet(workbook, name: str):
    try:
        return workbook.get_sheet_by_name(name)
    except python_calamine.PasswordError:
        raise WorkbookError("encrypted", "工作表设置了密码，请取消密码后重新上传") from None
    except Exception as exc:  # calamine raises plain errors for malformed parts
        raise WorkbookError("unreadable", f"无法读取工作表“{name}”：{_short(exc)}") from None


def _whole_sheet_rows(workbook, name: str, max_rows: int) -> Iterator[tuple[int, list]]:
    """Every row of a sheet loaded at once (.xls, or sheets whose XML cannot be split safely)."""
    sheet = _get_sheet(workbook, name)
    _check_extent(sheet.height, sheet.width, max_rows)
    start_row, start_col = sheet.start or (0, 0)
    pad = [""] * start_col
    for index, cells in enumerate(sheet.to_python(skip_empty_area=True)):
        yield start_row + index + 1, pad + cells if pad else cells


def _sheet_pieces(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """The sheet's XML cut at row boundaries into standalone sheets of PIECE_ROWS rows."""
    with archive.open(part) as stream:
        pending, head, positions = bytearray(), None, []
        while True:
            chunk = stream.read(_CHUNK)
            scan_from = max(0, len(pending) - 5)
            pending += chunk
            if head is None:
                start = pending.find(b"<sheetData")
                close = pending.find(b">", start) if start >= 0 else -1
                if close < 0:
                    if not chunk:
                        yield bytes(pending)
                        return
                    continue
                if pending[close - 1:close] == b"/":  # <sheetData/>: no rows at all
                    yield bytes(pending) + stream.read()
                    return
                head = bytes(pending[:close + 1])
                del pending[:close + 1]
                scan_from = 0
            for match in _ROW_TAG.finditer(pending, scan_from):
                if not positions or match.start() > positions[-1]:
                    positions.append(match.start())
            while len(positions) > PIECE_ROWS:
                cut = positions[PIECE_ROWS]
                yield head + pending[:cut] + b"</sheetData></worksheet>"
                del pending[:cut]
                positions = [p - cut for p in positions[PIECE_ROWS:]]
            if not chunk:
                end = pending.find(b"</sheetData>")
                yield head + pending[:end if end >= 0 else len(pending)] + b"</sheetData></worksheet>"
                return


def _piecewise_rows(path: Path, layout: XlsxLayout, name: str) -> Iterator[tuple[int, list]]:
    """Every row of a large sheet, PIECE_ROWS at a time, each piece read by calamine on its own.

    calamine builds a dense in-memory range of the whole sheet (about 100 bytes a cell); a
    piece of the sheet beside the workbook's styles keeps that bounded. Each piece gets only
    the shared strings it uses (see _piece_strings).

    calamine parses a piece in a helper thread while the rows of the previous one are handed
    out: it releases the GIL while parsing, so with two cores reading and checking overlap.
    One piece is parsed ahead, no more, so memory stays that of two pieces.
    """
    part = layout.parts[name]
    with zipfile.ZipFile(path) as archive, ThreadPoolExecutor(1, thread_name_prefix="xlsx-piece") as parser:
        shared = {member: archive.read(member) for member in layout.shared_parts}
        strings_part = next((m for m in shared if m in _workbook_parts(archive, ("sharedStrings",))), None)
        strings = shared.pop(strings_part) if strings_part else b""
        entry_starts = array("q", (m.start() for m in _SST_ENTRY.finditer(strings)))
        ahead = None
        for xml in _sheet_pieces(archive, part):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as piece:
                for member, data in shared.items():
                    piece.writestr(member, data)
                if strings_part:
                    piece.writestr(strings_part, _piece_strings(xml, strings, entry_starts))
                piece.writestr(part, xml)
            del xml
            buffer.seek(0)
            parsed = parser.submit(_read_piece, buffer, name)
            del buffer
            if ahead is not None:
                yield from _numbered(*ahead.result())
            ahead = parsed
        if ahead is not None:
            yield from _numbered(*ahead.result())


def _read_piece(buffer: io.BytesIO, name: str) -> tuple[int, int, list]:
    """(first row, first column, rows) of the sheet `name` in a one-sheet piece."""
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(buffer)
    except Exception as exc:
        raise WorkbookError("unreadable", f"无法读取该工作簿：{_short(exc)}") from None
    sheet = _get_sheet(workbook, name)
    start_row, start_col = sheet.start or (0, 0)
    return start_row, start_col, (sheet.to_python(skip_empty_area=True) if sheet.height else [])


def _numbered(start_row: int, start_col: int, rows: list) -> Iterator[tuple[int, list]]:
    if start_col:
        pad = [""] * start_col
        for index, cells in enumerate(rows):
            yield start_row + index + 1, pad + cells
    else:
        yield from zip(itertools.count(start_row + 1), rows)


def _piece_strings(xml: bytes, strings: bytes, entry_starts: array) -> bytes:
    """The shared-strings part for one piece: the entries the piece refers to, each in its
    place, and an empty entry for every other one before the last of them.

    Producers number shared strings in order of first use, so a piece far down a sheet refers
    to a few early entries and a block of its own; calamine then parses the table up to that
    block as cheap empty entries instead of the text of every earlier row. When the piece
    spells a shared-string cell in a way the scan does not count, it gets the whole table.
    """
    refs = _SST_REF.findall(xml)
    count = len(entry_starts)
    if not count or xml.count(b't="s"') != len(refs) or b"t='s'" in xml:
        return strings
    gap = _gap_entry()
    out = [strings[:entry_starts[0]]]
    following = 0  # the first entry not written yet
    first = last = -2  # the run of consecutive entries being collected
    for index in (*sorted(set(map(int, set(refs)))), count):
        if index == last + 1 and index < count:
            last = index
            continue
        if first >= 0:  # write the run, after empty entries for those it skips
            out.append(gap * (first - following))
            out.append(strings[entry_starts[first]:entry_starts[last + 1]] if last + 1 < count
                       else strings[entry_starts[first]:])
            following = last + 1
        if index >= count:
            break
        first = last = index
    if following < count:
        out.append(b"</sst>")
    return b"".join(out)


@functools.cache
def _gap_entry() -> bytes:
    """The empty shared string that stands in for an entry a piece does not use, so the
    entries after it keep their numbers.

    calamine parses "<si/>" in half the time of "<si><t></t></si>" (0.3 s of a 100 000-row
    sheet), but a calamine that skipped an entry without <t> would shift every later one: a
    one-cell workbook shows how the installed version reads it.
    """
    short = b"<si/>"
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
                               '<Default Extension="xml" ContentType="application/xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships"><Relationship Id="r1" '
                       f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {main} xmlns:r="{office}"><sheets>'
                           '<sheet name="probe" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships"><Relationship Id="r1" '
                                      f'Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/sharedStrings.xml": f"<sst {main}><si><t>a</t></si>{short.decode()}<si><t>b</t></si></sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet {main}><sheetData><row r="1"><c r="A1" t="s"><v>2</v></c>'
                                    '</row></sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as probe:
        for part, xml in parts.items():
            probe.writestr(part, xml)
    buffer.seek(0)
    try:
        cells = python_calamine.CalamineWorkbook.from_filelike(buffer).get_sheet_by_name("probe").to_python()
    except Exception:  # e.g. "index not found": the entry was skipped
        cells = None
    return short if cells == [["b"]] else b"<si><t></t></si>"


def _sheet_rows(path: Path, kind: str, workbook, layout: XlsxLayout | None, name: str,
                max_rows: int) -> Iterator[tuple[int, list]]:
    if layout is not None and name in layout.parts:
        height, _, referenced = layout.extents[layout.parts[name]]
        if referenced and height > PIECE_ROWS:
            return _piecewise_rows(path, layout, name)
    return _whole_sheet_rows(workbook, name, max_rows)


def find_data_sheet(path: Path, kind: str, max_rows: int = MAX_ROWS) -> Sheet:
    """Open the workbook and locate the sheet and row holding a known header."""
    layout = check_xlsx(path, max_rows) if kind == "xlsx" else None
    workbook = open_workbook(path, kind)
    try:
        names = list(workbook.sheet_names)
    except Exception:
        names = []
    if not names:
        raise WorkbookError("no_sheet", "工作簿中没有工作表")
    # The national template's data sheet first, then every other sheet in order.
    ordered = [n for n in names if n == "信息填报"] + [n for n in names if n != "信息填报" and n not in REFERENCE_SHEETS]
    best_partial: tuple[str, HeaderMatch] | None = None
    for name in ordered:
        rows = _sheet_rows(path, kind, workbook, layout, name, max_rows)
        head_rows = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
        for index, (number, cells) in enumerate(head_rows):
            match = match_header(cells)
            if match is None:
                continue
            match.row_index = index
            if match.missing:
                if best_partial is None or len(match.columns) > len(best_partial[1].columns):
                    best_partial = (name, match)
                continue
            height = layout.extents[layout.parts[name]][0] if layout and name in layout.parts else 0
            return Sheet(name=name, match=match, rows=itertools.chain(head_rows, rows), header_row=number,
                         height=height or (head_rows[-1][0] if head_rows else 0),
                         notes=_title_notes([cells for _, cells in head_rows[:index]]),
                         errors=layout.errors.get(layout.parts[name], {}) if layout and name in layout.parts else {})
    raise WorkbookError("layout_unknown", unknown_layout_message(best_partial))


_APPROVAL = re.compile(r"(?:批准文号|资格文件号|证书批文号)\s*[:：]\s*(\S.*)")


def _title_notes(rows: list) -> dict:
    """Values stated once above the header for every row, such as Shaanxi's "批准文号：…"."""
    notes = {}
    for cells in rows:
        for cell in cells:
            match = _APPROVAL.search(clean(cell)) if isinstance(cell, str) else None
            if match:
                notes["approval_doc_no"] = match.group(1).strip()
    return notes


def unknown_layout_message(partial: tuple[str, HeaderMatch] | None) -> str:
    if partial is not None:
        name, match = partial
        layout = match.layout
        missing = "、".join(c.header for c in layout.columns if c.field in match.missing)
        return (f"工作表“{name}”看起来是{layout.title}，但缺少以下列：{missing}。"
                f"该模板的列依次为：{layout.header_list()}")
    expected = "；".join(f"{layout.title}：{layout.header_list()}" for layout in LAYOUTS)
    return f"无法识别表格格式：在前{HEADER_SEARCH_ROWS}行中没有找到表头行。系统可识别以下模板的表头——{expected}"
