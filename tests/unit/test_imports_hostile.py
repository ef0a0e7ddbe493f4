"""Hostile or broken uploads end with a clear message, never a crash or a partial import."""
from __future__ import annotations

import subprocess
import sys
import tracemalloc
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports import reader
from portal.imports.annotate import build_annotated
from portal.imports.pipeline import Importer
from portal.imports.reader import OLE2_MAGIC, WorkbookError, sniff
from portal.models import Organization, Person
from tests.fixtures.workbooks import (
    RIZHAO_HEADERS, first_data_row, rizhao_row, rizhao_workbook, save, shared_strings_xlsx,
)


def _run(path, kind="xlsx", **kwargs):
    return Importer(org=None, today=date(2026, 11, 24), **kwargs).run(path, kind)


def _error(path, kind="xlsx", **kwargs) -> WorkbookError:
    with pytest.raises(WorkbookError) as caught:
        _run(path, kind, **kwargs)
    return caught.value


def _rewrite_sheet(source, target, change):
    """Copy a workbook, passing the first worksheet's XML through `change`."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            zout.writestr(info, data)
    return target


def test_text_file_renamed_to_xlsx_is_not_a_workbook():
    with pytest.raises(WorkbookError) as caught:
        sniff(b"name,id\n")
    assert caught.value.code == "not_workbook"
    assert "不是Excel工作簿" in caught.value.message


def test_zip_without_workbook_parts(app_ctx, tmp_path):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _error(path).code == "not_workbook"


def test_truncated_zip(app_ctx, tmp_path):
    good = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "g.xlsx")
    broken = tmp_path / "b.xlsx"
    broken.write_bytes(Path(good).read_bytes()[:2000])
    assert _error(broken).code == "bad_zip"


def test_zip_bomb_is_refused_by_uncompressed_size(app_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED", 1024 * 1024)
    path = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "z.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (4 * 1024 * 1024))
    error = _error(path)
    assert error.code == "too_large_uncompressed" and "1MB" in error.message


def test_sheet_claiming_a_million_columns(app_ctx, tmp_path):
    source = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "s.xlsx")
    wide = _rewrite_sheet(source, tmp_path / "wide.xlsx", lambda xml: xml.replace(
        "</sheetData>", '<row r="40"><c r="XFD40" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    error = _error(wide)
    assert error.code == "too_many_columns" and "256列" in error.message


def test_cells_without_references_cannot_hide_a_wide_row(app_ctx, tmp_path):
    source = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "s.xlsx")
    cells = "<c><v>1</v></c>" * 5000
    wide = _rewrite_sheet(source, tmp_path / "wide.xlsx",
                          lambda xml: xml.replace("</sheetData>", f"<row>{cells}</row></sheetData>"))
    assert _error(wide).code == "too_many_columns"


def test_sheet_reaching_the_last_row(app_ctx, tmp_path):
    source = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "s.xlsx")
    tall = _rewrite_sheet(source, tmp_path / "tall.xlsx", lambda xml: xml.replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>'))
    error = _error(tall)
    assert error.code == "too_many_rows" and "100000" in error.message


def test_cell_claiming_a_far_row_inside_a_near_one(app_ctx, tmp_path):
    source = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "s.xlsx")
    far = _rewrite_sheet(source, tmp_path / "far.xlsx", lambda xml: xml.replace(
        "</sheetData>", '<row r="20"><c r="Z999999"><v>1</v></c></row></sheetData>'))
    assert _error(far).code == "too_many_rows"


def test_fake_password_protected_file(app_ctx, tmp_path):
    # An encrypted .xlsx is an OLE2 container with an EncryptionInfo stream.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(OLE2_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 2048)
    error = _error(path, kind=sniff(path.read_bytes()[:8]))
    assert error.code == "encrypted" and "密码" in error.message


def test_sheet_protection_formulas_and_merged_cells_are_handled(app_ctx, tmp_path):
    workbook = rizhao_workbook([rizhao_row(1), rizhao_row(2)])
    sheet = workbook.active
    sheet.protection.sheet = True
    sheet.protection.password = "secret"
    row = first_data_row() + 1
    sheet[f"E{row}"] = '=CONCATENATE("王","立新")'  # a formula with no cached value
    sheet.merge_cells(f"K{row}:L{row}")
    report = _run(save(workbook, tmp_path / "f.xlsx"))
    assert report.rows_total == 2 and report.rows_valid == 1
    assert {(i["row"], i["column"], i["code"]) for i in report.issues} == {(row, "姓名", "name_required"),
                                                                                (5, "证件号码", "example_row")}


def test_failed_commit_leaves_nothing_behind(app_ctx, tmp_path, demo):
    org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
    source = save(rizhao_workbook([rizhao_row(n) for n in range(1, 3000)]), tmp_path / "s.xlsx")
    # Row 2990 is cut off in the middle of a cell: the file is damaged near its end.
    damaged = _rewrite_sheet(source, tmp_path / "d.xlsx", lambda xml: xml[: xml.rindex("<row")] + "<row><c")
    before = db.session.scalar(select(func.count()).select_from(Person))
    with pytest.raises(WorkbookError):
        Importer(org=org).run(damaged, "xlsx", write=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Person)) == before


def test_annotated_workbook_marks_faulty_cells(app_ctx, tmp_path):
    rows = [rizhao_row(1), rizhao_row(2, 姓名="赵 强")]
    path = save(rizhao_workbook(rows), tmp_path / "a.xlsx")
    report = _run(path)
    out = tmp_path / "annotated.xlsx"
    build_annotated(path, "xlsx", report.issues, out, report.rows_total)
    sheet = openpyxl.load_workbook(out).active
    cell = sheet[f"E{first_data_row() + 1}"]
    assert cell.value == "赵 强"
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "姓名字与字之间不能有空格" in cell.comment.text
    assert sheet[f"E{first_data_row()}"].comment is None


def test_annotated_workbook_of_a_large_or_legacy_file_is_rebuilt(app_ctx, tmp_path):
    rows = [rizhao_row(1), rizhao_row(2, 姓名="赵 强")]
    path = save(rizhao_workbook(rows), tmp_path / "a.xlsx")
    report = _run(path)
    out = tmp_path / "rebuilt.xlsx"
    build_annotated(path, "xlsx", report.issues, out, rows_total=10 ** 6)
    sheet = openpyxl.load_workbook(out).active
    cell = sheet[f"E{first_data_row() + 1}"]
    assert cell.value == "赵 强" and "空格" in cell.comment.text
    assert sheet[f"D{first_data_row()}"].value == rizhao_row(1)[3]
    assert sheet[f"D{first_data_row()}"].data_type == "s"


def test_large_sheets_are_read_in_pieces_with_the_same_rows(app_ctx, tmp_path, monkeypatch):
    rows = [rizhao_row(n) for n in range(1, 12)] + [rizhao_row(50, 姓名="赵 强")]
    path = save(rizhao_workbook(rows), tmp_path / "p.xlsx")
    whole = _run(path)
    monkeypatch.setattr(reader, "PIECE_ROWS", 3)
    pieces = _run(path)
    assert pieces.rows_total == whole.rows_total == 12
    assert pieces.issues == whole.issues and pieces.issues[-1]["row"] == first_data_row() + 11


def test_sheet_starting_below_and_right_of_a1(app_ctx, tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    source = rizhao_workbook([rizhao_row(1), rizhao_row(2, 姓名="赵 强")], decorated=False).active
    for row in source.iter_rows():
        for cell in row:
            sheet.cell(row=cell.row + 3, column=cell.column + 2, value=cell.value)
    path = save(workbook, tmp_path / "offset.xlsx")
    for piece_rows in (20_000, 1):
        monkeypatch.setattr(reader, "PIECE_ROWS", piece_rows)
        report = _run(path)
        assert report.rows_total == 2
        assert [(i["row"], i["column"], i["cell"]) for i in report.issues] == [(6, "姓名", "G6")]


@pytest.mark.parametrize("first_use_order", [True, False])
def test_pieces_of_a_shared_strings_workbook(app_ctx, tmp_path, monkeypatch, first_use_order):
    rows = [RIZHAO_HEADERS] + [rizhao_row(n) for n in range(1, 10)] + [rizhao_row(60, 姓名="赵 强")]
    path = tmp_path / "sst.xlsx"
    shared_strings_xlsx(path, "数据", rows, first_use_order=first_use_order)
    whole = _run(path)
    monkeypatch.setattr(reader, "PIECE_ROWS", 4)
    pieces = _run(path)
    assert whole.layout == pieces.layout == "rizhao12"
    assert pieces.rows_total == whole.rows_total == 10
    assert pieces.issues == whole.issues and [i["row"] for i in pieces.issues] == [11]


def _with_part(source, target, member: str, chunks, *, declare: int | None = None):
    """Copy a workbook with `member` replaced by the streamed `chunks`; `declare` then writes a
    false uncompressed size into both of the zip's headers for it, as a crafted file would."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info.filename, zin.read(info))
        with zout.open(member, "w") as part:
            for chunk in chunks:
                part.write(chunk)
    if declare is not None:
        data = bytearray(Path(target).read_bytes())
        with zipfile.ZipFile(target) as archive:
            offset = archive.getinfo(member).header_offset
        data[offset + 22:offset + 26] = declare.to_bytes(4, "little")
        central = data.find(b"PK\x01\x02")
        while central >= 0:
            length = int.from_bytes(data[central + 28:central + 30], "little")
            if data[central + 46:central + 46 + length] == member.encode():
                data[central + 24:central + 28] = declare.to_bytes(4, "little")
            central = data.find(b"PK\x01\x02", central + 4)
        Path(target).write_bytes(bytes(data))
    return target


