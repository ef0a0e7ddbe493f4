"""The database path of a public lookup, kept to one round trip and little Python.

On PostgreSQL lookups use their own small pool of autocommit connections: a read-only SELECT
needs no BEGIN/ROLLBACK around it, and no liveness ping before it (the app pool pings on every
checkout). Each statement is compiled to SQL once per process and sent as it is
(exec_driver_sql; psycopg prepares it on the server after a few runs), which spares SQLAlchemy's
per-execution compilation lookup and IN-list expansion. A connection the server dropped is
detected on use, and the statement is retried once on a fresh connection.
Elsewhere (SQLite in development and tests) the app's engine runs the statement as usual.
"""
from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError

from portal.extensions import db

_lock = threading.Lock()
_EXTENSION = "verify_lookup_engine"
_compiled: dict = {}


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


def _sql(stmt, dialect) -> tuple[str, dict]:
    """The statement as psycopg SQL with its constant parameters (IN lists expanded), once."""
    found = _compiled.get(stmt)
    if found is None:
        # Expanding the IN lists needs a value for every parameter; the per-lookup ones get a
        # stand-in here and keep their placeholders in the SQL.
        asked = {name for name, bind in stmt.compile(dialect=dialect).binds.items() if bind.value is None}
        compiled = stmt.params({name: "" for name in asked}).compile(
            dialect=dialect, compile_kwargs={"render_postcompile": True})
        constants = {name: value for name, value in compiled.params.items() if name not in asked}
        found = _compiled[stmt] = (str(compiled), constants)
    return found


def _run(engine, sql: str, params: dict) -> list:
    with engine.connect() as connection:
        return connection.exec_driver_sql(sql, params).all()


def fetch_all(stmt, params: dict | None = None) -> list:
    engine = lookup_engine()
    if engine.dialect.name != "postgresql":
        with engine.connect() as connection:
            return connection.execute(stmt, params or {}).all()
    sql, constants = _sql(stmt, engine.dialect)
    values = {**constants, **(params or {})}
    try:
        return _run(engine, sql, values)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return _run(engine, sql, values)
