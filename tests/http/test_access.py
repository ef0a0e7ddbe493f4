"""Scoping: each role sees exactly its organisation's records, never another's by URL."""
import pytest
from sqlalchemy import func, select

from portal.access import scoped
from portal.extensions import db
from portal.models import Certificate, Organization, Person, User


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))


def _org(code):
    return db.session.scalar(select(Organization).where(Organization.code == code))


def test_unit_cannot_read_another_units_person_or_certificate_by_url(client, auth, demo, app):
    with app.app_context():
        other = db.session.scalar(select(Certificate).where(Certificate.org_id == _org("RZ-YZ").id).limit(1))
        own = db.session.scalar(select(Certificate).where(Certificate.org_id == _org("DG-RMYY").id).limit(1))
        other_id, other_person, own_id = other.id, other.person_id, own.id
    auth.login("unit_demo")
    assert client.get(f"/certificates/{own_id}").status_code == 200
    assert client.get(f"/certificates/{other_id}").status_code == 404
    assert client.get(f"/persons/{other_person}").status_code == 404
    assert demo["foreign_certificate_url"].startswith("/certificates/")
    assert client.get(demo["foreign_certificate_url"]).status_code == 404


def test_office_sees_its_region_subtree_only(app, demo):
    with app.app_context():
        county = _user("county_demo")  # 东港区 371102
        visible = list(db.session.scalars(scoped(Certificate, county)))
        assert visible, "the county office should see the certificates of units in its county"
        assert {c.unit_region_code for c in visible} == {"371102"}
        total_in_county = db.session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.unit_region_code == "371102"))
        assert len(visible) == total_in_county

        city = _user("city_demo")  # 日照市 3711xx sees every demo unit
        city_regions = {c.unit_region_code for c in db.session.scalars(scoped(Certificate, city))}
        assert city_regions == {"371102", "371122", "371100"}

        other_county = _user("county2_demo")  # 莒县 371122 sees nothing of 东港区
        assert all(c.unit_region_code == "371122" for c in db.session.scalars(scoped(Certificate, other_county)))


def test_department_sees_its_units_and_person_only_themselves(app, demo):
    with app.app_context():
        dept = _user("dept_demo")
        orgs = {c.org_id for c in db.session.scalars(scoped(Certificate, dept))}
        assert orgs == {_org("RZ-YZ").id}

        person_user = _user("person_demo")
        people = list(db.session.scalars(scoped(Person, person_user)))
        assert [p.id for p in people] == [person_user.person_id]
        own_certs = list(db.session.scalars(scoped(Certificate, person_user)))
        assert own_certs and all(c.person_id == person_user.person_id for c in own_certs)


@pytest.mark.parametrize("path", ["/home", "/certificates", "/certificates/1", "/persons/1", "/admin/codes"])
def test_internal_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
