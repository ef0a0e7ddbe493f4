"""Rules of the yearly evaluation plan (portal/domain/evaluation.py)."""
import pytest
from datetime import date, datetime, timezone

from portal.domain.evaluation import (STAGES, HeldNotice, PlanInput, checklist_item_problems, notice_problems,
                                      plan_problems)


def _stages(**changes):
    base = {
        "application": (date(2027, 6, 1), date(2027, 6, 30)),
        "unit_review": (date(2027, 7, 1), date(2027, 7, 20)),
        "department_review": (date(2027, 7, 21), date(2027, 8, 10)),
        "committee": (date(2027, 9, 1), date(2027, 9, 30)),
        "result_notice": (date(2027, 10, 8), date(2027, 10, 14)),
        "confirmation": (date(2027, 10, 15), date(2027, 11, 15)),
    }
    return base | changes


def _plan(**changes):
    values = dict(org_id=1, year=2027, title="2027年度工程系列职称评审工作的通知", series="engineering",
                  levels=["中级"], committee_id=5, pass_rate=30, deployment_text="正文", stages=_stages())
    return PlanInput(**(values | changes))


def _codes(problems):
    return [p.code for p in problems]


def test_a_complete_plan_has_no_problems():
    assert plan_problems(_plan()) == []


def test_every_stage_needs_both_dates():
    stages = _stages()
    del stages["committee"]
    problems = plan_problems(_plan(stages=stages))
    assert _codes(problems) == ["stage_missing"]
    assert STAGES["committee"] in problems[0].message


def test_a_stage_cannot_end_before_it_starts_nor_start_before_the_previous_stage():
    problems = plan_problems(_plan(stages=_stages(unit_review=(date(2027, 5, 20), date(2027, 5, 10)))))
    assert set(_codes(problems)) == {"stage_reversed", "stage_order"}


def test_pass_rate_is_a_percentage_and_levels_and_committee_are_required():
    problems = plan_problems(_plan(pass_rate=0, levels=[], committee_id=None))
    assert set(_codes(problems)) == {"pass_rate_range", "levels_required", "committee_required"}
    assert "通过率上限" in next(p.message for p in problems if p.code == "pass_rate_range")


def test_application_starts_within_the_plan_year():
    assert "stage_year" in _codes(plan_problems(_plan(year=2026)))


def test_checklist_items_belong_to_a_level_of_the_plan():
    assert _codes(checklist_item_problems("正高级", "required", "申报表", ["中级"])) == ["level_not_in_plan"]
    assert _codes(checklist_item_problems("中级", "maybe", " ", ["中级"])) == ["requirement_unknown", "name_required"]
    assert checklist_item_problems("中级", "online", "学历证书（学信网可查的免交）", ["中级"]) == []


def test_hours_need_ninety_a_year_two_thirds_professional():
    from portal.domain.evaluation import hours_problems
    assert hours_problems(30, 60) == []
    assert _codes(hours_problems(None, 60)) == ["hours_required"]
    assert _codes(hours_problems(20, 50)) == ["hours_total"]
    assert _codes(hours_problems(40, 60)) == ["hours_share"]


def test_chsi_number_is_eighteen_digits_or_a_scan_is_needed():
    from portal.domain.evaluation import chsi_problems
    assert chsi_problems("105611200905000123", scan=False) == []
    assert chsi_problems(None, scan=True) == []
    assert _codes(chsi_problems("10561120090500012X", scan=True)) == ["chsi_format"]
    assert _codes(chsi_problems("", scan=False)) == ["education_proof"]


def test_age_is_counted_on_the_birthday():
    from portal.domain.evaluation import age_on
    assert age_on(date(1967, 6, 10), date(2027, 6, 9)) == 59
    assert age_on(date(1967, 6, 10), date(2027, 6, 10)) == 60


def test_initial_level_needs_no_title_but_higher_levels_need_the_one_below():
    from portal.domain.evaluation import ApplicationFacts, route_problems
    base = dict(today=date(2027, 6, 10), plan_year=2027, plan_levels=["初级", "正高级"],
                application_window=(None, None), route="ordinary", birth_date=None, sex=None, retirement_ages={},
                unit_nature=None, transition_exception=False, blacklisted=False, same_level_applications=0,
                exam_only_level=False, current_title_has_proof=False)
    assert route_problems(ApplicationFacts(level="初级", current_level=None, **base)) == []
    skipped = route_problems(ApplicationFacts(level="正高级", current_level="中级", **base))
    assert _codes(skipped) == ["previous_level"] and "须已取得副高级职称" in skipped[0].message


def test_senior_recommendations_need_the_interview_and_freelancers_may_skip_the_opinion():
    from portal.domain.evaluation import recommendation_problems
    full = {k: "好" for k in ("morality", "performance", "expertise", "ability", "attitude")}
    assert recommendation_problems("中级", False, full, None, None) == []
    assert _codes(recommendation_problems("副高级", False, full, date(2027, 6, 1), " ")) == ["interview_missing"]
    assert recommendation_problems("副高级", True, None, date(2027, 6, 1), "王工、李工") == []
    assert len(recommendation_problems("中级", False, {"morality": "好"}, None, None)) == 4


