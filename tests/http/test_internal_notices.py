"""通知公告: an office notifies the organisations under it and sees who has read the notice."""
import io
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import InternalNotice, NoticeRecipient, Organization
from tests.conftest import csrf_token_of
from tests.http.test_uploads import make_pdf


def _publish(client, **fields):
    data = {"csrf_token": csrf_token_of(client, "/internal-notices/new"), "title": "关于报送2026年职称信息的通知",
            "body": "请各单位于截止日期前完成报送。", "deadline": "", **fields}
    return client.post("/internal-notices/new", data=data, content_type="multipart/form-data")


def _recipient_codes(app, notice_id):
    with app.app_context():
        return set(db.session.scalars(select(Organization.code).join(
            NoticeRecipient, NoticeRecipient.org_id == Organization.id).where(NoticeRecipient.notice_id == notice_id)))


def _only_notice(app):
    with app.app_context():
        return db.session.scalar(select(InternalNotice.id))


def test_a_city_office_notifies_chosen_types_and_sees_who_read_it(client, auth, app, demo):
    auth.login("city_demo")
    response = _publish(client, org_types=["unit", "talent_center"],
                        attachments=[(io.BytesIO(make_pdf(1)), "填报说明.pdf")])
    assert response.status_code == 302
    notice_id = _only_notice(app)
    assert _recipient_codes(app, notice_id) == {"DG-RMYY", "RZ-YZ", "JX-NJZ", "RZ-RCZX"}
    auth.logout()

    auth.login("unit_demo")
    home = client.get("/home").get_data(as_text=True)
    assert 'id="home-notices"' in home and "关于报送2026年职称信息的通知" in home
    page = client.get(f"/internal-notices/{notice_id}").get_data(as_text=True)
    attachment = re.search(r'href="(/internal-notices/\d+/attachments/\d+)"', page).group(1)
    with client.get(attachment) as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert 'id="recipients"' not in page  # a recipient does not see the others' receipts
    token = csrf_token_of(client, f"/internal-notices/{notice_id}")
    client.post(f"/internal-notices/{notice_id}/read", data={"csrf_token": token})
    assert "本单位已于" in client.get(f"/internal-notices/{notice_id}").get_data(as_text=True)
    assert 'id="home-notices"' not in client.get("/home").get_data(as_text=True)
    auth.logout()

    auth.login("city_demo")
    page = client.get(f"/internal-notices/{notice_id}").get_data(as_text=True)
    assert '已阅 <span id="read-count">1</span> / 4' in page
    row = re.search(r'<tr data-org="DG-RMYY">.*?</tr>', page, re.S).group(0)
    assert "已阅" in row and "李经办" in row
    assert "未阅" in re.search(r'<tr data-org="RZ-YZ">.*?</tr>', page, re.S).group(0)


def test_a_county_reaches_only_its_own_area_and_regions_narrow_further(client, auth, app, demo):
    auth.login("county_demo")
    _publish(client)
    assert _recipient_codes(app, _only_notice(app)) == {"DG-RMYY"}
    auth.logout()
    auth.login("city_demo")
    _publish(client, regions=["371122"], title="莒县专项通知")
    with app.app_context():
        latest = db.session.scalar(select(InternalNotice.id).where(InternalNotice.title == "莒县专项通知"))
    assert _recipient_codes(app, latest) == {"JX-ZGB", "JX-NJZ"}


def test_an_organisation_outside_the_recipients_cannot_open_the_notice(client, auth, app, demo):
    auth.login("county2_demo")
    _publish(client)
    notice_id = _only_notice(app)
    auth.logout()
    auth.login("unit_demo")
    assert client.get(f"/internal-notices/{notice_id}").status_code == 404
    assert client.post(f"/internal-notices/{notice_id}/read",
                       data={"csrf_token": csrf_token_of(client, "/home")}).status_code == 404


def test_attachments_must_really_be_pdf(client, auth, app, demo):
    auth.login("city_demo")
    response = _publish(client, attachments=[(io.BytesIO(b"PK\x03\x04 not a pdf"), "名单.pdf")])
    assert response.status_code == 200
    assert "名单.pdf" in response.get_data(as_text=True) and "Word/Excel文档或压缩包" in response.get_data(as_text=True)
    assert _only_notice(app) is None


def test_units_and_people_cannot_publish(client, auth, demo):
    auth.login("unit_demo")
    assert client.get("/internal-notices/new").status_code == 403
    auth.logout()
    auth.login("person_demo")
    assert client.get("/internal-notices/new").status_code == 403
