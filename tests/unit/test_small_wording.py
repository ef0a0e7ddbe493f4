"""Defect 11: wording a walk through the portal found wrong (each fails without its fix)."""
from __future__ import annotations

from datetime import date

from portal.domain.dates import parse_date
from portal.domain.scope import ScopeRules, check_scope


def test_an_impossible_day_says_the_month_has_no_such_day():
    message = parse_date("2024-02-30", field="issue_date").problems[0].message
    assert "2024年2月只有29天，没有30日" in message and "实际为" not in message


def test_an_invalid_region_code_is_not_called_another_province():
    rules = ScopeRules(exclude_other_province=True, home_province="37")
    assert check_scope({"issue_date": date(2019, 1, 1), "evaluation_region_code": "999999"}, rules) == []
    problems = check_scope({"issue_date": date(2019, 1, 1), "evaluation_region_code": "110000"}, rules)
    assert [p.code for p in problems] == ["scope_other_province"]


def test_a_refused_date_is_not_also_asked_for(app_ctx):
    from types import SimpleNamespace

    from portal.entry.services import check_certificate
    from portal.models import Person

    campaign = SimpleNamespace(window_start=date(2010, 1, 1), window_end=None, exclude_exam_only=True,
                               exclude_electronic=True, exclude_other_province=False,
                               org=SimpleNamespace(region_code="371100"))
    _, problems = check_certificate({"issue_date": "2024-02-30"}, Person(), None, campaign)
    on_date = [p.message for p in problems if p.field == "issue_date"]
    assert len(on_date) == 1 and "不存在" in on_date[0], on_date


def test_closed_notices_are_called_as_their_badge_says(client):
    page = client.get("/notices").get_data(as_text=True)
    assert ">公示期满</option>" in page
    assert "已结束" not in page
