"""The import run: read rows, check them, find duplicates, and (when committing) write them.

Rows are handled in chunks: each chunk's persons and certificates already in the database are
fetched with one query per chunk, never one per row, and written in bulk: COPY on PostgreSQL,
one executemany on SQLite. Everything is written in the caller's transaction, so the caller's
rollback undoes a run completely (all-or-nothing) and its commit makes it visible at once.
"""
from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path

from openpyxl.utils import get_column_letter
from sqlalchemy import any_, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from portal import audit, clock, lookups
from portal.domain.problems import ERROR, Problem, error, warning
from portal.domain.scope import ScopeRules
from portal.domain.workflow import REVIEW_STATUS_BY_ORG_TYPE, status_label
from portal.extensions import db
from portal.imports.layouts import Layout
from portal.imports.reader import MAX_ROWS, WorkbookError, find_data_sheet
from portal.imports.rows import CERT_FIELDS, CheckedRow, RowChecker
from portal.models import Certificate, Organization, Person
from portal.models._types import utcnow
from portal.models.verification import (PUBLIC_CERTIFICATE_FIELDS, PUBLISHED_STATUSES, record_certificate_corrections,
                                        record_person_corrections)
from portal.reference import record_context

CHUNK = 1000
# Statuses in which the holding unit may still change a certificate, so a re-import updates it.
EDITABLE_STATUSES = ("draft", "returned")
PERSON_UPDATE_FIELDS = ("name", "sex", "birth_date", "employer_name", "unit_nature", "education", "degree",
                        "affiliation", "phone")

# The columns a committed import inserts, in the order _write_rows gives their values.
PERSON_INSERT = ("name", "sex", "id_type", "id_number", "id_tail", "birth_date", "org_id", "unit_region_code",
                 "employer_name", "unit_nature", "education", "degree", "affiliation", "phone",
                 "created_at", "updated_at")
CERT_INSERT = (*CERT_FIELDS, "person_id", "org_id", "unit_region_code", "campaign_id", "status", "objection_open",
               "version", "created_at", "updated_at")
_CERT_UPDATE_KEYS = tuple(f"_{f}" for f in CERT_FIELDS)
_EXPLANATION = re.compile(r"^指|格式|yyyy|YYYY|不能|必须|请|填写|选择|例如|样式|下拉")
_NOTE = re.compile(r"^\s*(填表说明|说明|注[:：]|备注[:：])")
_ID_LIKE = re.compile(r"\d{6}")
# Rows offices add below the data: a totals line, and the signatures and contacts of a form.
_TOTALS = re.compile(r"^(?:合\s*计|总\s*计|小\s*计|共\s*\d+\s*[人名条本项])")
_FOOTER = re.compile(r"^(?:填\s*表\s*人|制\s*表\s*人|填\s*报\s*人|审\s*核\s*人|复\s*核\s*人|经\s*办\s*人|联\s*系\s*人"
                     r"|联系电话|联系方式|单位负责人|负\s*责\s*人|分管领导|主要负责人|填报日期|填表日期|制表日期|报送日期"
                     r"|填报单位|单位[(（]\s*盖章)")
# The error values Excel and WPS write into a cell (t="e"), and their meaning.
ERROR_VALUES = {"#N/A": "找不到引用的值", "#REF!": "引用的单元格已被删除", "#VALUE!": "公式中的值类型不对",
                "#DIV/0!": "除数为零", "#NAME?": "公式中有无法识别的名称", "#NULL!": "区域不相交",
                "#NUM!": "数值无效", "#GETTING_DATA": "数据尚未计算", "#SPILL!": "溢出区域被占用",
                "#CALC!": "计算出错"}


