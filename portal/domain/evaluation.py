"""Rules of the annual title evaluation (职称申报评审): the office's yearly plan (年度评审部署).

Pure functions answering with Problems; the plan form, the demo and any importer call them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .dates import format_iso
from .problems import Problem, error
from .titles import LEVELS

# The stages of the yearly cycle in the order they happen (the Qinzhou notice's annex).
STAGES = {
    "application": "材料准备及申报",
    "unit_review": "单位审核、公示及推荐",
    "department_review": "主管部门及职改部门审核",
    "committee": "评审委员会评审",
    "result_notice": "评审结果公示",
    "confirmation": "确认（备案）",
}
# 清单制: each item is required, optional, or replaced by a shared online record.
REQUIREMENTS = {
    "required": "必须提供",
    "optional": "按需提供",
    "online": "在线共享核验，免交材料",
}
MIN_PASS_RATE, MAX_PASS_RATE = 1, 100


@dataclass
class PlanInput:
    """What a plan is asked to be; `stages` maps a STAGES key to its (start, end) dates."""

    org_id: int
    year: int
    title: str
    series: str
    levels: Sequence[str]
    committee_id: int | None
    pass_rate: int
    deployment_text: str
    stages: Mapping[str, tuple[date | None, date | None]] = field(default_factory=dict)


def stage_problems(stages: Mapping[str, tuple[date | None, date | None]]) -> list[Problem]:
    """Each stage needs both dates, in order, and may not start before the previous stage starts."""
    problems: list[Problem] = []
    previous: tuple[str, date] | None = None
    for key, name in STAGES.items():
        start, end = stages.get(key, (None, None))
        if start is None or end is None:
            problems.append(error(f"{key}_start", "stage_missing", f"请填写“{name}”阶段的起止日期"))
            continue
        if end < start:
            problems.append(error(f"{key}_end", "stage_reversed",
                                  f"“{name}”阶段的结束日期（{format_iso(end)}）早于开始日期（{format_iso(start)}）"))
        if previous is not None and start < previous[1]:
            problems.append(error(f"{key}_start", "stage_order",
                                  f"“{name}”阶段的开始日期（{format_iso(start)}）早于上一阶段"
                                  f"“{STAGES[previous[0]]}”的开始日期（{format_iso(previous[1])}）"))
        previous = (key, start)
    return problems


def plan_problems(values: PlanInput) -> list[Problem]:
    """Every reason the plan cannot be saved as asked (the committee's type is checked by the caller)."""
    problems: list[Problem] = []
    if not values.levels:
        problems.append(error("levels", "levels_required", "请至少选择一个评审级别"))
    unknown = [level for level in values.levels if level not in LEVELS]
    if unknown:
        problems.append(error("levels", "level_unknown", f"评审级别应为{'、'.join(LEVELS)}之一，实际为“{unknown[0]}”"))
    if values.committee_id is None:
        problems.append(error("committee_id", "committee_required", "请选择承担评审的评审委员会"))
    if not MIN_PASS_RATE <= values.pass_rate <= MAX_PASS_RATE:
        problems.append(error("pass_rate", "pass_rate_range",
                              f"通过率上限应在{MIN_PASS_RATE}%至{MAX_PASS_RATE}%之间，实际为{values.pass_rate}%"))
    problems += stage_problems(values.stages)
    application = values.stages.get("application", (None, None))[0]
    if application is not None and application.year != values.year:
        problems.append(error("application_start", "stage_year",
                              f"申报阶段应在评审年度（{values.year}年）内开始"))
    return problems


def checklist_item_problems(level: str, requirement: str, name: str, levels: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    if level not in levels:
        problems.append(error("level", "level_not_in_plan", f"本部署不评审“{level}”，请从本部署的评审级别中选择"))
    if requirement not in REQUIREMENTS:
        problems.append(error("requirement", "requirement_unknown", "请选择材料要求：必须提供、按需提供或在线共享核验"))
    if not name.strip():
        problems.append(error("name", "name_required", "请填写材料名称"))
    return problems


def missing_items(items, provided: set[int]) -> list:
    """The required checklist items not yet provided (online-shared items need nothing)."""
    return [item for item in items if item.requirement == "required" and item.id not in provided]


# --- the application (申报) ------------------------------------------------------------------------

ROUTES = {"ordinary": "正常申报", "exceptional": "破格申报", "entrusted": "委托评审"}
# 破格 relaxes education or seniority only: it is never applying without a title or skipping a level.
EXCEPTIONAL_CONDITIONS = {"education": "放宽学历条件", "seniority": "放宽资历（任职年限）条件"}
ACHIEVEMENT_KINDS = {"paper": "论文著作", "project": "科研项目", "award": "获奖", "report": "专业技术报告"}
# The level one holds before applying for each level (初级 needs none).
PREVIOUS_LEVEL = {"正高级": "副高级", "副高级": "中级", "中级": "初级"}
# Unit natures whose staff may not apply (公务员 and 参公 staff).
BARRED_NATURES = ("government_agency", "civil_service_managed_institution")
# 《专业技术人员继续教育规定》: at least 90 hours a year, of which at least two thirds professional.
CE_MIN_TOTAL_HOURS = 90
CE_MIN_PROFESSIONAL_SHARE = 2 / 3
# Series and levels gained by examination (以考代评), which are never evaluated.
EXAM_ONLY_LEVELS = {(series, level) for series in ("accounting", "statistics", "economics", "audit",
                                                     "health_technician") for level in ("初级", "中级")}


@dataclass
class ApplicationFacts:
    """What the application rules look at, gathered by the caller from the form and the database."""

    today: date
    plan_year: int
    plan_levels: Sequence[str]
    application_window: tuple[date | None, date | None]
    level: str
    route: str
    birth_date: date | None
    sex: str | None  # "男" / "女"
    retirement_ages: Mapping[str, int]  # a setting: the age rules changed in 2025
    unit_nature: str | None
    transition_exception: bool  # set by an office for staff of units leaving 参公 management
    blacklisted: bool
    same_level_applications: int  # other applications of this person for this level this year
    exam_only_level: bool  # the series/level is gained by examination (以考代评) only
    current_level: str | None  # the level of the title currently held, if any
    current_title_has_proof: bool  # an approved certificate of the portal, or an uploaded evidence
    exceptional_condition: str | None = None
    exceptional_evidence: bool = False
    entrusting_letter: bool = False
    chsi_no: str | None = None
    education_scan: bool = False
    public_hours: int | None = None
    professional_hours: int | None = None
    title_name: str | None = None  # the title applied for (拟申报职称名称)
    title_choices: Sequence[str] = ()  # the code table's titles of the plan's series at the level applied for


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def eligibility_problems(f: ApplicationFacts) -> list[Problem]:
    """Who may apply at all, for what (the notice's 申报范围 and 申报程序)."""
    problems: list[Problem] = []
    if f.level not in f.plan_levels:
        problems.append(error("level", "level_not_in_plan", f"本年度部署不评审“{f.level}”职称"))
    start, end = f.application_window
    if start is not None and end is not None and not start <= f.today <= end:
        problems.append(error("plan", "outside_window",
                              f"申报时间为{format_iso(start)}至{format_iso(end)}，当前不在申报时间内"))
    if f.same_level_applications:
        problems.append(error("level", "same_level_twice",
                              f"您{f.plan_year}年度已申报{f.level}职称：同一年度申报两个以上同级别职称的，"
                              "该年度所有评审结果无效，不能再次申报"))
    if f.blacklisted:
        problems.append(error("person", "blacklisted", "您在诚信黑名单期限内，不能申报职称评审"))
    if f.unit_nature in BARRED_NATURES and not f.transition_exception:
        problems.append(error("person", "civil_servant",
                              "公务员（含参照公务员法管理单位人员）不得参加专业技术人员职称评审；"
                              "因机构改革退出参公管理的单位人员，须由职改办确认过渡期后方可申报"))
    if f.exam_only_level:
        problems.append(error("level", "exam_only", "该系列该级别职称实行以考代评，不能通过评审申报"))
    problems += title_problems(f.title_name, f.level, f.title_choices)
    if f.birth_date is not None and f.sex in f.retirement_ages:
        limit = f.retirement_ages[f.sex]
        if age_on(f.birth_date, f.today) >= limit:
            problems.append(error("person", "retirement_age",
                                  f"申报时已达到规定退休年龄（{limit}周岁），不能申报职称评审"))
    return problems


def title_problems(title_name: str | None, level: str, choices: Sequence[str]) -> list[Problem]:
    """The title applied for is one of the series' titles at that level; with one such title it may
    be left out (it is the one), with several (副主任医师, 副主任护师…) it must be chosen."""
    if title_name:
        if choices and title_name not in choices:
            return [error("title_name", "title_not_at_level",
                          f"“{title_name}”不是本系列{level}的职称名称，应为{'、'.join(choices)}之一")]
        return []
    if len(choices) > 1:
        return [error("title_name", "title_name_required", f"请选择申报的职称名称（{'、'.join(choices)}）")]
    return []


def applied_title(title_name: str | None, choices: Sequence[str]) -> str | None:
    """The title a passed applicant receives: the one applied for, or the only one at the level."""
    return title_name or (choices[0] if len(choices) == 1 else None)


def route_problems(f: ApplicationFacts) -> list[Problem]:
    """破格 and 委托评审 each need their proof; 破格 never replaces the title below."""
    problems: list[Problem] = []
    if f.route not in ROUTES:
        return [error("route", "route_unknown", "请选择申报方式：正常申报、破格申报或委托评审")]
    needed = PREVIOUS_LEVEL.get(f.level)
    if needed is not None and f.current_level != needed:
        held = f"现有职称为{f.current_level}" if f.current_level else "尚无职称"
        extra = "；破格申报只放宽学历或资历条件，不等同于无职称申报或越级申报" if f.route == "exceptional" else ""
        problems.append(error("current_title", "previous_level",
                              f"申报{f.level}须已取得{needed}职称（{held}）{extra}"))
    elif needed is not None and not f.current_title_has_proof:
        problems.append(error("current_title", "current_title_proof",
                              "请从本人已审核通过的职称证书中选择现有职称，或上传现有职称的证书材料"))
    if f.route == "exceptional":
        if f.exceptional_condition not in EXCEPTIONAL_CONDITIONS:
            problems.append(error("exceptional_condition", "condition_required",
                                  "破格申报请选择所符合的破格条件：放宽学历或放宽资历"))
        if not f.exceptional_evidence:
            problems.append(error("exceptional_evidence", "condition_evidence",
                                  "破格申报须上传达到破格条件的证明材料"))
    if f.route == "entrusted" and not f.entrusting_letter:
        problems.append(error("entrusting_letter", "letter_required",
                              "委托评审须上传申报人所属职改部门出具的委托函"))
    return problems


def chsi_problems(chsi_no: str | None, scan: bool) -> list[Problem]:
    """An 18-digit 学历证书编号 is checked on 学信网; without one a scan of the diploma is needed."""
    number = (chsi_no or "").strip()
    if number and not (len(number) == 18 and number.isdigit()):
        return [error("chsi_no", "chsi_format", f"学历证书编号应为18位数字，实际为“{number}”（{len(number)}位）")]
    if not number and not scan:
        return [error("chsi_no", "education_proof",
                      "请填写学历证书编号以便在学信网核验；学信网查询不到的，上传学历证书或学历认证材料")]
    return []


def hours_problems(public_hours: int | None, professional_hours: int | None) -> list[Problem]:
    problems: list[Problem] = []
    for name, value, label in (("public_hours", public_hours, "公需科目"),
                               ("professional_hours", professional_hours, "专业科目")):
        if value is None or value < 0:
            problems.append(error(name, "hours_required", f"请填写本年度{label}继续教育学时"))
    if problems:
        return problems
    total = public_hours + professional_hours
    if total < CE_MIN_TOTAL_HOURS:
        problems.append(error("professional_hours", "hours_total",
                              f"本年度继续教育累计{total}学时，少于规定的{CE_MIN_TOTAL_HOURS}学时"))
    elif professional_hours < total * CE_MIN_PROFESSIONAL_SHARE:
        problems.append(error("professional_hours", "hours_share",
                              f"专业科目{professional_hours}学时，少于总学时（{total}）的三分之二"))
    return problems


def application_problems(f: ApplicationFacts) -> list[Problem]:
    """Every reason the application cannot be submitted; the form's save calls the same."""
    return (eligibility_problems(f) + route_problems(f) + chsi_problems(f.chsi_no, f.education_scan)
            + hours_problems(f.public_hours, f.professional_hours))



# --- review up to the committee -------------------------------------------------------------------

# Statuses of an application besides those it shares with records (草稿, the review levels, 已退回).
APPLICATION_STATUSES = {
    "withdrawn": "逾期未补正，视为撤回",
    "to_committee": "已报送评审委员会",
    "cancelled": "公示异议成立，已取消申报",
    # after the committee: its result, the second notice (评审结果公示) and the confirmation
    "committee_passed": "评审通过",
    "committee_failed": "评审未通过",
    "result_notice": "评审结果公示中",
    "confirmed": "已确认（取得职称）",
}
RECOMMENDATION_ASPECTS = {
    "morality": "思想品德",
    "performance": "工作成绩",
    "expertise": "专业水平",
    "ability": "业务能力",
    "attitude": "工作态度",
}
SENIOR_LEVELS = ("正高级", "副高级")
RESUBMIT_MIN_DAYS, RESUBMIT_MAX_DAYS = 3, 30


def recommendation_problems(level: str, freelancer: bool, opinion: Mapping[str, str] | None,
                            interview_date: date | None, interview_experts: str | None) -> list[Problem]:
    """The unit's recommendation: an opinion on the five aspects (freelancers' bodies may skip it),
    and for senior levels an interview with the experts named before recommending."""
    problems: list[Problem] = []
    if not freelancer:
        for key, name in RECOMMENDATION_ASPECTS.items():
            if not (opinion or {}).get(key, "").strip():
                problems.append(error(f"opinion_{key}", "opinion_missing", f"请填写单位对“{name}”的推荐意见"))
    if level in SENIOR_LEVELS:
        experts = [n for n in (interview_experts or "").replace("，", "、").replace(",", "、").split("、") if n.strip()]
        if interview_date is None or not experts:
            problems.append(error("interview_experts", "interview_missing",
                                  f"申报{level}职称须先组织面试答辩，请填写答辩日期和答辩专家姓名"))
    return problems


def return_problems(reason: str, ticked: Sequence[int], days: int | None) -> list[Problem]:
    """一次性告知: everything missing at once: ticked checklist items or a reason, and a deadline."""
    problems: list[Problem] = []
    if not ticked and not reason.strip():
        problems.append(error("reason", "return_empty", "退回须勾选缺少或不符合要求的清单材料，或写明退回原因"))
    if days is None or not RESUBMIT_MIN_DAYS <= days <= RESUBMIT_MAX_DAYS:
        problems.append(error("days", "return_days",
                              f"补正期限应为{RESUBMIT_MIN_DAYS}至{RESUBMIT_MAX_DAYS}天"))
    return problems


def past_resubmit_deadline(resubmit_by: date | None, today: date) -> bool:
    """An application not completed by its deadline counts as withdrawn."""
    return resubmit_by is not None and today > resubmit_by


# --- the committee (评审委员会) ---------------------------------------------------------------------

BALLOT_CHOICES = {"yes": "同意", "no": "不同意", "abstain": "弃权"}
MEETING_STATUSES = {"preparing": "筹备中", "voting": "表决中", "closed": "已结束"}


@dataclass(frozen=True)
class Tally:
    """The committee's result on one applicant (《职称评审管理暂行规定》第二十四条)."""

    members: int
    present: int
    yes: int
    no: int
    abstain: int
    quorum_met: bool
    passed: bool
    reason: str

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain


def tally(members: int, present: int, yes: int, no: int, abstain: int) -> Tally:
    """Quorum: at least two thirds of the meeting's members present. Passed: quorum met and 同意
    from at least two thirds of the ballots cast on this applicant (recused experts cast none, so
    the ballots may be fewer than the experts present, never more). Integer arithmetic: no rounding.

    No ballot at all on an applicant passes nobody: two thirds of nothing is no decision.
    """
    if min(members, present, yes, no, abstain) < 0:
        raise ValueError("人数和票数不能为负数")
    if present > members:
        raise ValueError(f"出席人数（{present}）超过评委会组成人数（{members}）")
    cast = yes + no + abstain
    if cast > present:
        raise ValueError(f"表决票数（{cast}）超过出席评委人数（{present}）")
    quorum = members > 0 and present * 3 >= members * 2
    counts = f"同意{yes}票、不同意{no}票、弃权{abstain}票"
    if not quorum:
        return Tally(members, present, yes, no, abstain, False, False,
                     f"出席评委{present}人，不足组成人数{members}人的三分之二，不得进行表决")
    if cast == 0:
        return Tally(members, present, yes, no, abstain, True, False, "未收到有效表决票，不能形成评审通过的决定")
    passed = yes * 3 >= cast * 2
    verdict = "达到" if passed else "未达到"
    return Tally(members, present, yes, no, abstain, True, passed,
                 f"{counts}（共{cast}票），同意票{verdict}表决票数的三分之二，评审{'通过' if passed else '未通过'}")


def meeting_member_problems(count: int, minimum: int) -> list[Problem]:
    """A meeting's members: an odd number, at least the configured minimum."""
    problems: list[Problem] = []
    if count < minimum:
        problems.append(error("members", "members_minimum",
                              f"评审会议应抽取不少于{minimum}名评委，当前选择了{count}名"))
    if count % 2 == 0:
        problems.append(error("members", "members_odd", f"评审会议的评委人数应为单数，当前选择了{count}名"))
    return problems


def is_recused(expert_org_id: int | None, expert_unit: str, applicant_org_id: int | None,
               applicant_unit: str, marked_related: bool) -> bool:
    """回避: an expert of the applicant's own unit, or marked as related to the applicant."""
    if marked_related:
        return True
    if expert_org_id is not None and expert_org_id == applicant_org_id:
        return True
    return bool(expert_unit.strip()) and expert_unit.strip() == (applicant_unit or "").strip()


def ballot_problems(quorum_met: bool, recused: bool, choice: str) -> list[Problem]:
    """Whether one expert's ballot on one applicant may be counted."""
    if not quorum_met:
        return [error("ballot", "no_quorum", "出席评委不足组成人数的三分之二，不得进行表决")]
    if recused:
        return [error("ballot", "recused", "该评委须回避，不参加对该申报人的表决，其表决票不予受理")]
    if choice not in BALLOT_CHOICES:
        return [error("ballot", "ballot_choice", "表决意见应为同意、不同意或弃权")]
    return []


def count_problems(eligible: int, yes: int | None, no: int | None, abstain: int | None) -> list[Problem]:
    """The paper ballots of one applicant as counted by the committee office."""
    if any(v is None or v < 0 for v in (yes, no, abstain)):
        return [error("ballot", "ballot_counts", "请填写同意、不同意、弃权的票数（不小于0的整数）")]
    if yes + no + abstain > eligible:
        return [error("ballot", "ballot_too_many",
                      f"表决票共{yes + no + abstain}张，超过可参加表决的出席评委人数（{eligible}人，已除去回避评委）")]
    return []


def pass_rate_problems(passed: int, evaluated: int, limit: int, reason: str | None) -> list[Problem]:
    """Passing more than the plan's pass-rate limit needs a written reason."""
    if evaluated and passed * 100 > limit * evaluated and not (reason or "").strip():
        return [error("pass_rate_reason", "pass_rate_exceeded",
                      f"通过{passed}人，占参评{evaluated}人的{passed * 100 / evaluated:.1f}%，超过本年度通过率上限"
                      f"{limit}%，请书面说明理由")]
    return []


def pass_rate_percent(passed: int, evaluated: int) -> float:
    return passed * 100 / evaluated if evaluated else 0.0


def confirmation_problems(doc_no: str, doc_date: date | None, today: date) -> list[Problem]:
    problems: list[Problem] = []
    if not doc_no.strip():
        problems.append(error("doc_no", "doc_no_required", "请填写确认文件的文号"))
    if doc_date is None:
        problems.append(error("doc_date", "doc_date_required", "请填写确认文件的印发日期"))
    elif doc_date > today:
        problems.append(error("doc_date", "doc_date_future", f"确认文件的印发日期（{format_iso(doc_date)}）不能晚于今天"))
    return problems


def expert_problems(name: str, unit: str, series: str, specialty: str, title: str) -> list[Problem]:
    problems: list[Problem] = []
    for field_name, value, label in (("name", name, "姓名"), ("unit_name", unit, "工作单位"),
                                     ("series", series, "职称系列"), ("specialty", specialty, "专业"),
                                     ("title", title, "职称")):
        if not (value or "").strip():
            problems.append(error(field_name, f"{field_name}_required", f"请填写评审专家的{label}"))
    return problems


# --- the unit's notice (公示) and the supplementary notice (补充公示) ---------------------------------

MIN_NOTICE_DAYS = 5


@dataclass(frozen=True)
class HeldNotice:
    """One notice that listed the application: when it was published, its period, its objections."""

    published_at: datetime
    start_date: date
    end_date: date
    days: int
    open_objection: bool = False


def notice_problems(notices: Sequence[HeldNotice], changed_at: datetime | None, today: date,
                    name: str = "单位公示") -> list[Problem]:
    """May the application move on after its notice? Only once a notice of at least five working
    days listed it, its period is over and no objection to it is open; and when the application
    changed after the latest notice was published, a supplementary notice (补充公示) published after
    the change must have run the same way."""
    if not notices:
        return [error("notice", "notice_missing",
                      f"尚未进行{name}：申报人员及其材料须公示不少于{MIN_NOTICE_DAYS}个工作日后方可推荐上报")]
    problems: list[Problem] = []
    if any(n.open_objection for n in notices):
        problems.append(error("notice", "notice_objection", f"{name}期间收到的异议尚未处理完毕，处理完毕前不能推荐上报"))
    latest = max(notices, key=lambda n: n.published_at)
    if changed_at is not None and changed_at > latest.published_at:
        problems.append(error("notice", "supplementary_required",
                              f"申报材料在{name}发布后有变更，须进行不少于{MIN_NOTICE_DAYS}个工作日的补充公示后方可推荐上报"))
    elif latest.days < MIN_NOTICE_DAYS:
        problems.append(error("notice", "notice_too_short",
                              f"{name}仅{latest.days}个工作日，少于规定的{MIN_NOTICE_DAYS}个工作日"))
    elif today <= latest.end_date:
        problems.append(error("notice", "notice_running",
                              f"{name}期至{format_iso(latest.end_date)}，公示期满后方可推荐上报"))
    return problems


# --- social insurance (社会保险缴纳) ------------------------------------------------------------------

# Applicants of these unit natures prove six consecutive months of payment with the applying unit.
INSURANCE_NATURES = ("private_enterprise", "social_group", "social_organization")
INSURANCE_MONTHS = 6
_PERIOD_LINE = re.compile(r"^(\d{4})[-./年](\d{1,2})月?\s*(?:至|到|-|~|～|,|，|\s)\s*(\d{4})[-./年](\d{1,2})月?"
                          r"\s*(?:,|，|\s)\s*(\S.*)$")


@dataclass(frozen=True)
class InsurancePeriod:
    """Months of payment with one unit, from the first month to the last (both included)."""

    start: date  # the first day of the first month
    end: date  # the first day of the last month
    unit: str


def insurance_rule(unit_nature: str | None, freelancer: bool) -> str | None:
    """Which social-insurance rule applies: "employee" (private enterprise or social organisation:
    six consecutive months with the applying unit), "freelancer" (no payment with any unit in the
    last six months), or None."""
    if freelancer:
        return "freelancer"
    if unit_nature in INSURANCE_NATURES:
        return "employee"
    return None


def _month(year: int, month: int) -> date:
    return date(year, month, 1)


def months_before(day: date, count: int) -> list[date]:
    """The `count` whole months before the month of `day`, latest first (that month not counted)."""
    out, year, month = [], day.year, day.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append(_month(year, month))
    return out


def _months_of(period: InsurancePeriod) -> list[date]:
    out, current = [], period.start
    while current <= period.end:
        out.append(current)
        current = _month(current.year + current.month // 12, current.month % 12 + 1)
    return out


def parse_insurance_periods(text: str) -> tuple[list[InsurancePeriod], list[Problem]]:
    """One period a line: "2026-11 至 2027-04 日照某某科技有限公司"."""
    periods: list[InsurancePeriod] = []
    problems: list[Problem] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _PERIOD_LINE.match(line)
        if not match or not (1 <= int(match[2]) <= 12 and 1 <= int(match[4]) <= 12):
            problems.append(error("insurance_periods", "insurance_line",
                                  f"社保缴纳记录第{number}行格式不正确，应为“起始年月 至 截止年月 缴费单位”，"
                                  f"如“2026-11 至 2027-04 日照某某科技有限公司”，实际为“{line[:40]}”"))
            continue
        start, end = _month(int(match[1]), int(match[2])), _month(int(match[3]), int(match[4]))
        if end < start:
            problems.append(error("insurance_periods", "insurance_reversed",
                                  f"社保缴纳记录第{number}行截止年月早于起始年月"))
            continue
        periods.append(InsurancePeriod(start, end, match[5].strip()))
    return periods, problems


def format_insurance_periods(periods: Sequence[InsurancePeriod]) -> str:
    return "\n".join(f"{p.start:%Y-%m} 至 {p.end:%Y-%m} {p.unit}" for p in periods)


def social_insurance_problems(rule: str | None, applied_on: date, periods: Sequence[InsurancePeriod],
                              applying_unit: str, statement: bool) -> list[Problem]:
    """The payment record against the rule, over the six whole months before the month of
    application (the month of application itself does not count)."""
    if rule is None:
        return []
    window = months_before(applied_on, INSURANCE_MONTHS)
    first, last = window[-1], window[0]
    span = f"{first:%Y年%m月}至{last:%Y年%m月}"
    paid: dict[date, set[str]] = {}
    for period in periods:
        for month in _months_of(period):
            paid.setdefault(month, set()).add(period.unit.strip())
    problems: list[Problem] = []
    if rule == "employee":
        missing = [m for m in reversed(window) if applying_unit.strip() not in paid.get(m, set())]
        if missing:
            shown = "、".join(f"{m:%Y年%m月}" for m in missing)
            problems.append(error("insurance_periods", "insurance_short",
                                  f"民营企业、社会组织申报人须在申报单位连续缴纳社会保险满{INSURANCE_MONTHS}个月"
                                  f"（{span}），以下月份没有在“{applying_unit}”的缴费记录：{shown}"))
    else:
        busy = [m for m in reversed(window) if paid.get(m)]
        if busy:
            units = "、".join(sorted({u for m in busy for u in paid[m]}))
            problems.append(error("insurance_periods", "insurance_freelancer",
                                  f"自由职业者申报前{INSURANCE_MONTHS}个月（{span}）内不得在任何单位缴纳社会保险，"
                                  f"记录显示在“{units}”缴费{len(busy)}个月"))
    if not statement:
        problems.append(error("insurance_statement", "insurance_statement",
                              "请上传社会保险缴费记录（社保经办机构出具的缴费明细）"))
    return problems


# --- the office's check before the committee -------------------------------------------------------


@dataclass
class ProcedureFacts:
    """What the plan's office checks before passing an application to the committee."""

    today: date
    level: str
    freelancer: bool  # recommended by a talent centre: the opinion may be skipped
    notices: Sequence[HeldNotice]  # the unit's notices that listed the application
    changed_at: datetime | None  # the last change of the application's content
    opinion: Mapping[str, str] | None
    interview_date: date | None
    interview_experts: str | None
    missing_checklist: Sequence[str]  # names of required checklist items not provided
    basic: ApplicationFacts  # the basic conditions, as on the day of application
    insurance: InsuranceFacts | None = None
    consent: bool = True  # a talent centre recorded its consent (always true for a unit)
    commitment: bool = True  # the signed truthfulness commitment is linked


@dataclass(frozen=True)
class InsuranceFacts:
    rule: str | None  # insurance_rule()
    applied_on: date
    periods: Sequence[InsurancePeriod]
    applying_unit: str
    statement: bool
    confirmed: bool


def insurance_problems(f: InsuranceFacts | None, *, need_confirmation: bool) -> list[Problem]:
    """The record against the rule; an office must also have confirmed it before the committee."""
    if f is None or f.rule is None:
        return []
    problems = social_insurance_problems(f.rule, f.applied_on, f.periods, f.applying_unit, f.statement)
    if need_confirmation and not problems and not f.confirmed:
        problems.append(error("insurance_periods", "insurance_unconfirmed", "社会保险缴纳记录尚未经职改部门确认"))
    return problems


def consent_problems(freelancer: bool, consent: bool) -> list[Problem]:
    if freelancer and not consent:
        return [error("consent", "consent_missing",
                      "自由职业者通过人才服务/档案托管机构申报，须由该机构先确认同意受理（档案托管）")]
    return []


def procedure_problems(f: ProcedureFacts) -> list[Problem]:
    """推荐程序 (notice held and closed without an open objection, opinion and interview present),
    completeness against the checklist, and the basic conditions: the office passes nothing that
    fails any of them."""
    problems = notice_problems(f.notices, f.changed_at, f.today)
    problems += consent_problems(f.freelancer, f.consent)
    problems += recommendation_problems(f.level, f.freelancer, f.opinion, f.interview_date, f.interview_experts)
    problems += [error("checklist", "checklist_missing", f"尚未提供清单材料：{name}") for name in f.missing_checklist]
    if not f.commitment:
        problems.append(error("commitment", "commitment_letter", "申报缺少本人签署的真实性承诺书"))
    problems += application_problems(f.basic)
    problems += insurance_problems(f.insurance, need_confirmation=True)
    return problems


# --- progress ------------------------------------------------------------------------------------

PROGRESS_COLUMNS = {
    "applied": "已申报",
    "noticed": "已公示",
    "recommended": "已推荐",
    "unit_review": "单位审核",
    "department_review": "主管部门审核",
    "county_review": "县级职改办审核",
    "city_review": "市级职改办审核",
    "province_review": "省级职改办审核",
    "to_committee": "已报送评委会",
    "committee_passed": "评审通过",
    "committee_failed": "评审未通过",
    "result_notice": "结果公示中",
    "confirmed": "已确认",
    "returned": "退回补正",
    "withdrawn": "撤回",
    "cancelled": "取消申报",
}


def effective_status(status: str, resubmit_by: date | None, today: date) -> str:
    """The status progress counts: a returned application past its resubmit deadline is withdrawn."""
    if status == "returned" and past_resubmit_deadline(resubmit_by, today):
        return "withdrawn"
    return status


def progress_columns(status: str, resubmit_by: date | None, today: date, *, applied: bool, noticed: bool,
                     recommended: bool) -> list[str]:
    """The progress columns one application counts in."""
    columns = [key for key, flag in (("applied", applied), ("noticed", noticed), ("recommended", recommended))
               if flag]
    current = effective_status(status, resubmit_by, today)
    if current in PROGRESS_COLUMNS:
        columns.append(current)
    return columns


def fraud_blacklist_period(start: date, years: int) -> tuple[date, date]:
    """The blacklist period of a person whose evaluation result was found false: `years` from `start`,
    ending the day before the anniversary (from 29 February the anniversary is 28 February)."""
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:
        anniversary = start.replace(year=start.year + years, day=28)
    return start, anniversary - timedelta(days=1)
