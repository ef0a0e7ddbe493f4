"""Reference data as shipped, and its maintenance by an administrator."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import CodeItem, Region
from tests.conftest import csrf_token_of


def test_regions_keep_retired_codes(app_ctx):
    chongwen = db.session.get(Region, "110103")
    assert chongwen.name == "崇文区" and chongwen.valid_to == 2010 and not chongwen.current
    lixia = db.session.get(Region, "370102")
    assert lixia.name == "历下区" and lixia.current and lixia.parent_code == "370100"
    assert db.session.get(Region, "370000").level == "province"


def test_official_codes_are_only_those_known_from_a_standard(app_ctx):
    items = db.session.scalars(select(CodeItem).where(CodeItem.official_code.is_not(None)))
    assert {i.kind for i in items} <= {"education", "degree", "affiliation"}
    unknown = db.session.scalars(select(CodeItem).where(CodeItem.kind == "title_series"))
    assert all(i.official_code is None and "官方代码未知" in (i.note or "") for i in unknown)


@pytest.fixture
def restore_engineering(app):
    """Code tables are reference data kept across tests: put the edited entry back afterwards."""
    fields = ("name", "former_names", "sort", "active", "note", "official_code")
    query = select(CodeItem).where(CodeItem.kind == "title_series", CodeItem.key == "engineering")
    with app.app_context():
        original = {f: getattr(db.session.scalar(query), f) for f in fields}
    yield
    with app.app_context():
        item = db.session.scalar(query)
        for field, value in original.items():
            setattr(item, field, value)
        db.session.commit()


def test_admin_renames_a_series_and_the_change_is_audited(client, auth, demo, app, restore_engineering):
    with app.app_context():
        item = db.session.scalar(select(CodeItem).where(CodeItem.kind == "title_series", CodeItem.key == "engineering"))
        item_id = item.id
    auth.login("admin")
    page = client.get("/admin/codes?kind=title_series").get_data(as_text=True)
    assert "工程技术人员" in page
    token = csrf_token_of(client, f"/admin/codes/title_series/{item_id}")
    response = client.post(f"/admin/codes/title_series/{item_id}", data={
        "csrf_token": token, "key": "engineering", "name": "工程技术人才", "former_names": "工程技术人员",
        "sort": "5", "active": "y"})
    assert response.status_code == 302
    with app.app_context():
        item = db.session.get(CodeItem, item_id)
        assert item.name == "工程技术人才" and item.former_name_list == ("工程技术人员",)
        from portal.models import AuditEntry
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "code_item"))
        assert entry.diff["name"] == ["工程技术人员", "工程技术人才"] and entry.actor_role == "admin"


def test_duplicate_key_is_refused_with_a_message(client, auth, demo):
    auth.login("admin")
    token = csrf_token_of(client, "/admin/codes/title_series/new")
    response = client.post("/admin/codes/title_series/new", data={
        "csrf_token": token, "key": "engineering", "name": "重复", "sort": "0"})
    assert response.status_code == 200
    assert "职称系列中已有内部键“engineering”" in response.get_data(as_text=True)


def test_code_tables_are_for_administrators_only(client, auth, demo):
    auth.login("province_demo")
    assert client.get("/admin/codes").status_code == 403
