"""Existence checks: telling an account whether an ID number is already registered on the
platform (the inline "已在平台登记" check, the accounts list, an import). Each answer says
something about persons of other units, so every account has a budget of them
(IDENTITY_LOOKUP_LIMIT, Flask-Limiter notation) and every use is logged, without the numbers.
"""
from __future__ import annotations

import logging

from flask import current_app
from limits import parse_many

from portal.domain.problems import Problem, error
from portal.extensions import limiter

log = logging.getLogger("portal.lookups")



def allow(account_id: int | None, door: str, count: int = 1) -> bool:
    """Count `count` checks for the account; False once its budget is spent (nothing counted)."""
    if count <= 0:
        return True
    setting = current_app.config["IDENTITY_LOOKUP_LIMIT"]
    allowed = True
    if limiter.enabled and account_id is not None:
        strategy = limiter.limiter
        items = parse_many(setting)
        allowed = all(strategy.test(item, "identity-lookup", str(account_id), cost=count) for item in items)
        if allowed:
            for item in items:
                strategy.hit(item, "identity-lookup", str(account_id), cost=count)
    log.info("identity lookup: account=%s door=%s count=%d allowed=%s", account_id, door, count, allowed)
    return allowed


def refusal(field: str = "id_number") -> Problem:
    return error(field, "lookup_limit",
                 "本账户核对证件号码是否已登记的次数已达上限，请稍后再试；如需批量处理请联系职改办")
