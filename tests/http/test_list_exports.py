"""Every list exports what it shows to Excel, within the user's scope; /certificates searches."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.access import scoped
from portal.domain.idnumber import mask_id
from portal.extensions import db
from portal.models import Certificate, Person, User


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active.values)
    response.close()
    return rows[0], rows[1:]


def _visible(app, username, *where):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return list(db.session.execute(
            scoped(Certificate, user).add_columns(Person.name, Person.id_number)
            .join(Person, Person.id == Certificate.person_id).where(*where)).tuples())


def test_certificates_search_by_name_id_tail_and_certificate_number(client, auth, app, demo):
    cert, name, id_number = _visible(app, "county_demo", Certificate.cert_no.is_not(None))[0]
    auth.login("county_demo")
    for q in (name, id_number[-4:], cert.cert_no[:-1]):
        page = client.get("/certificates", query_string={"q": q}).get_data(as_text=True)
        assert cert.cert_no in page, q
    page = client.get("/certificates", query_string={"q": "不存在的姓名"}).get_data(as_text=True)
    assert "没有符合条件的证书" in page


def test_certificate_export_is_the_filtered_list_in_scope(client, auth, app, demo):
    visible = _visible(app, "county_demo", Certificate.status == "approved")
    auth.login("county_demo")
    header, rows = _sheet(client.get("/certificates/export.xlsx", query_string={"status": "approved"}))
    assert header[:2] == ("姓名", "证件号码")
    assert len(rows) == len(visible) and all(row[6] == "审核通过" for row in rows)
    assert {row[5] for row in rows} == {c.cert_no or None for c, _, _ in visible} - {""}
    assert all(row[1] == mask_id(id_number) for row, (_, _, id_number) in zip(
        sorted(rows, key=lambda r: r[5] or ""), sorted(visible, key=lambda v: v[0].cert_no or "")))


def test_queue_export_follows_the_queue_filters(client, auth, app, demo):
    auth.login("unit_demo")
    page = client.get("/review/", query_string={"status": "all"}).get_data(as_text=True)
    assert 'href="/review/export.xlsx?status=all"' in page
    header, rows = _sheet(client.get("/review/export.xlsx", query_string={"status": "all"}))
    assert header[0] == "姓名" and len(rows) == len(_visible(app, "unit_demo"))


def test_staff_and_progress_exports(client, auth, app, demo):
    auth.login("unit_demo")
    _, rows = _sheet(client.get("/entry/staff/export.xlsx"))
    with app.app_context():
        org_id = db.session.scalar(select(User.org_id).where(User.username == "unit_demo"))
        staff = db.session.scalars(select(Person.name).where(Person.org_id == org_id)).all()
    assert sorted(r[0] for r in rows) == sorted(staff)
    auth.logout()
    auth.login("city_demo")
    header, rows = _sheet(client.get("/review/progress.xlsx"))
    assert header[0] == "下级组织" and any(r[0] == "合计" for r in rows)


@pytest.mark.parametrize("path", ["/certificates/export.xlsx", "/review/export.xlsx", "/entry/staff/export.xlsx",
                                  "/review/progress.xlsx"])
def test_exports_need_a_login(client, path):
    assert client.get(path).status_code == 302


def test_blacklist_and_notice_management_exports(client, auth, app, demo):
    from portal.models import PublicNotice

    auth.login("county_demo")
    page = client.get("/review/blacklist").get_data(as_text=True)
    assert 'href="/review/blacklist.xlsx"' in page
    header, _ = _sheet(client.get("/review/blacklist.xlsx"))
    assert header == ("对象", "证件号码", "原因", "期限", "列入机构", "状态")
    assert 'href="/notices/manage.xlsx"' in client.get("/notices/manage").get_data(as_text=True)
    header, rows = _sheet(client.get("/notices/manage.xlsx"))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "county_demo"))
        titles = set(db.session.scalars(scoped(PublicNotice, user).with_only_columns(PublicNotice.title)))
    assert header[0] == "标题" and {r[0] for r in rows} == titles


def test_holder_exports_who_checked_their_certificates(client, auth, app, demo, monkeypatch):
    from tests.conftest import csrf_token_of

    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0)
    with app.app_context():
        holder = db.session.scalar(select(User).where(User.username == "person_demo")).person
        name, id_number = holder.name, holder.id_number
    client.post("/verify", data={"csrf_token": csrf_token_of(client, "/verify"), "name": name, "id_number": id_number})
    auth.login("person_demo")
    header, rows = _sheet(client.get("/verify/history.xlsx"))
    assert header[1] == "核验方式" and rows and rows[0][1] == "网页查询"


def _rows_on(page: str, table_id: str) -> int:
    """How many data rows the page's table lists (the empty-list row has one colspan cell)."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    return body.count("<tr") - body.count("colspan=")


@pytest.mark.parametrize("path", ["/campaigns/export.xlsx", "/letters/documents.xlsx", "/excel/import/jobs.xlsx",
                                  "/verify/keys.xlsx", "/notices/manage/1/objections.xlsx", "/accounts/export.xlsx"])
def test_remaining_exports_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_campaign_export_is_the_list_shown(client, auth, app, demo):
    auth.login("county_demo")
    page = client.get("/campaigns/").get_data(as_text=True)
    assert 'href="/campaigns/export.xlsx"' in page
    header, rows = _sheet(client.get("/campaigns/export.xlsx"))
    assert header[0] == "任务名称" and rows and len(rows) == _rows_on(page, "campaign-table")
    assert all(row[0] in page and row[5] in ("开启中", "已关闭") for row in rows)


