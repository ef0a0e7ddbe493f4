"""The committee's work on a plan (评审委员会评审): the expert pool, the meeting and its members,
attendance, recusals, the anonymous ballots, the result per applicant and the signed documents.

Only the committee office (评委会办事机构) of the plan's committee changes any of it; the plan's
office and the offices above see it through the same scoping. Every act is signed on the trail
(object "committee_meeting", or "committee_expert" for the pool). Rules live in
portal.domain.evaluation (tally, meeting_member_problems, is_recused, ballot_problems, …).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select, update

from portal import audit, clock
from portal.access import scoped
from portal.documents.committee import (RESULT_RECORD_TITLE, VOTE_SUMMARY_TITLE, MeetingDocument, VoteLine,
                                        build_result_record_pdf, build_vote_summary_pdf)
from portal.domain.evaluation import (Tally, ballot_problems, count_problems, expert_problems, is_recused,
                                      meeting_member_problems, pass_rate_percent, pass_rate_problems, tally)
from portal.domain.creditcode import check_credit_code
from portal.domain.problems import Problem, error
from portal.extensions import db
from portal.models import (Application, BallotCast, CommitteeMeeting, EvaluationPlan, Expert, MeetingMember,
                           Organization, RelatedMark, User, VoteCount)
from portal.models._types import utcnow

# Applications the committee evaluates: those the plan's office sent, and what became of them since.
AT_COMMITTEE = ("to_committee", "committee_passed", "committee_failed", "result_notice", "confirmed", "cancelled")


class CommitteeError(Exception):
    """A refused act; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def may_run(user) -> bool:
    """The committee office: a committee account of a committee organisation."""
    return (user.is_authenticated and user.role == "committee" and user.org is not None
            and user.org.type == "committee")


def runs(meeting: CommitteeMeeting, user) -> bool:
    return may_run(user) and meeting.committee_id == user.org_id


def _sign(meeting: CommitteeMeeting, action: str, user, **trail) -> None:
    audit.record(action, "committee_meeting", meeting.id, actor=user, **trail)
    db.session.commit()


# ---------------------------------------------------------------- the expert pool


@dataclass
class ExpertInput:
    name: str
    unit_name: str
    series: str
    specialty: str
    title: str
    # Optional links: the unit's 统一社会信用代码 (so recusal by unit is automatic) and the expert's own
    # portal account (so they can vote on it).
    credit_code: str = ""
    username: str = ""


def experts_of(user, committee_id: int | None = None) -> list[Expert]:
    stmt = scoped(Expert, user).order_by(Expert.series, Expert.name, Expert.id)
    if committee_id is not None:
        stmt = stmt.where(Expert.committee_id == committee_id)
    return list(db.session.scalars(stmt))


def _expert_links(values: ExpertInput) -> tuple[Organization | None, User | None, list[Problem]]:
    """The unit and the account an expert is linked to, each optional; a code or username that is
    given must name a registered unit or an active account."""
    org = account = None
    problems: list[Problem] = []
    if values.credit_code.strip():
        code, problems = check_credit_code(values.credit_code)
        if code is not None:
            org = db.session.scalar(select(Organization).where(Organization.credit_code == code))
            if org is None:
                problems.append(error("credit_code", "expert_unit_unregistered",
                                      f"平台中没有统一社会信用代码为{code}的单位；未在平台注册的单位可只填写单位名称"))
    if values.username.strip():
        account = db.session.scalar(select(User).where(User.username == values.username.strip(), User.active))
        if account is None:
            problems.append(error("username", "expert_account_unknown", "没有这个可用的平台账号，请核对专家本人的登录账号"))
        elif db.session.scalar(select(Expert.id).where(Expert.user_id == account.id)) is not None:
            problems.append(error("username", "expert_account_taken", "该账号已关联其他评审专家"))
    return org, account, problems


