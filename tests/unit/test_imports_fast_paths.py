"""The faster paths of a large import read and check exactly what the general paths do."""
from __future__ import annotations

import gc
import threading
import zipfile
from array import array
from datetime import date, timedelta
from pathlib import Path

import pytest

from portal.domain import records
from portal.domain.idnumber import build_resident_id, check_resident_id
from portal.domain.names import check_person_name
from portal.domain.scope import ScopeRules
from portal.domain.text import clean
from portal.imports import reader
from portal.imports.pipeline import Importer
from portal.imports.reader import WorkbookError, find_data_sheet
from portal.imports.rows import RowChecker
from portal.reference import record_context
from tests.fixtures.workbooks import (
    RIZHAO_HEADERS, rizhao_row, rizhao_workbook, save, shared_strings_xlsx,
)


def _rows_of(path, monkeypatch, piece_rows: int) -> list:
    monkeypatch.setattr(reader, "PIECE_ROWS", piece_rows)
    return list(find_data_sheet(Path(path), "xlsx").rows)


def _sst_workbook(tmp_path, *, first_use_order: bool = True) -> Path:
    # Names, authorities and dates repeat down the sheet; numbers are new in every row.
    rows = [RIZHAO_HEADERS] + [
        rizhao_row(n, 姓名=("王立新", "李秀英", "张伟")[n % 3], 发证日期=f"2015063{n % 2}") for n in range(1, 30)
    ]
    path = tmp_path / "sst.xlsx"
    shared_strings_xlsx(path, "数据", rows, first_use_order=first_use_order)
    return path


@pytest.mark.parametrize("gap", ["installed", b"<si><t></t></si>"])
@pytest.mark.parametrize("first_use_order", [True, False])
def test_pieces_read_every_cell_the_whole_sheet_holds(tmp_path, monkeypatch, gap, first_use_order):
    path = _sst_workbook(tmp_path, first_use_order=first_use_order)
    whole = _rows_of(path, monkeypatch, 100_000)
    if gap != "installed":
        monkeypatch.setattr(reader, "_gap_entry", lambda: gap)
    pieces = _rows_of(path, monkeypatch, 4)
    assert len(whole) == 30
    assert pieces == whole
    assert whole[6] == (7, rizhao_row(6, 姓名="王立新", 发证日期="20150630"))


def test_shared_string_cells_spelled_unusually_still_read_in_pieces(tmp_path, monkeypatch):
    source = _sst_workbook(tmp_path)
    path = tmp_path / "quoted.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B13" t="s">', b'<c r="B13" t=\'s\'>')
            zout.writestr(info, data)
    whole = _rows_of(path, monkeypatch, 100_000)
    assert whole[12][1][1] == rizhao_row(12)[1]
    assert _rows_of(path, monkeypatch, 4) == whole


def test_an_abandoned_sheet_leaves_no_reader_thread_behind(tmp_path, monkeypatch):
    path = _sst_workbook(tmp_path)
    monkeypatch.setattr(reader, "PIECE_ROWS", 4)
    sheet = find_data_sheet(path, "xlsx")
    assert next(sheet.rows)[0] == 1
    del sheet  # as find_data_sheet drops a sheet without a header
    assert not [t for t in threading.enumerate() if t.name.startswith("xlsx-piece")]


