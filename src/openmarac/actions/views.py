"""The meeting (the chair's view and each case's screen), the action plan, minutes,
each agency's summary, and following actions up to completion."""

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe
from weasyprint import HTML

from openmarac.access import policy
from openmarac.accounts import drafts
from openmarac.accounts.middleware import background
from openmarac.accounts.models import Agency, Role
from openmarac.audit import services as audit
from openmarac.core.display import token_field
from openmarac.core.forms import apply_validation_error, field_html
from openmarac.core.pagination import PER_PAGE, paginate, paginate_search
from openmarac.core.provenance import produced_for
from openmarac.core.views import marac_or_404, not_found
from openmarac.meetings import selectors as meeting_selectors
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Hearing
from openmarac.meetings.prompts import children_action_questions, needs_shown
from openmarac.meetings.views import declaration_gate, early_context
from openmarac.people.selectors import present_person
from openmarac.referrals.selectors import case_for
from openmarac.risk import definitions

from . import display, selectors, services
from .forms import (
    ActionFilterForm,
    ActionForm,
    ActionReportForm,
    ChildrenConfirmForm,
    CloseForm,
    HearingForm,
    ProposalAcceptForm,
    ProposalDeclineForm,
    ProposalForm,
    RepeatDecisionDoneForm,
    RepeatDecisionForm,
    RiskForm,
    VictimToldForm,
)
from .models import Action, ActionKind, ActionProposal, ForWhom
from .prompts import plan_prompts


def _meeting(request, public_id, allowed=None):
    meeting = meeting_selectors.meeting_for(user=request.user, public_id=public_id)
    if meeting is None or (allowed and not allowed(request.user, meeting)):
        not_found(request, "meetings.meeting", public_id)
    return meeting


@login_required
@require_safe
def run_meeting(request, public_id):
    """The chair's view: outstanding actions first, then the agenda with each case's slot."""
    meeting = _meeting(request, public_id, policy.can_record_hearing)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    audit.record(action=audit.Action.VIEWED, request=request, obj=meeting, marac=meeting.marac, summary="Running the meeting")
    # A line per case, read with its hearing: the page shows no one's details, so none
    # are read. The run page is the coordinator's and the chair's, whose agenda lists
    # every item of the meeting, so its lines' states are all the meeting's.
    entries = [
        (line, selectors.hearing_state(line.heard, line.hearing_closed_at))
        for line in meeting_selectors.agenda_lines(user=request.user, meeting=meeting)
    ]
    context = {
        "meeting": meeting,
        "register": meeting_selectors.register(user=request.user, meeting=meeting, with_representatives=False),
        "statement": meeting_services.schedule_for(meeting.marac).confidentiality_statement,
        # A page at a time: a Marac that has run for years can have thousands overdue.
        "outstanding": paginate(request, selectors.outstanding_for(user=request.user, meeting=meeting), param="outstanding"),
        "entries": entries,
        "closed_count": sum(1 for _, state in entries if state == selectors.HearingState.CLOSED),
        # Run early (with the coordinator's reason), an action due by the meeting's day
        # may not be overdue yet.
        "today": timezone.localdate(),
        "can_take_register": policy.can_take_register(request.user, meeting),
        **early_context(meeting, policy.can_prepare_meetings(request.user, meeting.marac)),
    }
    return render(request, "actions/run_meeting.html", context)


