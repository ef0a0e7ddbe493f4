"""Batch verification for employers: a workbook of 姓名 + 证件号码/证书编号 in, the same rows
with a result column out.

The upload is checked by content (an .xlsx is a zip holding an Excel workbook) and by the
importer's workbook guard in the request; reading it (python-calamine, a parser that does not
expand XML entities), matching and writing the result (openpyxl) run in the worker process
(portal.tasks). A job is a few files under UPLOAD_DIR/verify named by a random token: the
upload, its state (JSON: owner, status, counts or message) and the result. Rows are matched in
chunks of a few hundred numbers per query, not one query per row.
"""
from __future__ import annotations

import io
import json
import logging
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from python_calamine import CalamineError, CalamineWorkbook

from portal import tasks
from portal.clock import in_china
from portal.documents.cells import plain_text
from portal.domain.idnumber import check_resident_id
from portal.domain.text import clean
from portal.extensions import db
from portal.imports.reader import WorkbookError, check_xlsx
from portal.verify.lookup_log import lookup_log
from portal.models import Certificate, Person
from portal.verify.services import (PUBLISHED_CERTIFICATES, CertificateView, Query, Requester,
                                    certificate_view, identity_digest, log_rows, parse_query)
from portal.verify.throttle import count, spent

NAME_HEADERS = ("姓名",)
ID_HEADERS = ("证件号码", "身份证号码", "身份证号", "公民身份号码")
CERT_HEADERS = ("证书编号", "证书号码", "证书号")
HEADER_SCAN_ROWS = 10
CHUNK = 500
THROTTLED = "该证件号码或证书编号近期核验次数过多，已暂停核验，请稍后再试。"
# A real workbook of a few thousand rows unpacks to a few dozen MB; far more is a zip bomb.


log = logging.getLogger("portal.verify")
STALE_SECONDS = 180  # a job running this long has lost its worker: a 5 000-row file takes seconds
QUEUE_DELAYED = "任务队列暂不可用，文件已保存，核验将在队列恢复后自动开始，请稍后刷新本页。"


class BatchError(Exception):
    """A problem with the whole file, told to the user in Chinese."""


def _dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "verify"
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_path(token: str) -> Path:
    return _dir() / f"{token}.result.xlsx"


def _state_path(token: str) -> Path:
    return _dir() / f"{token}.json"


def _save_state(token: str, **state) -> None:
    path = _state_path(token)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)  # readers never see half a file


def state(token: str, user_id: int) -> dict | None:
    """The job's state for its owner, None for anyone else or an unknown token. Settles a job
    whose worker is gone (failed) or that waits for the queue to come back (queued again)."""
    if not token.isalnum():
        return None
    path = _state_path(token)
    if not path.exists():
        return None
    current = json.loads(path.read_text(encoding="utf-8"))
    if current.get("user_id") != user_id:
        return None
    if current["status"] == "running" and time.time() - current["since"] > STALE_SECONDS:
        current |= {"status": "failed", "message": "处理该文件的后台进程已中断，请重新上传。"}
        _save_state(token, **current)
    elif current["status"] == "delayed":
        _enqueue(token, current)
    return current


def start(data: bytes, user_id: int, requester: Requester) -> tuple[str, bool]:
    """Store a checked upload and queue its verification: (token, queued now)."""
    token = secrets.token_hex(16)
    (_dir() / f"{token}.xlsx").write_bytes(data)
    job = {"user_id": user_id, "status": "queued", "since": time.time(), "requester": asdict(requester)}
    _save_state(token, **job)
    return token, _enqueue(token, job)


def _enqueue(token: str, job: dict) -> bool:
    try:
        tasks.enqueue(tasks.verify_batch, token, job["requester"])
    except tasks.QueueUnavailable:
        job |= {"status": "delayed", "message": QUEUE_DELAYED}
        _save_state(token, **job)
        return False
    if job["status"] == "delayed":
        job |= {"status": "queued", "message": None}
        _save_state(token, **job)
    return True


