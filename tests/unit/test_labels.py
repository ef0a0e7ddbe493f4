"""Defect: raw codes (health_technician, review, public_institution, bachelor, revoke,
objection_freeze …) in the signed trail and change log. Every code and action has a Chinese label."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from portal import audit, labels
from portal.extensions import db
from portal.models import AuditEntry, Certificate, CodeItem, User
from portal.models.codes import CODE_KINDS

PORTAL = Path(__file__).resolve().parents[2] / "portal"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Actions written with an f-string, and the values their placeholder takes.
PLACEHOLDERS = {"decision": ("upheld", "dismissed")}
ACTION_CALL = re.compile(r"\b(?:record\(|_sign_and_commit\(\s*\w+,)\s*(f?)\"([a-z_{}]+)\"")


def _recorded_actions() -> set[str]:
    """Every action any code passes to portal.audit.record, read from the source."""
    found = set()
    for path in PORTAL.rglob("*.py"):
        for is_f, action in ACTION_CALL.findall(path.read_text(encoding="utf-8")):
            names = re.findall(r"\{(\w+)\}", action) if is_f else []
            if not names:
                found.add(action)
                continue
            assert len(names) == 1 and names[0] in PLACEHOLDERS, f"teach this test the values of {action} ({path})"
            found.update(action.replace("{%s}" % names[0], value) for value in PLACEHOLDERS[names[0]])
    return found


def test_every_action_in_the_source_has_a_chinese_label():
    actions = _recorded_actions()
    assert {"approve", "return", "revoke", "objection_freeze", "objection_resolve", "objection_upheld"} <= actions
    missing = sorted(a for a in actions if not CJK.search(labels.action_label(a)))
    assert not missing, f"actions without a label in portal/labels.py: {missing}"


def test_every_code_table_entry_has_a_chinese_label(app_ctx):
    fields = {kind: field for field, kind in labels.CODE_TABLE_OF.items()}
    assert set(CODE_KINDS) <= set(fields), "every code table is reachable from a field"
    items = list(db.session.scalars(select(CodeItem)))
    assert len(items) > 200
    for item in items:
        label = labels.code_label(item.key, fields[item.kind])
        assert CJK.search(label), f"{item.kind}.{item.key} shows as {label!r}"
    for field, table in labels.FIXED.items():
        for key in table:
            assert CJK.search(labels.code_label(key, field)), f"{field}.{key}"


def test_every_action_the_demo_records_has_a_label(app, demo):
    with app.app_context():
        recorded = set(db.session.scalars(select(AuditEntry.action).distinct()))
    assert recorded and all(CJK.search(labels.action_label(a)) for a in recorded), recorded


def test_trail_shows_labels_not_codes(client, auth, app, demo):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "unit_demo"))
        cert = db.session.scalar(select(Certificate).where(Certificate.org_id == user.org_id).limit(1))
        diff = {"series": ["health_technician", "engineering"], "obtain_method": ["review", "exam_in_lieu"],
                "unit_nature": ["public_institution", "private_enterprise"], "degree": [None, "bachelor"],
                "status": ["approved", "revoked"], "objection_open": [False, True]}
        for action in ("update", "revoke", "objection_freeze", "objection_resolve"):
            audit.record(action, "certificate", cert.id, actor=user, diff=diff)
        db.session.commit()
        cert_id = cert.id
    auth.login("unit_demo")
    body = client.get(f"/review/certificates/{cert_id}").get_data(as_text=True)
    timeline = re.sub(r"<[^>]+>", " ", body.split('id="timeline"')[1].split("</ol>")[0])
    for code in ("health_technician", "public_institution", "bachelor", " review ", "exam_in_lieu",
                 "objection_freeze", "objection_resolve", " revoke ", "objection_open", "True", "False"):
        assert code not in timeline, code
    for label in ("卫生技术人员", "工程技术人员", "评审", "以考代评", "事业单位", "学士", "撤销证书", "异议冻结记录",
                  "异议处理完毕", "（空）", "是", "否"):
        assert label in timeline, label
