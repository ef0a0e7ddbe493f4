"""How fast the province's statistics page answers with a million certificates on PostgreSQL.

Budget: under 300 ms for GET /stats/ as the province (the whole request: session, scoping,
the cube's freshness check, eight grouped queries, rendering). Each round also times two
baselines in the same process and moment, so the ratios stay meaningful on a loaded machine:
GET /healthz (the app's cheapest request) and a plain SELECT COUNT(*) FROM certificates (what
any live count over the table costs). Reproduce:

    createdb -h 127.0.0.1 -U postgres portal_bench_stats
    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_stats
    nice .venv/bin/python benchmarks/stats_page.py schema
    nice .venv/bin/flask --app wsgi demo --certificates 1000000
    nice .venv/bin/python benchmarks/stats_page.py run --rounds 50
    nice .venv/bin/python benchmarks/stats_page.py spread --units 2000   # many employers
    nice .venv/bin/python benchmarks/stats_page.py run --rounds 50
    dropdb -h 127.0.0.1 -U postgres portal_bench_stats

`run` also reports the first request (which builds the cube) and the first request after each
of three changes of one certificate (the first redoes the whole cube, since the newest change
it counted was the bulk load; the others redo that certificate's unit and region): the price a
page view pays when the scheduled refresh has not run since the last write.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text, update  # noqa: E402

from benchmarks.pgapp import benchmark_app, schema  # noqa: E402
from portal.extensions import db  # noqa: E402

PASSWORD = "Demo@2026"
BUDGET_MS = 300


def spread(units: int) -> None:
    """Deal the certificates out to `units` new units under the two county offices, so the cube
    holds as many distinct (unit, status, series, level, year, method) cells as a province with
    many employers would, instead of the demo's ten organisations."""
    from portal.models import Organization

    app = benchmark_app()
    with app.app_context():
        counties = list(db.session.scalars(select(Organization).where(Organization.code.in_(("DG-ZGB", "JX-ZGB")))))
        existing = db.session.scalar(select(func.count()).select_from(Organization).where(
            Organization.code.like("BENCH-U%")))
        for number in range(existing, units):
            parent = counties[number % len(counties)]
            org = Organization(code=f"BENCH-U{number:05d}", name=f"基准测试单位{number:05d}", type="unit",
                               parent_id=parent.id, region_code=parent.region_code)
            db.session.add(org)
            db.session.flush()
            org.path = f"{parent.path}{org.id}/"
        db.session.commit()
        db.session.execute(text("""
            -- Dated a day back, so later changes stand apart from the load (see `run`).
            UPDATE certificates c SET org_id = u.id, unit_region_code = u.region_code,
                updated_at = now() - interval '1 day'
            FROM (SELECT id, region_code, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM organizations WHERE code LIKE 'BENCH-U%') u
            WHERE u.k = c.id % :units"""), {"units": units})
        db.session.commit()
    print(f"certificates dealt out to {units} units")


def _timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(rounds: int) -> None:
    from portal.models import Certificate, StatCell, StatState

    app = benchmark_app()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Certificate))
        # Start from no cube at all, as after a fresh deployment.
        db.session.execute(text("DELETE FROM stat_cells; DELETE FROM stat_flows; DELETE FROM stat_state"))
        db.session.commit()
    print(f"certificates in the database: {total:,}")
    client = app.test_client()
    assert client.post("/login", data={"username": "province_demo", "password": PASSWORD}).status_code == 302

    def page():
        response = client.get("/stats/")
        assert response.status_code == 200 and b'data-chart="status"' in response.data

    cold = _timed(page)
    with app.app_context():
        cells = db.session.scalar(select(func.count()).select_from(StatCell))
    print(f"first request, building the cube ({cells:,} cells): {cold:.0f} ms")
    # The cube redoes the units changed since shortly before the newest change it counted. After
    # the bulk load that newest change is the load itself (every row), so the first change costs
    # a whole rebuild; the next ones only their units' cells.
    for label in ("first", "second", "third"):
        with app.app_context():
            one = db.session.scalar(select(Certificate.id).order_by(Certificate.id).limit(1))
            db.session.execute(update(Certificate).where(Certificate.id == one).values(
                version=Certificate.version + 1))
            db.session.commit()
        print(f"first request after a {label} change of one certificate: {_timed(page):.0f} ms")

    def health():
        assert client.get("/healthz").status_code == 200

    def count():
        with app.app_context():
            db.session.scalar(text("SELECT COUNT(*) FROM certificates"))

    for _ in range(5):  # warm-up: connection pool, template cache
        page(), health(), count()
    times: dict[str, list[float]] = {"stats": [], "healthz": [], "count": []}
    for _ in range(rounds):
        times["stats"].append(_timed(page))
        times["healthz"].append(_timed(health))
        times["count"].append(_timed(count))
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{'request':<32} {'median':>9} {'p95':>9}")
    for name, label in (("stats", "GET /stats/ (province)"), ("healthz", "GET /healthz (baseline)"),
                        ("count", "SELECT COUNT(*) (baseline)")):
        print(f"{label:<32} {medians[name]:>6.1f} ms {_percentile(times[name], .95):>6.1f} ms")
    filtered = [_timed(lambda: client.get("/stats/?level=中级")) for _ in range(max(5, rounds // 5))]
    print(f"{'GET /stats/?level=中级 (region cube)':<32} {statistics.median(filtered):>6.1f} ms "
          f"{_percentile(filtered, .95):>6.1f} ms")
    print(f"ratio stats / healthz: {medians['stats'] / medians['healthz']:.1f}")
    print(f"ratio stats / COUNT(*): {medians['stats'] / medians['count']:.2f}")
    verdict = "within" if _percentile(times["stats"], .95) < BUDGET_MS else "OVER"
    print(f"p95 {verdict} the {BUDGET_MS} ms budget")
    with app.app_context():
        assert db.session.scalar(select(StatState.fingerprint)) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("schema", help="create the tables and load the reference data")
    spread_parser = sub.add_parser("spread", help="deal the certificates out to many units")
    spread_parser.add_argument("--units", type=int, default=2000)
    run_parser = sub.add_parser("run", help="measure the statistics page")
    run_parser.add_argument("--rounds", type=int, default=50)
    options = parser.parse_args()
    if options.command == "schema":
        schema()
    elif options.command == "spread":
        spread(options.units)
    else:
        run(options.rounds)


if __name__ == "__main__":
    main()
