"""The Alembic migrations build exactly the schema the models describe, on this backend."""
import os
import secrets

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine

from portal import create_app
from portal.cli import init_migrations
from portal.extensions import db
from tests.conftest import PG_ADMIN_URL


def _fresh_database(tmp_path):
    if os.environ.get("TEST_DATABASE") != "postgres":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}", None
    import psycopg

    name = f"portal_mig_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}", name


def test_upgrade_from_empty_matches_the_models(tmp_path):
    url, pg_name = _fresh_database(tmp_path)
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
        init_migrations(app)
        with app.app_context():
            upgrade()
            engine = create_engine(url)
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            engine.dispose()
            db.engine.dispose()
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _legacy_entry(conn, entry_id: int, reason: str | None, prev: str | None) -> str:
    """An entry as the trail stored it before keyed hashes: plain SHA-256, organisation name left out."""
    import hashlib
    import json
    from datetime import datetime

    from sqlalchemy import text

    at = datetime(2026, 11, 20, 8, 0, entry_id)
    payload = {"at": at.isoformat(timespec="microseconds"), "actor_id": None, "actor_name": "系统",
               "actor_role": "system", "actor_org_id": None, "action": "submit", "object": ["certificate", 5],
               "reason": reason, "diff": None, "prev": prev}
    digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()
    conn.execute(text("INSERT INTO audit_entries (id, at, actor_name, actor_role, actor_org_name, action, object_type,"
                      " object_id, reason, prev_hash, hash) VALUES (:id, :at, '系统', 'system', NULL, 'submit',"
                      " 'certificate', 5, :reason, :prev, :hash)"),
                 {"id": entry_id, "at": at, "reason": reason, "prev": prev, "hash": digest})
    return digest


def test_upgrade_re_hashes_a_sound_legacy_trail_with_the_key(tmp_path):
    from portal.audit import verify_chain

    url, pg_name = _fresh_database(tmp_path)
    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "AUDIT_KEY": "migration-key",
                          "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints")})
        init_migrations(app)
        with app.app_context():
            upgrade(revision="0d046b70eb64")
            with db.engine.begin() as conn:
                first = _legacy_entry(conn, 1, None, None)
                _legacy_entry(conn, 2, "材料不全", first)
            upgrade()
            assert verify_chain() == (2, [])
            db.session.remove()
            db.engine.dispose()
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
