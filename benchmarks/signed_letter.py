"""A signed one-page commitment letter against a minimal page signed with pyHanko.

Baseline: a one-line page in the same font rendered by bare WeasyPrint and signed by pyHanko
(PAdES, no visible stamp) with the same key, loaded once: the least a signed PDF costs. Cases:
- ``document``: the unit letter built from plain data (WeasyPrint), the unit's stored credential
  opened (PKCS#12 re-encrypted under the portal key) and the PDF signed with the visible Chinese
  stamp: the work every letter costs. Goal: within 1.5x of the baseline.
- ``request``: the whole ``POST /letters/unit`` of a logged-in unit account through the Flask test
  client on SQLite (batch head counts, id digest, render, sign, store, audit, commit), with 120 and
  with 20 000 demo certificates (the unit holds about a quarter of them).
- ``sheet``: the reviewer sign-off sheet of 100 and of 300 records (the most one sheet takes) with
  three signed steps each; for scale.

Rounds alternate between case and baseline; the ratio of medians comes first.

    nice .venv/bin/python benchmarks/signed_letter.py [--rounds 10] [--skip-sheets]
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternate import compare, machine  # noqa: E402
from portal import create_app  # noqa: E402
from portal.documents.fonts import ensure_fonts  # noqa: E402
from portal.documents.letters import (LevelCount, ReviewSheet, SheetRecord, SignedStep, UnitLetter,  # noqa: E402
                                      build_review_sheet_pdf, build_unit_letter_pdf)
from portal.documents.signing import sign_pdf, verify_pdf  # noqa: E402
from portal.extensions import db  # noqa: E402

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


def _app(tmp_path: Path, certificates: int):
    tmp_path.mkdir(parents=True)
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


def minimal_signed_page(signer):
    """The baseline: one line of text in the same font, bare WeasyPrint, signed by bare pyHanko."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    font_file = ensure_fonts()["Regular"].resolve().as_uri()
    css = CSS(string=f'@font-face {{ font-family: "Base"; src: url("{font_file}"); }} html {{ font-family: "Base"; }}',
              font_config=fonts)
    metadata = signers.PdfSignatureMetadata(field_name="Signature1")

    def signed_page() -> bytes:
        pdf = HTML(string="<p>数据上报承诺书</p>").write_pdf(stylesheets=[css], font_config=fonts)
        return signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), metadata, signer=signer).getvalue()

    return signed_page


def _unit_org():
    from portal.models import Organization

    return db.session.scalar(db.select(Organization).where(Organization.code == "DG-RMYY"))


def document(tmp: Path, rounds: int) -> None:
    app = _app(tmp, 0)
    with app.app_context():
        from portal.letters import credentials

        org = _unit_org()
        baseline = minimal_signed_page(credentials.signer_for(org, None))

        def signed_letter() -> bytes:
            signer = credentials.signer_for(org, None)
            return sign_pdf(build_unit_letter_pdf(_letter()), signer, reason="数据上报承诺",
                            stamp_text_lines=[org.name])

        result = verify_pdf(signed_letter(), [credentials.portal_ca().certificate])
        assert result.intact and result.trusted
        compare("document: one-page unit letter, built and signed", signed_letter,
                "a minimal page signed with pyHanko", baseline, rounds)


def request(tmp: Path, certificates: int, rounds: int) -> None:
    app = _app(tmp, certificates)
    client = app.test_client()
    client.post("/login", data={"username": "unit_demo", "password": PASSWORD, "csrf_token": _csrf(client, "/login")})
    form = {"csrf_token": _csrf(client, "/letters"), "contact_person": "李经办", "contact_phone": "13906331234",
            "office_phone": "0633-8221234"}

    def issue():
        response = client.post("/letters/unit", data=form)
        assert response.status_code == 302 and "/letters/documents/DW" in response.headers["Location"]

    with app.app_context():
        from portal.letters import credentials

        baseline = minimal_signed_page(credentials.signer_for(_unit_org(), None))
    compare(f"request: POST /letters/unit, {certificates} demo certificates", issue,
            "a minimal page signed with pyHanko", baseline, rounds)


def _sheet(records: int) -> ReviewSheet:
    now = datetime.now(UTC)
    steps = [SignedStep("提交（诚信承诺）", "本人", "张明华", "专业技术人员", now, "已作诚信承诺", "#12 3fa9c0de"),
             SignedStep("审查确认", "日照市东港区人民医院", "李经办", "用人单位", now, "同意", "#13 77aa9c0d"),
             SignedStep("审查确认", "东港区职称改革领导小组办公室", "吴审核", "县级职改办", now, "同意", "#14 5b01e2c4")]
    rows = [SheetRecord(n, "欧阳娜娜", "中级 主治医师", f"鲁2015{n:08d}", steps) for n in range(1, records + 1)]
    return ReviewSheet("SH20261124-7K3M9QXA", "http://127.0.0.1:5000/documents/SH20261124-7K3M9QXA",
                       "日照市东港区人民医院", "本单位审核确认并已报送上级的职称信息", rows, 3 * records, now)


def sheet(tmp: Path, records: int, rounds: int) -> None:
    app = _app(tmp, 0)
    doc = _sheet(records)
    with app.app_context():
        from portal.letters import credentials

        signer = credentials.signer_for(None, None)
        compare(f"sheet: {records} records, {3 * records} signed steps",
                lambda: sign_pdf(build_review_sheet_pdf(doc), signer, reason="审核签字确认"),
                "a minimal page signed with pyHanko", minimal_signed_page(signer), rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--skip-sheets", action="store_true")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        document(Path(tmp) / "document", args.rounds)
        for certificates in (120, 20000):
            request(Path(tmp) / f"request{certificates}", certificates, args.rounds)
        if not args.skip_sheets:
            for records in (100, 300):
                sheet(Path(tmp) / f"sheet{records}", records, 3)
    print(machine())


if __name__ == "__main__":
    main()
