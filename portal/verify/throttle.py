"""Throttling of lookups through the app's Flask-Limiter `limiter`: its storage (Redis when
REDIS_URL is set, memory otherwise) and its strategy.

The views count each lookup explicitly instead of using @limiter.limit, because the keys (the
queried number, the API key) are known only once the request is parsed, and because the
decorator's bookkeeping cost about as much per request as the lookup's own query. Limits are
read from the configuration on each call, so a test or the environment can change them.
"""
from __future__ import annotations

import time
from functools import lru_cache

from flask import current_app
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from portal.extensions import limiter


@lru_cache(maxsize=64)
def _limits(value: str):
    return tuple(parse_many(value))


def throttle(setting: str, key: str) -> None:
    """Count one request against each limit in `setting` for `key`; 429 once one is used up."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in _limits(current_app.config[setting]):
        if not strategy.hit(item, "verify", setting, key):
            reset_at = strategy.get_window_stats(item, "verify", setting, key).reset_time
            raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))


def refuse_if_spent(setting: str, key: str) -> None:
    """429 if a limit in `setting` is used up for `key`, without counting this request."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in _limits(current_app.config[setting]):
        if not strategy.test(item, "verify", setting, key):
            reset_at = strategy.get_window_stats(item, "verify", setting, key).reset_time
            raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))


def count(setting: str, key: str) -> None:
    """Count one request against each limit in `setting` for `key`, refusing nothing."""
    if not limiter.enabled:
        return
    for item in _limits(current_app.config[setting]):
        limiter.limiter.hit(item, "verify", setting, key)


def retry_after_header(error) -> dict:
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}
