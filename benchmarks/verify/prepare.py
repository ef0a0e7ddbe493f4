"""Draw real lookups from the benchmark database for wrk to cycle through.

Writes page.txt (one form body of the POST /verify lookup per line, without the CSRF token) and api.txt (one JSON body per line) into the
directory given, and prints the demo API key. Nine in ten lookups hit a published certificate
(half by 证件号码, half by 证书编号); one in ten is a near miss (a real ID with a wrong name), which
costs the same as a hit by design.

    DATABASE_URL=... python benchmarks/verify/prepare.py OUT_DIR [COUNT]
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import Certificate, Person
from portal.verify.keys import ensure_demo_api_key


def main(out_dir: Path, count: int) -> None:
    app = create_app()
    with app.app_context():
        key = ensure_demo_api_key()
        top = db.session.scalar(select(func.max(Certificate.id)))
        rng = random.Random(2026)
        # Random ids, not the first rows: the lookups touch the whole million-row table.
        ids = rng.sample(range(1, top + 1), min(count * 3, top))
        rows = db.session.execute(
            select(Person.name, Person.id_number, Certificate.cert_no)
            .join(Certificate, Certificate.person_id == Person.id)
            .where(Certificate.id.in_(ids), Certificate.status.in_(("approved", "revoked")))
        ).all()[:count]
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} published certificates found; run the demo with more certificates")
    lookups = []
    for index, (name, id_number, cert_no) in enumerate(rows):
        if index % 10 == 9:
            lookups.append({"name": name + "误", "id_number": id_number})
        elif index % 2:
            lookups.append({"name": name, "cert_no": cert_no})
        else:
            lookups.append({"name": name, "id_number": id_number})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "page.txt").write_text("".join(f"{urlencode(q)}\n" for q in lookups))
    (out_dir / "api.txt").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in lookups))
    print(key)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20000)
