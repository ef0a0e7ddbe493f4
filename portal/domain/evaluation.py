"""Rules of the annual title evaluation (职称申报评审): the office's yearly plan (年度评审部署).

Pure functions answering with Problems; the plan form, the demo and any importer call them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

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