def add_expert(values: ExpertInput, user) -> tuple[Expert | None, list[Problem]]:
    if not may_run(user):
        raise CommitteeError("只有评委会办事机构可以维护评审专家库")
    problems = expert_problems(values.name, values.unit_name, values.series, values.specialty, values.title)
    org, account, link_problems = _expert_links(values)
    problems += link_problems
    if problems:
        return None, problems
    committee = user.org
    expert = Expert(committee_id=committee.id, region_code=committee.region_code, name=values.name.strip(),
                    unit_name=values.unit_name.strip(), org_id=org.id if org else None, series=values.series,
                    specialty=values.specialty.strip(), title=values.title.strip(),
                    user_id=account.id if account else None, active=True)
    db.session.add(expert)
    db.session.flush()
    audit.record("committee_expert_add", "committee_expert", expert.id, actor=user,
                 diff={"name": expert.name, "unit": expert.unit_name, "series": expert.series,
                       "specialty": expert.specialty, "title": expert.title})
    db.session.commit()
    return expert, []


# ---------------------------------------------------------------- the meeting


def meeting_of(plan: EvaluationPlan) -> CommitteeMeeting | None:
    return db.session.scalar(select(CommitteeMeeting).where(CommitteeMeeting.plan_id == plan.id))


def applications_of(meeting_or_plan) -> list[Application]:
    plan_id = meeting_or_plan.plan_id if isinstance(meeting_or_plan, CommitteeMeeting) else meeting_or_plan.id
    return list(db.session.scalars(select(Application).where(
        Application.plan_id == plan_id, Application.status.in_(AT_COMMITTEE)).order_by(Application.id)))


def minimum_members() -> int:
    return current_app.config["COMMITTEE_MIN_MEMBERS"]


def create_meeting(plan: EvaluationPlan, meeting_date: date | None, place: str, expert_ids: list[int],
                   user) -> tuple[CommitteeMeeting | None, list[Problem]]:
    if not may_run(user) or plan.committee_id != user.org_id:
        raise CommitteeError("只有本部署指定评审委员会的办事机构可以组织评审会议")
    if meeting_of(plan) is not None:
        raise CommitteeError("本部署的评审会议已经建立")
    pool = {e.id: e for e in experts_of(user, user.org_id) if e.active}
    picked = [pool[i] for i in dict.fromkeys(expert_ids) if i in pool]
    problems = meeting_member_problems(len(picked), minimum_members())
    if meeting_date is None:
        problems.append(error("meeting_date", "meeting_date_required", "请填写评审会议日期"))
    if not any(a.status == "to_committee" for a in applications_of(plan)):
        problems.append(error("plan", "nothing_to_evaluate", "本部署还没有报送评审委员会的申报"))
    if problems:
        return None, problems
    committee = user.org
    meeting = CommitteeMeeting(plan_id=plan.id, committee_id=committee.id, region_code=committee.region_code,
                               meeting_date=meeting_date, place=place.strip() or None, status="preparing",
                               members=[MeetingMember(expert_id=e.id, present=False) for e in picked])
    db.session.add(meeting)
    db.session.flush()
    _sign(meeting, "committee_meeting_create", user,
          diff={"plan": plan.id, "date": meeting_date.isoformat(), "members": [e.name for e in picked]})
    return meeting, []


def _open_or_refuse(meeting: CommitteeMeeting, user) -> None:
    if not runs(meeting, user):
        raise CommitteeError("只有本评审委员会的办事机构可以操作评审会议")
    if meeting.status == "closed":
        raise CommitteeError("评审会议已结束，表决结果不能再修改")


def set_attendance(meeting: CommitteeMeeting, present_ids: list[int], user) -> Tally:
    """Who attended; once ballots are in, attendance is fixed."""
    _open_or_refuse(meeting, user)
    if db.session.scalar(select(VoteCount.id).where(VoteCount.meeting_id == meeting.id).limit(1)):
        raise CommitteeError("已开始录入表决票，出席情况不能再修改")
    wanted = set(present_ids)
    for member in meeting.members:
        member.present = member.expert_id in wanted
    quorum = quorum_of(meeting)
    meeting.status = "voting" if quorum.quorum_met else "preparing"
    _sign(meeting, "committee_attendance", user,
          diff={"present": [m.expert.name for m in meeting.members if m.present], "members": len(meeting.members),
                "quorum_met": quorum.quorum_met})
    return quorum


