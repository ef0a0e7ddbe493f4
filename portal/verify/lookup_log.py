"""The lookup log (核验记录): one row per lookup, written in batches off the request path.

At a thousand lookups a second a commit per lookup would cost more than the lookup itself, so
each process buffers its rows and a background thread writes them every
VERIFY_LOG_FLUSH_SECONDS (and at exit). A crash loses at most that interval of log rows, never a
certificate. The holder's own history page flushes its process's buffer first.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading

from flask import current_app
from sqlalchemy import insert

from portal.extensions import db
from portal.models import VerificationLookup

log = logging.getLogger(__name__)


class LookupLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict = {}  # engine -> rows
        self._wakeup = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def add(self, rows: list[dict]) -> None:
        interval = current_app.config["VERIFY_LOG_FLUSH_SECONDS"]
        if interval <= 0:
            db.session.execute(insert(VerificationLookup.__table__), rows)
            db.session.commit()
            return
        engine = db.engine
        with self._lock:
            self._pending.setdefault(engine, []).extend(rows)
            # A forked worker inherits no running thread: start one per process.
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._start(interval)

    def _start(self, interval: float) -> None:
        if self._pid is None:
            atexit.register(self.flush)
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, args=(interval,), name="lookup-log", daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while True:
            self._wakeup.wait(interval)
            self._wakeup.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for engine, rows in pending.items():
            try:
                with engine.begin() as connection:
                    connection.execute(insert(VerificationLookup.__table__), rows)
            except Exception:
                log.exception("could not write %d verification lookup records", len(rows))


lookup_log = LookupLog()
