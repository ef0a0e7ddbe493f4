"""统计分析: counts over each scope, drill-down to the queue, the Excel contract, the public summary."""
import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select, update

from portal.domain.workflow import STATUSES
from portal.extensions import db
from portal.models import Certificate, Organization, StatCell
from portal.models._types import utcnow
from portal import workflow as services
from tests.http.test_review import _approve_as, _new_cert, _org, _submit, _user


def _sheet(client, query="by=status"):
    response = client.get(f"/stats/export.xlsx?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return book, [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_export_by_status_equals_the_demo_command_json_for_the_province(client, auth, app):
    result = app.test_cli_runner().invoke(args=["demo", "--certificates", "150", "--json"])
    assert result.exit_code == 0, result.output
    status_counts = json.loads(result.output)["status_counts"]
    auth.login("province_demo")
    _, rows = _sheet(client)
    assert rows[0] == ["状态", "证书数"]
    assert rows[1:-1] == [[STATUSES[s], n] for s, n in status_counts.items()]
    assert rows[-1] == ["合计", sum(status_counts.values())] and rows[-1][1] == 150


def test_export_puts_the_chosen_table_first_and_keeps_the_page_filters(client, auth, app, demo):
    auth.login("province_demo")
    book, rows = _sheet(client, "by=level&level=中级")
    assert book.sheetnames[0] == "按职称级别"
    with app.app_context():
        middle = db.session.scalar(select(db.func.count()).select_from(Certificate).where(Certificate.level == "中级"))
    assert ["中级", middle] in rows and rows[-1] == ["合计", middle]
    assert {"按状态", "审核环节", "退回原因"} <= set(book.sheetnames)


def test_each_scope_counts_only_its_own_records(client, auth, app, demo):
    with app.app_context():
        unit = _org("DG-RMYY")
        own = db.session.scalar(select(db.func.count()).select_from(Certificate).where(Certificate.org_id == unit.id))
    auth.login("unit_demo")
    _, rows = _sheet(client)
    assert rows[-1] == ["合计", own] and own < sum(demo["status_counts"].values())


def test_the_page_shows_charts_with_tables_and_every_figure_opens_its_records(client, auth, app, demo):
    auth.login("city_demo")
    page = client.get("/stats/").get_data(as_text=True)
    assert 'src="/static/vendor/echarts.min.js"' in page and 'src="/static/js/stats.js"' in page
    assert "<script>" not in page  # the CSP allows no inline script: data travel as JSON
    data = json.loads(re.search(r'<script type="application/json" id="stats-data">(.*?)</script>', page, re.S).group(1))
    assert {"status", "series", "level", "year", "method", "org", "waits", "reporting"} <= set(data)
    for name in ("status", "series", "level", "year", "method", "org"):
        assert f'data-chart="{name}"' in page and f'id="table-{name}"' in page
    # The chart's numbers are the table's numbers, and each links to the queue narrowed to them.
    series = data["series"]
    first_link = series["links"][0]
    assert first_link.startswith("/review/?") and "status=all" in first_link and "series=" in first_link
    queue = client.get(first_link).get_data(as_text=True)
    listed = len(re.findall(r'href="/review/certificates/\d+', queue))
    assert listed == min(series["values"][0], 50)


def test_drill_down_by_subordinate_organisation_lists_the_whole_branch(client, auth, app, demo):
    auth.login("city_demo")
    page = client.get("/stats/").get_data(as_text=True)
    data = json.loads(re.search(r'id="stats-data">(.*?)</script>', page, re.S).group(1))["org"]
    with app.app_context():
        county = _org("DG-ZGB")
        branch = db.session.scalar(select(db.func.count()).select_from(Certificate).join(
            Organization, Organization.id == Certificate.org_id).where(Organization.path.startswith(county.path)))
    index = data["labels"].index(county.name)
    assert data["values"][index] == branch
    assert f"org={county.id}" in data["links"][index]


def _cert_with(app, **values) -> int:
    cert_id = _new_cert(app)
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        for name, value in values.items():
            setattr(cert, name, value)
        db.session.commit()
    return cert_id


def test_queue_accepts_the_drill_down_filters(client, auth, app, demo):
    method_cert = _cert_with(app, obtain_method="assessment_recognition", review_year=2012)
    other = _cert_with(app, review_year=2019)
    with app.app_context():
        unit_id = _org("DG-RMYY").id
    for cert_id in (method_cert, other):
        _submit(app, cert_id)
    auth.login("unit_demo")
    page = client.get("/review/?status=all&method=assessment_recognition&year_from=2010&year_to=2013"
                      f"&org={unit_id}").get_data(as_text=True)
    assert f"/review/certificates/{method_cert}" in page and f"/review/certificates/{other}" not in page
    assert "评审年度自 2010" in page and "含下属单位" in page


def test_filters_narrow_the_counts(client, auth, app, demo):
    auth.login("province_demo")
    _, everything = _sheet(client, "by=year")
    _, narrowed = _sheet(client, "by=year&year_from=2015&year_to=2016")
    years = {row[0] for row in narrowed[1:-1]}
    assert years <= {"2015", "2016"}
    assert narrowed[-1][1] == sum(row[1] for row in everything[1:-1] if row[0] in ("2015", "2016"))


def test_the_cube_follows_changes_and_the_pipeline_counts_waits_and_returns(client, auth, app, demo):
    auth.login("province_demo")
    _, before = _sheet(client)
    cert_id = _new_cert(app)
    _submit(app, cert_id)
    _approve_as(app, cert_id, "unit_demo")
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        services.send_back(cert_id, _user("county_demo"), cert.version, "发证日期与扫描件不一致", "returned")
    _, after = _sheet(client)
    assert after[-1][1] == before[-1][1] + 1
    returned = dict((r[0], r[1]) for r in after[1:-1])["已退回"]
    assert returned == dict((r[0], r[1]) for r in before[1:-1])["已退回"] + 1
    page = client.get("/stats/").get_data(as_text=True)
    assert "发证日期与扫描件不一致" in page
    book, _ = _sheet(client)
    waits = {row[0]: row for row in book["审核环节"].iter_rows(values_only=True)}
    assert waits["待县级职改办审核"][2] == 1 and waits["待县级职改办审核"][5] == 1
    assert waits["待单位审核"][2] == 1 and waits["待单位审核"][5] == 0
    reporting = json.loads(re.search(r'id="stats-data">(.*?)</script>', page, re.S).group(1))["reporting"]
    assert reporting["values"][-1] >= 1


def test_an_unchanged_database_is_not_rebuilt(client, auth, app, demo):
    auth.login("province_demo")
    client.get("/stats/")
    with app.app_context():
        first = db.session.scalars(select(StatCell.id).order_by(StatCell.id)).all()
    client.get("/stats/")
    with app.app_context():
        assert db.session.scalars(select(StatCell.id).order_by(StatCell.id)).all() == first


def test_statistics_are_for_staff_of_reviewing_bodies(client, auth, demo):
    assert client.get("/stats/").status_code == 302
    assert client.get("/stats/export.xlsx").status_code == 302
    auth.login("person_demo")
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/export.xlsx?by=status").status_code == 403


def test_public_summary_counts_approved_titles_by_series_and_level_without_names(client, app, demo):
    response = client.get("/stats/public")  # no login: the public site
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.app_context():
        approved = db.session.scalar(select(db.func.count()).select_from(Certificate).where(
            Certificate.status == "approved"))
        names = db.session.scalars(select(Certificate).where(Certificate.status == "approved").limit(5)).all()
        people = [(c.person.name, c.person.id_number, c.cert_no) for c in names]
    total = re.search(r'<tfoot>.*?<th class="num">(\d+)</th></tr></tfoot>', page, re.S).group(1)
    assert int(total) == approved
    for name, id_number, cert_no in people:
        assert id_number not in page and cert_no not in page and name not in page


def test_a_maximum_age_serves_a_recent_cube_and_the_refresh_job_catches_up(client, auth, app, demo):
    from datetime import datetime, timedelta, timezone

    from portal import scheduled

    auth.login("province_demo")
    _, before = _sheet(client)
    app.config["STATS_MAX_AGE_SECONDS"] = 3600
    try:
        _new_cert(app)
        _, stale = _sheet(client)
        assert stale[-1] == before[-1]
        with app.app_context():
            scheduled.refresh_statistics(datetime.now(timezone(timedelta(hours=8))))
        _, fresh = _sheet(client)
        assert fresh[-1][1] == before[-1][1] + 1
    finally:
        app.config["STATS_MAX_AGE_SECONDS"] = 0


def test_junior_sublevels_count_as_junior(client, auth, app, demo):
    auth.login("province_demo")
    _, before = _sheet(client, "by=level")
    _cert_with(app, level="助理级")
    _cert_with(app, level="员级")
    _, after = _sheet(client, "by=level")
    assert dict(map(tuple, after[1:-1]))["初级"] == dict(map(tuple, before[1:-1]))["初级"] + 2


@pytest.mark.parametrize("narrowing", ["", "&level=中级", "&level=初级", "&series=health_technician",
                                       "&year_from=2012&year_to=2018", "&year_to=2015",
                                       "&series=health_technician&year_from=2012&year_to=2018"])
def test_the_office_tables_by_region_agree_with_the_cube_by_unit(client, auth, app, demo, narrowing):
    """An office reads per-region margins (unfiltered) or the region cube (filtered); narrowed to
    its own organisation, the cube by unit. Over the same records they must agree."""
    with app.app_context():
        city = _org("RZ-ZGB").id
    auth.login("city_demo")
    by_region, _ = _sheet(client, "by=status" + narrowing)
    by_unit, _ = _sheet(client, f"by=status&org={city}" + narrowing)
    for title in ("按状态", "按职称系列", "按职称级别", "按评审年度", "按取得方式", "按下级单位"):
        rows = lambda book: sorted(book[title].iter_rows(values_only=True), key=str)  # noqa: E731
        assert rows(by_region) == rows(by_unit), title
    assert by_region["按状态"]["B11"].value > 0


def _age_certificates(app, sparing: str) -> int:
    """Date every certificate's last change two days back, as in a database that is not brand new,
    but one, outside `sparing` (an organisation code), a day back; return that one's unit. The cube
    looks again at changes from shortly before the newest one it counted, so that unit is redone
    with any later change."""
    with app.app_context():
        db.session.execute(update(Certificate).values(updated_at=utcnow() - timedelta(days=2)))
        last = db.session.scalar(select(Certificate).where(Certificate.org_id != _org(sparing).id))
        last.updated_at = utcnow() - timedelta(days=1)
        db.session.commit()
        return last.org_id


def _cells_by_org(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(StatCell.org_id, StatCell.id)).all()
    cells: dict = {}
    for org_id, cell_id in rows:
        cells.setdefault(org_id, set()).add(cell_id)
    return cells


def test_a_change_redoes_only_the_cells_of_the_units_it_touched(client, auth, app, demo):
    recent = _age_certificates(app, sparing="DG-RMYY")
    auth.login("province_demo")
    _, before = _sheet(client)
    cells = _cells_by_org(app)
    with app.app_context():
        changed = db.session.scalar(select(Certificate).where(Certificate.org_id == _org("DG-RMYY").id))
        changed.status = "revoked" if changed.status != "revoked" else "approved"
        db.session.commit()
    _, after = _sheet(client)
    kept = _cells_by_org(app)
    with app.app_context():
        untouched = set(cells) - {recent, _org("DG-RMYY").id}
    assert untouched and all(kept[org] == cells[org] for org in untouched), "other units' cells kept as built"
    assert after[-1][1] == before[-1][1]
    with app.app_context():
        truth = dict(db.session.execute(select(Certificate.status, db.func.count()).group_by(Certificate.status)).all())
    assert {row[0]: row[1] for row in after[1:-1]} == {label: truth.get(key, 0) for key, label in STATUSES.items()}


def test_a_certificate_moved_to_another_unit_leaves_no_count_behind(client, auth, app, demo):
    _age_certificates(app, sparing="DG-RMYY")
    with app.app_context():
        city = _org("RZ-ZGB").id
    auth.login("city_demo")
    _sheet(client)
    with app.app_context():
        source, target = _org("DG-RMYY"), _org("DG-ZGB")
        source_id = source.id
        cert = db.session.scalar(select(Certificate).where(Certificate.org_id == source_id))
        cert.org_id, cert.unit_region_code = target.id, target.region_code
        db.session.commit()
    by_region, _ = _sheet(client, "by=org")
    by_unit, _ = _sheet(client, f"by=org&org={city}")
    assert sorted(by_region["按下级单位"].iter_rows(values_only=True), key=str) == \
        sorted(by_unit["按下级单位"].iter_rows(values_only=True), key=str)
    with app.app_context():
        counted = db.session.scalar(select(db.func.sum(StatCell.count)))
        assert counted == db.session.scalar(select(db.func.count()).select_from(Certificate))
        assert db.session.scalar(select(db.func.sum(StatCell.count)).where(StatCell.org_id == source_id)) == \
            db.session.scalar(select(db.func.count()).select_from(Certificate).where(Certificate.org_id == source_id))