def quorum_of(meeting: CommitteeMeeting) -> Tally:
    return tally(len(meeting.members), sum(1 for m in meeting.members if m.present), 0, 0, 0)


def _related(meeting: CommitteeMeeting) -> set[tuple[int, int]]:
    return set(db.session.execute(select(RelatedMark.expert_id, RelatedMark.application_id)
                                  .where(RelatedMark.meeting_id == meeting.id)).all())


def recused_experts(meeting: CommitteeMeeting, app: Application, related=None) -> list[Expert]:
    related = _related(meeting) if related is None else related
    unit = app.org.name if app.org else ""
    return [m.expert for m in meeting.members
            if is_recused(m.expert.org_id, m.expert.unit_name, app.org_id, unit, (m.expert_id, app.id) in related)]


def eligible_count(meeting: CommitteeMeeting, app: Application, related=None) -> int:
    recused = {e.id for e in recused_experts(meeting, app, related)}
    return sum(1 for m in meeting.members if m.present and m.expert_id not in recused)


def mark_related(meeting: CommitteeMeeting, expert_id: int, application_id: int, reason: str, user) -> None:
    _open_or_refuse(meeting, user)
    if expert_id not in {m.expert_id for m in meeting.members}:
        raise CommitteeError("该专家不是本次会议的评委")
    app = _meeting_application(meeting, application_id)
    if not reason.strip():
        raise CommitteeError("请写明回避的原因（利害关系）")
    if db.session.scalar(select(VoteCount.id).where(VoteCount.meeting_id == meeting.id,
                                                    VoteCount.application_id == app.id)):
        raise CommitteeError("该申报人的表决票已录入，不能再标记回避")
    db.session.add(RelatedMark(meeting_id=meeting.id, expert_id=expert_id, application_id=app.id,
                               reason=reason.strip()[:200]))
    expert = db.session.get(Expert, expert_id)
    _sign(meeting, "committee_recusal", user, reason=reason.strip(),
          diff={"expert": expert.name, "application": app.id})


def _meeting_application(meeting: CommitteeMeeting, application_id: int) -> Application:
    app = db.session.get(Application, application_id)
    if app is None or app.plan_id != meeting.plan_id or app.status != "to_committee":
        raise CommitteeError("该申报不在本次评审会议的评审范围内")
    return app


def record_counts(meeting: CommitteeMeeting, application_id: int, yes: int | None, no: int | None,
                  abstain: int | None, user) -> list[Problem]:
    """The committee office enters the paper ballots of one applicant (counts only: 无记名)."""
    _open_or_refuse(meeting, user)
    app = _meeting_application(meeting, application_id)
    quorum = quorum_of(meeting)
    if not quorum.quorum_met:
        return [error("ballot", "no_quorum", quorum.reason)]
    problems = count_problems(eligible_count(meeting, app), yes, no, abstain)
    if problems:
        return problems
    row = db.session.scalar(select(VoteCount).where(VoteCount.meeting_id == meeting.id,
                                                    VoteCount.application_id == app.id))
    if row is not None and row.source == "online":
        return [error("ballot", "ballot_online", "评委已在线投票，不能再录入纸质表决票")]
    before = (row.yes, row.no, row.abstain) if row else None
    if row is None:
        row = VoteCount(meeting_id=meeting.id, application_id=app.id, source="paper")
        db.session.add(row)
    row.yes, row.no, row.abstain = yes, no, abstain
    _sign(meeting, "committee_ballots", user,
          diff={"application": app.id, "counts": [list(before) if before else None, [yes, no, abstain]]})
    return []


def expert_of(user) -> Expert | None:
    return db.session.scalar(select(Expert).where(Expert.user_id == user.id)) if user.is_authenticated else None


