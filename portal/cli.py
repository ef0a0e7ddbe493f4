"""Command-line interface: flask --app wsgi seed | demo | create-user | audit-verify | audit-checkpoint | run-job."""
from __future__ import annotations

import json
import sys

import click
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import select

from portal import scheduled
from portal.domain.passwords import check_password_policy
from portal.extensions import db
from portal.models import CodeItem, Organization, User
from portal.models.user import ROLES


def init_app(app) -> None:
    for command in (seed_command, demo_command, create_user_command, audit_verify_command,
                    audit_checkpoint_command, run_job_command):
        app.cli.add_command(command)
    app.cli.add_command(MigrationCommands("db", help="Database migrations (Flask-Migrate / Alembic)."))


def init_migrations(app) -> None:
    """Bind Flask-Migrate to `app`: what `flask db …` and a script calling flask_migrate need."""
    from flask_migrate import Migrate

    from portal import ROOT

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)


class MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's own command group, loaded only when it is run.

    Alembic takes about 0.35 s to import; web workers and every other command never need it.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as commands

        init_migrations(parent.ensure_object(ScriptInfo).load_app())
        return commands.make_context(info_name, args, parent=parent, **extra)


@click.command("seed")
@with_appcontext
def seed_command():
    """Load the reference data (regions, code tables); safe to run again."""
    from portal.reference import seed

    result = seed()
    click.echo(f"行政区划：新增 {result['regions'][0]}，更新 {result['regions'][1]}；"
               f"代码表：新增 {result['codes'][0]}")


@click.command("demo")
@with_appcontext
@click.option("--certificates", "certificates", default=300, show_default=True, type=click.IntRange(0),
              help="至少生成多少张演示证书（已有则补足）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出账户与演示数据概况")
def demo_command(certificates: int, as_json: bool):
    """Create demo organisations, one account per role and synthetic certificates; safe to run again."""
    from portal import demo
    from portal.reference import seed

    if db.session.scalar(select(CodeItem.id).limit(1)) is None:
        seed()
    demo.run(certificates)
    demo.ensure_demo_e_certificates(demo.DEMO_E_CERTIFICATES)
    info = demo.summary()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
        return
    click.echo("演示账户（密码均为 %s）：" % demo.DEMO_PASSWORD)
    for account in info["accounts"]:
        click.echo(f"  {account['username']:<16} {ROLES[account['role']]}  {account['org_code'] or ''}")
    click.echo("证书状态：" + "，".join(f"{k} {v}" for k, v in info["status_counts"].items()))


@click.command("create-user")
@with_appcontext
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--org", "org_code", help="所属组织代码（系统管理员可不填）")
@click.option("--name", "display_name", help="显示姓名")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(username: str, role: str, org_code: str | None, display_name: str | None, password: str):
    """Create an account for an operator."""
    problems = check_password_policy(password, username)
    if problems:
        raise click.ClickException("；".join(p.message for p in problems))
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise click.ClickException(f"用户名 {username} 已存在")
    org = None
    if org_code:
        org = db.session.scalar(select(Organization).where(Organization.code == org_code))
        if org is None:
            raise click.ClickException(f"找不到组织代码 {org_code}")
    elif role != "admin":
        raise click.ClickException("除系统管理员外，账户必须属于一个组织（--org）")
    user = User(username=username, role=role, org_id=org.id if org else None, display_name=display_name or username)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"已创建账户 {username}（{ROLES[role]}）")


@click.command("audit-verify")
@with_appcontext
def audit_verify_command():
    """Recompute the keyed hash chains of the trail and compare them with the latest checkpoint;
    exit status 1 if anything was tampered with."""
    from portal.audit import latest_checkpoint, verify_chain

    checked, problems = verify_chain()
    for problem in problems:
        click.echo(f"留痕 #{problem.entry_id}（{problem.object_type} {problem.object_id}）[{problem.kind}]：{problem.message}")
    checkpoint = latest_checkpoint()
    anchor = f"对照检查点 #{checkpoint['id']}（{checkpoint['at']}）" if checkpoint else "尚无检查点，无法发现被整条或从末尾删除的留痕"
    click.echo(f"已核验 {checked} 条留痕，{anchor}，发现 {len(problems)} 处问题。")
    if problems:
        sys.exit(1)


@click.command("audit-checkpoint")
@with_appcontext
def audit_checkpoint_command():
    """Write a signed checkpoint of every chain's head to AUDIT_CHECKPOINT_DIR (run it from cron too)."""
    from portal.audit import checkpoint_dir, write_checkpoint

    checkpoint = write_checkpoint()
    click.echo(f"已写入检查点 #{checkpoint['id']}：{len(checkpoint['heads'])} 条链，{checkpoint['entries']} 条留痕，"
               f"链首摘要 {checkpoint['head'][:16]}（{checkpoint_dir()}）")


@click.command("run-job")
@with_appcontext
@click.argument("name", type=click.Choice(sorted(scheduled.JOBS)))
def run_job_command(name: str):
    """Run one scheduled job now (as its schedule would) and log its outcome."""
    entry = scheduled.run(scheduled.JOBS[name])
    click.echo(f"{scheduled.JOB_LABELS[name]}：{entry.outcome}，{entry.detail}")
    if entry.outcome == "failed":
        sys.exit(1)
