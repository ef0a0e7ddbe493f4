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
    reset_at = hit(setting, key)
    if reset_at is not None:
        raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))


def hit(setting: str, key: str) -> float | None:
    """Count one lookup for `key`; None when allowed, else when the spent limit resets (epoch
    seconds). For callers that answer a refused lookup themselves, such as a batch row."""
    if not limiter.enabled:
        return None
    strategy = limiter.limiter
    for item in _limits(current_app.config[setting]):
        if not strategy.hit(item, "verify", setting, key):
            return strategy.get_window_stats(item, "verify", setting, key).reset_time
    return None


def retry_after_header(error) -> dict:
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}
