"""Verification settings, read once from the environment when the blueprint is registered.

Limits use Flask-Limiter's notation; several are separated by ";". A test configuration or the
environment overrides each default (the benchmark raises the limits this way).
"""
from __future__ import annotations

import os

DEFAULTS = {
    # Public page and QR links, per client address.
    "VERIFY_LIMIT_PER_ADDRESS": "30 per minute;300 per day",
    # Public page, per queried 证件号码 / 证书编号, whoever asks: stops guessing the name of an ID.
    "VERIFY_LIMIT_PER_IDENTITY": "10 per minute;50 per day",
    # Signed verification reports (PDF, about half a second of work each), per client address.
    "VERIFY_REPORT_LIMIT": "10 per minute;60 per day",
    # API, per key.
    "VERIFY_API_LIMIT_PER_KEY": "600 per minute;100000 per day",
    # How long a worker process trusts a key it has checked (a revocation reaches it that late).
    "VERIFY_API_KEY_CACHE_SECONDS": 10.0,
    # Employer batch uploads, per account.
    "VERIFY_BATCH_LIMIT": "20 per hour;100 per day",
    "VERIFY_BATCH_MAX_ROWS": 5000,
    "VERIFY_BATCH_MAX_MB": 5,
    # Lookup records are written in batches every this many seconds; 0 writes each one inline.
    "VERIFY_LOG_FLUSH_SECONDS": 1.0,
}


def _typed(default, raw: str):
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def init_config(app) -> None:
    for name, default in DEFAULTS.items():
        if name in app.config:
            continue
        raw = os.environ.get(name)
        app.config[name] = _typed(default, raw) if raw else default
