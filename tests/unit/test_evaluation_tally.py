"""The committee's vote (portal.domain.evaluation.tally) and the committee rules around it."""
from datetime import date

import pytest

from portal.domain.evaluation import (ballot_problems, confirmation_problems, count_problems, fraud_blacklist_period,
                                      is_recused, meeting_member_problems, pass_rate_problems, tally)


def test_exactly_two_thirds_present_and_in_favour_passes():
    result = tally(9, 6, 4, 2, 0)
    assert result.quorum_met and result.passed
    assert "同意4票、不同意2票、弃权0票" in result.reason and "评审通过" in result.reason


def test_one_below_two_thirds_present_is_no_quorum_whatever_the_votes():
    result = tally(9, 5, 5, 0, 0)
    assert not result.quorum_met and not result.passed
    assert "不足组成人数9人的三分之二" in result.reason


def test_rounding_seven_members_five_present():
    # 2/3 of 7 is 4.67: 5 present meets the quorum, 4 would not.
    assert tally(7, 5, 4, 1, 0).quorum_met
    assert not tally(7, 4, 4, 0, 0).quorum_met
    # 2/3 of 5 ballots is 3.33: 4 yes passes, 3 yes does not (no rounding down to 3).
    assert tally(7, 5, 4, 1, 0).passed
    failed = tally(7, 5, 3, 2, 0)
    assert not failed.passed and "未达到" in failed.reason and "评审未通过" in failed.reason


def test_abstentions_count_among_the_ballots_cast():
    assert not tally(7, 7, 4, 0, 3).passed  # 4 of 7 < 2/3
    assert tally(7, 7, 5, 0, 2).passed  # 5 of 7 >= 2/3


def test_recused_experts_count_as_neither():
    # 7 present, 2 recused: 5 ballots; 4 yes of 5 passes although 4 < 2/3 of the 7 present.
    result = tally(7, 7, 4, 1, 0)
    assert result.passed and result.cast == 5
    # exactly two thirds of the ballots: 2 of 3 with four experts recused
    assert tally(7, 7, 2, 1, 0).passed
    assert not tally(7, 7, 1, 1, 0).passed


def test_no_ballot_passes_nobody():
    result = tally(5, 5, 0, 0, 0)
    assert result.quorum_met and not result.passed and "未收到有效表决票" in result.reason


def test_impossible_counts_raise():
    with pytest.raises(ValueError, match="超过出席评委人数"):
        tally(7, 5, 4, 1, 1)
    with pytest.raises(ValueError, match="负数"):
        tally(7, 5, -1, 1, 0)
    with pytest.raises(ValueError):
        tally(7, 5, 3, -1, 0)
    with pytest.raises(ValueError, match="超过评委会组成人数"):
        tally(5, 7, 1, 0, 0)


def test_zero_members_has_no_quorum():
    assert not tally(0, 0, 0, 0, 0).quorum_met


def test_members_are_an_odd_number_at_least_the_minimum():
    assert meeting_member_problems(7, 7) == []
    assert [p.code for p in meeting_member_problems(8, 7)] == ["members_odd"]
    assert [p.code for p in meeting_member_problems(4, 5)] == ["members_minimum", "members_odd"]
    assert "不少于5名" in meeting_member_problems(3, 5)[0].message


def test_recusal_by_unit_or_marked_relation():
    assert is_recused(3, "东港区人民医院", 3, "东港区人民医院", False)
    assert is_recused(None, "东港区人民医院", 3, "东港区人民医院", False)  # an expert typed without a linked unit
    assert is_recused(4, "日照市中心医院", 3, "东港区人民医院", True)
    assert not is_recused(4, "日照市中心医院", 3, "东港区人民医院", False)
    assert not is_recused(None, "", None, "", False)


def test_a_recused_experts_ballot_is_refused():
    assert [p.code for p in ballot_problems(True, True, "yes")] == ["recused"]
    assert [p.code for p in ballot_problems(False, False, "yes")] == ["no_quorum"]
    assert [p.code for p in ballot_problems(True, False, "maybe")] == ["ballot_choice"]
    assert ballot_problems(True, False, "abstain") == []


def test_paper_counts_cannot_exceed_the_eligible_experts():
    assert count_problems(5, 3, 1, 1) == []
    assert "已除去回避评委" in count_problems(5, 4, 1, 1)[0].message
    assert [p.code for p in count_problems(5, None, 1, 1)] == ["ballot_counts"]


def test_exceeding_the_pass_rate_needs_a_reason():
    assert pass_rate_problems(3, 10, 30, None) == []
    problems = pass_rate_problems(4, 10, 30, " ")
    assert [p.code for p in problems] == ["pass_rate_exceeded"] and "40.0%" in problems[0].message
    assert pass_rate_problems(4, 10, 30, "本年度申报人员业绩突出") == []
    assert pass_rate_problems(0, 0, 30, None) == []


def test_confirmation_document_needs_number_and_a_past_date():
    today = date(2027, 11, 1)
    assert confirmation_problems("日人社字〔2027〕12号", date(2027, 10, 30), today) == []
    assert {p.code for p in confirmation_problems("", None, today)} == {"doc_no_required", "doc_date_required"}
    assert [p.code for p in confirmation_problems("x", date(2027, 11, 2), today)] == ["doc_date_future"]


def test_a_false_result_blacklists_for_the_configured_years():
    assert fraud_blacklist_period(date(2027, 9, 20), 3) == (date(2027, 9, 20), date(2030, 9, 19))
    assert fraud_blacklist_period(date(2028, 2, 29), 3) == (date(2028, 2, 29), date(2031, 2, 27))
    assert fraud_blacklist_period(date(2027, 1, 1), 5)[1] == date(2031, 12, 31)