def _hearing_context(request, meeting, item, hearing, forms, reads):
    referral = item.referral
    children, assessment = reads.children, reads.assessment
    answers = assessment.answers if assessment else {}
    entry, next_item = reads.entry, reads.next_item
    actions = _with_children(reads.actions)
    slot_end = entry.slot.ends_at
    history = reads.history
    research = reads.research
    risks = reads.risks
    can_record = policy.can_record_hearing(request.user, meeting)
    if can_record and not hearing.closed_at and forms["action_form"] is not None:
        _choices_read_once(forms["action_form"], forms["repeat_form"], agencies=reads.agencies, children=children, risks=risks)
    return {
        "poll_seconds": settings.OPENMARAC_LIVE_POLL_SECONDS,
        "meeting": meeting,
        "item": item,
        "referral": referral,
        "hearing": hearing,
        "entry": entry,
        "yes_factors": definitions.yes_risk_factors(assessment.definition, answers) if answers else [],
        "history": history,
        "history_done": sum(1 for a in history if a.status == Action.Status.COMPLETED),
        "history_not_possible": sum(1 for a in history if a.status == Action.Status.NOT_POSSIBLE),
        "history_open": sum(1 for a in history if a.status == Action.Status.OPEN),
        "research": research,
        "research_no_trace": sum(1 for r in research if r.no_trace) if research is not None else 0,
        "risks": risks,
        "actions": actions,
        "plan_table": display.plan_table(actions, caption=PLAN_CAPTION),
        "prompts": plan_prompts(actions=actions, children_count=referral.children_count, needs=needs_shown(answers), children=children),
        "children": children,
        "children_questions": children_action_questions() if children else (),
        "can_record": can_record,
        "can_confirm": policy.can_confirm_plan_safe(request.user, meeting),
        "can_propose": policy.can_propose_action(request.user, meeting, now=timezone.now()) and not hearing.closed_at,
        "proposals": hearing.proposals.select_related("agency", "proposed_by", "decided_by", "action"),
        "slot_end": slot_end.isoformat() if slot_end else "",
        "next_item": next_item,
        **forms,
    }


def _choices_read_once(action_form, repeat_form, *, agencies, children, risks):
    """The choices of the forms the chair records with, each read once for the screen:
    the Marac's agencies (the owning agency and those joint with it, the repeat-alert
    decision's owner), the children and the risks (which the screen shows as well).
    Without this each field reads its queryset as it is drawn. The fields keep their
    querysets, so a choice posted is still checked against the database."""
    fields = [(action_form.fields["owner_agency"], agencies), (action_form.fields["joint_agencies"], agencies)]
    fields += [(action_form.fields["children"], children), (action_form.fields["risk"], risks)]
    if repeat_form is not None:
        fields.append((repeat_form.fields["owner_agency"], agencies))
    for field, objects in fields:
        # As ModelChoiceIterator gives them: the empty choice first, if the field has one.
        choice = field.iterator(field).choice
        field.widget.choices = ([("", field.empty_label)] if field.empty_label is not None else []) + [choice(obj) for obj in objects]


def _plan_actions(hearing):
    """The hearing's actions as the case screen's live part shows them."""
    return _with_children(selectors.hearing_plan(hearing))


def _with_children(actions):
    """The hearing's actions as the case screen and its live part show them. Only an
    action for children names them (`Action.for_whom_text`, the plan's prompts), so only
    those actions' children are read: none, and no query, on most plans."""
    prefetch_related_objects([action for action in actions if action.for_whom == ForWhom.CHILD], "children")
    return actions


# The caption of the case screen's action plan (actions/_case_plan.html gives the same).
PLAN_CAPTION = "Actions agreed for this case"


