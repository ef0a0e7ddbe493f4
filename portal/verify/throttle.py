"""Throttling of lookups, counted through portal.ratelimit on Flask-Limiter's storage.

The views count each lookup explicitly instead of using @limiter.limit, because the keys (the
queried number, the API key) are known only once the request is parsed, and because the
decorator's bookkeeping cost about as much per request as the lookup's own query. Every limit of a
request is counted at once (one round trip to Redis). Limits are read from the configuration on
each call, so a test or the environment can change them.
"""
from __future__ import annotations

import time
from functools import lru_cache

from flask import after_this_request, current_app
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from portal import ratelimit
from portal.extensions import limiter


@lru_cache(maxsize=64)
def _limits(value: str):
    return tuple(parse_many(value))


class Throttle:
    """Counts sent for one request; check() waits for them and answers 429 if a limit is used up.

    A view sends the counts first and checks them after its own query, so that the rate-limit
    store and the database work at the same time; nothing is shown or logged before check().
    """

    def __init__(self, counting: ratelimit.Counting | None) -> None:
        self.counting = counting

    def check(self) -> None:
        self.refuse(self.counting.result() if self.counting else None)

    @staticmethod
    def refuse(exceeded: ratelimit.Outcome) -> None:
        if exceeded:
            (item, identifiers), strategy = exceeded
            reset_at = strategy.get_window_stats(item, *identifiers).reset_time
            raise TooManyRequests(retry_after=max(1, int(reset_at - time.time()) + 1))


def _checks(pairs) -> list[ratelimit.Check]:
    return [(item, ("verify", setting, key)) for setting, key in pairs for item in _limits(current_app.config[setting])]


def start_throttle(*checks: tuple[str, str], unspent: tuple[str, str] | None = None) -> Throttle:
    """Count one request against each limit of every (setting, key), and, in the same round trip,
    read whether the `unspent` (setting, key) is used up, without counting it; see Throttle.check()."""
    if not limiter.enabled:
        return Throttle(None)
    counting = ratelimit.start(_checks(checks), _checks([unspent]) if unspent else None)

    @after_this_request
    def settle(response):
        # A view that failed before check() still reads Redis's answer, freeing the connection.
        counting.result()
        return response

    return Throttle(counting)


def throttle(*checks: tuple[str, str]) -> None:
    """Count one request against each limit of every (setting, key); 429 once one is used up."""
    start_throttle(*checks).check()


def spent(setting: str, key: str) -> ratelimit.Outcome:
    """The limit in `setting` that is used up for `key`, if any, without counting this request."""
    if not limiter.enabled:
        return None
    return ratelimit.peek([(item, ("verify", setting, key)) for item in _limits(current_app.config[setting])])


def count(setting: str, key: str) -> None:
    """Count one request against each limit in `setting` for `key`, refusing nothing."""
    if limiter.enabled:
        ratelimit.start([(item, ("verify", setting, key)) for item in _limits(current_app.config[setting])]).result()


def retry_after_header(error) -> dict:
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}
