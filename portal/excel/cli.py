"""Commands: flask --app wsgi xlsx-template | import-xlsx | export."""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from portal.documents.xlsx_export import export_zip, national_export, safe_name
from portal.documents.xlsx_template import template_bytes
from portal.excel.routes import bp
from portal.excel.services import ExportSource, OrgScope, template_data
from portal.extensions import db
from portal.imports import jobs
from portal.imports.pipeline import Importer, Report
from portal.imports.reader import WorkbookError, sniff
from portal.models import ImportJob, Organization
from portal.models._types import utcnow
from portal.workflow import campaign_for_org, scope_rules


def _org(code: str | None) -> Organization | None:
    if not code:
        return None
    org = db.session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise click.ClickException(f"找不到组织代码 {code}")
    return org


@bp.cli.command("xlsx-template")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def xlsx_template_command(out: Path):
    """Write the national 上报数据模板 to OUT."""
    out.write_bytes(template_bytes(template_data()))
    click.echo(f"已生成上报数据模板：{out}")


def _write_report(path: Path | None, report: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


@bp.cli.command("import-xlsx")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_code", help="持有单位的组织代码；导入的人员和证书记在该单位名下")
@click.option("--dry-run", is_flag=True, help="只检查，不写入数据库")
@click.option("--report-json", "report_json", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="把检查报告写成JSON文件")
@click.option("--all-or-nothing", "all_or_nothing", is_flag=True,
              help="有任何错误时一行也不导入（默认只导入无错误的行）")
def import_xlsx_command(path: Path, org_code: str | None, dry_run: bool, report_json: Path | None,
                        all_or_nothing: bool):
    """Check (and unless --dry-run, import) a workbook; exit status 1 if the file cannot be read."""
    org = _org(org_code)
    if org is None and not dry_run:
        raise click.ClickException("导入需要指定持有单位：--org 组织代码（只检查请加 --dry-run）")
    data = path.read_bytes()
    campaign = campaign_for_org(org)
    importer = Importer(org=org, rules=scope_rules(campaign), max_rows=jobs.max_rows(),
                        campaign_id=campaign.id if campaign else None)
    mode = "all" if all_or_nothing else "valid"
    try:
        report = importer.run(path, sniff(data[:8]), write=not dry_run, mode=mode)
    except WorkbookError as exc:
        db.session.rollback()
        failed = Report()
        failed.issues.append({"row": None, "column": None, "severity": "error", "code": exc.code,
                              "message": exc.message})
        _write_report(report_json, failed.as_json())
        click.echo(f"无法导入：{exc.message}", err=True)
        sys.exit(1)
    if not dry_run:
        if report.rows_imported and not (mode == "all" and report.errors):
            job = ImportJob(
                org_id=org.id, region_code=org.region_code, filename=path.name[:255], stored_name="",
                file_kind=sniff(data[:8]), size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                status="committed", mode=mode, layout=report.layout, sheet_name=(report.sheet or "")[:64],
                rows_total=report.rows_total, rows_valid=report.rows_valid, rows_imported=report.rows_imported,
                errors=report.errors, warnings=report.warnings,
                summary=report.counts | {"skipped": report.skipped}, finished_at=utcnow())
            db.session.add(job)
            db.session.flush()
            importer.record_audit(job.id, path.name)
            db.session.commit()
        else:
            db.session.rollback()
            report.rows_imported = 0
    _write_report(report_json, report.as_json())
    click.echo(f"模板：{report.layout_title}；数据行 {report.rows_total}，无错误 {report.rows_valid}，"
               f"已导入 {report.rows_imported}；错误 {report.errors} 处，提示 {report.warnings} 处")
    if any(report.skipped.values()):
        click.echo(f"  跳过非数据行：合计 {report.totals_rows} 行，落款 {report.footer_rows} 行，"
                   f"模板示例 {report.example_rows} 行")
    for issue in report.issues[:20]:
        label = "错误" if issue["severity"] == "error" else "提示"
        click.echo(f"  第{issue['row']}行 {issue['column'] or ''} {label}：{issue['message']}")
    if len(report.issues) > 20:
        click.echo(f"  ……另有 {len(report.issues) - 20} 处，完整列表请用 --report-json 导出")


@bp.cli.command("export")
@click.option("--org", "org_code", required=True, help="按该组织的管辖范围导出审核通过的数据")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
def export_command(org_code: str, out_dir: Path):
    """Write the four category workbooks (zipped) and the national-layout workbook to DIR."""
    org = _org(org_code)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = ExportSource(OrgScope.of(org))
    temporary = out_dir / ".export.zip.part"
    summary = export_zip(temporary, org.name, source.category)
    zip_path = out_dir / f"{summary.folder}.zip"
    temporary.replace(zip_path)
    national_path = out_dir / f"{safe_name(org.name)}职称信息（上报数据模板）.xlsx"
    national_export(national_path, template_data(), source.national())
    click.echo(f"已导出 {zip_path.name}（{summary.persons}人）：" + "，".join(summary.files))
    click.echo(f"已导出 {national_path.name}")