def cast_ballot(meeting: CommitteeMeeting, application_id: int, expert: Expert, choice: str, user) -> list[Problem]:
    """An expert votes on their own account: the count rises, and that they voted (not how) is kept."""
    if meeting.status == "closed":
        raise CommitteeError("评审会议已结束，表决结果不能再修改")
    member = next((m for m in meeting.members if m.expert_id == expert.id), None)
    if member is None or not member.present or expert.user_id != user.id:
        raise CommitteeError("您不是本次会议出席的评委")
    app = _meeting_application(meeting, application_id)
    recused = expert.id in {e.id for e in recused_experts(meeting, app)}
    problems = ballot_problems(quorum_of(meeting).quorum_met, recused, choice)
    if problems:
        return problems
    if db.session.scalar(select(BallotCast.id).where(BallotCast.meeting_id == meeting.id,
                                                     BallotCast.application_id == app.id,
                                                     BallotCast.expert_id == expert.id)):
        return [error("ballot", "ballot_twice", "您已对该申报人投过票")]
    row = db.session.scalar(select(VoteCount).where(VoteCount.meeting_id == meeting.id,
                                                    VoteCount.application_id == app.id))
    if row is not None and row.source == "paper":
        return [error("ballot", "ballot_paper", "该申报人的表决票已由办事机构按纸质选票录入")]
    if row is None:
        row = VoteCount(meeting_id=meeting.id, application_id=app.id, source="online", yes=0, no=0, abstain=0)
        db.session.add(row)
        db.session.flush()
    db.session.add(BallotCast(meeting_id=meeting.id, application_id=app.id, expert_id=expert.id))
    column = getattr(VoteCount, choice)
    db.session.execute(update(VoteCount).where(VoteCount.id == row.id).values({column: column + 1})
                       .execution_options(synchronize_session="fetch"))
    # The trail says that a ballot came in, never which.
    _sign(meeting, "committee_ballot_cast", user, diff={"application": app.id})
    return []


# ---------------------------------------------------------------- results


@dataclass
class ResultRow:
    application: Application
    recused: list[Expert]
    eligible: int
    votes: VoteCount | None
    result: Tally

    @property
    def entered(self) -> bool:
        return self.votes is not None


def results(meeting: CommitteeMeeting) -> list[ResultRow]:
    related = _related(meeting)
    votes = {v.application_id: v for v in db.session.scalars(
        select(VoteCount).where(VoteCount.meeting_id == meeting.id))}
    members = len(meeting.members)
    present = sum(1 for m in meeting.members if m.present)
    rows = []
    for app in applications_of(meeting):
        v = votes.get(app.id)
        recused = recused_experts(meeting, app, related)
        recused_ids = {e.id for e in recused}
        eligible = sum(1 for m in meeting.members if m.present and m.expert_id not in recused_ids)
        rows.append(ResultRow(app, recused, eligible, v,
                              tally(members, present, v.yes if v else 0, v.no if v else 0, v.abstain if v else 0)))
    return rows


def pass_rate(rows: list[ResultRow]) -> tuple[int, int, float]:
    passed = sum(1 for r in rows if r.result.passed)
    return passed, len(rows), pass_rate_percent(passed, len(rows))


def close_meeting(meeting: CommitteeMeeting, minutes_date: date | None, reason: str | None, user) -> list[Problem]:
    """End the vote: each applicant's result by tally() and the pass rate checked against the plan's
    limit. The signed documents follow (issue_documents), apart, so a signing failure keeps the result."""
    _open_or_refuse(meeting, user)
    rows = results(meeting)
    problems: list[Problem] = []
    quorum = quorum_of(meeting)
    if not quorum.quorum_met:
        problems.append(error("ballot", "no_quorum", quorum.reason))
    missing = [r.application.person.name for r in rows if not r.entered]
    if missing:
        problems.append(error("ballot", "ballots_missing", f"尚未录入表决票：{'、'.join(missing)}"))
    if minutes_date is None:
        problems.append(error("minutes_date", "minutes_date_required", "请填写评审会议纪要的日期"))
    elif minutes_date < meeting.meeting_date:
        problems.append(error("minutes_date", "minutes_before_meeting", "会议纪要日期不能早于评审会议日期"))
    passed, evaluated, _ = pass_rate(rows)
    problems += pass_rate_problems(passed, evaluated, meeting.plan.pass_rate, reason)
    if problems:
        db.session.rollback()
        return problems
    for row in rows:
        row.votes.passed, row.votes.reason = row.result.passed, row.result.reason
        row.application.status = "committee_passed" if row.result.passed else "committee_failed"
        audit.record("committee_result", "evaluation_application", row.application.id, actor=user,
                     reason=row.result.reason, diff={"status": ["to_committee", row.application.status]})
    meeting.minutes_date, meeting.pass_rate_reason = minutes_date, (reason or "").strip() or None
    meeting.status, meeting.closed_at = "closed", utcnow()
    _sign(meeting, "committee_close", user,
          diff={"evaluated": evaluated, "passed": passed, "pass_rate_limit": meeting.plan.pass_rate,
                "minutes_date": minutes_date.isoformat()}, reason=meeting.pass_rate_reason)
    return []


