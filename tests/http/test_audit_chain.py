"""The trail is keyed, anchored by checkpoints outside the database, append-only, and each of
the four tamperings is found and named."""
import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from portal import audit
from portal.audit import record, verify_chain, write_checkpoint
from portal.extensions import db
from portal.models import AuditEntry
from tests.conftest import tamper

ON_POSTGRES = os.environ.get("TEST_DATABASE") == "postgres"


def _trail():
    """Two records' chains, anchored by a checkpoint."""
    first = record("submit", "certificate", 41)
    second = record("return", "certificate", 41, reason="发证日期有误")
    other = record("submit", "certificate", 42)
    assert second.prev_hash == first.hash and other.prev_hash is None
    db.session.commit()
    write_checkpoint()
    return first.id, second.id, other.id


def _kinds(problems):
    return sorted((p.kind, p.entry_id) for p in problems)


def test_an_untouched_trail_verifies(app):
    with app.app_context():
        _trail()
        assert verify_chain() == (3, [])
        result = app.test_cli_runner().invoke(args=["audit-verify"])
        assert result.exit_code == 0 and "对照检查点 #1" in result.output and "发现 0 处问题" in result.output


def test_hash_is_keyed_and_covers_the_organisation_name(app, monkeypatch):
    with app.app_context():
        entry = record("submit", "certificate", 9)
        plain = hashlib.sha256(json.dumps(audit.entry_payload(entry), ensure_ascii=False, sort_keys=True,
                                          separators=(",", ":")).encode()).hexdigest()
        assert entry.hash != plain
        assert "actor_org_name" in audit.entry_payload(entry)
        monkeypatch.setitem(app.config, "AUDIT_KEY", "another key")
        assert audit.keyed_digest(audit.entry_payload(entry), b"another key") != entry.hash
        db.session.rollback()


def test_finds_the_last_entry_of_a_chain_deleted(app):
    with app.app_context():
        first, second, other = _trail()
        tamper("DELETE FROM audit_entries WHERE id = :id", id=second)
        checked, problems = verify_chain()
        assert checked == 2 and _kinds(problems) == [("tail_deleted", second)]
        assert "链尾留痕被删除" in problems[0].message
        result = app.test_cli_runner().invoke(args=["audit-verify"])
        assert result.exit_code == 1 and "链尾留痕被删除" in result.output


def test_finds_a_whole_chain_deleted(app):
    with app.app_context():
        first, second, other = _trail()
        tamper("DELETE FROM audit_entries WHERE object_id = 41")
        checked, problems = verify_chain()
        assert checked == 1 and _kinds(problems) == [("chain_deleted", second)]
        assert "整条留痕链被删除" in problems[0].message


def test_finds_a_forged_organisation_name(app, demo):
    with app.app_context():
        from portal.models import User
        from sqlalchemy import select

        actor = db.session.scalar(select(User).where(User.username == "unit_demo"))
        entry = record("approve", "certificate", 77, actor=actor)
        db.session.commit()
        write_checkpoint()
        tamper("UPDATE audit_entries SET actor_org_name = '日照市人民医院' WHERE id = :id", id=entry.id)
        checked, problems = verify_chain()
        assert ("content_changed", entry.id) in _kinds(problems)
        assert any("字段被篡改" in p.message for p in problems)


def test_finds_a_reason_rewritten_with_the_chain_re_hashed(app):
    with app.app_context():
        first, second, other = _trail()
        # Rewrite the reason and re-hash from there on, as the old unkeyed rule allowed.
        row = db.session.get(AuditEntry, second)
        db.session.expunge(row)
        row.reason = "无"
        forged = hashlib.sha256(json.dumps(audit.entry_payload(row), ensure_ascii=False, sort_keys=True,
                                           separators=(",", ":")).encode()).hexdigest()
        tamper("UPDATE audit_entries SET reason = '无', hash = :hash WHERE id = :id", hash=forged, id=second)
        checked, problems = verify_chain()
        kinds = _kinds(problems)
        assert ("rehashed_without_key", second) in kinds and ("head_changed", second) in kinds
        assert any("整条链被重算" in p.message for p in problems)


def test_a_forged_checkpoint_file_is_refused(app):
    with app.app_context():
        _trail()
        path = sorted(Path(app.config["AUDIT_CHECKPOINT_DIR"]).glob("*.json"))[-1]
        checkpoint = json.loads(path.read_text())
        checkpoint["heads"].pop("certificate:41")
        path.write_text(json.dumps(checkpoint))
        assert [p.kind for p in verify_chain()[1]] == ["checkpoint_invalid"]


def test_audit_checkpoint_command_writes_numbered_files(app):
    with app.app_context():
        record("submit", "certificate", 5)
        db.session.commit()
    runner = app.test_cli_runner()
    assert "已写入检查点 #1" in runner.invoke(args=["audit-checkpoint"]).output
    assert "已写入检查点 #2" in runner.invoke(args=["audit-checkpoint"]).output
    files = sorted(p.name for p in Path(app.config["AUDIT_CHECKPOINT_DIR"]).glob("*.json"))
    assert files == ["00000001.json", "00000002.json"]


def test_entries_cannot_be_changed_through_the_orm(app):
    with app.app_context():
        entry = record("submit", "certificate", 7)
        db.session.commit()
        entry.reason = "改动"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only trigger exists on PostgreSQL only")
def test_postgres_refuses_update_and_delete_of_trail_rows(app):
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        entry = record("submit", "certificate", 8)
        db.session.commit()
        for sql in ("UPDATE audit_entries SET reason = 'x' WHERE id = :id", "DELETE FROM audit_entries WHERE id = :id"):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(text(sql), {"id": entry.id})
            db.session.rollback()
        assert db.session.get(AuditEntry, entry.id).reason is None
