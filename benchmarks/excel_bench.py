"""Excel import/export benchmark: 100 000 rows in the national template layout.

    .venv/bin/python benchmarks/excel_bench.py [--rows 100000] [--rounds 3] [--database URL]

Without --database a throw-away SQLite file is used; pass a PostgreSQL URL (an empty database
you created for the purpose) to measure there. Each phase runs in a fresh process so its peak
memory (ru_maxrss) is its own. The yardstick is a raw python-calamine read of every cell of the
same file: each round runs raw read, dry-run check, raw read, committed import (each into
emptied tables), so a slower or busier moment of the machine weighs on both sides of each ratio. The
export of the four category workbooks zipped (and the national-layout workbook) run once at the
end. Prints one JSON line per phase, then the ratios (median over the rounds) and a table.
A phase that fails, or an import that does not take every row, stops the run with its output.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORG_CODE = "BENCH-UNIT"
SERIES = (("工程技术人员", ("助理工程师", "工程师", "高级工程师", "正高级工程师")),
          ("卫生技术人员", ("医师", "主治医师", "副主任医师", "主任医师")),
          ("中小学教师", ("二级教师", "一级教师", "高级教师", "正高级教师")))
LEVELS = ("初级", "中级", "副高级", "正高级")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "秀英", "建国", "海燕", "立新", "志强", "丽", "明华", "晓东", "欧阳·娜")


def _app(database: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database})


def _rows(rows: int):
    """Rows for 80% as many persons (a fifth hold a second, higher title), every column filled."""
    from portal.domain.idnumber import build_resident_id

    persons = rows * 4 // 5
    for i in range(rows):
        p = i if i < persons else i - persons
        second = i >= persons
        birth = date(1960, 1, 1) + timedelta(days=p // 500)
        sex = "男" if p % 2 else "女"
        series, names = SERIES[p % 3]
        level_index = (p % 2) + (2 if second else 0)
        issued = date(2010 + p % 8 + (4 if second else 0), 1 + p % 12, 1 + p % 28)
        yield (
            "371100000000日照市本级", SURNAMES[p % len(SURNAMES)] + GIVEN[p // 7 % len(GIVEN)], sex, "居民身份证",
            build_resident_id("371102", birth, (p % 500) * 2 + (1 if sex == "男" else 0)),
            f"{birth:%Y%m%d}", "日照市基准测试单位", "事业单位", "大学本科毕业", "学士", "40市、地区",
            f"鲁{issued.year}{i:08d}", f"{issued:%Y%m%d}", names[level_index], series, "否", None, None,
            LEVELS[level_index], "日照市人力资源和社会保障局", "日照市职称评审委员会",
            f"日职改字〔{issued.year}〕{1 + p % 90}号", "日照市职称改革领导小组办公室", "评审",
        )


def make_workbook(path: Path, rows: int) -> None:
    """The data as Excel and WPS save it: every text in the shared-strings table."""
    from portal.imports.layouts import NATIONAL
    from tests.fixtures.workbooks import shared_strings_xlsx

    shared_strings_xlsx(path, "信息填报", [tuple(c.header for c in NATIONAL.columns), *_rows(rows)])


def setup(database: str) -> None:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Organization
    from portal.reference import seed

    app = _app(database)
    with app.app_context():
        db.create_all()
        seed()
        if db.session.scalar(select(Organization).where(Organization.code == ORG_CODE)) is None:
            org = Organization(code=ORG_CODE, name="日照市基准测试单位", type="unit", region_code="371100", path="/")
            db.session.add(org)
            db.session.commit()


def phase(name: str, database: str, workbook: Path, out: Path) -> dict:
    from sqlalchemy import select, text, update

    from portal.documents.xlsx_export import export_zip, national_export
    from portal.excel.services import ExportSource, OrgScope, template_data
    from portal.extensions import db
    from portal.imports.pipeline import Importer
    from portal.models import Certificate, Organization

    if name == "raw":
        return raw_read(workbook)
    app = _app(database)
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == ORG_CODE))
        result = {"phase": name}
        if name == "reset":
            from portal.models import Person

            if db.engine.dialect.name == "postgresql":
                # DELETE would leave every run's rows behind as dead tuples and index entries
                # until autovacuum came by, so later rounds would insert into bloated indexes.
                db.session.execute(text(f"TRUNCATE {Certificate.__tablename__}, {Person.__tablename__} CASCADE"))
            else:
                db.session.execute(Certificate.__table__.delete())
                db.session.execute(Person.__table__.delete())
            db.session.commit()
            return result
        if name == "approve":
            db.session.execute(update(Certificate).values(status="approved"))
            db.session.commit()
            return result
        started, cpu = time.perf_counter(), time.process_time()
        if name == "check":
            report = Importer(org=org).run(workbook, "xlsx")
            db.session.rollback()
            result.update(rows=report.rows_total, valid=report.rows_valid, issues=len(report.issues))
            _require(report, report.rows_valid)
        elif name == "commit":
            report = Importer(org=org).run(workbook, "xlsx", write=True)
            db.session.commit()
            result.update(rows=report.rows_total, imported=report.rows_imported, **report.counts)
            _require(report, report.rows_imported)
        elif name == "export":
            summary = export_zip(out / "export.zip", org.name, ExportSource(OrgScope.of(org)).category)
            result.update(persons=summary.persons, files=summary.files,
                          zip_bytes=(out / "export.zip").stat().st_size)
        elif name == "national":
            national_export(out / "national.xlsx", template_data(), ExportSource(OrgScope.of(org)).national())
            result.update(bytes=(out / "national.xlsx").stat().st_size)
        result["seconds"] = round(time.perf_counter() - started, 2)
        # CPU time of this process alone: the fairer figure on a machine shared with other work.
        result["cpu_seconds"] = round(time.process_time() - cpu, 2)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def raw_read(workbook: Path) -> dict:
    """The yardstick: python-calamine reading every cell of the data sheet, nothing else."""
    from python_calamine import CalamineWorkbook

    started, cpu = time.perf_counter(), time.process_time()
    cells = 0
    for row in CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("信息填报").to_python():
        cells += len(row)
    return {"phase": "raw", "cells": cells, "seconds": round(time.perf_counter() - started, 3),
            "cpu_seconds": round(time.process_time() - cpu, 3),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _require(report, done: int) -> None:
    """Fail loudly: a benchmark of an import that rejected rows measures the wrong thing."""
    if done != report.rows_total or report.errors:
        first = [i for i in report.issues if i["severity"] == "error"][:3]
        raise SystemExit(f"import took {done} of {report.rows_total} rows, {report.errors} errors: {first}")


def _phase(name: str, database: str, workdir: Path, rows: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    output = subprocess.run([sys.executable, __file__, "--phase", name, "--database", database,
                             "--workdir", str(workdir), "--rows", str(rows)], capture_output=True, text=True, env=env)
    if output.returncode != 0:
        raise SystemExit(f"phase {name} failed ({output.returncode}):\n{output.stdout}\n{output.stderr}")
    line = json.loads(output.stdout.strip().splitlines()[-1])
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating raw-read/check/commit rounds")
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        workdir = Path(args.workdir)
        if args.phase == "generate":
            started = time.perf_counter()
            make_workbook(workdir / "bench.xlsx", args.rows)
            print(json.dumps({"phase": "generate", "rows": args.rows, "seconds": round(time.perf_counter() - started, 2),
                              "bytes": (workdir / "bench.xlsx").stat().st_size}))
        elif args.phase == "setup":
            setup(args.database)
            print(json.dumps({"phase": "setup"}))
        else:
            print(json.dumps(phase(args.phase, args.database, workdir / "bench.xlsx", workdir), ensure_ascii=False))
        return

    workdir = Path(tempfile.mkdtemp(prefix="excel-bench-"))
    database = args.database or f"sqlite:///{workdir / 'bench.sqlite3'}"
    # Every step in a fresh process: Linux carries a parent's peak RSS into its children, so
    # this process stays small and each figure is the phase's own.
    for name in ("generate", "setup"):
        _phase(name, database, workdir, args.rows)
    runs: dict[str, list[dict]] = {"raw": [], "check": [], "commit": []}
    ratios: dict[str, list[float]] = {"check": [], "commit": []}
    cpu_ratios: dict[str, list[float]] = {"check": [], "commit": []}
    for _ in range(args.rounds):
        for measured in ("check", "commit"):
            raw = _phase("raw", database, workdir, args.rows)
            _phase("reset", database, workdir, args.rows)  # every run starts from empty tables
            line = _phase(measured, database, workdir, args.rows)
            runs["raw"].append(raw)
            runs[measured].append(line)
            ratios[measured].append(line["seconds"] / raw["seconds"])
            cpu_ratios[measured].append(line["cpu_seconds"] / raw["cpu_seconds"])
    results = [_phase(name, database, workdir, args.rows) for name in ("approve", "export", "national")][1:]
    backend = database.split(":", 1)[0]
    print(f"\nratios against a raw calamine read of every cell ({backend}, {args.rows} rows, median of {args.rounds}):")
    for name, budget in (("check", 2), ("commit", 4)):
        values, cpu = ratios[name], cpu_ratios[name]
        print(f"  {name}: {statistics.median(values):.2f}x wall (runs {', '.join(f'{v:.2f}' for v in values)}), "
              f"{statistics.median(cpu):.2f}x CPU (runs {', '.join(f'{v:.2f}' for v in cpu)}); budget {budget}x")
    print(f"\n| phase ({backend}, {args.rows} rows) | wall s | CPU s | peak MB |\n|---|---|---|---|")
    for name in ("raw", "check", "commit"):
        lines = runs[name]
        print(f"| {name} (median) | {statistics.median(l['seconds'] for l in lines):.2f} | "
              f"{statistics.median(l['cpu_seconds'] for l in lines):.2f} | {max(l['peak_mb'] for l in lines)} |")
    for line in results:
        print(f"| {line['phase']} | {line['seconds']} | {line['cpu_seconds']} | {line['peak_mb']} |")


if __name__ == "__main__":
    main()
