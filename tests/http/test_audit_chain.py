"""The trail is append-only and tampering is detected."""
import pytest
from sqlalchemy import text

from portal.audit import record, verify_chain
from portal.extensions import db


def test_chain_links_entries_of_a_record_and_detects_tampering(app):
    with app.app_context():
        first = record("submit", "certificate", 41, reason=None)
        second = record("return", "certificate", 41, reason="发证日期有误")
        other = record("submit", "certificate", 42)
        db.session.commit()
        assert second.prev_hash == first.hash and other.prev_hash is None
        assert verify_chain() == (3, [])

        db.session.execute(text("UPDATE audit_entries SET reason = '无' WHERE id = :id"), {"id": second.id})
        db.session.commit()
        checked, problems = verify_chain()
        assert checked == 3 and [p.entry_id for p in problems] == [second.id]
        assert "篡改" in problems[0].message
        result = app.test_cli_runner().invoke(args=["audit-verify"])
        assert result.exit_code == 1 and "发现 1 处问题" in result.output


def test_entries_cannot_be_changed_through_the_orm(app):
    with app.app_context():
        entry = record("submit", "certificate", 7)
        db.session.commit()
        entry.reason = "改动"
        with pytest.raises(PermissionError):
            db.session.commit()
        db.session.rollback()