def run(token: str, requester: dict) -> None:
    """The worker's part: read, match, write the result, record the outcome."""
    path = _state_path(token)
    job = json.loads(path.read_text(encoding="utf-8"))
    if job["status"] not in ("queued", "delayed"):
        return
    upload = _dir() / f"{token}.xlsx"
    job |= {"status": "running", "since": time.time()}
    _save_state(token, **job)
    try:
        output, counts = verify_workbook(upload.read_bytes(), Requester(**requester))
    except BatchError as exc:
        job |= {"status": "failed", "message": str(exc)}
    except MemoryError:
        job |= {"status": "failed", "message": "文件过大，核验时超出了内存上限，请拆分后分批核验。"}
    except Exception:
        log.exception("batch verification %s failed", token)
        job |= {"status": "failed", "message": "核验时发生意外错误，请检查文件后重新上传，或联系系统管理员。"}
    else:
        result_path(token).write_bytes(output)
        job |= {"status": "done", "counts": counts}
    finally:
        lookup_log.flush()
        upload.unlink(missing_ok=True)  # the employer's list is kept no longer than needed
    _save_state(token, **job)


@dataclass
class Sheet:
    rows: list[list]
    header_index: int
    name_col: int
    id_col: int | None
    cert_col: int | None


def _header_text(value) -> str:
    return "".join(clean(value).split())


def check_upload(data: bytes) -> None:
    max_mb = current_app.config["VERIFY_BATCH_MAX_MB"]
    if not data:
        raise BatchError("请选择要核验的Excel文件。")
    if len(data) > max_mb * 1024 * 1024:
        raise BatchError(f"文件超过{max_mb}MB，请删除无关内容或拆分后分批核验。")
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise BatchError("这是旧版Excel（.xls）文件，请在Excel中“另存为”Excel工作簿（.xlsx）后重新上传。")
    if data[:4] != b"PK\x03\x04":
        raise BatchError("文件不是Excel工作簿（.xlsx）。请上传用Excel或WPS保存的 .xlsx 文件。")
    # The importer's container checks: damaged zips, missing parts, bombs, sheets claiming a
    # million rows or columns are refused before calamine builds any grid.
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        handle.write(data)
        handle.flush()
        try:
            check_xlsx(Path(handle.name), max_rows=current_app.config["VERIFY_BATCH_MAX_ROWS"])
        except WorkbookError as exc:
            raise BatchError(exc.message) from exc


def read_sheet(data: bytes) -> Sheet:
    max_rows = current_app.config["VERIFY_BATCH_MAX_ROWS"]
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, IndexError) as exc:
        raise BatchError("无法读取工作簿的第一个工作表，请确认文件可以用Excel正常打开。") from exc
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [_header_text(cell) for cell in row]
        if not any(h in NAME_HEADERS for h in headers):
            continue
        name_col = next(i for i, h in enumerate(headers) if h in NAME_HEADERS)
        id_col = next((i for i, h in enumerate(headers) if h in ID_HEADERS), None)
        cert_col = next((i for i, h in enumerate(headers) if h in CERT_HEADERS), None)
        if id_col is None and cert_col is None:
            continue
        while len(rows) > index + 1 and not any(clean(c) for c in rows[-1]):
            rows.pop()
        data_rows = len(rows) - index - 1
        if data_rows > max_rows:
            raise BatchError(f"每次最多核验{max_rows}行，本文件有{data_rows}行，请拆分后分批核验。")
        if data_rows == 0:
            raise BatchError("表头下面没有需要核验的数据行。")
        return Sheet(rows, index, name_col, id_col, cert_col)
    raise BatchError("第一个工作表的前10行中没有找到表头：表头应包含“姓名”，以及“证件号码”或“证书编号”。")


def _cell(row: list, col: int | None):
    if col is None or col >= len(row):
        return None
    value = row[col]
    return None if value == "" else value


