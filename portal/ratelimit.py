"""Counting requests against rate limits: in the store the web processes share, or in each
process's memory while that store is down.

The shared store is Flask-Limiter's storage (Redis when REDIS_URL is set). When it stops
answering, lookups must keep being served: each process then counts in its own memory (so a limit
holds per process), logs the outage once, reports it on /healthz, and asks the store again every
RATELIMIT_RETRY_SECONDS; the first answer puts the shared counts back in use.

On Redis every limit of a request is counted in one round trip (one script call), instead of one
call per limit.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from portal.extensions import limiter

log = logging.getLogger("portal.ratelimit")

# limits' fixed-window counting (INCRBY, and EXPIRE when the window starts) for many keys at once.
_COUNT_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('incrby', key, 1)
  if count == 1 then redis.call('expire', key, ARGV[i]) end
  counts[i] = count
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


def _count_shared(store: _SharedStore, checks: list[Check]) -> Check | None:
    if store.count_all is None:
        return _first_exceeded(store.strategy, checks)
    keys = [store.storage.prefixed_key(item.key_for(*identifiers)) for item, identifiers in checks]
    counts = store.count_all(keys=keys, args=[item.get_expiry() for item, _ in checks])
    return next((check for check, count in zip(checks, counts) if int(count) > check[0].amount), None)


def hit(checks: list[Check]) -> tuple[Check, RateLimiter] | None:
    """Count one request against every (limit, identifiers); the first one used up, or None.

    The exceeded check comes with the strategy that counted it, to ask when its window ends.
    """
    store = _shared_store()
    if store.answers():
        try:
            exceeded = _count_shared(store, checks)
        except store.storage.base_exceptions:
            store.mark_down()
        else:
            store.confirmed_at = time.monotonic()
            return (exceeded, store.strategy) if exceeded else None
    exceeded = _first_exceeded(store.memory, checks)
    return (exceeded, store.memory) if exceeded else None


def status() -> str:
    """"ok", or "degraded" while limits are counted per process because the shared store is down."""
    if not limiter.enabled:
        return "ok"
    return "ok" if _shared_store().confirm() else "degraded"
