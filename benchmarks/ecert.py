"""Issuing electronic certificates (render, sign, store) against rendering the same pages unsigned.

Data: the demo organisations and accounts on SQLite, with `--count` approved certificates in the
scope of 东港区职改办 (county_demo) made for the run. Rounds alternate (see benchmarks/alternate.py):
- case ``issue``: `portal.ecert.services.issue_ecert` for the next certificate: the SM2-signed QR
  payload, the page rendered by WeasyPrint, the office's stored credential opened and the PDF
  signed (PAdES, visible seal), the file written, the document, e-certificate and trail rows
  inserted, the holder's message queued, committed.
- baseline ``render``: the same page of the next certificate in the baseline's own sequence
  (same data, a payload of the same length), rendered to PDF and nothing else.
The ratio of medians is what signing and storing add; the goal is at most 1.5x. `--profile N`
then issues N more under cProfile and prints where the time goes, by stage.

    nice .venv/bin/python benchmarks/ecert.py [--count 1000] [--profile 100]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alternate import compare, machine  # noqa: E402
from portal import clock, create_app  # noqa: E402
from portal.extensions import db  # noqa: E402


def _app(tmp: Path, count: int):
    tmp.mkdir(parents=True, exist_ok=True)
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "CA_DIR": str(tmp / "ca"),
        "ECERT_KEY_DIR": str(tmp / "ecert"),
        "AUDIT_CHECKPOINT_DIR": str(tmp / "checkpoints"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        from sqlalchemy import select, update

        from portal import demo
        from portal.models import Certificate, Organization
        from portal.models._types import utcnow
        from portal.models.verification import new_verify_token
        from portal.reference import seed

        db.create_all()
        seed()
        demo.run(0)
        unit = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        # Enough demo certificates that the unit (a quarter of them) holds `count` approved ones.
        while db.session.scalar(select(db.func.count()).select_from(Certificate).where(
                Certificate.org_id == unit.id)) < count + 10:
            have = db.session.scalar(select(db.func.count()).select_from(Certificate))
            demo.run(have + 4 * count)
        ids = list(db.session.scalars(select(Certificate.id).where(Certificate.org_id == unit.id)
                                      .order_by(Certificate.id).limit(count)))
        for cert_id in ids:
            db.session.execute(update(Certificate).where(Certificate.id == cert_id).values(
                status="approved", approved_at=utcnow(), revoked_at=None, revoke_reason=None,
                verify_token=new_verify_token()))
        db.session.commit()
        db.session.remove()
    return app, ids


def run(tmp: Path, count: int, profile: int) -> None:
    app, ids = _app(tmp, count + profile)
    with app.app_context():
        from sqlalchemy import select

        from portal.documents.ecert import build_ecert_pdf
        from portal.ecert import services, sm2
        from portal.models import Certificate, User

        office = db.session.scalar(select(User).where(User.username == "county_demo"))
        key = services.issuer_key()
        to_issue, to_render = iter(ids[:count]), iter(ids[:count])
        today = clock.today()

        def issue() -> None:
            services.issue_ecert(db.session.get(Certificate, next(to_issue)), office)

        def render() -> None:
            cert = db.session.get(Certificate, next(to_render))
            number = "DZ20261201-BENCHMRK"
            payload = sm2.sign(services.claims_for(cert, number, "original", today), key)
            build_ecert_pdf(services.page_for(cert, office.org, number,
                                              "http://127.0.0.1:5000/documents/" + number, payload, today))

        # compare() warms up once each: that takes the first certificate of each sequence.
        result = compare(f"issue: {count} e-certificates (render, sign, store)", issue,
                         "the same pages rendered unsigned", render, rounds=count - 1)
        print(f"signing and storing add {100 * (result.ratio - 1):.0f} % (goal: at most 50 %); "
              f"sums {sum(result.case_wall):.1f} s vs {sum(result.base_wall):.1f} s", flush=True)

        if profile:
            rest = iter(ids[count:count + profile])
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for cert_id in rest:
                services.issue_ecert(db.session.get(Certificate, cert_id), office)
            profiler.disable()
            wall = time.perf_counter() - started
            stats = pstats.Stats(profiler)
            stages = {
                "render (WeasyPrint, build_ecert_pdf)": ("portal/documents/ecert.py", "build_ecert_pdf"),
                "  of which HTML and QR (Jinja, segno)": ("portal/documents/ecert.py", "ecert_html"),
                "sign PDF (sign_pdf)": ("portal/documents/signing.py", "sign_pdf"),
                "  read the PDF (IncrementalPdfFileWriter)": ("pyhanko/pdf_utils/incremental_writer.py", "__init__"),
                "  find the seal place (_seal_box)": ("portal/documents/signing.py", "_seal_box"),
                "  field and stamp appearance (prepare_tbs_document)": ("pyhanko/sign/signers/pdf_signer.py",
                                                                       "prepare_tbs_document"),
                "  stamp text (pyHanko TextStamp)": ("pyhanko/stamp/text.py", "_render_inner_content"),
                "  write the update and hash it (digest_tbs_document)": ("pyhanko/sign/signers/pdf_signer.py",
                                                                        "digest_tbs_document"),
                "  embed the CMS (fill_with_cms)": ("pyhanko/sign/signers/pdf_byterange.py", "fill_with_cms"),
                "open signer (signer_for)": ("portal/letters/credentials.py", "signer_for"),
                "SM2 payload (gmssl sign)": ("portal/ecert/sm2.py", "sign"),
                "trail checkpoint stamp": ("portal/audit.py", "checkpoint_stamp"),
                "trail entries (audit.record)": ("portal/audit.py", "record"),
                "write the file": ("portal/letters/services.py", "_write_file"),
                "commit (incl. messages)": ("sqlalchemy/orm/session.py", "commit"),
            }
            total = sum(v[3] for k, v in stats.stats.items() if k[2] == "issue_ecert")
            print(f"profile of {profile} issues: {wall:.1f} s wall under cProfile, issue_ecert {total:.1f} s cumulative")
            for label, (path, name) in stages.items():
                spent = sum(v[3] for k, v in stats.stats.items() if k[2] == name and path in k[0])
                print(f"  {label:<56} {spent:7.2f} s  {100 * spent / total:5.1f} %  {1000 * spent / profile:6.1f} ms each")
            print("  median per issue without profiler above: "
                  f"{1000 * statistics.median(result.case_wall):.0f} ms vs render {1000 * statistics.median(result.base_wall):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--profile", type=int, default=100)
    args = parser.parse_args()
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp), args.count, args.profile)
    print(machine())


if __name__ == "__main__":
    main()