def test_a_return_tells_something_and_gives_a_deadline():
    from portal.domain.evaluation import past_resubmit_deadline, return_problems
    assert _codes(return_problems(" ", [], 10)) == ["return_empty"]
    assert _codes(return_problems("", [1], 60)) == ["return_days"]
    assert return_problems("", [1], 10) == []
    assert not past_resubmit_deadline(date(2027, 6, 13), date(2027, 6, 13))
    assert past_resubmit_deadline(date(2027, 6, 13), date(2027, 6, 14))


# --- the unit's notice and the supplementary notice -----------------------------------------------

PUBLISHED = datetime(2027, 6, 10, 1, 0, tzinfo=timezone.utc)
HELD = HeldNotice(published_at=PUBLISHED, start_date=date(2027, 6, 10), end_date=date(2027, 6, 16), days=5)


def test_without_a_notice_the_application_cannot_move_on():
    assert _codes(notice_problems([], None, date(2027, 6, 20))) == ["notice_missing"]


def test_the_notice_must_have_run_its_whole_period():
    assert _codes(notice_problems([HELD], None, date(2027, 6, 16))) == ["notice_running"]
    assert notice_problems([HELD], None, date(2027, 6, 17)) == []


def test_an_open_objection_stops_it_even_after_the_period():
    objected = HeldNotice(PUBLISHED, date(2027, 6, 10), date(2027, 6, 16), 5, open_objection=True)
    assert _codes(notice_problems([objected], None, date(2027, 6, 30))) == ["notice_objection"]


def test_a_notice_shorter_than_five_working_days_does_not_count():
    short = HeldNotice(PUBLISHED, date(2027, 6, 10), date(2027, 6, 15), 4)
    assert _codes(notice_problems([short], None, date(2027, 6, 30))) == ["notice_too_short"]


def test_a_change_after_publication_needs_a_supplementary_notice_published_after_it():
    changed = PUBLISHED.replace(day=20)
    assert _codes(notice_problems([HELD], changed, date(2027, 6, 30))) == ["supplementary_required"]
    # A change before publication needs nothing more.
    assert notice_problems([HELD], PUBLISHED.replace(day=9), date(2027, 6, 30)) == []
    later = HeldNotice(PUBLISHED.replace(day=21), date(2027, 6, 21), date(2027, 6, 25), 5)
    assert _codes(notice_problems([HELD, later], changed, date(2027, 6, 25))) == ["notice_running"]
    assert notice_problems([HELD, later], changed, date(2027, 6, 26)) == []


def _basic(**changes):
    from portal.domain.evaluation import ApplicationFacts

    values = dict(today=date(2027, 6, 10), plan_year=2027, plan_levels=["副高级"],
                  application_window=(date(2027, 6, 1), date(2027, 6, 30)), level="副高级", route="ordinary",
                  birth_date=date(1980, 1, 1), sex="男", retirement_ages={"男": 63, "女": 58}, unit_nature=None,
                  transition_exception=False, blacklisted=False, same_level_applications=0, exam_only_level=False,
                  current_level="中级", current_title_has_proof=True, chsi_no="105611200905000123",
                  public_hours=30, professional_hours=60)
    return ApplicationFacts(**(values | changes))


def _procedure(**changes):
    from portal.domain.evaluation import ProcedureFacts

    values = dict(today=date(2027, 7, 25), level="副高级", freelancer=False, notices=[HELD], changed_at=None,
                  opinion={k: "好" for k in ("morality", "performance", "expertise", "ability", "attitude")},
                  interview_date=date(2027, 6, 12), interview_experts="王工、李工", missing_checklist=[],
                  basic=_basic())
    return ProcedureFacts(**(values | changes))


def test_the_office_passes_a_complete_application_with_its_procedure_done():
    from portal.domain.evaluation import procedure_problems

    assert procedure_problems(_procedure()) == []


@pytest.mark.parametrize("changes, code", [
    (dict(notices=[]), "notice_missing"),
    (dict(notices=[HeldNotice(PUBLISHED, date(2027, 6, 10), date(2027, 6, 16), 5, open_objection=True)]),
     "notice_objection"),
    (dict(opinion=None), "opinion_missing"),
    (dict(interview_experts=""), "interview_missing"),
    (dict(missing_checklist=["职称申报评审表"]), "checklist_missing"),
    (dict(basic=_basic(blacklisted=True)), "blacklisted"),
    (dict(basic=_basic(current_level="初级")), "previous_level"),
])
def test_the_office_cannot_pass_an_application_failing_any_check(changes, code):
    from portal.domain.evaluation import procedure_problems

    assert code in _codes(procedure_problems(_procedure(**changes)))


def test_a_freelancers_recommending_body_may_skip_the_opinion_not_the_interview():
    from portal.domain.evaluation import procedure_problems

    assert procedure_problems(_procedure(freelancer=True, opinion=None)) == []
    assert _codes(procedure_problems(_procedure(freelancer=True, opinion=None, interview_date=None))) == [
        "interview_missing"]


