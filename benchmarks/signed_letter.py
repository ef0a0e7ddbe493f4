"""How long a signed one-page commitment letter takes. Budget: at most 0.6 s.

Two measurements:
- ``document``: build the unit letter's PDF from plain data (WeasyPrint), open the unit's stored
  credential (PKCS#12 re-encrypted under the portal key) and sign it (pyHanko, PAdES-B-B with the
  visible stamp): the work every letter costs.
- ``request``: the whole ``POST /letters/unit`` of a logged-in unit account through the Flask test
  client on SQLite: batch head counts and id digest over the unit's records, render, sign, write
  the file, store the record and audit entry, commit. Run with 120 and with 20 000 demo
  certificates (the unit holds about a quarter of them).

    nice .venv/bin/pytest benchmarks/signed_letter.py -p no:cacheprovider \
        --benchmark-columns=min,median,mean,max,rounds

For scale, not budgeted: the reviewer sign-off sheet (``sheet``) of 100 and of 300 records (the
most one sheet takes, services.SHEET_MAX_RECORDS) with three signed steps each, built and signed.

The first round in a process also registers the fonts with fontconfig; it is a warm-up round
and not counted.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from portal import create_app
from portal.documents.letters import (LevelCount, ReviewSheet, SheetRecord, SignedStep, UnitLetter,
                                      build_review_sheet_pdf, build_unit_letter_pdf)
from portal.documents.signing import sign_pdf, verify_pdf
from portal.extensions import db

PASSWORD = "Demo@2026"


def _letter() -> UnitLetter:
    return UnitLetter(
        number="DW20261124-7K3M9QXA", url="http://127.0.0.1:5000/documents/DW20261124-7K3M9QXA",
        org_name="日照市东港区人民医院", credit_code="12371102MB0000006X", account="unit_demo",
        contact_person="李经办", contact_phone="13906331234", office_phone="0633-8221234",
        batch_label="本单位审核确认并已报送上级的职称信息，截至2026年11月24日",
        levels=[LevelCount("正高级", 3, 3), LevelCount("副高级", 41, 41), LevelCount("中级", 160, 171),
                LevelCount("初级", 95, 98)],
        total_persons=260, total_certificates=313, issued_on=date(2026, 11, 24))


def _app(tmp_path, certificates: int):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "CA_DIR": str(tmp_path / "ca"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
        from portal import demo
        from portal.reference import seed

        seed()
        demo.run(certificates)
        db.session.remove()
    return app


def _csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return match.group(1)


def test_document(benchmark, tmp_path):
    app = _app(tmp_path, 0)
    with app.app_context():
        from portal.letters import credentials
        from portal.models import Organization

        org = db.session.scalar(db.select(Organization).where(Organization.code == "DG-RMYY"))
        credentials.signer_for(org, None)  # the portal CA issues and stores the unit's credential

        def signed_letter() -> bytes:
            signer = credentials.signer_for(org, None)
            return sign_pdf(build_unit_letter_pdf(_letter()), signer, reason="数据上报承诺",
                            stamp_text_lines=[org.name])

        pdf = benchmark.pedantic(signed_letter, rounds=10, warmup_rounds=1, iterations=1)
        result = verify_pdf(pdf, [credentials.portal_ca().certificate])
    assert result.intact and result.trusted


@pytest.mark.parametrize("certificates", [120, 20000], ids=["120-certificates", "20000-certificates"])
def test_request(benchmark, tmp_path, certificates):
    app = _app(tmp_path, certificates)
    client = app.test_client()
    client.post("/login", data={"username": "unit_demo", "password": PASSWORD, "csrf_token": _csrf(client, "/login")})
    token = _csrf(client, "/letters")
    form = {"csrf_token": token, "contact_person": "李经办", "contact_phone": "13906331234",
            "office_phone": "0633-8221234"}

    def issue():
        response = client.post("/letters/unit", data=form)
        assert response.status_code == 302 and "/letters/documents/DW" in response.headers["Location"]
        return response

    benchmark.pedantic(issue, rounds=10, warmup_rounds=1, iterations=1)


def _sheet(records: int) -> ReviewSheet:
    now = datetime.now(UTC)
    steps = [SignedStep("提交（诚信承诺）", "本人", "张明华", "专业技术人员", now, "已作诚信承诺", "#12 3fa9c0de"),
             SignedStep("审查确认", "日照市东港区人民医院", "李经办", "用人单位", now, "同意", "#13 77aa9c0d"),
             SignedStep("审查确认", "东港区职称改革领导小组办公室", "吴审核", "县级职改办", now, "同意", "#14 5b01e2c4")]
    rows = [SheetRecord(n, "欧阳娜娜", "中级 主治医师", f"鲁2015{n:08d}", steps) for n in range(1, records + 1)]
    return ReviewSheet("SH20261124-7K3M9QXA", "http://127.0.0.1:5000/documents/SH20261124-7K3M9QXA",
                       "日照市东港区人民医院", "本单位审核确认并已报送上级的职称信息", rows, 3 * records, now)


@pytest.mark.parametrize("records", [100, 300], ids=["100-records", "300-records"])
def test_sheet(benchmark, tmp_path, records):
    app = _app(tmp_path, 0)
    doc = _sheet(records)
    with app.app_context():
        from portal.letters import credentials

        signer = credentials.signer_for(None, None)
        benchmark.pedantic(lambda: sign_pdf(build_review_sheet_pdf(doc), signer, reason="审核签字确认"),
                           rounds=3, warmup_rounds=1, iterations=1)
