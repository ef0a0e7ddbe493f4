"""Login oracle check: median response time of a wrong password for an unknown and an existing
username, with the production password hashing (scrypt).

    .venv/bin/python benchmarks/login_timing.py [--rounds 41] [--root PATH]

--root runs another checkout's portal (e.g. the code before a change) against the same steps.
Each attempt is a fresh client with its own CSRF token; the login log is emptied between
attempts so throttling never answers instead of the password check.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    from sqlalchemy import inspect, text

    from portal import create_app, demo
    from portal.extensions import db
    from portal.reference import seed

    tmp = tempfile.mkdtemp()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/timing.sqlite3",
                      "RATELIMIT_ENABLED": False, "UPLOAD_DIR": tmp, "AUDIT_CHECKPOINT_DIR": tmp})
    with app.app_context():
        db.create_all()
        seed()
        demo.run(0)
        tables = set(inspect(db.engine).get_table_names())

    def reset() -> None:
        with app.app_context():
            if "login_events" in tables:
                db.session.execute(text("DELETE FROM login_events"))
            columns = {c["name"] for c in inspect(db.engine).get_columns("users")}
            if "failed_logins" in columns:
                db.session.execute(text("UPDATE users SET failed_logins = 0, locked_until = NULL"))
            db.session.commit()

    def attempt_ms(username: str, attempt: int) -> float:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        started = time.perf_counter()
        client.post("/login", data={"username": username, "password": f"wrong-{attempt}", "csrf_token": token})
        elapsed = (time.perf_counter() - started) * 1000
        reset()
        return elapsed

    # Alternating the two names spreads any change in the machine's load over both equally.
    times: dict[str, list[float]] = {"nobody_here": [], "unit_demo": []}
    for attempt in range(args.rounds):
        for username, samples in times.items():
            samples.append(attempt_ms(username, attempt))
    unknown, existing = (statistics.median(samples) for samples in times.values())
    print(f"| {args.root.name} | {unknown:.1f} ms | {existing:.1f} ms | {args.rounds} |")


if __name__ == "__main__":
    main()
