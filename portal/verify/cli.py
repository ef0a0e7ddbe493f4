"""flask --app wsgi api-key create|list|revoke, and verify-tokens."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import ApiKey, Certificate
from portal.models.verification import PUBLISHED_STATUSES, new_verify_token
from portal.verify.keys import all_keys, issue_key, revoke_key

api_key_cli = AppGroup("api-key", help="核验接口密钥：签发、列出、吊销。")


@api_key_cli.command("create")
@click.option("--org", "org_name", required=True, help="使用接口的单位名称")
def create_key(org_name: str):
    """Issue a key for a client organisation; the key is printed once and never stored."""
    try:
        key, raw = issue_key(org_name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已为“{key.org_name}”签发接口密钥（编号 {key.id}）。密钥只显示这一次，请妥善保存：")
    click.echo(raw)


@api_key_cli.command("list")
def list_keys():
    """List keys (prefix only) and whether they are revoked."""
    for key in all_keys():
        state = f"已吊销 {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "有效"
        click.echo(f"{key.id:>4}  {key.key_prefix}…  {state:<16} {key.org_name}")


@api_key_cli.command("revoke")
@click.option("--id", "key_id", required=True, type=int, help="密钥编号（见 api-key list）")
def revoke(key_id: int):
    """Revoke a key: requests using it are refused from now on."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise click.ClickException(f"没有编号为 {key_id} 的接口密钥")
    revoke_key(key)
    click.echo(f"已吊销“{key.org_name}”的接口密钥（{key.key_prefix}…）。")


@click.command("verify-tokens")
@with_appcontext
def verify_tokens():
    """Give every published certificate without one a verification token (after bulk imports)."""
    missing = list(db.session.scalars(select(Certificate.id).where(
        Certificate.status.in_(PUBLISHED_STATUSES), Certificate.verify_token.is_(None))))
    for cert_id in missing:
        db.session.execute(update(Certificate).where(Certificate.id == cert_id)
                           .values(verify_token=new_verify_token()))
    db.session.commit()
    click.echo(f"已为 {len(missing)} 张证书生成核验码。")
