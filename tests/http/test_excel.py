"""Excel pages and commands as an office uses them: template, upload → preview → commit, export."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry, Certificate, ImportJob, Organization, Person
from tests.conftest import csrf_token_of
from tests.fixtures.workbooks import first_data_row, rizhao_row, rizhao_workbook, save, to_bytes


def _upload(client, content: bytes, filename="职称数据.xlsx"):
    token = csrf_token_of(client, "/excel/import")
    return client.post("/excel/import", data={"csrf_token": token, "workbook": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/excel/import/(\d+)$", response.headers["Location"]).group(1))


def _commit(client, job_id, mode):
    token = csrf_token_of(client, f"/excel/import/{job_id}")
    return client.post(f"/excel/import/{job_id}/commit", data={"csrf_token": token, "mode": mode})


def test_template_download_is_public(client):
    response = client.get("/excel/template")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.data.startswith(b"PK")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/excel/import", "/excel/export", "/excel/import/1"])
def test_pages_require_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_professional_cannot_import(client, auth, demo):
    auth.login("person_demo")
    assert client.get("/excel/import").status_code == 403
    assert client.get("/excel/export").status_code == 403


def test_upload_preview_then_commit_valid_rows(client, auth, demo, app):
    auth.login("unit_demo")
    rows = [rizhao_row(1), rizhao_row(2, 姓名="赵 强"), rizhao_row(3)]
    job_id = _job_id(_upload(client, to_bytes(rizhao_workbook(rows))))
    page = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "检查结果" in page and "姓名字与字之间不能有空格" in page
    assert "识别为：<strong>山东（日照）职称数据整理模板（12列）</strong>" in page
    assert f"<td>{first_data_row() + 1}</td><td>姓名</td>" in page
    assert re.search(r'value="all">\s*<button type="submit" class="button primary" disabled', page)
    assert "只导入无错误的 2 行" in page

    annotated = client.get(f"/excel/import/{job_id}/annotated")
    assert annotated.status_code == 200 and annotated.data.startswith(b"PK")
    annotated.close()

    refused = _commit(client, job_id, "all")
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person).where(
            Person.id_number == rizhao_row(1)[3])) == 0

    assert _commit(client, job_id, "valid").status_code == 302
    done = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "导入完成" in done and "新增证书 2 张" in done
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        certs = db.session.scalars(select(Certificate).where(
            Certificate.cert_no.in_([rizhao_row(1)[1], rizhao_row(3)[1]]))).all()
        assert len(certs) == 2 and {c.org_id for c in certs} == {org.id} and {c.status for c in certs} == {"draft"}
        trail = db.session.scalar(select(AuditEntry).where(AuditEntry.object_type == "import_job",
                                                           AuditEntry.object_id == job_id))
        assert trail.action == "import" and trail.diff["certificates_inserted"] == 2

    # Pressing commit again does nothing.
    _commit(client, job_id, "valid")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.cert_no == rizhao_row(1)[1])) == 1


def test_not_a_workbook_is_refused_with_a_message(client, auth, demo):
    auth.login("unit_demo")
    response = _upload(client, "姓名,证件号码\n张三,1\n".encode(), "数据.xlsx")
    assert response.status_code == 200
    assert "不是Excel工作簿" in response.get_data(as_text=True)


def test_unrecognised_layout_fails_the_job_with_the_expected_columns(client, auth, demo):
    import openpyxl

    auth.login("unit_demo")
    workbook = openpyxl.Workbook()
    workbook.active.append(["编号", "人员", "身份证件", "备注"])
    job_id = _job_id(_upload(client, to_bytes(workbook)))
    page = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "无法识别表格格式" in page and "证件号码" in page


def test_upload_goes_through_the_queue_and_the_page_shows_the_result(client, auth, demo, app):
    # The tests run queued tasks at once (TASKS_IMMEDIATE); tests/http/test_worker.py runs a real worker.
    auth.login("unit_demo")
    rows = [rizhao_row(n) for n in range(1, 300)]
    job_id = _job_id(_upload(client, to_bytes(rizhao_workbook(rows))))
    fragment = client.get(f"/excel/import/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "检查结果" in fragment and "hx-trigger" not in fragment

    assert _commit(client, job_id, "all").status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.status == "committed" and job.rows_imported == 299


def test_running_job_renders_a_self_replacing_poller(client, auth, demo, app):
    auth.login("unit_demo")
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        job = ImportJob(org_id=org.id, region_code=org.region_code, filename="x.xlsx", stored_name="none.xlsx",
                        file_kind="xlsx", size=1, sha256="0" * 64, status="checking", rows_done=40, rows_expected=100)
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    fragment = client.get(f"/excel/import/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'hx-get="/excel/import/{job_id}"' in fragment
    assert 'hx-trigger="load delay:500ms"' in fragment and 'hx-swap="outerHTML"' in fragment
    assert 'value="40"' in fragment and "40 / 100" in fragment


def test_job_times_are_shown_in_china_time(client, auth, demo, app):
    auth.login("unit_demo")
    with app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.code == "DG-RMYY"))
        job = ImportJob(org_id=org.id, region_code=org.region_code, filename="x.xlsx", stored_name="none.xlsx",
                        file_kind="xlsx", size=1, sha256="0" * 64, status="failed", message="x",
                        created_at=datetime(2026, 11, 30, 17, 5, tzinfo=timezone.utc))
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert "2026-12-01 01:05" in client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "2026-12-01 01:05" in client.get("/excel/import").get_data(as_text=True)


def test_another_unit_cannot_see_the_job(client, auth, demo, app):
    auth.login("unit_demo")
    job_id = _job_id(_upload(client, to_bytes(rizhao_workbook([rizhao_row(1)]))))
    auth.logout()
    auth.login("unit2_demo")
    assert client.get(f"/excel/import/{job_id}").status_code == 404
    assert client.get(f"/excel/import/{job_id}/annotated").status_code == 404


def test_export_downloads(client, auth, demo, app):
    auth.login("county_demo")
    page = client.get("/excel/export").get_data(as_text=True)
    assert "汇总导出" in page
    response = client.get("/excel/export/categories.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    disposition = response.headers["Content-Disposition"]
    assert "%E8%81%8C%E7%A7%B0%E4%BF%A1%E6%81%AF" in disposition  # 职称信息, UTF-8 encoded
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert len(archive.namelist()) == 4
        assert all(name.startswith("东港区职称改革领导小组办公室职称信息") for name in archive.namelist())
    response.close()
    national = client.get("/excel/export/national.xlsx")
    assert national.status_code == 200 and national.data.startswith(b"PK")
    national.close()


def test_cli_dry_run_report_json(app, demo, tmp_path):
    rows = [rizhao_row(1), rizhao_row(2, 证件号码=370102197308291800)]
    path = save(rizhao_workbook(rows, text_format=False), tmp_path / "r.xlsx")
    out = tmp_path / "report.json"
    result = app.test_cli_runner().invoke(args=["import-xlsx", path, "--dry-run", "--report-json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"layout", "rows_total", "rows_valid", "rows_imported", "rows_skipped", "issues"}
    assert report["rows_skipped"] == {"totals": 0, "footers": 0, "examples": 1}
    assert (report["layout"], report["rows_total"], report["rows_valid"], report["rows_imported"]) == ("rizhao12", 2, 1, 0)
    assert report["issues"][0]["code"] == "example_row"
    assert report["issues"][1:] == [{
        "row": first_data_row() + 1, "column": "证件号码", "severity": "error", "code": "id_excel_number",
        "message": report["issues"][1]["message"]}]
    assert "文本" in report["issues"][1]["message"]


def test_cli_import_and_export(app, demo, tmp_path):
    path = save(rizhao_workbook([rizhao_row(1), rizhao_row(2)]), tmp_path / "r.xlsx")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-xlsx", path]).exit_code != 0  # --org is required to write
    result = runner.invoke(args=["import-xlsx", path, "--org", "RZ-YZ"])
    assert result.exit_code == 0, result.output
    assert "已导入 2" in result.output
    again = runner.invoke(args=["import-xlsx", path, "--org", "RZ-YZ", "--report-json", str(tmp_path / "a.json")])
    assert again.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.cert_no == rizhao_row(1)[1])) == 1

    unreadable = tmp_path / "bad.xlsx"
    unreadable.write_text("not a workbook")
    failed = runner.invoke(args=["import-xlsx", str(unreadable), "--dry-run", "--report-json", str(tmp_path / "b.json")])
    assert failed.exit_code == 1
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["issues"][0]["code"] == "not_workbook"

    exported = runner.invoke(args=["export", "--org", "RZ-ZGB", "--out", str(tmp_path / "out")])
    assert exported.exit_code == 0, exported.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(files) == 2 and files[0].startswith("日照市职称改革领导小组办公室职称信息") and files[0].endswith("人.zip")

    template = tmp_path / "t.xlsx"
    assert runner.invoke(args=["xlsx-template", str(template)]).exit_code == 0
    assert template.read_bytes().startswith(b"PK")


def test_result_page_states_rows_that_are_not_data(client, auth, demo):
    auth.login("unit_demo")
    workbook = rizhao_workbook([rizhao_row(1)])
    sheet = workbook.active
    sheet.append(["合计", None, None, None, "共1人"])
    sheet.append(["填表人：王五", None, None, None, "联系电话：0633-8781234"])
    job_id = _job_id(_upload(client, to_bytes(workbook)))
    page = client.get(f"/excel/import/{job_id}").get_data(as_text=True)
    assert "合计行 1 行" in page and "落款行 1 行" in page and "模板示例行 1 行" in page
    assert re.search(r'<span class="stat-count">1</span><span class="stat-label">数据行', page)
    assert "模板自带的示例行" in page
