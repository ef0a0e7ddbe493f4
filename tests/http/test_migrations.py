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