def test_account_export_masks_person_usernames_and_follows_the_search(client, auth, app, demo):
    auth.login("county_demo")
    page = client.get("/accounts").get_data(as_text=True)
    assert 'href="/accounts/export.xlsx"' in page
    header, rows = _sheet(client.get("/accounts/export.xlsx"))
    with app.app_context():
        actor = db.session.scalar(select(User).where(User.username == "county_demo"))
        visible = db.session.scalars(scoped(User, actor)).all()
        people = {u.username for u in visible if u.role == "person"}
    assert header[0] == "用户名" and len(rows) == len(visible)
    assert people and not people & {r[0] for r in rows}
    assert {mask_id(p) for p in people} <= {r[0] for r in rows}
    _, rows = _sheet(client.get("/accounts/export.xlsx", query_string={"q": "unit_demo"}))
    assert [r[0] for r in rows] == ["unit_demo"]
    auth.logout()
    auth.login("person_demo")
    assert client.get("/accounts/export.xlsx").status_code == 403


def test_issued_document_and_import_job_exports_stay_in_scope(client, auth, app, demo):
    from portal.models import ImportJob, IssuedDocument, Organization

    with app.app_context():
        unit = db.session.scalar(select(User).where(User.username == "unit_demo"))
        other = db.session.scalar(select(User).where(User.username == "unit3_demo"))
        for n, user in enumerate((unit, other)):
            org = db.session.get(Organization, user.org_id)
            db.session.add(IssuedDocument(
                number=f"CN-TEST-{n}", kind="unit_letter", title="承诺书", org_id=org.id, region_code=org.region_code,
                covers={}, sha256="0" * 64, size=1, file_name="x.pdf", signer_name=org.name,
                created_by_id=user.id, created_by_name=user.display_name))
            db.session.add(ImportJob(org_id=org.id, region_code=org.region_code, user_id=user.id,
                                     filename=f"导入{n}.xlsx", stored_name=f"s{n}", file_kind="xlsx", size=1,
                                     sha256="0" * 64, status="checked", rows_total=3, rows_valid=2))
        db.session.commit()
    auth.login("unit_demo")
    page = client.get("/letters").get_data(as_text=True)
    assert 'href="/letters/documents.xlsx"' in page
    header, rows = _sheet(client.get("/letters/documents.xlsx"))
    assert header[0] == "编号" and [r[0] for r in rows] == ["CN-TEST-0"] and "CN-TEST-0" in page
    page = client.get("/excel/import").get_data(as_text=True)
    assert 'href="/excel/import/jobs.xlsx"' in page
    header, rows = _sheet(client.get("/excel/import/jobs.xlsx"))
    assert header[0] == "文件" and [r[0] for r in rows] == ["导入0.xlsx"] and "导入0.xlsx" in page
    assert rows[0][3:5] == (3, 2)


def test_api_key_export_lists_prefixes_never_keys(client, auth, app, demo):
    from portal.verify.keys import issue_key

    with app.app_context():
        _, secret = issue_key("甘肃省人社厅职称核验系统")
    auth.login("admin")
    page = client.get("/verify/keys").get_data(as_text=True)
    assert 'href="/verify/keys.xlsx"' in page
    header, rows = _sheet(client.get("/verify/keys.xlsx"))
    assert header[1] == "使用单位" and len(rows) == _rows_on(page, "api-keys")
    assert "甘肃省人社厅职称核验系统" in {r[1] for r in rows}
    assert all(secret not in str(cell) for row in rows for cell in row)
    auth.logout()
    auth.login("county_demo")
    assert client.get("/verify/keys.xlsx").status_code == 403


def test_objection_export_is_the_notice_page_list(client, auth, app, demo):
    from tests.conftest import csrf_token_of

    from portal.models import NoticeEntry, PublicNotice
    from portal.notices.demo import OPEN_TITLE

    with app.app_context():
        notice_id = db.session.scalar(select(PublicNotice.id).where(PublicNotice.title == OPEN_TITLE))
        entry = db.session.scalar(select(NoticeEntry).where(NoticeEntry.notice_id == notice_id)
                                  .order_by(NoticeEntry.position))
        entry_id, position, person = entry.id, entry.position, entry.person_name
    response = client.post(f"/notices/{notice_id}/objections/new", content_type="multipart/form-data", data={
        "entry_id": str(entry_id), "name": "王建国", "phone": "13905331234",
        "grounds": "该同志的职称证书发证日期与本人所知情况不符，请核实。",
        "csrf_token": csrf_token_of(client, f"/notices/{notice_id}")})
    assert response.status_code == 302
    auth.login("county_demo")
    page = client.get(f"/notices/manage/{notice_id}").get_data(as_text=True)
    assert f'href="/notices/manage/{notice_id}/objections.xlsx"' in page
    header, rows = _sheet(client.get(f"/notices/manage/{notice_id}/objections.xlsx"))
    assert header[:2] == ("序号", "被异议人") and page.count('class="objection"') == len(rows) == 1
    assert rows[0][:2] == (position, person) and rows[0][3] == "待处理" and rows[0][4] == "王建国"
    auth.logout()
    auth.login("unit3_demo")
    assert client.get(f"/notices/manage/{notice_id}/objections.xlsx").status_code == 404