@login_required
def hearing(request, public_id, item_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    item = meeting_selectors.screen_item(user=request.user, meeting=meeting, item_id=item_id)
    if item is None:
        not_found(request, "meetings.agendaitem", item_id)
    hearing = services.hearing_for(item)
    referral = item.referral
    # Read once for the page; the action form keeps the query, to check a choice.
    reads = selectors.screen_reads(hearing, user=request.user, meeting=meeting)
    children = reads.children
    agencies = selectors.marac_agencies(marac_id=meeting.marac_id)
    action = request.POST.get("action", "")
    if request.method == "GET" and hearing.closed_at and not drafts.pending(request):
        # Closing ends what can be recorded: the screen shows none of these forms (and
        # there is no draft to put back into them), so none is made.
        hearing_form = risk_form = action_form = close_form = children_form = proposal_form = None
    else:
        hearing_form = HearingForm(request.POST if action == "save-hearing" else None, initial=_hearing_initial(hearing))
        risk_form = RiskForm(request.POST if action == "add-risk" else None, prefix="risk")
        action_form = ActionForm(
            request.POST if action == "add-action" else None, prefix="action", agencies=agencies, children=selectors.hearing_children(hearing),
            risks=hearing.risks.all(),
        )
        close_form = CloseForm(request.POST if action == "close" else None, prefix="close", hearing=hearing, children_listed=bool(children))
        children_form = ChildrenConfirmForm(request.POST if action == "confirm-children" else None, prefix="children")
        proposal_form = ProposalForm(request.POST if action == "propose-action" else None, prefix="proposal")
    # Agencies propose actions only in a round held in writing; nothing to decide otherwise.
    decisions = _proposal_forms(request, action, hearing, children) if meeting.is_async else []
    repeat_form = RepeatDecisionForm(request.POST if action == "repeat-decision" else None, prefix="repeat", agencies=agencies) if hearing_form else None
    done_form = RepeatDecisionDoneForm(request.POST if action == "repeat-decision-done" else None, prefix="done")
    open_decisions = selectors.open_repeat_decisions(case=referral.case, ids=reads.open_decision_ids)
    if request.method == "GET":
        _restore_drafts(request, hearing_form=hearing_form, risk_form=risk_form, action_form=action_form, close_form=close_form)
    if request.method == "POST":
        try:
            done = (
                _hearing_post(request, action, hearing, hearing_form, risk_form, action_form, close_form, children_form)
                or _proposal_post(request, action, hearing, proposal_form, decisions)
                or _repeat_post(request, action, hearing, repeat_form, done_form, open_decisions)
            )
        except services.EditConflict as conflict:
            hearing = conflict.current
            hearing_form.data = hearing_form.data.copy()
            hearing_form.data["version"] = hearing.version
            hearing_form.add_error(
                None,
                "Someone else saved a change to this case while you were editing. Your text is kept below; "
                "their saved version is shown under “Saved record”. Check both, then save again.",
            )
            done = False
        if done:
            return redirect("actions:hearing", meeting.public_id, item.pk)
    forms = {
        "hearing_form": hearing_form, "risk_form": risk_form, "action_form": action_form, "close_form": close_form,
        "proposal_form": proposal_form, "decisions": decisions, "children_form": children_form,
        "repeat_form": repeat_form, "done_form": done_form, "open_decisions": open_decisions,
    }
    audit.record(action=audit.Action.VIEWED, request=request, obj=referral.case, marac=meeting.marac, summary="Hearing")
    return render(request, "actions/hearing.html", _hearing_context(request, meeting, item, hearing, forms, reads))


def _proposal_forms(request, action, hearing, children):
    """An accept and a decline form for each proposal still awaiting the chair; the one
    posted is bound, so a mistake is shown beside it and nothing typed is lost."""
    posted = request.POST.get("proposal", "")
    forms = []
    for proposal in hearing.proposals.filter(status=ActionProposal.Status.PROPOSED).select_related("agency"):
        mine = str(proposal.pk) == posted
        accept = ProposalAcceptForm(
            request.POST if mine and action == "accept-proposal" else None, prefix=f"accept-{proposal.pk}", children=children,
            initial={"description": proposal.description, "due_on": proposal.due_on, "owner_name": proposal.owner_name},
        )
        decline = ProposalDeclineForm(request.POST if mine and action == "decline-proposal" else None, prefix=f"decline-{proposal.pk}")
        forms.append((proposal, accept, decline))
    return forms


def _proposal_post(request, action, hearing, proposal_form, decisions):
    """Handle an agency's proposal or the chair's decision on one; True when saved."""
    by = request.user
    if action == "propose-action":
        if not proposal_form.is_valid():
            return False
        try:
            services.action_propose(by=by, hearing=hearing, request=request, **proposal_form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(proposal_form, error)
            return False
        messages.success(request, "Action proposed. The chair will accept or decline it when agreeing the plan.")
        return True
    for proposal, accept, decline in decisions:
        form = accept if action == "accept-proposal" else decline
        if not form.is_bound or not form.is_valid():
            continue
        try:
            if action == "accept-proposal":
                services.proposal_accept(by=by, proposal=proposal, request=request, **form.cleaned_data)
                messages.success(request, f"{proposal.agency}’s action is agreed and added to the plan.")
            else:
                services.proposal_decline(by=by, proposal=proposal, request=request, **form.cleaned_data)
                messages.success(request, f"{proposal.agency}’s proposed action is declined.")
        except ValidationError as error:
            apply_validation_error(form, error)
            return False
        return True
    return False


def _repeat_post(request, action, hearing, repeat_form, done_form, open_decisions):
    """The chair's decision at the repeat-alert threshold, or marking one done; True when saved."""
    try:
        if action == "repeat-decision" and repeat_form.is_valid():
            services.repeat_decision_record(by=request.user, hearing=hearing, request=request, **repeat_form.cleaned_data)
            messages.success(request, "Decision recorded. The case shows it until it is done.")
            return True
        if action == "repeat-decision-done" and done_form.is_valid():
            decision = next((d for d in open_decisions if d.pk == done_form.cleaned_data["decision"]), None)
            if decision is None:
                not_found(request, "meetings.repeatdecision", done_form.cleaned_data["decision"])
            services.repeat_decision_done(
                by=request.user, decision=decision, done_on=done_form.cleaned_data["done_on"], note=done_form.cleaned_data["note"], request=request
            )
            messages.success(request, "Recorded as done.")
            return True
    except ValidationError as error:
        apply_validation_error(repeat_form if action == "repeat-decision" else done_form, error)
    return False


def _restore_drafts(request, **forms):
    """Puts back what was typed when the idle limit signed this screen out. The hearing
    form keeps the version it was typed against, so a save after someone else's change
    is caught as a conflict rather than overwriting it."""
    kept = drafts.take(request, page=request.get_full_path())
    by_action = {"save-hearing": forms["hearing_form"], "add-risk": forms["risk_form"], "add-action": forms["action_form"], "close": forms["close_form"]}
    restored = False
    for action, data in kept.items():
        if action in by_action:
            drafts.restore(by_action[action], data)
            restored = True
    if restored:
        messages.info(request, "What you had typed before you were signed out has been put back. Check it, then save.")


def _hearing_initial(hearing):
    return {
        "version": hearing.version,
        "victim_views": hearing.victim_views,
        "minutes": hearing.minutes,
        "referrer_summary": hearing.referrer_summary,
        "single_point_of_contact": hearing.single_point_of_contact,
    }


def _hearing_post(request, action, hearing, hearing_form, risk_form, action_form, close_form, children_form):
    """Handle one of the case screen's forms; True when it was saved."""
    by = request.user
    try:
        if action == "save-hearing" and hearing_form.is_valid():
            fields = hearing_form.hearing_fields()
            if not policy.can_record_hearing(by, hearing.item.meeting):
                fields = {"victim_views": fields["victim_views"]}
            services.hearing_save(by=by, hearing=hearing, version=hearing_form.cleaned_data["version"], request=request, **fields)
            messages.success(request, "Saved.")
            return True
        if action == "add-risk" and risk_form.is_valid():
            services.risk_add(by=by, hearing=hearing, request=request, **risk_form.cleaned_data)
            messages.success(request, "Risk recorded.")
            return True
        if action == "add-action" and action_form.is_valid():
            services.action_add(by=by, hearing=hearing, request=request, **action_form.cleaned_data)
            messages.success(request, "Action added.")
            return True
        if action == "confirm-children" and children_form.is_valid():
            services.hearing_children_confirm(by=by, hearing=hearing, request=request, **children_form.cleaned_data)
            messages.success(request, "The children and their dates of birth are recorded as confirmed.")
            return True
        if action == "confirm-safe":
            services.plan_confirm_safe(by=by, hearing=hearing, request=request)
            messages.success(request, "You have confirmed the plan is as safe as possible for the victim.")
            return True
        if action == "close" and close_form.is_valid():
            services.hearing_close(
                by=by, hearing=hearing, request=request,
                reason=close_form.cleaned_data.get("reason", ""), children_reason=close_form.cleaned_data.get("children_reason", ""),
            )
            messages.success(request, "Case closed for this meeting.")
            return True
    except ValidationError as error:
        form = {"add-action": action_form, "close": close_form, "add-risk": risk_form, "confirm-children": children_form}.get(action, hearing_form)
        apply_validation_error(form, error)
    return False


@background
@login_required
@require_safe
def hearing_live(request, public_id, item_id):
    """The parts of the case screen others change, refreshed by htmx without reloading."""
    meeting = _meeting(request, public_id)
    if not meeting_selectors.has_signed(user=request.user, meeting=meeting):
        not_found(request, "meetings.agendaitem", item_id)
    item = meeting_selectors.screen_item(user=request.user, meeting=meeting, item_id=item_id)
    if item is None:
        not_found(request, "meetings.agendaitem", item_id)
    # Not audited per poll: the live part refreshes the case screen the viewer opened,
    # and that view was recorded.
    hearing = services.hearing_for(item)
    actions = _plan_actions(hearing)
    context = {"hearing": hearing, "risks": selectors.hearing_risks(hearing), "plan_table": display.plan_table(actions, caption=PLAN_CAPTION)}
    return render(request, "actions/_hearing_live.html", context)


# --- After the meeting ----------------------------------------------------------------


def _minutes_entries(user, meeting, *, pdf=False):
    """Each case in agenda order with its hearing, and the hearing's action plan as rows
    of HTML (`plan_rows`; for the PDF without links, on the page linking only the actions
    the user may open). The minutes name no one but by the plan's actions, so the agenda
    is read without the people (`agenda_lines`). The plan is what the meeting agreed: an
    action another Marac's agency took on after a transfer shows as ended, not its copy."""
    entries = meeting_selectors.agenda_lines(user=user, meeting=meeting)
    openable = None if pdf else selectors.openable_action_ids(user=user, meeting=meeting)
    actions = Action.objects.select_related("owner_agency", "risk").prefetch_related("joint_agencies", "children")
    hearings = {
        h.item_id: h
        for h in Hearing.objects.filter(item__meeting=meeting).prefetch_related("risks", Prefetch("actions", queryset=actions.filter(taken_on_from=None)))
    }
    for hearing in hearings.values():
        hearing.plan_rows = display.plan_rows_html(hearing.actions.all(), pdf=pdf, linked=openable)
    return [(entry, hearings.get(entry.item.pk)) for entry in entries]


@login_required
def minutes(request, public_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    can_publish = policy.can_prepare_meetings(request.user, meeting.marac)
    if request.method == "POST" and not can_publish:
        not_found(request, "meetings.minutes", public_id)
    if request.method == "POST":
        # Publishing cannot be undone and sends the minutes to agencies: the coordinator
        # confirms, as the chair does to close a case.
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Confirm that you have checked the minutes and that agencies can read them and be sent a link")
            return redirect("actions:minutes", meeting.public_id)
        try:
            services.minutes_publish(by=request.user, meeting=meeting, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Minutes published. Everyone who signed the declaration, and every agency present or that sent apologies, has been told.")
        return redirect("actions:minutes", meeting.public_id)
    if not meeting.minutes_published_at and not policy.can_see_unpublished_minutes(request.user, meeting.marac):
        not_found(request, "meetings.minutes", public_id)
    pdf = request.GET.get("format") == "pdf"
    entries = _minutes_entries(request.user, meeting, pdf=pdf)
    attendance = meeting_selectors.minutes_attendance(user=request.user, meeting=meeting)
    imported = meeting_selectors.imported_hearings(meeting) if not entries else None
    if pdf:
        html = render_to_string(
            "actions/minutes_pdf.html",
            {
                "meeting": meeting, "entries": entries, "attendance": attendance, "imported_hearings": imported,
                "viewer": request.user, "produced_for": produced_for(request.user),
            },
        )
        audit.record(action=audit.Action.EXPORTED, request=request, obj=meeting, marac=meeting.marac, summary="Minutes PDF")
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="minutes-{timezone.localtime(meeting.starts_at):%Y-%m-%d}.pdf"'
        return response
    audit.record(action=audit.Action.VIEWED, request=request, obj=meeting, marac=meeting.marac, summary="Minutes")
    # Cases still open: publishing now would send minutes that say "Not yet heard".
    unclosed = sum(1 for _, hearing in entries if hearing is None or hearing.closed_at is None)
    context = {"meeting": meeting, "entries": entries, "attendance": attendance, "imported_hearings": imported, "can_publish": can_publish, "unclosed": unclosed}
    return render(request, "actions/minutes.html", context)


@login_required
@require_safe
def agency_summary(request, public_id):
    """What one agency must do after the meeting, to pass to frontline colleagues."""
    meeting = _meeting(request, public_id)
    if request.user.agency_id is None:
        not_found(request, "meetings.summary", public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    own, household = selectors.frontline_summary(user=request.user, meeting=meeting)
    context = {"meeting": meeting, "actions": own, "household": household, "agency": request.user.agency}
    if request.GET.get("format") == "txt":
        audit.record(action=audit.Action.EXPORTED, request=request, obj=meeting, marac=meeting.marac, summary="Frontline summary")
        response = HttpResponse(render_to_string("actions/frontline_summary.txt", context), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="frontline-summary-{timezone.localtime(meeting.starts_at):%Y-%m-%d}.txt"'
        return response
    audit.record(action=audit.Action.VIEWED, request=request, obj=meeting, marac=meeting.marac, summary="Agency summary")
    return render(request, "actions/agency_summary.html", context)


@login_required
def victim_told(request, public_id, item_id):
    """The Idva records whether and when the victim was told of the plan, or why not."""
    meeting = _meeting(request, public_id, lambda user, m: policy.can_confirm_plan_safe(user, m) or policy.has_role(user, m.marac, Role.COORDINATOR))
    item = meeting_selectors.visible_items(user=request.user, meeting=meeting).filter(pk=item_id).select_related("referral__case", "hearing").first()
    hearing = getattr(item, "hearing", None) if item else None
    if hearing is None or hearing.closed_at is None:
        not_found(request, "meetings.hearing", item_id)
    initial = {"told": {True: "yes", False: "no"}.get(hearing.victim_told_of_plan, ""), "told_on": hearing.victim_told_on, "not_told_reason": hearing.victim_not_told_reason}
    form = VictimToldForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.victim_told_record(by=request.user, hearing=hearing, request=request, **form.service_fields())
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Recorded.")
            return redirect("referrals:idva-referral", item.referral.idva_referral.pk) if hasattr(item.referral, "idva_referral") else redirect("actions:minutes", meeting.public_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=hearing, marac=meeting.marac, summary="Victim told of the plan")
    return render(request, "actions/victim_told.html", {"meeting": meeting, "item": item, "hearing": hearing, "form": form})


@login_required
@require_safe
def my_actions(request, slug):
    marac = _marac_or_404(request, slug, lambda user, m: policy.has_role(user, m, *policy.MEETING_ROLES))
    audit.record(action=audit.Action.VIEWED, request=request, record_type="actions.action", marac=marac, summary="Actions list")
    context = {
        "marac": marac,
        # Read before it is counted: an agency's open actions at one Marac are most often
        # one page, whose length is then their count (a query fewer).
        "actions": paginate_search(request, selectors.actions_of_agency(user=request.user, marac=marac)),
        "can_chase": policy.can_chase_actions(request.user, marac),
        "sees_all": policy.has_role(request.user, marac, *policy.ALL_CASES_ROLES),
        "overdue_count": selectors.overdue_count(user=request.user, marac=marac),
        "flags": selectors.expiring_flags(user=request.user, marac=marac),
        "ended": paginate(request, selectors.ended_by_transfer(user=request.user, marac=marac), param="ended"),
        "today": timezone.localdate(),
    }
    return render(request, "actions/my_actions.html", context)


def _marac_or_404(request, slug, allowed):
    return marac_or_404(request, slug, allowed, record_type="actions.action", record_id=f"list {slug}")


@login_required
@require_safe
def marac_actions(request, slug):
    """Every action of the Marac for the coordinator and the chair: overdue (the chase
    list), due soon, recently completed or all, narrowed by agency, meeting, status and
    due date, with a reminder button per action and per agency for the coordinator."""
    marac = _marac_or_404(request, slug, lambda user, m: policy.has_role(user, m, *policy.ALL_CASES_ROLES))
    view = request.GET.get("view") if request.GET.get("view") in selectors.MARAC_ACTION_VIEWS else "overdue"
    now, today = timezone.now(), timezone.localdate()
    agencies, meetings = selectors.action_filter_choices(marac=marac, now=now)
    # The options are read with the list's other reads, below.
    form = ActionFilterForm(request.GET, agencies=agencies, meetings=meetings, meeting_options=())
    filters = form.filters()
    can_chase = policy.can_chase_actions(request.user, marac)
    read = selectors.action_list_reads(
        user=request.user, marac=marac, view=view, filters=filters, page_number=_page_number(request), can_chase=can_chase, now=now, today=today, per_page=PER_PAGE
    )
    form.set_options(meeting_options=read.meeting_options, agency_options=read.agency_options)
    audit.record(action=audit.Action.VIEWED, request=request, record_type="actions.action", marac=marac, summary=f"All actions: {view}")
    # The open views' tabs are always counted; a history view's only when it is open.
    # Unfiltered, the list holds exactly its tab's actions, already counted.
    page = paginate(request, read.page, count=read.counts[view] if read.count is None else read.count)
    here = request.get_full_path()
    context = {
        "marac": marac,
        "view": view,
        "label": selectors.MARAC_ACTION_VIEWS[view][0],
        "tabs": [(name, label, read.counts.get(name)) for name, (label, _) in selectors.MARAC_ACTION_VIEWS.items()],
        "form": form,
        # The filter form's fields as includes/field.html writes them, in Python (field_html).
        "filter_fields": mark_safe("\n      ".join(field_html(form[name]) for name in ("agency", "meeting", "status", "due_from", "due_to"))),
        "page": page,
        "rows": display.action_rows(page, today=today, can_chase=can_chase, csrf_input=token_field(request) if can_chase else "", here=here),
        "agencies": display.with_chase_urls(read.agencies, marac=marac, remindable=read.remindable),
        "can_chase": can_chase,
        "here": here,
        "filter_query": _without(request.GET, "view", "page"),
    }
    return render(request, "actions/marac_actions.html", context)


def _page_number(request):
    """The page of a list asked for, as the paginator reads it, to read with the page's
    other reads; 0 for any other (not a number, below 1, or beyond a million pages,
    whose offset would not fit the database's integers: the paginator decides)."""
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        return 0
    return number if 1 <= number <= 1_000_000 else 0


def _without(query, *names):
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def _back(request, default):
    """Back to the list the button was pressed on (a path on this site only)."""
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@login_required
@require_POST
def action_chase(request, pk):
    action = selectors.action_for(user=request.user, pk=pk)
    if action is None or not policy.can_chase_actions(request.user, action.case.marac):
        not_found(request, "actions.action", pk)
    try:
        services.action_chase(by=request.user, action=action, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Reminder sent to {action.owner_agency}. The email carries a link only.")
    return redirect(_back(request, reverse("actions:all", args=[action.case.marac.slug])))


@login_required
@require_POST
def agency_chase(request, slug, agency_id):
    marac = _marac_or_404(request, slug, policy.can_chase_actions)
    agency = Agency.objects.filter(pk=agency_id, marac_links__marac=marac).first()
    if agency is None:
        not_found(request, "accounts.agency", agency_id)
    try:
        count = services.agency_chase(by=request.user, marac=marac, agency=agency, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Reminder sent to {agency} about its {count} open action{'s' if count != 1 else ''}. The email carries a link only.")
    return redirect(_back(request, reverse("actions:all", args=[marac.slug])))


@login_required
def action_detail(request, pk):
    action = selectors.action_for(user=request.user, pk=pk)
    if action is None:
        not_found(request, "actions.action", pk)
    can_report = policy.can_report_on_action(request.user, action)
    form = ActionReportForm(request.POST or None, initial={"version": action.version, "status": action.status})
    if request.method == "POST":
        if not can_report:
            not_found(request, "actions.action", pk)
        if form.is_valid():
            try:
                services.action_report(by=request.user, action=action, request=request, **form.cleaned_data)
            except services.EditConflict as conflict:
                form.data = form.data.copy()
                form.data["version"] = conflict.current.version
                form.add_error(None, f"Someone else updated this action while you were writing (it is now “{conflict.current.get_status_display()}”). Your text is kept; check and save again.")
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, "Action updated.")
                return redirect("actions:action", action.pk)
    audit.record(action=audit.Action.VIEWED, request=request, obj=action, marac=action.case.marac)
    victim = present_person(action.case.victim, user=request.user, marac=action.case.marac)
    context = {
        "action": action, "form": form if can_report and action.status != Action.Status.TRANSFERRED else None, "victim": victim,
        "updates": action.updates.select_related("reported_by"),
        "can_tick": can_report and action.kind == ActionKind.UPDATE_RECORDS and action.status == Action.Status.OPEN,
        "can_confirm_flag": can_report and action.kind == "flag" and action.flag_removed_at is None and action.status != Action.Status.TRANSFERRED,
        # Ways on: the case, to those who may open it, and the agency's actions list.
        "can_open_case": case_for(user=request.user, public_id=action.case.public_id) is not None,
        "can_list_actions": policy.has_role(request.user, action.case.marac, *policy.MEETING_ROLES),
    }
    return render(request, "actions/action.html", context)


@login_required
@require_POST
def records_updated(request, pk):
    """The agency ticks "updated our records" with one button."""
    action = selectors.action_for(user=request.user, pk=pk)
    if action is None or action.kind != ActionKind.UPDATE_RECORDS or not policy.can_report_on_action(request.user, action):
        not_found(request, "actions.action", pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        services.records_updated(by=request.user, action=action, version=version, request=request)
    except services.EditConflict as conflict:
        messages.error(request, f"Someone else updated this action first (it is now “{conflict.current.get_status_display()}”). Check it below.")
    else:
        messages.success(request, "Recorded: your agency has updated its records.")
    return redirect("actions:action", action.pk)


@login_required
@require_POST
def flag_removed(request, pk):
    """The owning agency confirms the flag is off its files."""
    action = selectors.action_for(user=request.user, pk=pk)
    if action is None or action.kind != ActionKind.FLAG or not policy.can_report_on_action(request.user, action):
        not_found(request, "actions.action", pk)
    try:
        services.flag_removed_confirm(by=request.user, action=action, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Recorded: the flag has been removed from your agency’s files.")
    return redirect("actions:action", action.pk)


@login_required
@require_safe
def flags_overview(request, slug):
    """The coordinator's view of flags due to come off agency files, overdue and
    confirmed removed."""
    marac = policy.member_marac(request.user, slug)
    views = selectors.flags_overview(user=request.user, marac=marac) if marac else None
    if views is None:
        not_found(request, "actions.action", f"flags {slug}")
    show = request.GET.get("show") if request.GET.get("show") in selectors.FLAG_VIEWS else "due"
    audit.record(action=audit.Action.VIEWED, request=request, record_type="actions.action", marac=marac, summary=f"Flags: {show}")
    context = {
        "marac": marac,
        "show": show,
        "tabs": [(key, label, views[key].count()) for key, label in selectors.FLAG_VIEWS.items()],
        "page": paginate(request, views[show]),
        "label": selectors.FLAG_VIEWS[show],
    }
    return render(request, "actions/flags.html", context)