def meeting_document(meeting: CommitteeMeeting, title: str, number: str, url: str) -> MeetingDocument:
    rows = results(meeting)
    passed, evaluated, rate = pass_rate(rows)
    lines = [VoteLine(position=n, person_name=r.application.person.name,
                      unit_name=r.application.org.name if r.application.org else "", level=r.application.level,
                      specialty=r.application.specialty, eligible=r.eligible, recused=len(r.recused),
                      yes=r.result.yes, no=r.result.no, abstain=r.result.abstain, passed=r.result.passed,
                      reason=r.result.reason)
             for n, r in enumerate(rows, start=1)]
    return MeetingDocument(
        number=number, url=url, title=title, committee_name=meeting.committee.name, plan_title=meeting.plan.title,
        meeting_date=meeting.meeting_date, minutes_date=meeting.minutes_date, place=meeting.place or "",
        member_names=[m.expert.name for m in meeting.members],
        present_names=[m.expert.name for m in meeting.members if m.present], lines=lines,
        pass_rate_limit=meeting.plan.pass_rate, pass_rate=rate, pass_rate_reason=meeting.pass_rate_reason,
        issued_on=clock.today())


def documents_missing(meeting: CommitteeMeeting) -> bool:
    return meeting.status == "closed" and (meeting.summary_document_id is None or meeting.record_document_id is None)


def issue_documents(meeting: CommitteeMeeting, user) -> None:
    """Sign and register the committee documents not yet issued (the letters' numbering, storage and
    public page): the 评委会投票汇总表 and the 评审结果记录单, with the minutes' date and the members."""
    from portal.letters.services import LetterError, issue_document, stamp_lines

    if not runs(meeting, user) or meeting.status != "closed":
        raise CommitteeError("评审会议结束后，由本评审委员会的办事机构出具签章文书")
    committee: Organization = meeting.committee
    covers = {"committee": committee.name, "plan": meeting.plan.title, "meeting_date": meeting.meeting_date.isoformat(),
              "minutes_date": meeting.minutes_date.isoformat()}
    for kind, title, builder, column in (
            ("vote_summary", VOTE_SUMMARY_TITLE, build_vote_summary_pdf, "summary_document_id"),
            ("result_record", RESULT_RECORD_TITLE, build_result_record_pdf, "record_document_id")):
        if getattr(meeting, column) is not None:
            continue
        try:
            doc = issue_document(
                kind=kind, title=title, org=committee, person=None, covers=covers | {"title": title},
                build=lambda number, url, t=title, b=builder: b(meeting_document(meeting, t, number, url)),
                signer_org=committee, stamp=stamp_lines(committee.name), reason=f"{title}：评审委员会表决结果",
                user=user)
        except LetterError as exc:
            raise CommitteeError(f"评审结果已保存，但{title}未能签章出具：{exc}") from None
        setattr(meeting, column, doc.id)
        db.session.commit()


@dataclass
class ExpertItem:
    application: Application
    recused: bool
    voted: bool


def expert_items(meeting: CommitteeMeeting, expert: Expert) -> list[ExpertItem]:
    """What one expert sees on their own account: each applicant, and whether they voted or must recuse."""
    related = _related(meeting)
    cast = set(db.session.scalars(select(BallotCast.application_id).where(
        BallotCast.meeting_id == meeting.id, BallotCast.expert_id == expert.id)))
    return [ExpertItem(app, expert.id in {e.id for e in recused_experts(meeting, app, related)}, app.id in cast)
            for app in applications_of(meeting) if app.status == "to_committee"]
