"""Employer batch verification: a workbook in, the same rows with results out."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import VerificationLookup
from tests.conftest import csrf_token_of


@pytest.fixture(autouse=True)
def inline_log(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)


def _xlsx(rows, title_rows=()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in title_rows:
        sheet.append(row)
    sheet.append(["序号", "姓名", "身份证号码", "证书编号"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, filename="核验.xlsx"):
    """Upload, then follow to the job page and download the result: the result workbook, or
    the page that explains why there is none."""
    token = csrf_token_of(client, "/verify/batch")
    response = client.post("/verify/batch", data={"file": (io.BytesIO(data), filename), "csrf_token": token},
                           content_type="multipart/form-data")
    if response.status_code != 302:
        return response
    page = client.get(response.headers["Location"])
    link = re.search(r'href="(/verify/batch/\w+/result\.xlsx)"', page.get_data(as_text=True))
    if not link:
        return page
    result = client.get(link.group(1))
    result.get_data()  # read, then close the file it streams from
    result.close()
    return result


def test_batch_returns_the_workbook_with_a_result_per_row(client, auth, app, demo):
    real, other = demo["verifiable"][0], demo["verifiable"][5]
    rows = [
        [1, real["name"], real["id_number"], None],
        [2, other["name"], None, other["cert_no"]],
        [3, "王不存", real["id_number"], None],
        [4, real["name"], 3.71102198503144e17, None],  # an ID typed into a number cell
        [5, "", None, None],
    ]
    auth.login("unit_demo")
    response = _upload(client, _xlsx(rows, title_rows=[["职称证书核验名单"]]))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "职称证书核验名单"
    assert values[1][-2:] == ("核验结果", "核验说明")
    results = {row[0]: (row[-2], row[-1]) for row in values[2:]}
    assert results[1][0] == "有效" and real["cert_no"] in results[1][1]
    assert results[2][0] == "有效" and other["cert_no"] in results[2][1]
    assert results[3][0] == "未查到"
    assert results[4][0] == "无法核验" and "文本" in results[4][1]
    assert results[5][0] == "无法核验" and "姓名" in results[5][1]
    assert values[2][2] == real["id_number"], "ID numbers come back as text, not numbers"
    with app.app_context():
        logged = db.session.execute(select(VerificationLookup.found, func.count()).where(
            VerificationLookup.channel == "batch").group_by(VerificationLookup.found)).all()
        assert dict(logged) == {True: 2, False: 1}
        org = db.session.scalar(select(VerificationLookup.requester_org).limit(1))
        assert org == "日照市东港区人民医院"


@pytest.mark.parametrize("data,message", [
    (b"name,id\n\xe5\xbc\xa0\xe4\xb8\x89,1\n", "不是Excel工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "旧版Excel"),
    (b"PK\x03\x04 not really a zip", "已损坏"),
])
def test_files_that_are_not_xlsx_are_refused_in_chinese(client, auth, demo, data, message):
    auth.login("unit_demo")
    response = _upload(client, data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)


def test_a_zip_that_is_not_a_workbook_is_refused(client, auth, demo):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    auth.login("unit_demo")
    assert "没有Excel工作簿的内容" in _upload(client, buffer.getvalue()).get_data(as_text=True)


def test_a_sheet_claiming_a_million_rows_is_refused_before_it_is_read(client, auth, demo):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "姓名", "证件号码", "证书编号"])
    sheet.append([1, "张三", None, "鲁1"])
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login("unit_demo")
    response = _upload(client, buffer.getvalue())
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "表格超过5000行的上限" in body


def test_a_shared_strings_bomb_is_refused_in_chinese(client, auth, demo, tmp_path):
    from tests.unit.test_imports_hostile import _huge_strings, _sst_workbook, _with_part

    path = _with_part(_sst_workbook(tmp_path), tmp_path / "bomb.xlsx", "xl/sharedStrings.xml",
                      _huge_strings(80), declare=4096)
    auth.login("unit_demo")
    response = _upload(client, path.read_bytes())
    assert response.mimetype == "text/html" and "共享字符串部分过大" in response.get_data(as_text=True)


def test_row_and_size_limits_are_explained(client, auth, app, demo, monkeypatch):
    auth.login("unit_demo")
    monkeypatch.setitem(app.config, "VERIFY_BATCH_MAX_ROWS", 3)
    body = _upload(client, _xlsx([[i, "张三", None, f"鲁{i}"] for i in range(4)])).get_data(as_text=True)
    assert "每次最多核验3行，本文件有4行" in body
    monkeypatch.setitem(app.config, "VERIFY_BATCH_MAX_MB", 0)
    assert "文件超过0MB" in _upload(client, _xlsx([[1, "张三", None, "鲁1"]])).get_data(as_text=True)


def test_a_sheet_without_the_expected_header_is_explained(client, auth, demo):
    workbook = Workbook()
    workbook.active.append(["甲", "乙"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login("unit_demo")
    assert "没有找到表头" in _upload(client, buffer.getvalue()).get_data(as_text=True)


def test_batch_is_for_units_and_offers_a_template(client, auth, demo):
    auth.login("county_demo")
    assert client.get("/verify/batch").status_code == 403
    auth.logout()
    auth.login("unit_demo")
    template = client.get("/verify/batch/template.xlsx")
    headers = next(load_workbook(io.BytesIO(template.data)).active.iter_rows(values_only=True))
    assert headers == ("姓名", "证件号码", "证书编号")


def test_batch_uploads_are_rate_limited_per_account(client, auth, app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_BATCH_LIMIT", "1 per hour")
    auth.login("unit_demo")
    data = _xlsx([[1, "张三", None, "鲁1"]])
    assert _upload(client, data).status_code == 200
    throttled = _upload(client, data)
    assert throttled.status_code == 429 and "查询过于频繁" in throttled.get_data(as_text=True)


def test_each_row_counts_against_the_identity_limit(client, auth, app, demo, monkeypatch):
    # 5 000 name guesses for one ID once took 3.6 s; now the ID's budget ends them.
    monkeypatch.setitem(app.config, "VERIFY_LIMIT_PER_IDENTITY", "3 per minute")
    real = demo["verifiable"][0]
    rows = [[n, f"王{n}", real["id_number"], None] for n in range(1, 6)] + [[6, real["name"], real["id_number"], None]]
    auth.login("unit_demo")
    sheet = load_workbook(io.BytesIO(_upload(client, _xlsx(rows)).data)).active
    verdicts = [row[-2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert verdicts == ["未查到", "未查到", "未查到", "暂不能核验", "暂不能核验", "暂不能核验"]
    # The public page shares the budget.
    page = client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), "name": real["name"],
                                        "id_number": real["id_number"]})
    assert page.status_code == 429


def test_uploaded_text_never_becomes_a_formula_in_the_result(client, auth, demo):
    from python_calamine import CalamineWorkbook

    hostile = ['=HYPERLINK("http://evil.example","点击")', "@SUM(A1:A9)", "+1-1", "-2+3"]
    rows = [[n, value, "370102197308291817", value] for n, value in enumerate(hostile, 1)]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["序号", "姓名", "身份证号码", "证书编号"])
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed as text by the employer
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login("unit_demo")
    data = _upload(client, buffer.getvalue()).data
    out = load_workbook(io.BytesIO(data)).active
    for index, value in enumerate(hostile, start=2):
        for cell in (out.cell(row=index, column=2), out.cell(row=index, column=4)):
            assert cell.value == value and cell.data_type == "s" and cell.quotePrefix
    read = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [row[1] for row in read[1:]] == hostile
