"""Pages of the committee's work and what follows it: the expert pool, a plan's meeting (attendance,
recusals, ballots, results), the second notice, the confirmation and the 报批 package."""
from io import BytesIO

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from portal import clock
from portal.access import get_scoped_or_404
from portal.domain.dates import parse_date
from portal.ecert import bulk as ecert_bulk
from portal.ecert import services as ecert_services
from portal.evaluation import committee, confirmation, services
from portal.evaluation.committee import CommitteeError, ExpertInput
from portal.evaluation.forms import ApplicationNoticeForm
from portal.evaluation.routes import bp
from portal.extensions import db
from portal.models import CommitteeMeeting, EvaluationPlan
from portal.notices.services import PublishRequest


def _flash_problems(problems) -> bool:
    for p in problems:
        flash(p.message, "error")
    return not problems


def _count(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@bp.get("/committee")
@login_required
def committee_home():
    if not committee.may_run(current_user):
        abort(403)
    plans = [p for p in services.plans_for(current_user) if p.committee_id == current_user.org_id]
    return render_template("evaluation/committee.html", experts=committee.experts_of(current_user),
                           plans=plans, series=dict(services.series_choices()),
                           minimum=committee.minimum_members())


@bp.post("/committee/experts")
@login_required
def add_expert():
    if not committee.may_run(current_user):
        abort(403)
    values = ExpertInput(*(request.form.get(k, "") for k in ("name", "unit_name", "series", "specialty", "title",
                                                              "credit_code", "username")))
    _, problems = committee.add_expert(values, current_user)
    if _flash_problems(problems):
        flash(f"已将“{values.name.strip()}”加入评审专家库。", "success")
    return redirect(url_for("evaluation.committee_home"))


def _meeting_page(plan: EvaluationPlan):
    meeting = committee.meeting_of(plan)
    rows = committee.results(meeting) if meeting else []
    passed, evaluated, rate = committee.pass_rate(rows)
    return render_template(
        "evaluation/meeting.html", plan=plan, meeting=meeting, rows=rows, passed=passed, evaluated=evaluated,
        rate=rate, runs=meeting is not None and committee.runs(meeting, current_user),
        documents_missing=meeting is not None and committee.documents_missing(meeting),
        may_create=meeting is None and committee.may_run(current_user) and plan.committee_id == current_user.org_id,
        experts=committee.experts_of(current_user, plan.committee_id) if meeting is None else [],
        waiting=committee.applications_of(plan), minimum=committee.minimum_members(),
        quorum=committee.quorum_of(meeting) if meeting else None,
        expert=committee.expert_of(current_user), office=confirmation.office_view(plan, current_user))


@bp.get("/plans/<int:plan_id>/committee")
@login_required
def meeting(plan_id: int):
    return _meeting_page(get_scoped_or_404(EvaluationPlan, plan_id))


@bp.post("/plans/<int:plan_id>/committee")
@login_required
def create_meeting(plan_id: int):
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    day = parse_date(request.form.get("meeting_date", ""), field="meeting_date")
    try:
        _, problems = committee.create_meeting(plan, day.value, request.form.get("place", ""),
                                               [int(v) for v in request.form.getlist("experts") if v.isdigit()],
                                               current_user)
    except CommitteeError as refused:
        abort(403, refused.message)
    if _flash_problems(problems):
        flash("已建立评审会议，请在会议当天登记出席情况。", "success")
    return redirect(url_for("evaluation.meeting", plan_id=plan.id))


def _meeting_or_404(meeting_id: int) -> CommitteeMeeting:
    return get_scoped_or_404(CommitteeMeeting, meeting_id)


def _back(meeting: CommitteeMeeting, anchor: str = ""):
    return redirect(url_for("evaluation.meeting", plan_id=meeting.plan_id) + anchor)


@bp.post("/meetings/<int:meeting_id>/attendance")
@login_required
def attendance(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    try:
        quorum = committee.set_attendance(
            meeting, [int(v) for v in request.form.getlist("present") if v.isdigit()], current_user)
    except CommitteeError as refused:
        flash(refused.message, "error")
        return _back(meeting, "#attendance")
    if quorum.quorum_met:
        flash(f"已登记出席评委{quorum.present}人，达到组成人数的三分之二，可以表决。", "success")
    else:
        flash(quorum.reason, "error")
    return _back(meeting, "#attendance")


@bp.post("/meetings/<int:meeting_id>/related")
@login_required
def related(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    try:
        committee.mark_related(meeting, _count("expert_id") or 0, _count("application_id") or 0,
                               request.form.get("reason", ""), current_user)
        flash("已标记回避：该评委不参加对该申报人的表决。", "success")
    except CommitteeError as refused:
        flash(refused.message, "error")
    return _back(meeting, "#ballots")


@bp.post("/meetings/<int:meeting_id>/ballots/<int:application_id>")
@login_required
def ballots(meeting_id: int, application_id: int):
    meeting = _meeting_or_404(meeting_id)
    try:
        problems = committee.record_counts(meeting, application_id, _count("yes"), _count("no"), _count("abstain"),
                                           current_user)
    except CommitteeError as refused:
        flash(refused.message, "error")
        return _back(meeting, "#ballots")
    if _flash_problems(problems):
        flash("已录入表决票数。", "success")
    return _back(meeting, f"#application-{application_id}")


@bp.post("/meetings/<int:meeting_id>/vote/<int:application_id>")
@login_required
def vote(meeting_id: int, application_id: int):
    """An expert's own ballot; their account need not see the meeting through an office's scope."""
    expert = committee.expert_of(current_user)
    meeting = db.session.get(CommitteeMeeting, meeting_id)
    if expert is None or meeting is None or meeting.committee_id != expert.committee_id:
        abort(404)
    try:
        problems = committee.cast_ballot(meeting, application_id, expert, request.form.get("choice", ""),
                                         current_user)
    except CommitteeError as refused:
        flash(refused.message, "error")
        problems = None
    if problems is not None and _flash_problems(problems):
        flash("您的表决票已收到（无记名）。", "success")
    return redirect(url_for("evaluation.expert_ballots", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>/my-ballots")
@login_required
def expert_ballots(meeting_id: int):
    expert = committee.expert_of(current_user)
    meeting = db.session.get(CommitteeMeeting, meeting_id)
    if expert is None or meeting is None or expert.id not in {m.expert_id for m in meeting.members}:
        abort(404)
    return render_template("evaluation/expert_ballots.html", meeting=meeting, expert=expert,
                           items=committee.expert_items(meeting, expert))


@bp.post("/meetings/<int:meeting_id>/close")
@login_required
def close_meeting(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    minutes = parse_date(request.form.get("minutes_date", ""), field="minutes_date")
    try:
        problems = committee.close_meeting(meeting, minutes.value, request.form.get("pass_rate_reason"),
                                           current_user)
    except CommitteeError as refused:
        flash(refused.message, "error")
        return _back(meeting, "#close")
    if _flash_problems(problems):
        _issue(meeting, "评审会议已结束，评委会投票汇总表和评审结果记录单已签章出具。")
    return _back(meeting, "#close")


def _issue(meeting: CommitteeMeeting, success: str) -> None:
    try:
        committee.issue_documents(meeting, current_user)
    except CommitteeError as refused:
        flash(refused.message, "error")
    else:
        flash(success, "success")


@bp.post("/meetings/<int:meeting_id>/documents")
@login_required
def meeting_documents(meeting_id: int):
    """Issue the committee documents again when signing failed (or the meeting was closed without them)."""
    meeting = _meeting_or_404(meeting_id)
    _issue(meeting, "评委会投票汇总表和评审结果记录单已签章出具。")
    return _back(meeting, "#close")


# ---------------------------------------------------------------- after the committee (the plan's office)


@bp.route("/plans/<int:plan_id>/result-notice", methods=["GET", "POST"])
@login_required
def result_notice(plan_id: int):
    """The office publishes the committee's passed list as the second notice (评审结果公示)."""
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    if not confirmation.is_plan_office(plan, current_user):
        abort(403)
    candidates = confirmation.result_candidates(plan)
    form = ApplicationNoticeForm()
    if request.method == "GET":
        form.title.data = f"{plan.committee.name}{plan.year}年度评审结果公示"
        form.body.data = (f"经{plan.committee.name}评审，以下人员评审通过，现予以公示。公示期间，任何单位和个人对公示"
                          "人员的评审结果有异议的，可通过网上公示页面以真实姓名和联系方式提出。")
        form.contact.data = " ".join(p for p in (plan.org.contact_person, plan.org.contact_phone) if p) or plan.org.name
        form.start_date.data = clock.today().isoformat()
    error_message = None
    if form.validate_on_submit():
        try:
            notice = confirmation.publish_results(plan, PublishRequest(
                title=form.title.data.strip(), body=form.body.data.strip(), contact=form.contact.data.strip(),
                start_date=form.start_date.date, days=form.days.data), current_user)
        except confirmation.ConfirmationError as refused:
            error_message = "；".join(refused.messages)
        else:
            flash(f"已发布评审结果公示“{notice.title}”，共 {notice.entry_count} 人。", "success")
            return redirect(url_for("notices.manage_show", notice_id=notice.id))
    return render_template("evaluation/result_notice_new.html", plan=plan, form=form, candidates=candidates,
                           error_message=error_message)


@bp.post("/plans/<int:plan_id>/confirm")
@login_required
def confirm(plan_id: int):
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    day = parse_date(request.form.get("doc_date", ""), field="doc_date")
    try:
        certificates = confirmation.confirm_results(plan, request.form.get("doc_no", ""), day.value, current_user)
    except confirmation.ConfirmationError as refused:
        for message in refused.messages:
            flash(message, "error")
        return redirect(url_for("evaluation.meeting", plan_id=plan.id) + "#confirm")
    flash(f"已确认评审结果，{len(certificates)}人取得职称，证书即时可在公开核验页查询。", "success")
    if not certificates or not ecert_services.may_issue(current_user):
        return redirect(url_for("evaluation.meeting", plan_id=plan.id) + "#confirm")
    # Their electronic certificates are due within ECERT_DUE_WORKDAYS: issued at once, in the background.
    token, _, queued = ecert_bulk.start_for(current_user, [cert.id for cert in certificates])
    if not queued:
        flash(ecert_bulk.QUEUE_DELAYED, "warning")
    return redirect(url_for("ecert.bulk_job", token=token))


@bp.get("/plans/<int:plan_id>/package.zip")
@login_required
def package(plan_id: int):
    plan = get_scoped_or_404(EvaluationPlan, plan_id)
    try:
        name, data = confirmation.report_package(plan, current_user)
    except confirmation.ConfirmationError as refused:
        for message in refused.messages:
            flash(message, "error")
        return redirect(url_for("evaluation.meeting", plan_id=plan.id) + "#package")
    return send_file(BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)
