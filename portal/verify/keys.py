"""API keys for other systems (跨地区核验接口): issued per client organisation, stored as SHA-256.

A key carries 256 bits from the OS random source, so a fast unsalted hash is enough: there is
nothing to brute-force, and the hash lets a request find its key with one indexed query.

Each process remembers a valid key for VERIFY_API_KEY_CACHE_SECONDS (default 10), so a busy
client costs one query per lookup rather than two. Revoking clears the revoking process's memory
at once; other worker processes refuse the key at the latest that many seconds later.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, select

from portal.audit import record
from portal.clock import china_time
from portal.domain.text import clean
from portal.extensions import db
from portal.models import ApiKey
from portal.models._types import utcnow
from portal.verify.readpath import fetch_all

KEY_PREFIX = "vk_"
DEMO_ORG = "演示核验客户（外省人社系统）"
CACHE_LIMIT = 1000


@dataclass(frozen=True)
class ActiveKey:
    id: int
    org_name: str


class _KeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, ActiveKey]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> ActiveKey | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: str, key: ActiveKey, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= CACHE_LIMIT:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + seconds, key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _KeyCache()


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _store(org_name: str, raw: str, actor=None) -> ApiKey:
    key = ApiKey(org_name=org_name, key_prefix=raw[:10], key_hash=hash_key(raw),
                 created_by_id=getattr(actor, "id", None))
    db.session.add(key)
    db.session.flush()
    record("issue_api_key", "api_key", key.id, reason=f"为“{org_name}”签发核验接口密钥", actor=actor)
    return key


def issue_key(org_name: str, actor=None) -> tuple[ApiKey, str]:
    """A new key for `org_name`; the raw key is returned once and never stored."""
    org_name = clean(org_name)
    if not org_name:
        raise ValueError("请填写使用接口的单位名称")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = _store(org_name[:128], raw, actor)
    db.session.commit()
    return key, raw


_ACTIVE_KEY = select(ApiKey.id, ApiKey.org_name).where(ApiKey.key_hash == bindparam("digest"),
                                                       ApiKey.revoked_at.is_(None))


def find_active_key(raw: str | None) -> ActiveKey | None:
    if not raw or len(raw) > 128:
        return None
    digest = hash_key(raw)
    key = _cache.get(digest)
    if key is None:
        rows = fetch_all(_ACTIVE_KEY, {"digest": digest})
        if not rows:
            return None
        key = ActiveKey(*rows[0])
        _cache.put(digest, key, current_app.config["VERIFY_API_KEY_CACHE_SECONDS"])
    return key


def revoke_key(key: ApiKey, actor=None) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by_id = getattr(actor, "id", None)
        record("revoke_api_key", "api_key", key.id, reason=f"吊销“{key.org_name}”的核验接口密钥", actor=actor)
    db.session.commit()
    _cache.clear()


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())))


KEY_EXPORT_HEADERS = ("编号", "使用单位", "密钥前缀", "签发时间", "状态")


def key_export_rows():
    """The key list as shown (never a key itself: only its prefix is known), for Excel."""
    for key in all_keys():
        yield (key.id, key.org_name, f"{key.key_prefix}…", china_time(key.created_at),
               "有效" if key.active else f"已吊销 {china_time(key.revoked_at)}")


def demo_api_key() -> str:
    """The demo client's key, derived from this installation's SECRET_KEY: stable across demo
    runs, unknown to anyone without the secret."""
    secret = current_app.config["SECRET_KEY"].encode()
    return KEY_PREFIX + "demo_" + hmac.new(secret, b"demo verification api key", hashlib.sha256).hexdigest()[:40]


def ensure_demo_api_key() -> str:
    raw = demo_api_key()
    exists = db.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(raw)))
    if exists is None:
        _store(DEMO_ORG, raw)
        db.session.commit()
    return raw
