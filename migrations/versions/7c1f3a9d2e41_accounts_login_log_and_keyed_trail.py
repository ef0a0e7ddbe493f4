"""accounts, login log and keyed trail

Revision ID: 7c1f3a9d2e41
Revises: 0d046b70eb64
Create Date: 2026-12-01 04:40:00

Trail entries written before this revision carry a plain SHA-256 that left out the organisation
name. They are checked with that old rule and, only if the whole trail verifies, re-hashed with
the keyed rule of portal.audit (HMAC-SHA256 under AUDIT_KEY over every field), so one rule holds
for every entry afterwards; a trail that already fails the old check stops the upgrade. On
PostgreSQL a trigger then refuses UPDATE and DELETE on the trail.
"""
import hashlib
import hmac
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1f3a9d2e41'
down_revision = '0d046b70eb64'
branch_labels = None
depends_on = None


TRAIL = sa.table(
    "audit_entries",
    sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String), sa.column("actor_role", sa.String), sa.column("actor_org_id", sa.Integer),
    sa.column("actor_org_name", sa.String), sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer), sa.column("reason", sa.Text), sa.column("diff", sa.JSON),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
"""


def _naive_utc(moment):
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _payload(row, prev, with_org_name):
    payload = {
        "at": _naive_utc(row.at), "actor_id": row.actor_id, "actor_name": row.actor_name,
        "actor_role": row.actor_role, "actor_org_id": row.actor_org_id, "action": row.action,
        "object": [row.object_type, row.object_id], "reason": row.reason, "diff": row.diff, "prev": prev,
    }
    if with_org_name:
        payload["actor_org_name"] = row.actor_org_name
    return payload


def _rehash_trail(bind):
    from flask import current_app

    key = current_app.config["AUDIT_KEY"].encode()
    old_heads, new_heads, updates = {}, {}, []
    for row in bind.execute(sa.select(TRAIL).order_by(TRAIL.c.id)):
        chain = (row.object_type, row.object_id)
        legacy = json.dumps(_payload(row, row.prev_hash, False), ensure_ascii=False, sort_keys=True, default=str)
        if row.prev_hash != old_heads.get(chain) or hashlib.sha256(legacy.encode()).hexdigest() != row.hash:
            raise RuntimeError(f"audit entry {row.id} fails the old hash check; the trail is not re-hashed")
        old_heads[chain] = row.hash
        canonical = json.dumps(_payload(row, new_heads.get(chain), True), ensure_ascii=False, sort_keys=True,
                               default=str, separators=(",", ":"))
        digest = hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
        updates.append({"entry_id": row.id, "new_prev": new_heads.get(chain), "new_hash": digest})
        new_heads[chain] = digest
    if updates:
        bind.execute(TRAIL.update().where(TRAIL.c.id == sa.bindparam("entry_id"))
                     .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")), updates)


def upgrade():
    bind = op.get_bind()
    _rehash_trail(bind)
    if bind.dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)

    op.create_table('login_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('username_digest', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_login_events_org_id_organizations')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_login_events_person_id_persons')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_events'))
    )
    with op.batch_alter_table('login_events', schema=None) as batch_op:
        batch_op.create_index('ix_login_events_address_at', ['address', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_events_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_login_events_user_id_at', ['user_id', 'at'], unique=False)
        batch_op.create_index('ix_login_events_username_digest_at', ['username_digest', 'at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('must_change_password', server_default=None)


def downgrade():
    # Entries keep their keyed hashes: the old unkeyed rule cannot be restored without forging.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('login_events', schema=None) as batch_op:
        batch_op.drop_index('ix_login_events_username_digest_at')
        batch_op.drop_index('ix_login_events_user_id_at')
        batch_op.drop_index(batch_op.f('ix_login_events_org_id'))
        batch_op.drop_index('ix_login_events_address_at')

    op.drop_table('login_events')
