"""Fixtures shared by every test.

TEST_DATABASE=sqlite (default) runs against a throw-away SQLite file; TEST_DATABASE=postgres
creates a throw-away PostgreSQL database on PG_ADMIN_URL (default: postgres on 127.0.0.1) and
drops it afterwards. The schema comes from the models; tests/http/test_migrations.py checks that
the Alembic migrations produce the same schema.
"""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import text

from portal import create_app
from portal.extensions import db, limiter

REFERENCE_TABLES = {"regions", "code_items"}
DEMO_PASSWORD = "Demo@2026"
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _backend() -> str:
    return os.environ.get("TEST_DATABASE", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if _backend() != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import psycopg

    name = f"portal_test_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing keeps fixtures quick
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "AUDIT_KEY": "test-audit-key",
        "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("audit-checkpoints")),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "TASKS_IMMEDIATE": True,  # queued work runs at once; tests/http/test_worker.py runs a real worker
        "DEMO_COMMITMENT_LETTERS": False,  # a second per letter on every demo; one test turns it on
        "TASK_QUEUE_PATH": str(tmp_path_factory.mktemp("queue") / "tasks.sqlite3"),
        # Signing keys of the run (`demo` issues e-certificates), never the developer's instance/.
        "CA_DIR": str(tmp_path_factory.mktemp("ca")),
        "ECERT_KEY_DIR": str(tmp_path_factory.mktemp("ecert-key")),
    })
    with app.app_context():
        db.create_all()
        from portal.reference import seed

        seed()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _clear_data(app) -> None:
    with app.app_context():
        db.session.rollback()
        tables = [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Every test starts with reference data only, empty rate-limit counters and no trail checkpoints."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        _clear_data(app)
        with app.app_context():
            limiter.reset()
            for checkpoint in Path(app.config["AUDIT_CHECKPOINT_DIR"]).glob("*.json"):
                checkpoint.unlink()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo organisations, accounts and 120 certificates; returns `flask demo --json`'s object."""
    from portal import demo as demo_module

    with app.app_context():
        demo_module.run(120)
        info = demo_module.summary()
        db.session.remove()
    return info


def csrf_token_of(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def tamper(sql: str, **params) -> None:
    """Change the trail behind the application's back, as someone with the database would.
    On PostgreSQL the append-only trigger stands in the way, so it is switched off for this
    transaction (which needs the superuser the tests run as)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(sql), params)
    db.session.commit()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = DEMO_PASSWORD):
        token = csrf_token_of(self.client)
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        token = csrf_token_of(self.client, "/home")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)
