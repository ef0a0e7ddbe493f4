"""Review of applications level by level (unit → department → offices up to the plan's office),
on the same review path and signed trail as records (portal/workflow.py).

Each step locks the application and checks the version the reviewer saw: of two reviewers acting
on the same version only one succeeds. The plan's office passes nothing that fails the checks of
the submission, the checklist or the recommendation (推荐程序).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal import audit, clock
from portal.access import scoped, visibility
from portal.domain.evaluation import (RECOMMENDATION_ASPECTS, procedure_problems, recommendation_problems,
                                      return_problems)
from portal.domain.problems import has_errors
from portal.extensions import db
from portal.domain.workflow import REVIEW_STATUSES
from portal.models import Application, Organization
from portal.workflow import Conflict, WorkflowError, review_path, user_level
from portal.evaluation.applications import input_of, own_certificate_problems, procedure_facts
from portal.notices.services import application_notice_problems


def path_of(app: Application) -> list[tuple[str, object]]:
    """The review levels from the applying unit up to (and including) the plan's office."""
    path = []
    for status, body in review_path(app.org):
        path.append((status, body))
        if body.id == app.plan.org_id:
            break
    return path


def can_act(app: Application, user) -> bool:
    level = user_level(user)
    if level is None or app.status != level:
        return False
    acting = dict(path_of(app)).get(level)
    return acting is not None and acting.id == user.org_id


def queue(user) -> list[Application]:
    level = user_level(user)
    if level is None:
        return []
    return [a for a in db.session.scalars(scoped(Application, user).where(Application.status == level)
                                          .order_by(Application.submitted_at)) if can_act(a, user)]


def _lock(app_id: int, user, expected_version) -> Application:
    app = db.session.scalar(select(Application).where(Application.id == app_id, visibility(Application, user))
                            .with_for_update(of=Application).execution_options(populate_existing=True))
    if app is None:
        raise WorkflowError("申报不存在或不在您的管辖范围内")
    if str(app.version) != str(expected_version):
        db.session.rollback()
        raise Conflict("该申报在您打开之后已被他人处理，您的操作未生效，请刷新页面查看最新情况")
    return app


def _sign(app: Application, action: str, user, **trail) -> None:
    try:
        audit.record(action, "evaluation_application", app.id, actor=user, **trail)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Conflict("该申报在您打开之后已被他人处理，您的操作未生效，请刷新页面查看最新情况") from None


def _freelancer(app: Application) -> bool:
    return app.org is not None and app.org.type == "talent_center"


def _frozen_refusal(app: Application) -> None:
    if app.objection_open:
        db.session.rollback()
        raise WorkflowError("该申报有尚未处理完毕的公示异议，异议处理完成前不能审核")


def approve(app_id: int, user, expected_version, opinion: dict | None = None, interview_date=None,
            interview_experts: str | None = None) -> list[str]:
    """Pass the application up; returns the messages that stop it (nothing is changed then)."""
    app = _lock(app_id, user, expected_version)
    if not can_act(app, user):
        db.session.rollback()
        raise WorkflowError("该申报不在您的审核环节")
    _frozen_refusal(app)
    level = app.status
    if level == "unit_review":
        opinion = {key: (opinion or {}).get(key, "").strip() for key in RECOMMENDATION_ASPECTS}
        problems = recommendation_problems(app.level, _freelancer(app), opinion, interview_date, interview_experts)
        problems += application_notice_problems(app, "applications")
        if problems:
            db.session.rollback()
            return [p.message for p in problems]
        app.opinion, app.interview_date = opinion, interview_date
        app.interview_experts = (interview_experts or "").strip() or None
    statuses = [status for status, _ in path_of(app)]
    if statuses.index(level) == len(statuses) - 1:
        # The plan's office: procedure, completeness and basic conditions, all at once.
        messages = [p.message for p in procedure_problems(procedure_facts(app)) if p.severity == "error"]
        messages += [p.message for p in own_certificate_problems(app.person, input_of(app))]
        if messages:
            db.session.rollback()
            return ["不能报送评审委员会：" + m for m in messages]
        app.status = "to_committee"
    else:
        app.status = statuses[statuses.index(level) + 1]
    _sign(app, "evaluation_recommend", user, diff={"status": [level, app.status]})
    return []


def send_back(app_id: int, user, expected_version, reason: str, item_ids: list[int], days: int | None) -> list[str]:
    """一次性告知: tick every missing or insufficient checklist item, give a reason and a deadline."""
    app = _lock(app_id, user, expected_version)
    if not can_act(app, user):
        db.session.rollback()
        raise WorkflowError("该申报不在您的审核环节")
    _frozen_refusal(app)
    known = {i.id: i.name for i in app.plan.checklist if i.level == app.level}
    ticked = [i for i in item_ids if i in known]
    problems = return_problems(reason, ticked, days)
    if has_errors(problems):
        db.session.rollback()
        return [p.message for p in problems]
    before = app.status
    app.status = "returned"
    app.return_items = [known[i] for i in ticked]
    app.return_reason = reason.strip() or None
    app.resubmit_by = clock.today() + timedelta(days=days)
    _sign(app, "evaluation_return", user, reason=reason.strip() or None,
          diff={"status": [before, "returned"], "items": app.return_items,
                "resubmit_by": app.resubmit_by.isoformat()})
    return []



def progress(plan_id: int, user) -> tuple[list[str], list[tuple[str, dict[str, int]]]]:
    """Applications of a plan per applying unit and status, within the user's scope:
    (the statuses present in review order, [(unit name, {status: count})])."""
    rows = db.session.execute(
        select(Organization.name, Application.status, func.count())
        .join(Organization, Organization.id == Application.org_id)
        .where(Application.plan_id == plan_id, visibility(Application, user))
        .group_by(Organization.name, Application.status).order_by(Organization.name)).all()
    by_unit: dict[str, dict[str, int]] = {}
    for name, status, count in rows:
        by_unit.setdefault(name, {})[status] = count
    order = ("draft", *REVIEW_STATUSES, "to_committee", "committee_passed", "committee_failed", "result_notice",
             "confirmed", "cancelled", "returned", "withdrawn")
    present = {status for counts in by_unit.values() for status in counts}
    return [s for s in order if s in present], list(by_unit.items())
