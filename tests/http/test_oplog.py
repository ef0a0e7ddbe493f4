"""The operation log over the signed trail: scope, filters, paging, Excel export, Chinese labels."""
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit import record
from portal.extensions import db
from portal.models import User
from portal.labels import ACTIONS


def _as(app, username):
    return db.session.scalar(select(User).where(User.username == username))


def _trail(app):
    with app.app_context():
        unit, far_unit = _as(app, "unit_demo"), _as(app, "unit3_demo")
        for number in range(55):
            record("submit", "certificate", 1000 + number, actor=unit)
        record("return", "certificate", 1000, actor=_as(app, "county_demo"), reason="发证日期有误")
        record("approve", "certificate", 2000, actor=far_unit)
        db.session.commit()


def test_an_office_sees_its_subtree_paged_and_in_chinese(app, client, auth, demo):
    _trail(app)
    auth.login("county_demo")
    page = client.get("/oplog").get_data(as_text=True)
    assert "李经办" in page and "赵经办" not in page
    assert "提交（承诺真实）" in page and "退回" in page and "职称证书 #1000" in page
    assert "第 1 / 2 页" in page
    assert "李经办" in client.get("/oplog?page=2").get_data(as_text=True)


def test_filters_by_person_organisation_action_object_and_dates(app, client, auth, demo):
    _trail(app)
    auth.login("county_demo")

    def rows(query):
        return client.get("/oplog?" + query).get_data(as_text=True).count("<tr>") - 1

    assert rows("action=return") == 1
    assert rows("person=吴审核") == 1
    assert rows("organisation=东港区人民医院&object_type=certificate&object_id=1001") == 1
    today = datetime.now(timezone(timedelta(hours=8))).date()
    assert rows(f"action=return&date_from={today}&date_to={today}") == 1
    assert rows(f"action=return&date_to={today - timedelta(days=1)}") == 0


def test_export_to_excel_follows_the_filter(app, client, auth, demo):
    _trail(app)
    auth.login("county_demo")
    response = client.get("/oplog.xlsx?action=return")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.values)
    assert values[0][:6] == ("编号", "时间（北京时间）", "操作人", "角色", "所属组织", "操作")
    assert len(values) == 2 and values[1][2] == "吴审核" and values[1][5] == "退回" and values[1][8] == "发证日期有误"


def test_persons_have_no_operation_log(client, auth, demo):
    auth.login("person_demo")
    assert client.get("/oplog").status_code == 403


def test_every_action_the_code_records_has_a_chinese_label():
    root = Path(__file__).resolve().parents[2] / "portal"
    source = "\n".join(path.read_text() for path in root.rglob("*.py"))
    literal = set(re.findall(r'record\(\s*"([a-z_]+)"', source))
    for pair in re.findall(r'record\(\s*"([a-z_]+)" if [^,]+ else "([a-z_]+)"', source):
        literal |= set(pair)
    assert literal and literal <= set(ACTIONS), literal - set(ACTIONS)
    assert {"objection_upheld", "objection_dismissed", "approve", "return", "update"} <= set(ACTIONS)