def _number_cell_problem(raw) -> str | None:
    """An ID typed into a number cell: Excel has dropped its last digits (or turned it into 3.7E+17)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        result = check_resident_id(raw)
        for problem in result.problems:
            if problem.code == "id_excel_number":
                return problem.message
    return None


def _as_text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _fetch(column, values: list[str]) -> dict[str, list[CertificateView]]:
    out: dict[str, list[CertificateView]] = {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        for row in db.session.execute(PUBLISHED_CERTIFICATES.where(column.in_(chunk))):
            view = certificate_view(row)
            key = row.id_number if column is Person.id_number else view.cert_no
            out.setdefault(key, []).append(view)
    return out


def _describe(found: list[CertificateView]) -> tuple[str, str]:
    statuses = {view.status for view in found}
    verdict = "已撤销" if statuses == {"revoked"} else ("部分已撤销" if "revoked" in statuses else (
        "有效（信息已更正）" if "corrected" in statuses else "有效"))
    parts = []
    for view in found:
        text = f"{view.level} {view.title_name}（{view.series}，证书编号{view.cert_no or '无'}，" \
               f"发证日期{view.issue_date.isoformat() if view.issue_date else '无'}，{view.status_label}"
        if view.status == "revoked" and view.revoked_at:
            text += f"，{in_china(view.revoked_at).date().isoformat()}撤销：{view.revoke_reason or ''}"
        if view.status == "corrected" and view.corrected_at:
            text += f"，{in_china(view.corrected_at).date().isoformat()}更正"
        parts.append(text + "）")
    return verdict, "；".join(parts)


def verify_workbook(data: bytes, requester: Requester) -> tuple[bytes, dict]:
    """The checked workbook as .xlsx bytes, and counts for the page."""
    sheet = read_sheet(data)
    body = sheet.rows[sheet.header_index + 1:]
    queries: list[Query | str] = []
    for row in body:
        raw_id = _cell(row, sheet.id_col)
        damaged = _number_cell_problem(raw_id)
        if damaged:
            queries.append(damaged)
            continue
        query, error = parse_query(_cell(row, sheet.name_col), _as_text(raw_id), _as_text(_cell(row, sheet.cert_col)))
        queries.append(query if query else error)

    wanted = [q for q in queries if isinstance(q, Query)]
    by_id = _fetch(Person.id_number, sorted({q.id_number for q in wanted if q.id_number}))
    by_cert = _fetch(Certificate.cert_no, sorted({q.cert_no for q in wanted if q.cert_no and not q.id_number}))

    results, log, counts = [], [], {"rows": len(body), "found": 0, "not_found": 0, "invalid": 0, "throttled": 0}
    for query in queries:
        if not isinstance(query, Query):
            results.append(("无法核验", query))
            counts["invalid"] += 1
            continue
        # Row by row, as lookups on the public page: a miss spends the queried number's budget
        # and a spent budget stops the rows after it, so a file of name guesses for one ID gets
        # no further than the page would, while correct rows never lock a holder's lookup.
        identity = "identity:" + identity_digest(query.identity)
        if spent("VERIFY_LIMIT_PER_IDENTITY", identity):
            results.append(("暂不能核验", THROTTLED))
            counts["throttled"] += 1
            continue
        if query.id_number:
            found = [v for v in by_id.get(query.id_number, []) if v.name == query.name
                     and (not query.cert_no or v.cert_no == query.cert_no)]
        else:
            found = [v for v in by_cert.get(query.cert_no, []) if v.name == query.name]
        if not found:
            count("VERIFY_LIMIT_PER_IDENTITY", identity)
        log += log_rows(requester, query.kind, query.identity, found)
        if found:
            counts["found"] += 1
            results.append(_describe(found))
        else:
            counts["not_found"] += 1
            results.append(("未查到", "未查到与姓名及证件号码/证书编号同时相符的已审核职称证书，请核对填写内容。"))
    if log:
        lookup_log.add(log)
    return _write(sheet, results), counts


def _write(sheet: Sheet, results: list[tuple[str, str]]) -> bytes:
    workbook = Workbook()
    out = workbook.active
    out.title = "核验结果"
    width = max(len(row) for row in sheet.rows)
    text_cols = {c for c in (sheet.id_col, sheet.cert_col) if c is not None}
    for index, row in enumerate(sheet.rows):
        # Uploaded text goes back as text: "=HYPERLINK(…)" typed in a name must not become a formula.
        values = [plain_text(out, _as_text(v) if i in text_cols else v) for i, v in enumerate(row)]
        values += [None] * (width - len(row))
        if index < sheet.header_index:
            out.append(values)
        elif index == sheet.header_index:
            out.append(values + ["核验结果", "核验说明"])
            bold = Font(bold=True)
            for cell in out[out.max_row]:
                cell.font = bold
        else:
            verdict, detail = results[index - sheet.header_index - 1]
            out.append(values + [verdict, plain_text(out, detail)])
            if verdict != "有效" and not verdict.startswith("有效"):
                out.cell(row=out.max_row, column=width + 1).fill = PatternFill("solid", fgColor="FDEEEE")
    for row in out.iter_rows(min_row=sheet.header_index + 2):
        for col in text_cols:
            row[col].number_format = "@"
    out.column_dimensions[out.cell(row=1, column=width + 2).column_letter].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "批量核验"
    sheet.append(["姓名", "证件号码", "证书编号"])
    for col in ("B", "C"):
        sheet.column_dimensions[col].width = 26
        for row in range(2, 1002):
            sheet[f"{col}{row}"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
