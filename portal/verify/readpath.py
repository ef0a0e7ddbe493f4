"""The database path of a public lookup, kept to one round trip.

On PostgreSQL lookups use their own small pool of autocommit connections: a read-only SELECT
needs no BEGIN/ROLLBACK around it, and no liveness ping before it (the app pool pings on every
checkout). A connection the server dropped is detected on use, and the statement is retried once
on a fresh connection. Elsewhere (SQLite in development and tests) the app's engine is used.
"""
from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError

from portal.extensions import db

_lock = threading.Lock()
_EXTENSION = "verify_lookup_engine"


def lookup_engine():
    engine = current_app.extensions.get(_EXTENSION)
    if engine is None:
        with _lock:
            engine = current_app.extensions.get(_EXTENSION)
            if engine is None:
                engine = db.engine
                if engine.dialect.name == "postgresql":
                    app_engine = engine
                    engine = create_engine(app_engine.url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=8)
                    # Whoever closes the app's connections (a test session, a fork) closes these too.
                    event.listen(app_engine, "engine_disposed", lambda _: engine.dispose())
                current_app.extensions[_EXTENSION] = engine
    return engine


def _run(engine, stmt, params):
    with engine.connect() as connection:
        return connection.execute(stmt, params or {}).all()


def fetch_all(stmt, params: dict | None = None) -> list:
    engine = lookup_engine()
    try:
        return _run(engine, stmt, params)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return _run(engine, stmt, params)
