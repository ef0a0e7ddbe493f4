"""Rules of electronic certificates (portal.domain.ecert) and the SM2-signed QR payload (portal.ecert.sm2)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.domain import ecert as rules
from portal.domain.workdays import Overrides
from portal.ecert import sm2

TODAY = date(2026, 12, 1)  # a Tuesday


def _copy(purpose="应聘日照市人民医院", valid_until=TODAY + timedelta(days=30), live=0, **kw):
    return rules.check_use_copy(purpose, valid_until, today=TODAY, live_copies=live, max_days=90, max_live=3, **kw)


def _codes(problems) -> set[str]:
    return {p.code for p in problems}


@pytest.mark.parametrize("days, ok", [(0, True), (1, True), (89, True), (90, True), (91, False), (-1, False)])
def test_use_copy_lasts_at_most_ninety_days_from_today(days, ok):
    _, end, problems = _copy(valid_until=TODAY + timedelta(days=days))
    assert end == TODAY + timedelta(days=days)
    assert (not problems) is ok


def test_use_copy_end_date_may_be_typed_in_any_accepted_form():
    _, end, problems = _copy(valid_until="2027年1月5日")
    assert end == date(2027, 1, 5) and not problems
    _, end, problems = _copy(valid_until="明年")
    assert end is None and {p.field for p in problems} == {"valid_until"}
    _, end, problems = _copy(valid_until="")
    assert _codes(problems) == {"valid_until_missing"}


@pytest.mark.parametrize("live, ok", [(0, True), (2, True), (3, False), (4, False)])
def test_at_most_three_live_copies(live, ok):
    _, _, problems = _copy(live=live)
    assert (not problems) is ok
    if not ok:
        assert _codes(problems) == {"too_many_live"}


def test_use_copy_needs_a_short_purpose():
    assert _codes(_copy(purpose="  ")[2]) == {"purpose_missing"}
    assert _codes(_copy(purpose="用" * 31)[2]) == {"purpose_long"}
    text, _, problems = _copy(purpose=" 应聘ＡＢＣ公司 ")
    assert text == "应聘ABC公司" and not problems


def test_a_copy_is_live_until_its_end_date_unless_withdrawn():
    assert rules.is_live_copy(TODAY, None, TODAY)
    assert not rules.is_live_copy(TODAY - timedelta(days=1), None, TODAY)
    assert not rules.is_live_copy(TODAY, TODAY, TODAY)


def test_issue_deadline_counts_working_days_after_the_approval_day():
    # Approved Tuesday 2026-12-01: Wed, Thu, Fri, Mon, Tue → Tuesday 2026-12-08.
    assert rules.issue_deadline(TODAY, 5) == date(2026, 12, 8)
    # An administrator's day off moves it.
    overrides = Overrides(days={date(2026, 12, 2): False})
    assert rules.issue_deadline(TODAY, 5, overrides) == date(2026, 12, 9)


def test_latest_overdue_approval_splits_approvals_by_their_deadline():
    today = date(2026, 12, 9)
    last = rules.latest_overdue_approval(today, 5)
    assert rules.issue_deadline(last, 5) < today
    assert rules.issue_deadline(last + timedelta(days=1), 5) >= today


def test_public_status_revocation_outranks_everything():
    base = dict(certificate_status="approved", corrected_since_issue=False, superseded=False, kind="use_copy",
                valid_until=TODAY, withdrawn=False, today=TODAY)
    assert rules.public_status(**base) == "valid"
    assert rules.public_status(**base | {"valid_until": TODAY - timedelta(days=1)}) == "expired"
    assert rules.public_status(**base | {"withdrawn": True}) == "withdrawn"
    assert rules.public_status(**base | {"superseded": True}) == "superseded"
    assert rules.public_status(**base | {"corrected_since_issue": True}) == "corrected"
    assert rules.public_status(**base | {"certificate_status": "revoked", "withdrawn": True,
                                         "valid_until": TODAY - timedelta(days=9)}) == "revoked"


# ---------------------------------------------------------------- SM2 payload

KEY = sm2.generate()
CLAIMS = sm2.Claims(kind="use_copy", number="SY20261201-ABCDEFGH", name="阿依古丽·买买提", masked_id="650102********1234",
                    level="副高级", title_name="副主任医师", cert_no="新2019|0001", approved_on=date(2019, 11, 19),
                    issued_on=TODAY, purpose="应聘", valid_until=date(2027, 2, 1))


def test_payload_round_trip():
    payload = sm2.sign(CLAIMS, KEY)
    assert sm2.looks_like_payload(payload) and len(payload) < 400
    claims, valid = sm2.read(payload, KEY.public_hex)
    assert valid
    # "|" inside a value cannot split the fields: it is stored as the full-width bar.
    assert claims == sm2.Claims(**{**CLAIMS.__dict__, "cert_no": "新2019｜0001"})
    original = sm2.Claims(kind="original", number="DZ20261201-ABCDEFGH", name="张三", masked_id="3701**********0015",
                          level="中级", title_name="工程师", cert_no="", approved_on=None, issued_on=TODAY)
    assert sm2.read(sm2.sign(original, KEY), KEY.public_hex) == (original, True)


def test_altered_claims_signature_or_key_fail():
    payload = sm2.sign(CLAIMS, KEY)
    prefix, body, signature = payload.split(".")
    altered = sm2._b64(sm2._unb64(body).replace("副高级".encode(), "正高级".encode()))
    assert sm2.read(f"{prefix}.{altered}.{signature}", KEY.public_hex)[1] is False
    other_signature = sm2.sign(sm2.Claims(**{**CLAIMS.__dict__, "name": "李四"}), KEY).split(".")[2]
    assert sm2.read(f"{prefix}.{body}.{other_signature}", KEY.public_hex)[1] is False
    assert sm2.read(payload, sm2.generate().public_hex)[1] is False
    zeros = sm2._b64(bytes(64))
    assert sm2.read(f"{prefix}.{body}.{zeros}", KEY.public_hex)[1] is False
    assert sm2.read(f"{prefix}.{body}.{signature[:-4]}", KEY.public_hex)[1] is False


@pytest.mark.parametrize("garbage", ["E1.", "E1.abc", "E1.!!!.AAAA", "E1." + sm2._b64(b"\xff\xfe") + ".AAAA",
                                     "E1." + sm2._b64("X|a|b".encode()) + ".AAAA", "E2.a.b",
                                     "E1." + sm2._b64("O|n|a|b|c|d|e|2019|20261201||".encode()) + ".AAAA"])
def test_unreadable_payloads_are_told_apart_from_forgeries(garbage):
    with pytest.raises(sm2.PayloadError):
        sm2.read(garbage, KEY.public_hex)


def test_old_verification_tokens_are_not_payloads():
    import secrets

    assert not sm2.looks_like_payload(secrets.token_urlsafe(32))


def test_key_files_are_made_once_and_the_private_one_is_private(tmp_path):
    first = sm2.ensure_key(tmp_path / "k")
    assert sm2.ensure_key(tmp_path / "k") == first
    assert oct((tmp_path / "k" / sm2.PRIVATE_FILE).stat().st_mode & 0o777) == "0o600"
    (tmp_path / "k" / sm2.PUBLIC_FILE).write_text(sm2.generate().public_hex)
    with pytest.raises(ValueError, match="不匹配"):
        sm2.ensure_key(tmp_path / "k")