@dataclass
class Report:
    layout: str | None = None
    layout_title: str | None = None
    sheet: str | None = None
    rows_total: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    # Rows below the header that are not data, counted apart from rows_total.
    totals_rows: int = 0  # 合计, 共N人
    footer_rows: int = 0  # 填表人, 审核人, 联系电话…
    example_rows: int = 0  # the template's own sample row
    issues: list[dict] = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {
        "persons_inserted": 0, "persons_updated": 0, "certificates_inserted": 0, "certificates_updated": 0})

    @property
    def errors(self) -> int:
        return sum(1 for issue in self.issues if issue["severity"] == ERROR)

    @property
    def warnings(self) -> int:
        return len(self.issues) - self.errors

    @property
    def skipped(self) -> dict[str, int]:
        return {"totals": self.totals_rows, "footers": self.footer_rows, "examples": self.example_rows}

    def as_json(self) -> dict:
        """The report of `flask import-xlsx --report-json`."""
        return {
            "layout": self.layout,
            "rows_total": self.rows_total,
            "rows_valid": self.rows_valid,
            "rows_imported": self.rows_imported,
            "rows_skipped": self.skipped,
            "issues": [{k: issue[k] for k in ("row", "column", "severity", "code", "message")}
                       for issue in self.issues],
        }


def initial_status(org: Organization) -> str:
    """The state imported certificates start in.

    A unit's rows are its drafts: the unit still submits them (and signs for them) through the
    normal review path. A reviewing body that imports data it collected itself (a department
    or an office) has in effect entered them at its own level, so they wait in its own review
    queue. Anything else (a committee office) starts as a draft as well.
    """
    if org.type in ("unit", "talent_center"):
        return "draft"
    return REVIEW_STATUS_BY_ORG_TYPE.get(org.type, "draft")


def _is_blank(value) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return float(value).is_integer()
    return isinstance(value, str) and value.strip().isdigit()


def skip_reason(cells: list, values: dict, layout: Layout) -> str | None:
    """Why a row below the header is not data: empty, column numbers, example, totals, a
    signature or contact footer, or notes."""
    id_value = values.get("id_number")
    if isinstance(id_value, str) and _ID_LIKE.search(id_value) and not _FOOTER.match(id_value):
        # The usual case, decided at once: a row with an ID number is data unless it is the sample.
        return "example" if id_value.strip() in layout.example_id_numbers else None
    filled = [c for c in cells if not _is_blank(c)]
    if not filled:
        return "empty"
    first = filled[0]
    if isinstance(first, str):
        if _TOTALS.match(first.strip()):
            return "totals"
        if _FOOTER.match(first.strip()):
            return "footer"
    if any(isinstance(c, str) and _TOTALS.match(c.strip()) for c in filled) and not _has_name(values):
        return "totals"
    if len(filled) == 1 and not _is_blank(values.get("seq")):
        return "empty"  # a pre-numbered row of an otherwise empty form
    if len(filled) >= 3 and all(_is_number(c) for c in filled) \
            and [int(float(c)) for c in filled] == list(range(1, len(filled) + 1)):
        return "column_numbers"
    if len(filled) == 1 and isinstance(filled[0], str) and _NOTE.match(filled[0]):
        return "note"
    texts = [c for c in filled if isinstance(c, str) and _EXPLANATION.search(c)]
    if len(texts) * 2 >= len(filled) and not (isinstance(id_value, (int, float)) and not isinstance(id_value, bool)):
        return "explanation"
    return None


def _has_name(values: dict) -> bool:
    name = values.get("name")
    return isinstance(name, str) and bool(name.strip()) and not _TOTALS.match(name.strip())


def bulk_insert(table, names: tuple[str, ...], rows: list[list]) -> None:
    """Insert `rows` (lists of values for the columns `names`, every value given) in the
    caller's transaction; the lists may be changed in place.

    PostgreSQL gets COPY, which skips parsing and planning an INSERT per row; SQLite one
    executemany of a prepared statement. Values go through each column's own conversion
    (SQLite stores dates and times as text), once per distinct value: the timestamp every row
    shares, the few authorities and dates that repeat down a sheet, are converted once.
    """
    if not rows:
        return
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    dialect = connection.dialect
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(quote(n) for n in names)
        with raw.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    converters = []
    for name in names:
        process = table.c[name].type._cached_bind_processor(dialect)
        converters.append(_memoised(process) if process else None)
    placeholders = ", ".join("?" * len(names))
    statement = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({placeholders})'
    for index, convert in enumerate(converters):
        if convert is not None:
            for row in rows:
                row[index] = convert(row[index])
    cursor = raw.cursor()
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()


