"""The CLI contract other tooling depends on."""
import json

from sqlalchemy import func, select

from portal.domain.idnumber import check_resident_id
from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.evaluation.demo import DEMO_CONFIRMED
from portal.models import Application, Certificate, CodeItem, Region, User


def test_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(Region)),
                  db.session.scalar(select(func.count()).select_from(CodeItem)))
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "新增 0" in result.output
    with app.app_context():
        after = (db.session.scalar(select(func.count()).select_from(Region)),
                 db.session.scalar(select(func.count()).select_from(CodeItem)))
    assert before == after and before[0] > 6000


def test_demo_json_contract(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "--certificates", "90", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert set(info) >= {"accounts", "verifiable", "api_key", "status_counts", "foreign_certificate_url"}
    roles = {a["role"] for a in info["accounts"]}
    assert roles == {"person", "unit", "department", "county_office", "city_office", "province_office",
                     "committee", "admin"}
    assert all(set(a) == {"username", "password", "role", "org_code"} for a in info["accounts"])
    assert set(info["status_counts"]) == set(STATUSES)
    assert all(count > 0 for count in info["status_counts"].values()), info["status_counts"]
    for item in info["verifiable"]:
        assert check_resident_id(item["id_number"]).ok
    with app.app_context():
        for item in info["verifiable"]:
            status = db.session.scalar(select(Certificate.status).where(Certificate.cert_no == item["cert_no"]))
            assert status == "approved"
        total = db.session.scalar(select(func.count()).select_from(Certificate))
    assert total >= 90

    # E-certificates issued through the whole evaluation cycle, which anyone may download by their link.
    with app.app_context():
        confirmed = dict(db.session.execute(
            select(Certificate.cert_no, Application.status).join(Application, Application.certificate_id == Certificate.id)
            .where(Certificate.cert_no.in_([item["cert_no"] for item in info["e_certificates"]]))).all())
    assert len(info["e_certificates"]) == DEMO_CONFIRMED
    assert confirmed == {item["cert_no"]: "confirmed" for item in info["e_certificates"]}
    client = app.test_client()
    for item in info["e_certificates"]:
        assert set(item) == {"name", "id_number", "cert_no", "pdf_url"} and check_resident_id(item["id_number"]).ok
        response = client.get(item["pdf_url"])
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")

    again = runner.invoke(args=["demo", "--certificates", "90", "--json"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == total
        assert db.session.scalar(select(func.count()).select_from(User)) == len(info["accounts"])
    assert json.loads(again.output)["accounts"] == info["accounts"]
    assert json.loads(again.output)["e_certificates"] == info["e_certificates"], "issued once, not again"


def test_create_user(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--username", "ops1", "--role", "city_office", "--org", "RZ-ZGB",
                                 "--name", "运维", "--password", "Very-Secret-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ops1"))
        assert user.org.code == "RZ-ZGB" and user.check_password("Very-Secret-1")
    refused = runner.invoke(args=["create-user", "--username", "ops2", "--role", "unit", "--org", "NOPE",
                                  "--password", "Very-Secret-1"])
    assert refused.exit_code != 0 and "找不到组织代码 NOPE" in refused.output