# --- social insurance -----------------------------------------------------------------------------

def _periods(*spans, unit="甲公司"):
    from portal.domain.evaluation import InsurancePeriod

    return [InsurancePeriod(date(sy, sm, 1), date(ey, em, 1), unit) for (sy, sm), (ey, em) in spans]


def _insurance(rule, periods, applied_on=date(2027, 6, 10), unit="甲公司", statement=True):
    from portal.domain.evaluation import social_insurance_problems

    return _codes(social_insurance_problems(rule, applied_on, periods, unit, statement))


def test_exactly_six_months_before_the_application_month_is_enough():
    assert _insurance("employee", _periods(((2026, 12), (2027, 5)))) == []
    assert _insurance("employee", _periods(((2027, 1), (2027, 5)))) == ["insurance_short"]  # five


def test_the_month_of_application_does_not_count():
    # January to June for a June application: June is not counted, December is missing.
    assert _insurance("employee", _periods(((2027, 1), (2027, 6)))) == ["insurance_short"]


def test_a_gap_in_the_middle_breaks_the_run_and_names_the_month():
    from portal.domain.evaluation import social_insurance_problems

    periods = _periods(((2026, 12), (2027, 2)), ((2027, 4), (2027, 5)))
    problems = social_insurance_problems("employee", date(2027, 6, 10), periods, "甲公司", True)
    assert _codes(problems) == ["insurance_short"] and "2027年03月" in problems[0].message
    assert "2027年02月" not in problems[0].message.split("：")[-1]


def test_months_with_another_unit_do_not_count_and_the_year_turns():
    assert _insurance("employee", _periods(((2026, 12), (2027, 5)), unit="乙公司")) == ["insurance_short"]
    # A January application looks at July to December of the year before.
    assert _insurance("employee", _periods(((2026, 7), (2026, 12))), applied_on=date(2027, 1, 5)) == []


def test_a_freelancer_may_have_paid_with_no_unit_in_the_last_six_months():
    assert _insurance("freelancer", _periods(((2025, 1), (2026, 11)))) == []
    assert _insurance("freelancer", _periods(((2025, 1), (2026, 12)))) == ["insurance_freelancer"]
    assert _insurance("freelancer", []) == []


def test_the_statement_is_required_and_other_natures_have_no_rule():
    from portal.domain.evaluation import insurance_rule

    assert _insurance("employee", _periods(((2026, 12), (2027, 5))), statement=False) == ["insurance_statement"]
    assert _insurance(None, []) == []
    assert insurance_rule("private_enterprise", False) == "employee"
    assert insurance_rule("social_organization", False) == "employee"
    assert insurance_rule("public_institution", False) is None
    assert insurance_rule("public_institution", True) == "freelancer"


def test_periods_are_read_line_by_line_with_the_line_named():
    from portal.domain.evaluation import parse_insurance_periods

    periods, problems = parse_insurance_periods("2026-12 至 2027-05 甲公司\n\n2025年1月-2025年3月 乙公司")
    assert problems == [] and [(p.start, p.end, p.unit) for p in periods] == [
        (date(2026, 12, 1), date(2027, 5, 1), "甲公司"), (date(2025, 1, 1), date(2025, 3, 1), "乙公司")]
    _, problems = parse_insurance_periods("2026-12 至 2027-05 甲公司\n2027-05 至 2027-01 甲公司\n2027-13 至 2027-14 甲")
    assert [p.code for p in problems] == ["insurance_reversed", "insurance_line"]
    assert "第2行" in problems[0].message and "第3行" in problems[1].message


def test_progress_counts_a_return_past_its_deadline_as_withdrawn():
    from portal.domain.evaluation import progress_columns

    assert progress_columns("returned", date(2027, 6, 13), date(2027, 6, 13), applied=True, noticed=True,
                            recommended=False) == ["applied", "noticed", "returned"]
    assert progress_columns("returned", date(2027, 6, 13), date(2027, 6, 14), applied=True, noticed=False,
                            recommended=True) == ["applied", "recommended", "withdrawn"]
    assert progress_columns("draft", None, date(2027, 6, 14), applied=False, noticed=False, recommended=False) == []


def test_the_title_applied_for_belongs_to_the_level_and_is_chosen_when_there_are_several():
    from portal.domain.evaluation import applied_title, title_problems

    nursing = ["副主任医师", "副主任护师", "副主任药师"]
    assert title_problems("副主任护师", "副高级", nursing) == []
    assert [p.code for p in title_problems(None, "副高级", nursing)] == ["title_name_required"]
    wrong = title_problems("主管护师", "副高级", nursing)
    assert [p.code for p in wrong] == ["title_not_at_level"] and wrong[0].field == "title_name"
    assert "副主任医师、副主任护师、副主任药师" in wrong[0].message
    # one title at the level: it may be left out, and it is the one received
    assert title_problems(None, "副高级", ["高级工程师"]) == []
    assert applied_title(None, ["高级工程师"]) == "高级工程师"
    assert applied_title("副主任护师", nursing) == "副主任护师"
    assert applied_title(None, nursing) is None