def _huge_strings(megabytes: int):
    entry = b"<si><t>aaaaaaaaaaaaaaaaaaaaaaaaa</t></si>"
    block = entry * (1024 * 1024 // len(entry))
    yield b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    for _ in range(megabytes):
        yield block
    yield b"</sst>"


def _sst_workbook(tmp_path):
    source = tmp_path / "source.xlsx"
    shared_strings_xlsx(source, "职称证书信息", [RIZHAO_HEADERS, rizhao_row(1)])
    return source


@pytest.mark.parametrize("declare", [None, 4096], ids=["declared", "lying-about-its-size"])
def test_huge_shared_strings_are_refused_before_any_reader(app_ctx, tmp_path, declare):
    path = _with_part(_sst_workbook(tmp_path), tmp_path / "bomb.xlsx", "xl/sharedStrings.xml",
                      _huge_strings(reader.MAX_SHARED_STRINGS_BYTES // (1024 * 1024) + 8), declare=declare)
    assert path.stat().st_size < 2 * 1024 * 1024  # a small upload
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookError) as caught:
            reader.check_xlsx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.code == "part_too_large"
    assert "共享字符串部分过大" in caught.value.message and "64MB" in caught.value.message
    assert peak < 16 * 1024 * 1024  # a few megabyte-sized pieces, never the part


def test_importing_a_shared_strings_bomb_keeps_the_process_small(tmp_path):
    # A fresh process, so its peak resident size (calamine allocates outside Python's tracing)
    # is this file's alone: the 390 MB table once took the server 1.9 GB. VmHWM, not
    # ru_maxrss, which Linux carries over from the parent (this test run) across exec.
    path = _with_part(_sst_workbook(tmp_path), tmp_path / "bomb.xlsx", "xl/sharedStrings.xml",
                      _huge_strings(200), declare=4096)
    script = (
        "import re\n"
        "from portal.imports.reader import WorkbookError, find_data_sheet\n"
        "try:\n"
        f"    find_data_sheet(__import__('pathlib').Path({str(path)!r}), 'xlsx')\n"
        "except WorkbookError as exc:\n"
        "    print(exc.code)\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    code, peak_mb = result.stdout.split()
    assert code == "part_too_large"
    assert int(peak_mb) < 150, result.stdout


def test_shared_strings_with_too_many_entries(app_ctx, tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS", 1000)
    path = _with_part(_sst_workbook(tmp_path), tmp_path / "many.xlsx", "xl/sharedStrings.xml",
                      [b"<sst>", b"<si/>" * 1001, b"</sst>"])
    error = _error(path)
    assert error.code == "part_too_many_entries" and "共享字符串条目超过1000个" in error.message


def test_styles_are_capped_by_size_and_entries(app_ctx, tmp_path, monkeypatch):
    source = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "s.xlsx")
    monkeypatch.setattr(reader, "MAX_STYLES", 500)
    many = _with_part(source, tmp_path / "many.xlsx", "xl/styles.xml",
                      [b"<styleSheet><cellXfs>", b'<xf numFmtId="0"/>' * 501, b"</cellXfs></styleSheet>"])
    assert _error(many).code == "part_too_many_entries"
    monkeypatch.setattr(reader, "MAX_STYLES_BYTES", 1024 * 1024)
    big = _with_part(source, tmp_path / "big.xlsx", "xl/styles.xml",
                     [b"<styleSheet>", b" " * (2 * 1024 * 1024), b"</styleSheet>"], declare=100)
    error = _error(big)
    assert error.code == "part_too_large" and "样式部分过大" in error.message
    assert _run(source).rows_total == 1  # the workbook as saved passes