def _memoised(process):
    seen: dict = {}

    def convert(value):
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = process(value)
            return result
    return convert


def _among(column, values: list):
    """`column IN values` with the values as one parameter: on PostgreSQL `= ANY(array)`, on
    SQLite `IN (SELECT value FROM json_each(?))`. A list of hundreds of placeholders costs more
    in building and coercing the statement (and, on PostgreSQL, the driver's uncached re-parse)
    than the lookup itself; the one-parameter form is compiled once and cached. Both still
    search the column's index per key."""
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    keys = func.json_each(bindparam(None, json.dumps(list(values), ensure_ascii=False))).table_valued("value")
    return column.in_(select(keys.c.value))


class Importer:
    def __init__(self, *, org: Organization | None, rules: ScopeRules | None = None, today: date | None = None,
                 max_rows: int = MAX_ROWS, progress: Callable[[int, int], None] | None = None,
                 campaign_id: int | None = None, account_id: int | None = None):
        self.org = org
        self.rules = rules or ScopeRules()
        self.today = today or clock.today()
        self.max_rows = max_rows
        self.progress = progress
        self.campaign_id = campaign_id
        self.account_id = account_id  # whose existence-check budget the run spends
        self.status = initial_status(org) if org is not None else "draft"
        self.report = Report()
        # (id_type, id_number) -> person id, for persons found or inserted during this run.
        self._person_ids: dict[tuple, int] = {}
        self._existing_person: dict[tuple, tuple] = {}  # key -> (id, org_id, name)
        self._updated_persons: set[int] = set()
        self._seen_person: dict[str, tuple[int, str]] = {}
        self._seen_cert: dict[tuple, int] = {}  # certificates without a number
        self._seen_cert_no: dict[str, tuple[str, int]] = {}
        self._writing_stopped = False

    # The run ---------------------------------------------------------------------------------
    def run(self, path: Path, kind: str, *, write: bool = False, mode: str = "valid") -> Report:
        # A large file allocates millions of short-lived objects (cells, rows, problems); the
        # cyclic collector would walk the application's own long-lived objects again and again
        # (0.7 s in a check of 100 000 rows). Reference counting frees the rows; anything
        # cyclic waits for the first collection after the run.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._run(path, kind, write=write, mode=mode)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _run(self, path: Path, kind: str, *, write: bool, mode: str) -> Report:
        if write and self.org is None:
            raise ValueError("writing needs the holding organisation")
        sheet = find_data_sheet(Path(path), kind, self.max_rows)
        match = sheet.match
        layout = match.layout
        report = self.report
        report.layout, report.layout_title, report.sheet = layout.key, layout.title, sheet.name
        self._headers = match.headers
        self._cells = {f: get_column_letter(index + 1) for f, index in match.columns.items()}
        checker = RowChecker(record_context(
            today=self.today, scope=self.rules, series_strict=layout.series_strict, date_style=layout.date_style,
            default_obtain_method="review"))
        self._write, self._mode = write, mode
        if write and db.engine.dialect.name == "postgresql":
            # One commit per organisation at a time: a second import of the same rows waits here,
            # then finds the first one's rows and updates them instead of adding them again.
            db.session.execute(select(Organization.id).where(Organization.id == self.org.id).with_for_update())
            # The lookups below run while this transaction fills the tables; statistics still
            # describe them as they were (often empty), and the planner would scan them whole
            # for every chunk. Index lookups are right for IN-lists of a few hundred keys.
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
        expected = max(0, sheet.height - sheet.header_row)
        columns = list(match.columns.items())
        fields = tuple(f for f, _ in columns)
        # All mapped cells at once when the row reaches the last mapped column (the usual case).
        pick = itemgetter(*(i for _, i in columns)) if len(columns) > 1 else None
        width = max(i for _, i in columns) + 1
        if self.progress:
            self.progress(0, expected)
        pending: list[CheckedRow] = []
        for number, cells in sheet.rows:
            if number <= sheet.header_row:
                continue
            if pick is not None and len(cells) >= width:
                values = dict(zip(fields, pick(cells)))
            else:
                values = {f: (cells[i] if i < len(cells) else None) for f, i in columns}
            reason = skip_reason(cells, values, layout)
            if reason == "empty" and sheet.errors and number in sheet.errors:
                reason = None  # the cells hold error values, which calamine reads as blanks
            if reason:
                self._skipped(reason, number)
                continue
            report.rows_total += 1
            if report.rows_total > self.max_rows:
                raise WorkbookError("too_many_rows", f"表格超过{self.max_rows}行的上限，请拆分为多个文件后分别导入")
            row = checker.check(number, values, sheet.notes)
            if sheet.errors and number in sheet.errors:
                self._error_cells(row, sheet.errors[number], columns)
            pending.append(row)
            if len(pending) >= CHUNK:
                self._flush(pending)
                pending = []
                if self.progress:
                    self.progress(number - sheet.header_row, expected)
        self._flush(pending)
        if self.progress:
            self.progress(expected, expected)
        if write and mode == "all" and report.errors:
            report.rows_imported = 0
        return report

    def _skipped(self, reason: str, number: int) -> None:
        report = self.report
        if reason == "totals":
            report.totals_rows += 1
        elif reason == "footer":
            report.footer_rows += 1
        elif reason == "example":
            report.example_rows += 1
            self._issue(number, warning("id_number", "example_row",
                                        f"第{number}行是模板自带的示例行（张三），不是本单位的数据，已跳过；"
                                        "请在上报前删除该行"))

    @staticmethod
    def _error_cells(row: CheckedRow, found: dict[int, str], columns: list[tuple[str, int]]) -> None:
        """An error value (#N/A…) stands where the checker saw a blank: its problems about that
        cell give way to one naming the cell and the value."""
        fields = {f: (i, found[i]) for f, i in columns if i in found}
        if not fields:
            return
        row.problems[:] = [p for p in row.problems if p.field not in fields]
        for name, (index, value) in fields.items():
            meaning = ERROR_VALUES.get(value)
            row.problems.append(error(name, "cell_error_value",
                                      f"单元格{get_column_letter(index + 1)}{row.row}的值是Excel错误“{value}”"
                                      + (f"（{meaning}）" if meaning else "")
                                      + "，不是有效内容：请检查该单元格的公式或引用，改为实际的值后重新上传"))

    # One chunk ---------------------------------------------------------------------------------
    def _flush(self, chunk: list[CheckedRow]) -> None:
        if not chunk:
            return
        self._check_within_file(chunk)
        self._check_against_database(chunk)
        valid = [row for row in chunk if row.ok]
        self.report.rows_valid += len(valid)
        for row in chunk:
            for problem in row.problems:
                self._issue(row.row, problem)
        if not self._write:
            return
        if self._mode == "all" and self.report.errors:
            # Nothing of this run will be kept; stop spending time on writes, keep checking.
            self._writing_stopped = True
        if not self._writing_stopped:
            self._write_rows(valid)

    def _issue(self, row: int, problem: Problem) -> None:
        column = self._headers.get(problem.field)
        letter = self._cells.get(problem.field)
        self.report.issues.append({
            "row": row, "column": column, "severity": problem.severity, "code": problem.code,
            "message": problem.message, "cell": f"{letter}{row}" if letter else None,
        })

    @staticmethod
    def _cert_key(row: CheckedRow) -> tuple | None:
        cert = row.cert
        if cert.get("cert_no"):
            return ("no", cert["cert_no"])
        if cert.get("series") and cert.get("level") and (cert.get("issue_date") or cert.get("grant_date")):
            return ("attrs", cert["series"], cert["level"], cert.get("issue_date") or cert.get("grant_date"))
        return None

    def _check_within_file(self, chunk: list[CheckedRow]) -> None:
        """Later rows repeating an earlier valid row are errors; the first one counts.

        Keys are kept compact (one string per person) since a 100 000-row file keeps them all.
        """
        for row in chunk:
            if row.key is None:
                continue
            id_type, number = row.key
            key = number if id_type == "resident_id" else f"{id_type}:{number}"
            name = row.person["name"]
            first = self._seen_person.get(key)
            if first is not None and name and first[1] and name != first[1]:
                row.problems.append(error("name", "person_name_conflict",
                                          f"证件号码与第{first[0]}行相同，但姓名不同（第{first[0]}行为“{first[1]}”）"))
            cert_no = row.cert.get("cert_no")
            attrs_key = None
            if cert_no:
                other = self._seen_cert_no.get(cert_no)
                if other is not None and other[0] != key:
                    row.problems.append(error("cert_no", "cert_no_repeated",
                                              f"证书编号与第{other[1]}行相同，但证件号码不同，请核对证书编号"))
                elif other is not None:
                    row.problems.append(error("cert_no", "duplicate_row",
                                              f"与第{other[1]}行是同一张证书（重复行），本行不会导入"))
            else:
                cert_key = self._cert_key(row)
                attrs_key = (key, *cert_key[1:]) if cert_key else None
                if attrs_key in self._seen_cert:
                    row.problems.append(error("id_number", "duplicate_row",
                                              f"与第{self._seen_cert[attrs_key]}行是同一张证书（重复行），本行不会导入"))
            if not row.ok:
                continue
            if first is None:
                self._seen_person[key] = (row.row, name)
            if cert_no:
                self._seen_cert_no.setdefault(cert_no, (key, row.row))
            elif attrs_key is not None:
                self._seen_cert.setdefault(attrs_key, row.row)

    def _check_against_database(self, chunk: list[CheckedRow]) -> None:
        keyed = [(r, r.key) for r in chunk if r.key is not None]
        keys = {k for _, k in keyed}
        self._load_persons(keys - self._existing_person.keys() - self._person_ids.keys())
        person_ids = {self._existing_person[k][0] for k in keys if k in self._existing_person}
        by_no, by_attrs, locked = self._load_certificates(person_ids)
        numbers = {r.cert["cert_no"] for r, _ in keyed if r.cert.get("cert_no")}
        holders = self._cert_no_holders(numbers)
        foreign = [row for row, key in keyed if key in self._existing_person and self.org is not None
                   and self._existing_person[key][1] != self.org.id]
        # Each "belongs to another unit" answer tells something about another unit's staff.
        within_budget = lookups.allow(self.account_id, "import", len(foreign)) if foreign else True
        for row, key in keyed:
            existing = self._existing_person.get(key)
            person_id = existing[0] if existing else self._person_ids.get(key)
            if existing and self.org is not None and existing[1] != self.org.id:
                # The same words whatever the name: the answer must not confirm another unit's data.
                row.problems.append(error("id_number", "person_other_unit",
                                          "该人员不属于本单位：该证件号码已由其他单位登记，不能通过本单位导入；"
                                          "如该人员已调入本单位，请联系职改办办理") if within_budget
                                    else lookups.refusal())
                continue
            if existing and row.person.get("name") and existing[2] != row.person["name"]:
                if person_id in locked:
                    row.problems.append(error("name", "identity_locked",
                                              "姓名已随证书上报并锁定，不能修改；如需更正，请联系上级审核部门退回后修改"))
                else:
                    row.problems.append(warning("name", "person_name_changed",
                                                f"系统中该证件号码登记的姓名为“{existing[2]}”，导入后将改为“{row.person['name']}”"))
            cert_no = row.cert.get("cert_no")
            holder = holders.get(cert_no) if cert_no else None
            if holder is not None and holder != person_id and row.ok:
                row.problems.append(error("cert_no", "cert_no_taken",
                                          f"证书编号{cert_no}已登记在其他人员名下，请核对证书编号"))
                continue
            found = None
            if person_id is not None:
                cert_key = self._cert_key(row)
                if cert_key and cert_key[0] == "no":
                    found = by_no.get((person_id, cert_key[1]))
                elif cert_key:
                    found = by_attrs.get((person_id, *cert_key[1:]))
            row.cert.pop("_update_id", None)
            if found is None:
                continue
            cert_id, status, org_id, published = found
            if self.org is not None and org_id == self.org.id and status in EDITABLE_STATUSES:
                row.cert["_update_id"] = cert_id
                if published is not None:
                    row.cert["_published"] = published
                row.problems.append(warning("cert_no" if cert_no else "title_name", "cert_will_update",
                                            f"系统中已有这张证书（{status_label(status)}），导入时将按本表更新，不会重复登记"))
            else:
                row.problems.append(error("cert_no" if cert_no else "title_name", "cert_exists",
                                          f"系统中已有这张证书（{status_label(status)}），不能通过导入修改或重复登记"))

    def _load_persons(self, keys: set[tuple], into_existing: bool = True) -> None:
        if not keys:
            return
        table = Person.__table__
        stmt = select(table.c.id, table.c.id_type, table.c.id_number, table.c.org_id, table.c.name) \
            .where(_among(table.c.id_number, sorted({number for _, number in keys})))
        for pid, id_type, number, org_id, name in db.session.execute(stmt):
            if (id_type, number) in keys:
                if into_existing:
                    self._existing_person[(id_type, number)] = (pid, org_id, name)
                self._person_ids[(id_type, number)] = pid

    def _load_certificates(self, person_ids: set[int]) -> tuple[dict, dict, set[int]]:
        """Certificates of these persons by number and by attributes, with the public fields of
        those already published; and the persons whose identity is locked (as on the form: a
        certificate of theirs has gone up beyond the importing body's own editing)."""
        by_no, by_attrs, locked = {}, {}, set()
        editable = set(EDITABLE_STATUSES) | ({"unit_review"} if self.org is not None and self.org.type == "unit"
                                             else set())
        table = Certificate.__table__
        columns = ["id", "person_id", "grant_date", "status", "org_id", "approved_at", "verify_token",
                   *PUBLIC_CERTIFICATE_FIELDS]
        if not person_ids:
            return by_no, by_attrs, locked
        stmt = select(*(table.c[name] for name in columns)).where(_among(table.c.person_id, sorted(person_ids)))
        for row in db.session.execute(stmt):
            pid, status = row.person_id, row.status
            published = {f: getattr(row, f) for f in PUBLIC_CERTIFICATE_FIELDS} \
                if row.approved_at is not None or row.verify_token is not None or status in PUBLISHED_STATUSES \
                else None
            value = (row.id, status, row.org_id, published)
            if row.cert_no:
                by_no.setdefault((pid, row.cert_no), value)
            by_attrs.setdefault((pid, row.series, row.level, row.issue_date or row.grant_date), value)
            if status not in editable:
                locked.add(pid)
        return by_no, by_attrs, locked

    def _cert_no_holders(self, numbers: set[str]) -> dict[str, int]:
        holders = {}
        if not numbers:
            return holders
        table = Certificate.__table__
        stmt = select(table.c.cert_no, table.c.person_id).where(_among(table.c.cert_no, sorted(numbers)))
        for cert_no, pid in db.session.execute(stmt):
            holders.setdefault(cert_no, pid)
        return holders

    # Writing -----------------------------------------------------------------------------------
    def _write_rows(self, rows: list[CheckedRow]) -> None:
        if not rows:
            return
        org, now = self.org, utcnow()
        persons = Person.__table__
        certificates = Certificate.__table__
        new_people, updates, renamed = {}, {}, []
        for row in rows:
            key = row.key
            if key in self._person_ids:
                pid = self._person_ids[key]
                existing = self._existing_person.get(key)
                if existing and existing[1] == org.id and pid not in self._updated_persons:
                    updates[pid] = row.person
                    if row.person.get("name") and row.person["name"] != existing[2]:
                        renamed.append(pid)
                continue
            if key not in new_people:
                new_people[key] = self._person_values(row.person, now)
        if new_people:
            # Written in bulk, then the new ids read back by number: INSERT … RETURNING for
            # thousands of rows costs more in building the statement than in running it.
            bulk_insert(persons, PERSON_INSERT, list(new_people.values()))
            self._load_persons(set(new_people), into_existing=False)
            self.report.counts["persons_inserted"] += len(new_people)
        if updates:
            record_person_corrections(db.session.connection(), renamed, ("name",))
            stmt = update(persons).where(persons.c.id == bindparam("_id")).values(
                {f: func.coalesce(bindparam(f"_{f}"), persons.c[f]) for f in PERSON_UPDATE_FIELDS}
                | {"updated_at": bindparam("_updated_at")})
            db.session.execute(stmt, [
                {"_id": pid, "_updated_at": now} | {f"_{f}": values.get(f) for f in PERSON_UPDATE_FIELDS}
                for pid, values in updates.items()])
            self._updated_persons.update(updates)
            self.report.counts["persons_updated"] += len(updates)

        inserts, cert_updates = [], []
        # The values every new certificate of the run shares, after person_id (see CERT_INSERT).
        shared = [org.id, org.region_code, self.campaign_id, self.status, False, 1, now, now]
        person_ids = self._person_ids
        for row in rows:
            cert = row.cert
            values = list(map(cert.get, CERT_FIELDS))
            if cert.get("_update_id"):
                cert_updates.append(dict(zip(_CERT_UPDATE_KEYS, values))
                                    | {"_id": cert["_update_id"], "_updated_at": now})
            else:
                values.append(person_ids[row.key])
                values += shared
                inserts.append(values)
        if inserts:
            bulk_insert(certificates, CERT_INSERT, inserts)
            self.report.counts["certificates_inserted"] += len(inserts)
        if cert_updates:
            # A record published before (approved, then returned) shows 信息已更正 as on the form.
            record_certificate_corrections(db.session.connection(), [
                (row.cert["_update_id"], row.cert["_published"], row.cert) for row in rows
                if row.cert.get("_published")])
            stmt = update(certificates).where(certificates.c.id == bindparam("_id")).values(
                {f: bindparam(f"_{f}") for f in CERT_FIELDS}
                | {"updated_at": bindparam("_updated_at"), "version": certificates.c.version + 1})
            db.session.execute(stmt, cert_updates)
            self.report.counts["certificates_updated"] += len(cert_updates)
        self.report.rows_imported += len(rows)

    def _person_values(self, person: dict, now) -> list:
        """The values of PERSON_INSERT for a new person."""
        org = self.org
        number = person["id_number"]
        get = person.get
        return [person["name"], get("sex"), person["id_type"], number, number[-4:], get("birth_date"), org.id,
                org.region_code, get("employer_name") or org.name, get("unit_nature"), get("education"),
                get("degree"), get("affiliation"), get("phone"), now, now]

    def record_audit(self, job_id: int, filename: str, actor=None) -> None:
        """One trail entry for the whole import: who brought in which file, and what it changed."""
        counts = self.report.counts
        audit.record("import", "import_job", job_id, actor=actor,
                     reason=f"批量导入《{filename}》（{self.report.layout_title}）",
                     diff={"rows_imported": self.report.rows_imported, **counts})

