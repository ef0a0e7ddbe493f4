"""Recording and checking the signed, hash-chained trail of every change and review step.

Each entry's hash is an HMAC-SHA256, under a key kept outside the database (AUDIT_KEY), of every
field of the entry, organisation name as shown at the time included, and of the previous hash of
the same record's chain. Whoever can write to the database but lacks the key cannot re-hash a
chain they have altered. A deleted tail or a whole deleted chain leaves no broken link, so the
heads of all chains are anchored outside the table: signed checkpoints written by
`flask audit-checkpoint` to AUDIT_CHECKPOINT_DIR, the latest of which is named in every signed
PDF the portal issues. `verify_chain` checks both and names what it finds.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from flask import current_app
from flask_login import current_user
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEntry
from portal.models._types import utcnow


def _naive_utc(moment):
    # SQLite hands back naive datetimes, PostgreSQL aware ones: hash the same text for both.
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def _canonical(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":")).encode()


def entry_payload(entry) -> dict:
    """Every stored field but the row id (given by the database after hashing) and the hash itself."""
    return {
        "at": _naive_utc(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "actor_role": entry.actor_role,
        "actor_org_id": entry.actor_org_id,
        "actor_org_name": entry.actor_org_name,
        "action": entry.action,
        "object": [entry.object_type, entry.object_id],
        "reason": entry.reason,
        "diff": entry.diff,
        "prev": entry.prev_hash,
    }


def keyed_digest(payload: dict, key: bytes) -> str:
    return hmac.new(key, _canonical(payload), hashlib.sha256).hexdigest()


def _unkeyed_digest(entry) -> str:
    """The plain SHA-256 of the payload: what someone re-hashing without the key would produce."""
    return hashlib.sha256(_canonical(entry_payload(entry))).hexdigest()


def record(action: str, object_type: str, object_id: int, *, reason: str | None = None,
           diff: dict | None = None, actor=None) -> AuditEntry:
    """Append a trail entry in the current transaction.

    Callers hold a lock on (or a version of) the record they change, so entries of one record
    are appended one at a time and the chain stays linear.
    """
    actor = actor if actor is not None else (current_user if current_user and current_user.is_authenticated else None)
    prev_hash = db.session.scalar(
        select(AuditEntry.hash)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "系统",
        actor_role=getattr(actor, "role", None) or "system",
        actor_org_id=getattr(actor, "org_id", None),
        actor_org_name=actor.org.name if getattr(actor, "org", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        diff=diff,
        prev_hash=prev_hash,
    )
    entry.hash = keyed_digest(entry_payload(entry), _key())
    db.session.add(entry)
    db.session.flush()
    return entry


# --- checkpoints ----------------------------------------------------------------------------------

def checkpoint_dir() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"])


def _heads() -> dict[str, list]:
    """"object_type:object_id" → [id, hash] of the last entry of every chain."""
    last = (select(func.max(AuditEntry.id)).group_by(AuditEntry.object_type, AuditEntry.object_id)).scalar_subquery()
    rows = db.session.execute(select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.id, AuditEntry.hash)
                              .where(AuditEntry.id.in_(last)))
    return {f"{t}:{i}": [entry_id, digest] for t, i, entry_id, digest in rows}


def _sign(body: dict) -> str:
    return hmac.new(_key(), b"checkpoint:" + _canonical(body), hashlib.sha256).hexdigest()


def write_checkpoint() -> dict:
    """Anchor the head of every chain in a signed file outside the database; returns it."""
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    previous = latest_checkpoint()
    heads = _heads()
    body = {
        "id": (previous["id"] + 1) if previous else 1,
        "at": utcnow().isoformat(timespec="seconds"),
        "last_entry_id": max((head[0] for head in heads.values()), default=0),
        "entries": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "heads": heads,
    }
    body["head"] = hmac.new(_key(), _canonical(heads), hashlib.sha256).hexdigest()
    checkpoint = body | {"signature": _sign(body)}
    path = directory / f"{body['id']:08d}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(checkpoint, ensure_ascii=False, sort_keys=True))
    temporary.replace(path)
    return checkpoint


def latest_checkpoint() -> dict | None:
    directory = checkpoint_dir()
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    return json.loads(files[-1].read_text()) if files else None


def checkpoint_stamp() -> str | None:
    """The words naming the latest checkpoint, for the documents the portal signs."""
    checkpoint = latest_checkpoint()
    if checkpoint is None:
        return None
    return f"留痕检查点 #{checkpoint['id']} {checkpoint['head'][:16]}"


# --- verification ---------------------------------------------------------------------------------

@dataclass
class ChainProblem:
    entry_id: int
    object_type: str
    object_id: int
    kind: str
    message: str


def _entry_problems(entry, prev_expected: str | None, key: bytes) -> list[ChainProblem]:
    where = (entry.id, entry.object_type, entry.object_id)
    out = []
    if entry.prev_hash != prev_expected:
        out.append(ChainProblem(*where, "link_broken", "与上一条留痕的哈希不相连（中间有记录被删除或插入）"))
    if not hmac.compare_digest(keyed_digest(entry_payload(entry), key), entry.hash):
        if entry.hash == _unkeyed_digest(entry):
            out.append(ChainProblem(*where, "rehashed_without_key",
                                    "哈希是不带密钥重新计算的（内容被改动后整条链被重算）"))
        else:
            out.append(ChainProblem(*where, "content_changed", "内容与哈希不符（记录的某个字段被篡改）"))
    return out


def _checkpoint_problems(checkpoint: dict, current: dict[str, list]) -> list[ChainProblem]:
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    if not hmac.compare_digest(_sign(body), checkpoint.get("signature", "")):
        return [ChainProblem(0, "checkpoint", checkpoint.get("id", 0), "checkpoint_invalid",
                             f"检查点 #{checkpoint.get('id')} 的签名无效（检查点文件被改动）")]
    out = []
    for chain, (last_id, digest) in checkpoint["heads"].items():
        object_type, _, object_id = chain.partition(":")
        where_now = current.get(chain)
        label = f"检查点 #{checkpoint['id']}"
        if where_now is None:
            out.append(ChainProblem(last_id, object_type, int(object_id), "chain_deleted",
                                    f"整条留痕链被删除：{label} 记录该链末条为 #{last_id}，现已一条不剩"))
        elif where_now[0] < last_id:
            out.append(ChainProblem(last_id, object_type, int(object_id), "tail_deleted",
                                    f"链尾留痕被删除：{label} 记录该链末条为 #{last_id}，现在只到 #{where_now[0]}"))
        elif where_now[0] == last_id and where_now[1] != digest:
            out.append(ChainProblem(last_id, object_type, int(object_id), "head_changed",
                                    f"链尾哈希与{label} 所记不符（该链被改动后重新计算）"))
    return out


def verify_chain(batch_size: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Recompute every entry's keyed hash and link, then compare the chains with the latest
    checkpoint; returns (entries checked, problems)."""
    key = _key()
    last: dict[tuple[str, int], list] = {}
    checkpoint = latest_checkpoint()
    anchored_upto = checkpoint["last_entry_id"] if checkpoint else 0
    # The chain heads as they stood at the checkpoint, for comparison with what it recorded.
    at_checkpoint: dict[str, list] = {}
    problems: list[ChainProblem] = []
    checked = 0
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch_size)
    for entry in db.session.scalars(stmt):
        checked += 1
        chain = (entry.object_type, entry.object_id)
        problems += _entry_problems(entry, last.get(chain, [None, None])[1], key)
        last[chain] = [entry.id, entry.hash]
        if entry.id <= anchored_upto:
            at_checkpoint[f"{chain[0]}:{chain[1]}"] = [entry.id, entry.hash]
    if checkpoint is not None:
        problems += _checkpoint_problems(checkpoint, at_checkpoint)
    return checked, problems
