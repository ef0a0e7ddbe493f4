"""Offices' yearly evaluation plans (年度评审部署): create, change, checklist, publish.

Only the plan's own office changes it, and only until it is published: the published
deployment PDF must not change under its readers. Every change is signed on the trail
(object "evaluation_plan").
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal import audit, clock
from portal.access import scoped
from portal.domain.dates import format_iso
from portal.domain.evaluation import STAGES, PlanInput, checklist_item_problems, plan_problems
from portal.domain.problems import Problem, error
from portal.domain.titles import LEVELS
from portal.extensions import db
from portal.models import ChecklistItem, CodeItem, EvaluationPlan, EvaluationStage, Organization
from portal.models._types import utcnow
from portal.domain.regions import SUBTREE_DIGITS
from portal.models.org import OFFICE_TYPES


class PlanError(Exception):
    """A refused change; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def may_manage(user) -> bool:
    return user.role in OFFICE_TYPES and user.org is not None


def may_edit(plan: EvaluationPlan, user) -> bool:
    return plan.published_at is None and user.org_id == plan.org_id


def may_read(plan: EvaluationPlan, user) -> bool:
    """In the user's scope, or published and covering the region of the user's organisation (a
    county office, department or unit reads the city plan its applicants apply under)."""
    if db.session.scalar(scoped(EvaluationPlan, user).where(EvaluationPlan.id == plan.id)) is not None:
        return True
    if plan.published_at is None or user.org is None or user.role == "person":
        return False
    digits = SUBTREE_DIGITS.get(plan.org.type, 6)
    return user.org.region_code[:digits] == plan.region_code[:digits]


def plans_for(user) -> list[EvaluationPlan]:
    """Plans in the user's scope, then the published plans above it that the user may read."""
    own = list(db.session.scalars(scoped(EvaluationPlan, user).order_by(
        EvaluationPlan.year.desc(), EvaluationPlan.id.desc())))
    seen = {p.id for p in own}
    above = [p for p in published_plans() if p.id not in seen and may_read(p, user)]
    return own + above


def published_plans() -> list[EvaluationPlan]:
    return list(db.session.scalars(select(EvaluationPlan).where(EvaluationPlan.published_at.is_not(None))
                                   .order_by(EvaluationPlan.published_at.desc())))


def code_choices(kind: str) -> list[tuple[str, str]]:
    return [(c.key, c.name) for c in db.session.scalars(
        select(CodeItem).where(CodeItem.kind == kind).order_by(CodeItem.id))]


def series_choices() -> list[tuple[str, str]]:
    return code_choices("title_series")


def series_name(key: str) -> str:
    return dict(series_choices()).get(key, key)


def committee_choices(user) -> list[tuple[int, str]]:
    """Committees within the office's region: a plan names the committee that evaluates it."""
    stmt = scoped(Organization, user).where(Organization.type == "committee").order_by(Organization.name)
    return [(org.id, org.name) for org in db.session.scalars(stmt)]


def check(values: PlanInput, user, plan: EvaluationPlan | None = None) -> list[Problem]:
    problems = plan_problems(values)
    if values.committee_id is not None and values.committee_id not in dict(committee_choices(user)):
        problems.append(error("committee_id", "committee_unknown", "请从列表中选择本地区的评审委员会"))
    clash = db.session.scalar(select(EvaluationPlan.id).where(
        EvaluationPlan.org_id == values.org_id, EvaluationPlan.year == values.year,
        EvaluationPlan.series == values.series, EvaluationPlan.id != (plan.id if plan else 0)))
    if clash is not None:
        problems.append(error("series", "plan_exists",
                              f"本机构{values.year}年度已有“{series_name(values.series)}”系列的评审部署"))
    return problems


def _shown(value):
    return format_iso(value) if isinstance(value, date) else value


def snapshot(plan: EvaluationPlan) -> dict:
    out = {key: getattr(plan, key) for key in ("year", "title", "series", "levels", "committee_id", "pass_rate",
                                                  "deployment_text")}
    for key, (start, end) in plan.stage_dates().items():
        out[f"{key}_start"], out[f"{key}_end"] = _shown(start), _shown(end)
    return out


def _apply(plan: EvaluationPlan, values: PlanInput) -> None:
    plan.year, plan.title, plan.series = values.year, values.title, values.series
    plan.levels = ",".join(level for level in LEVELS if level in values.levels)
    plan.committee_id, plan.pass_rate, plan.deployment_text = values.committee_id, values.pass_rate, values.deployment_text
    existing = {s.stage: s for s in plan.stages}
    for key in STAGES:
        start, end = values.stages[key]
        row = existing.get(key)
        if row is None:
            plan.stages.append(EvaluationStage(stage=key, start_date=start, end_date=end))
        else:
            row.start_date, row.end_date = start, end


def create(values: PlanInput, actor) -> EvaluationPlan:
    office = db.session.get(Organization, values.org_id)
    plan = EvaluationPlan(org_id=office.id, region_code=office.region_code, stages=[], checklist=[])
    _apply(plan, values)
    db.session.add(plan)
    db.session.flush()
    audit.record("evaluation_plan_create", "evaluation_plan", plan.id,
                 diff={key: [None, value] for key, value in snapshot(plan).items()}, actor=actor)
    db.session.commit()
    return plan


def update(plan: EvaluationPlan, values: PlanInput, actor) -> dict:
    before = snapshot(plan)
    _apply(plan, values)
    db.session.flush()
    after = snapshot(plan)
    diff = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
    if diff:
        audit.record("evaluation_plan_update", "evaluation_plan", plan.id, diff=diff, actor=actor)
    db.session.commit()
    return diff


def add_item(plan: EvaluationPlan, level: str, requirement: str, name: str, note: str | None,
             actor) -> list[Problem]:
    problems = checklist_item_problems(level, requirement, name, plan.level_list)
    if problems:
        return problems
    position = max((item.position for item in plan.checklist), default=0) + 1
    plan.checklist.append(ChecklistItem(level=level, requirement=requirement, name=name.strip(), note=note,
                                        position=position))
    audit.record("evaluation_checklist_add", "evaluation_plan", plan.id,
                 diff={"checklist": [None, f"{level}：{name.strip()}（{requirement}）"]}, actor=actor)
    db.session.commit()
    return []


def remove_item(plan: EvaluationPlan, item_id: int, actor) -> None:
    item = next((i for i in plan.checklist if i.id == item_id), None)
    if item is None:
        raise PlanError("该材料不在本部署的清单中")
    plan.checklist.remove(item)
    audit.record("evaluation_checklist_remove", "evaluation_plan", plan.id,
                 diff={"checklist": [f"{item.level}：{item.name}", None]}, actor=actor)
    db.session.commit()


def publish(plan: EvaluationPlan, actor) -> None:
    """Freeze the plan and put its deployment PDF on the public site."""
    missing = [level for level in plan.level_list if not any(i.level == level for i in plan.checklist)]
    if missing:
        db.session.rollback()
        raise PlanError(f"{'、'.join(missing)}尚未列出申报材料清单，清单制要求发布前列明所需材料")
    plan.published_at = utcnow()
    audit.record("evaluation_plan_publish", "evaluation_plan", plan.id,
                 diff={"published_on": [None, format_iso(clock.today())]}, actor=actor)
    db.session.commit()


def checklist_by_level(plan: EvaluationPlan) -> dict[str, list[ChecklistItem]]:
    return {level: [i for i in plan.checklist if i.level == level] for level in plan.level_list}
