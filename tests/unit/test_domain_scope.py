"""Campaign scope: which certificates a campaign collects (DOMAIN.md §4)."""
from datetime import date
from types import SimpleNamespace

import pytest

from portal.domain.problems import ERROR
from portal.domain.scope import ScopeRules, check_scope

WINDOW = ScopeRules(window_start=date(2010, 1, 1), window_end=date(2020, 12, 31))


def codes(problems):
    return [p.code for p in problems]


def cert(**overrides):
    fields = {"issue_date": date(2015, 6, 1), "grant_date": None, "level": "中级", "obtain_method": "review",
              "handling_status": None, "evaluation_region_code": "371100", "issuing_region_code": "371100"}
    fields.update(overrides)
    return fields


def test_a_reviewed_title_inside_the_window_is_in_scope():
    assert check_scope(cert(), WINDOW) == []


@pytest.mark.parametrize("issue,code", [
    (date(2009, 12, 31), "scope_before_window"),
    (date(2021, 1, 1), "scope_after_window"),
])
def test_dates_outside_the_window_are_refused_with_the_window_named(issue, code):
    problems = check_scope(cert(issue_date=issue), WINDOW)
    assert codes(problems) == [code]
    assert problems[0].severity == ERROR
    assert "2010-01-01至2020-12-31" in problems[0].message


def test_window_edges_are_inclusive():
    assert check_scope(cert(issue_date=date(2010, 1, 1)), WINDOW) == []
    assert check_scope(cert(issue_date=date(2020, 12, 31)), WINDOW) == []


def test_grant_date_decides_when_given_and_text_dates_are_parsed():
    problems = check_scope(cert(issue_date="2011-03-01", grant_date="2009.12.20"), WINDOW)
    assert codes(problems) == ["scope_before_window"]
    assert problems[0].field == "grant_date" and "授予时间2009-12-20" in problems[0].message
    assert check_scope(cert(issue_date="20110301"), WINDOW) == []


def test_a_window_needs_a_date():
    assert codes(check_scope(cert(issue_date=None), WINDOW)) == ["scope_date_missing"]
    assert check_scope(cert(issue_date=None), ScopeRules()) == []


@pytest.mark.parametrize("level", ["初级", "中级", "助理级", "员级"])
def test_exam_only_junior_and_intermediate_titles_are_out(level):
    problems = check_scope(cert(level=level, obtain_method="exam_in_lieu"), WINDOW)
    assert codes(problems) == ["scope_exam_only"]
    assert "以考代评" in problems[0].message


@pytest.mark.parametrize("level", ["副高级", "正高级"])
def test_senior_titles_obtained_with_an_exam_stay_in_scope(level):
    assert check_scope(cert(level=level, obtain_method="exam_review_combined"), WINDOW) == []
    assert check_scope(cert(level=level, obtain_method="exam_in_lieu"), WINDOW) == []


def test_importer_text_for_the_obtain_method_is_understood():
    assert codes(check_scope(cert(obtain_method="以考代评"), WINDOW)) == ["scope_exam_only"]


def test_a_campaign_may_keep_exam_only_titles():
    rules = ScopeRules(exclude_exam_only=False)
    assert check_scope(cert(obtain_method="exam_in_lieu"), rules) == []


@pytest.mark.parametrize("status", ["cancelled", "已取消", "证书已撤销"])
def test_cancelled_titles_are_always_refused(status):
    rules = ScopeRules(exclude_electronic=False)
    assert codes(check_scope(cert(handling_status=status), rules)) == ["scope_cancelled"]


@pytest.mark.parametrize("status", ["electronic", "已发放电子证书"])
def test_titles_issued_electronically_are_refused_unless_the_campaign_wants_them(status):
    assert codes(check_scope(cert(handling_status=status), WINDOW)) == ["scope_electronic"]
    assert check_scope(cert(handling_status=status), ScopeRules(exclude_electronic=False)) == []


def test_paper_certificates_are_in_scope():
    assert check_scope(cert(handling_status="issued"), WINDOW) == []
    assert check_scope(cert(handling_status="已办理"), WINDOW) == []


def test_other_province_only_when_the_campaign_says_so():
    rules = ScopeRules(exclude_other_province=True, home_province="37")
    problems = check_scope(cert(evaluation_region_code="110000"), rules)
    assert codes(problems) == ["scope_other_province"]
    assert "110000" in problems[0].message
    assert check_scope(cert(evaluation_region_code="110000"), ScopeRules()) == []


def test_several_reasons_are_all_reported():
    problems = check_scope(cert(issue_date=date(2005, 1, 1), handling_status="已取消",
                                obtain_method="exam_in_lieu", level="初级"), WINDOW)
    assert codes(problems) == ["scope_before_window", "scope_cancelled", "scope_exam_only"]


def test_rules_of_a_campaign():
    campaign = SimpleNamespace(window_start=date(2010, 1, 1), window_end=None, exclude_exam_only=True,
                               exclude_electronic=False, exclude_other_province=True)
    rules = ScopeRules.of_campaign(campaign, "370000")
    assert rules == ScopeRules(window_start=date(2010, 1, 1), exclude_electronic=False,
                               exclude_other_province=True, home_province="37")
    assert ScopeRules.of_campaign(None) == ScopeRules()
