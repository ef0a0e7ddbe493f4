"""The category workbook writer against XlsxWriter in constant-memory mode, same rows.

Case: ``portal.documents.xlsx_export.write_category`` (one of the four workbooks that
``export_zip`` builds for the web download and ``flask export``), writing generated rows in the
national column order. Baseline: XlsxWriter with ``constant_memory`` (rows streamed to disk, inline
strings, as the portal's writer does) writing the same header and rows with the same text and
date cells. Rounds alternate between the two; the ratio of medians comes first. This measures the
writer alone; benchmarks/excel_bench.py measures the whole export from the database.

    nice .venv/bin/python benchmarks/xlsx_export.py [--rows 100000] [--rounds 5]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternate import compare, machine  # noqa: E402
from portal.documents.xlsx_export import EXPORT_HEADERS, write_category  # noqa: E402

WORDS = ("日照市东港区人民医院", "卫生技术人员", "主治医师", "中级", "评审", "日照市职称改革领导小组办公室",
         "山东省卫生健康委员会", "本科", "医学学士", "临床医学", "在职", "是")


def _rows(count: int) -> list[tuple[int, tuple]]:
    rng = random.Random(count)
    width = len(EXPORT_HEADERS) - 1  # the writer numbers the rows itself
    rows = []
    for n in range(count):
        values = [rng.choice(WORDS) for _ in range(width)]
        values[1] = f"37110219{rng.randrange(60, 99)}0{rng.randrange(1, 9)}1{rng.randrange(10, 28)}{rng.randrange(1000, 9999)}"
        values[9] = date(2000, 1, 1) + timedelta(days=rng.randrange(9000))
        rows.append((n, tuple(values)))
    return rows


def portal_writer(rows, target: Path):
    return lambda: write_category(target, "中级评审职称", iter(rows))


def xlsxwriter_baseline(rows, target: Path):
    import xlsxwriter

    def write() -> None:
        workbook = xlsxwriter.Workbook(str(target), {"constant_memory": True})
        sheet = workbook.add_worksheet("中级评审职称")
        dates = workbook.add_format({"num_format": "yyyymmdd"})
        sheet.write_row(0, 0, EXPORT_HEADERS)
        for number, (_, values) in enumerate(rows, start=1):
            sheet.write_number(number, 0, number)
            for column, value in enumerate(values, start=1):
                if isinstance(value, date):
                    sheet.write_datetime(number, column, value, dates)
                else:
                    sheet.write_string(number, column, value)
        workbook.close()

    return write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows = _rows(args.rows)
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        compare(f"category workbook, {args.rows} rows x {len(EXPORT_HEADERS)} columns",
                portal_writer(rows, Path(tmp) / "portal.xlsx"),
                "XlsxWriter (constant_memory) writing the same rows", xlsxwriter_baseline(rows, Path(tmp) / "base.xlsx"),
                args.rounds)
    print(machine())


if __name__ == "__main__":
    main()
