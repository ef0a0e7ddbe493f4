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