def test_a_run_restores_the_garbage_collector_as_it_found_it(app_ctx, tmp_path):
    path = save(rizhao_workbook([rizhao_row(1)]), tmp_path / "r.xlsx")
    assert gc.isenabled()
    assert Importer(org=None).run(path, "xlsx").rows_valid == 1
    assert gc.isenabled()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(WorkbookError):
        Importer(org=None).run(broken, "xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        Importer(org=None).run(path, "xlsx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_equal_cell_values_of_different_types_are_reported_each_as_typed(app_ctx):
    checker = RowChecker(record_context(today=date(2026, 11, 24), scope=ScopeRules(), default_obtain_method="review"))
    messages = []
    for value in (True, 1.0, 1, True):
        row = checker.check(2, {"education": value, "sex": value})
        messages.append([p.message for p in row.problems if p.field in ("education", "sex")])
    assert "“是”" in messages[0][0] and "“是”" in messages[0][1]
    assert "“1”" in messages[1][0] and "“1”" in messages[1][1]
    assert messages[2] == messages[1] and messages[3] == messages[0]


def _resident_ids() -> list[str]:
    numbers = []
    for n in range(400):
        birth = date(1900, 1, 1) + timedelta(days=n * 97)
        number = build_resident_id(("371102", "110105", "999999", "820000")[n % 4], birth, n % 1000)
        numbers.append(number)
        numbers.append(number[:17] + ("X" if number[17] != "X" else "0"))  # wrong check character
        numbers.append(number[:6] + "19991301" + number[14:])  # impossible birth date
    numbers.append(build_resident_id("110105", date(1990, 1, 2), 10).replace("X", "x"))
    return numbers


def test_a_plain_resident_id_gets_the_verdict_it_gets_however_typed():
    known = {"371102", "110105"}.__contains__
    today = date(2026, 11, 24)
    for number in _resident_ids():
        plain = check_resident_id(number, region_known=known, today=today)
        padded = check_resident_id(f"\u3000{number} ", region_known=known, today=today)
        assert plain == padded, number


def test_a_name_of_chinese_characters_only_passes_unchanged():
    for name in ("王立新", "欧阳娜", "〇", "𠀀㐀豈", "张" * 50):
        assert check_person_name(name) == (name, []) == check_person_name(f" {name}\u3000")
    assert check_person_name("张" * 51)[0] is None
    assert check_person_name("张 三")[0] is None


def test_clean_of_chinese_text_with_and_without_full_width_characters():
    assert clean(" 日照市人力资源和社会保障局 ") == "日照市人力资源和社会保障局"
    assert clean("日照市（ＡＢＣ）\u3000一中\u00a0") == "日照市(ABC) 一中"


def test_a_piece_gets_each_entry_it_uses_in_its_place_and_empty_ones_between():
    entries = [f"<si><t>{i}</t></si>".encode() for i in range(12)]
    strings = b'<sst count="12">' + b"".join(entries) + b"</sst>"
    starts = array("q", (m.start() for m in reader._SST_ENTRY.finditer(strings)))
    gap = reader._gap_entry()
    for used, expected_entries in (
            ([3, 4, 5, 9], [gap] * 3 + entries[3:6] + [gap] * 3 + [entries[9]]),
            ([0, 11, 11], [entries[0]] + [gap] * 10 + [entries[11]]),
            ([2, 40], [gap] * 2 + [entries[2]]),  # a reference past the table refers to nothing
            ([], [])):
        xml = b"".join(b'<c r="A%d" t="s"><v>%d</v></c>' % (n, i) for n, i in enumerate(used, 1))
        assert reader._piece_strings(xml, strings, starts) == b'<sst count="12">' + b"".join(expected_entries) + b"</sst>"


@pytest.mark.parametrize("value, blank", [
    ("", True), (" ", True), ("\t\n", True), ("\u3000", True), ("\xa0", True), (None, True), (float("nan"), True),
    ("a ", False), (" 0", False), (0, False), (0.0, False), (False, False), (date(2020, 1, 1), False)])
def test_blank_cells_as_the_rules_see_them(value, blank):
    assert records.is_blank(value) is blank


@pytest.mark.parametrize("birth, moment, too_young", [
    (date(2000, 3, 1), date(2016, 2, 29), True), (date(2000, 3, 1), date(2016, 3, 1), False),
    (date(2000, 2, 29), date(2016, 2, 28), True), (date(2000, 2, 29), date(2016, 2, 29), False),
    (date(2000, 12, 31), date(2017, 1, 1), False), (date(2000, 1, 1), date(2015, 12, 31), True)])
def test_the_sixteenth_birthday_is_where_a_title_may_start(birth, moment, too_young):
    codes = {p.code for p in records._date_order(moment, moment, birth)}
    assert ("title_too_young" in codes) is too_young
