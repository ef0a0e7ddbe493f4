"""How fast the review queue answers a filtered page with a million certificates.

Budget: under 100 ms for a filtered page, measured as a full GET /review/ through the app
(login session, scoping, query, rendering), on PostgreSQL. Reproduce:

    createdb -h 127.0.0.1 -U postgres portal_bench_review
    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_review
    nice .venv/bin/python benchmarks/review_queue.py schema          # create_all + reference data
    nice .venv/bin/flask --app wsgi demo --certificates 1000000      # the demo data, a million rows
    nice .venv/bin/python benchmarks/review_queue.py run --rounds 200
    dropdb -h 127.0.0.1 -U postgres portal_bench_review

`run` first adds a campaign whose county and city deadlines have passed (so the overdue
filter has rows to find), then prints, per scenario, the ratio of the request's median to the
median of GET /healthz through the same client, and of the queue query's median to a trivial
`SELECT 1` on the same connection, each timed in alternation with its baseline in the same run;
then the medians and 95th percentiles as context, and the number of rows on the page (a page that
finds nothing would be a meaningless figure).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from benchmarks.alternate import machine  # noqa: E402
from benchmarks.pgapp import benchmark_app, schema  # noqa: E402
from portal.extensions import db  # noqa: E402

PASSWORD = "Demo@2026"

# (label, user, query string); each is a page a reviewer really asks for.
SCENARIOS = [
    ("province: own queue, first page", "province_demo", {}),
    ("province: all statuses, 中级 + 卫生技术 + 2014", "province_demo",
     {"status": "all", "level": "中级", "series": "health_technician", "year": "2014"}),
    ("city: own queue, 副高级", "city_demo", {"level": "副高级"}),
    ("city: all statuses, name starts with 王", "city_demo", {"status": "all", "q": "王"}),
    ("city: returned, 教师 series", "city_demo", {"status": "returned", "series": "primary_secondary_teacher"}),
    ("county: own queue, deep page (keyset)", "county_demo", {"after": "DEEP"}),
    ("county: ID tail search", "county_demo", {"status": "all", "q": "TAIL"}),
    ("unit: certificate number prefix", "unit_demo", {"status": "all", "q": "CERTNO"}),
    ("province: approved, year with no records", "province_demo", {"status": "approved", "year": "1999"}),
    ("city: all statuses, a series nobody holds", "city_demo", {"status": "all", "series": "art"}),
    ("city: overdue records, 副高级", "city_demo", {"status": "all", "overdue": "1", "level": "副高级"}),
    ("county: 正高级 (the demo data holds none)", "county_demo", {"status": "all", "level": "正高级"}),
]


def _fill_placeholders(app, username: str, args: dict) -> dict:
    """Swap DEEP/TAIL/CERTNO for values that exist in this database."""
    from portal.access import visibility
    from portal.models import Certificate, Person, User
    from portal.workflow import user_level

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        mine = select(Certificate).where(visibility(Certificate, user))
        out = dict(args)
        if out.get("after") == "DEEP":
            ids = select(Certificate.id).where(visibility(Certificate, user),
                                               Certificate.status == user_level(user)).subquery()
            out["after"] = str(db.session.scalar(select(func.percentile_disc(0.9).within_group(ids.c.id))))
        if out.get("q") == "TAIL":
            person_id = db.session.scalar(mine.with_only_columns(Certificate.person_id).order_by(Certificate.id.desc())
                                          .limit(1))
            out["q"] = db.session.get(Person, person_id).id_tail
        if out.get("q") == "CERTNO":
            cert_no = db.session.scalar(mine.with_only_columns(Certificate.cert_no).order_by(Certificate.id.desc())
                                        .limit(1))
            out["q"] = cert_no[:9]
        return out


def _alternating(case, baseline, rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of `case` and of `baseline`, timed one after the other, `rounds` times."""
    case_times, base_times = [], []
    for _ in range(rounds):
        for function, times in ((case, case_times), (baseline, base_times)):
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
    return case_times, base_times


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _ensure_campaign() -> None:
    """A campaign whose county and city deadlines have passed, so the overdue filter finds rows."""
    from datetime import date

    from portal.models import Campaign, CampaignDeadline, Organization

    if db.session.scalar(select(Campaign.id).where(Campaign.name == BENCH_CAMPAIGN)) is not None:
        return
    province = db.session.scalar(select(Organization).where(Organization.code == "SD-ZGB"))
    campaign = Campaign(name=BENCH_CAMPAIGN, org_id=province.id)
    campaign.deadlines = [CampaignDeadline(level="county_review", due_date=date(2021, 5, 20)),
                          CampaignDeadline(level="city_review", due_date=date(2021, 5, 31))]
    db.session.add(campaign)
    db.session.commit()


BENCH_CAMPAIGN = "基准测试：县市两级已过截止日期"


def run(rounds: int) -> None:
    from portal.models import Certificate, User
    from portal.review.queue import QueueFilters, queue_page
    from portal.workflow import campaign_for_org

    app = benchmark_app()
    with app.app_context():
        _ensure_campaign()
        total = db.session.scalar(select(func.count()).select_from(Certificate))
    print(f"certificates in the database: {total:,}; {machine()}")
    print(f"{'scenario':<48} {'rows':>5} {'request/healthz':>15} {'query/SELECT 1':>14} "
          f"{'request median':>15} {'p95':>8} {'query median':>13} {'p95':>8}")
    clients: dict[str, object] = {}
    for label, username, raw_args in SCENARIOS:
        args = _fill_placeholders(app, username, raw_args)
        client = clients.get(username)
        if client is None:
            client = app.test_client()
            response = client.post("/login", data={"username": username, "password": PASSWORD})
            assert response.status_code == 302, f"login as {username} failed"
            clients[username] = client
        for _ in range(5):  # warm-up: connection pool, caches
            client.get("/review/", query_string=args)
        def queue_request():
            assert client.get("/review/", query_string=args).status_code == 200

        def health_request():
            assert client.get("/healthz").status_code == 200

        request_times, health_times = _alternating(queue_request, health_request, rounds)
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            campaign = campaign_for_org(user.org)
            filters = QueueFilters.from_args(MultiDict(args))
            pages = []

            def queue_query():
                pages.append(len(queue_page(user, filters, campaign).rows))
                db.session.expire_all()

            query_times, trivial_times = _alternating(queue_query, lambda: db.session.execute(select(1)), rounds)
            rows = pages[-1]
        print(f"{label:<48} {rows:>5} "
              f"{statistics.median(request_times) / statistics.median(health_times):>14.1f}x "
              f"{statistics.median(query_times) / statistics.median(trivial_times):>13.1f}x "
              f"{statistics.median(request_times):>12.1f} ms {_percentile(request_times, .95):>5.1f} ms"
              f" {statistics.median(query_times):>10.1f} ms {_percentile(query_times, .95):>5.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("schema", help="create the tables and load the reference data")
    run_parser = sub.add_parser("run", help="measure the queue")
    run_parser.add_argument("--rounds", type=int, default=200)
    options = parser.parse_args()
    if options.command == "schema":
        schema()
    else:
        run(options.rounds)


if __name__ == "__main__":
    main()
