"""Counting requests against rate limits: in the store the web processes share, or in each
process's memory while that store is down.

The shared store is Flask-Limiter's storage (Redis when REDIS_URL is set). When it stops
answering, lookups must keep being served: each process then counts in its own memory (so a limit
holds per process), logs the outage once, reports it on /healthz, and asks the store again every
RATELIMIT_RETRY_SECONDS; the first answer puts the shared counts back in use.

On Redis every limit of a request is counted in one round trip (one script call), instead of one
call per limit; and a view may send the counts first and read Redis's answer later (start() and
Counting.result()), so that its database query runs while Redis counts.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis.exceptions import NoScriptError

from portal.extensions import limiter

log = logging.getLogger("portal.ratelimit")

# limits' fixed-window counting (INCRBY, and EXPIRE when the window starts) for many keys at once.
# The keys past the expiries (ARGV) are only read: limits a request must not have used up, though
# it does not count against them, answered in the same round trip.
_COUNT_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
  if i <= #ARGV then
    local count = redis.call('incrby', key, 1)
    if count == 1 then redis.call('expire', key, ARGV[i]) end
    counts[i] = count
  else
    counts[i] = tonumber(redis.call('get', key) or 0)
  end
end
return counts
"""

Check = tuple[RateLimitItem, tuple[str, ...]]


class _SharedStore:
    """What this process knows about the shared store: whether it answers, and the stand-in."""

    def __init__(self, storage: Storage, strategy: RateLimiter) -> None:
        self.storage = storage
        self.strategy = strategy
        self.lock = threading.Lock()
        self.down = False
        self.next_probe = 0.0
        self.confirmed_at = 0.0  # when the store last answered
        self.memory: RateLimiter = type(strategy)(MemoryStorage())
        self.count_all = None
        if isinstance(storage, RedisStorage) and isinstance(strategy, FixedWindowRateLimiter):
            self.count_all = storage.get_connection().register_script(_COUNT_ALL)

    def mark_down(self) -> None:
        with self.lock:
            if not self.down:
                log.warning("rate-limit store unreachable: counting in this process's memory until it answers")
            self.down = True
            self.next_probe = time.monotonic() + current_app.config["RATELIMIT_RETRY_SECONDS"]

    def answers(self) -> bool:
        """Whether the shared store is in use; while it is down, asks it again when due."""
        if not self.down:
            return True
        with self.lock:
            if time.monotonic() < self.next_probe:
                return False
            self.next_probe = time.monotonic() + current_app.config["RATELIMIT_RETRY_SECONDS"]
        if not self.storage.check():
            return False
        with self.lock:
            if self.down:
                log.warning("rate-limit store answers again: shared counting resumed")
            self.down = False
            self.confirmed_at = time.monotonic()
        return True

    def confirm(self) -> bool:
        """Whether the store is in use, asking it when it has not been heard from for a while."""
        if self.down or time.monotonic() - self.confirmed_at < current_app.config["RATELIMIT_RETRY_SECONDS"]:
            return self.answers()
        if self.storage.check():
            self.confirmed_at = time.monotonic()
            return True
        self.mark_down()
        return False


_store: _SharedStore | None = None
_store_lock = threading.Lock()


def _shared_store() -> _SharedStore:
    global _store
    storage = limiter.storage
    if _store is None or _store.storage is not storage:
        with _store_lock:
            if _store is None or _store.storage is not storage:
                _store = _SharedStore(storage, type(limiter.limiter)(storage))
    return _store


def _first_exceeded(strategy: RateLimiter, checks: list[Check]) -> Check | None:
    exceeded = None
    for item, identifiers in checks:
        if not strategy.hit(item, *identifiers) and exceeded is None:
            exceeded = (item, identifiers)
    return exceeded


Outcome = tuple[Check, RateLimiter] | None


class Counting:
    """The counts of one request: sent to the shared store by start(), settled by result().

    result() gives the first check that is used up, with the strategy that counted it (to ask
    when its window ends), or None.
    """

    def __init__(self, store: _SharedStore, checks: list[Check], unspent: list[Check]) -> None:
        self.store, self.checks, self.unspent = store, checks, unspent
        self.outcome: Outcome = None
        self.settled = False
        self._connection = None

    def send(self) -> None:
        """Send the counts to Redis without waiting for the answer."""
        pool = self.store.storage.get_connection().connection_pool
        connection = pool.get_connection()
        try:
            connection.send_command("EVALSHA", self.store.count_all.sha, len(self.checks) + len(self.unspent),
                                    *self._keys(), *self._expiries())
        except BaseException:
            pool.release(connection)
            raise
        self._connection = connection

    def _keys(self) -> list[str]:
        return [self.store.storage.prefixed_key(item.key_for(*identifiers))
                for item, identifiers in self.checks + self.unspent]

    def _expiries(self) -> list[int]:
        return [item.get_expiry() for item, _ in self.checks]

    def _read(self) -> list:
        connection, self._connection = self._connection, None
        pool = self.store.storage.get_connection().connection_pool
        try:
            return connection.read_response()
        except NoScriptError:
            # Redis forgot the script (a restart): run it the long way, which loads it again.
            return self.store.count_all(keys=self._keys(), args=self._expiries())
        finally:
            pool.release(connection)

    def count_in(self, strategy: RateLimiter) -> None:
        exceeded = _first_exceeded(strategy, self.checks)
        self.outcome, self.settled = ((exceeded, strategy) if exceeded else _first_spent(strategy, self.unspent)), True

    def result(self) -> Outcome:
        if not self.settled:
            try:
                counts = self._read()
            except self.store.storage.base_exceptions:
                self.store.mark_down()
                self.count_in(self.store.memory)
            else:
                self.store.confirmed_at = time.monotonic()
                counted = len(self.checks)
                exceeded = next((check for check, count in zip(self.checks, counts) if int(count) > check[0].amount),
                                None) or next((check for check, count in zip(self.unspent, counts[counted:])
                                               if int(count) >= check[0].amount), None)
                self.outcome, self.settled = ((exceeded, self.store.strategy) if exceeded else None), True
        return self.outcome


def start(checks: list[Check], unspent: list[Check] | None = None) -> Counting:
    """Count one request against every (limit, identifiers) of `checks`; read the outcome with
    result(), which also reports a limit of `unspent` that is used up (read, not counted)."""
    store = _shared_store()
    counting = Counting(store, checks, unspent or [])
    if store.answers():
        try:
            if store.count_all is not None:
                counting.send()
            else:
                counting.count_in(store.strategy)
            return counting
        except store.storage.base_exceptions:
            store.mark_down()
    counting.count_in(store.memory)
    return counting


def peek(checks: list[Check]) -> Outcome:
    """The first of `checks` whose limit is used up, without counting this request."""
    store = _shared_store()
    if store.answers():
        try:
            return _first_spent(store.strategy, checks)
        except store.storage.base_exceptions:
            store.mark_down()
    return _first_spent(store.memory, checks)


def _first_spent(strategy: RateLimiter, checks: list[Check]) -> Outcome:
    spent = next(((item, identifiers) for item, identifiers in checks if not strategy.test(item, *identifiers)), None)
    return (spent, strategy) if spent else None


def status() -> str:
    """"ok", or "degraded" while limits are counted per process because the shared store is down."""
    if not limiter.enabled:
        return "ok"
    return "ok" if _shared_store().confirm() else "degraded"
