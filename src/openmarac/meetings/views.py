"""Meeting preparation pages: meetings and their pattern, listing, the case list (page,
PDF, calendar), the declaration, research and the register."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from openmarac.access import policy
from openmarac.audit import services as audit
from openmarac.core.display import token_field
from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate
from openmarac.core.views import marac_or_404, not_found
from openmarac.people.selectors import present_person
from openmarac.referrals.models import Case, Referral
from openmarac.risk.models import RiskAssessment

from . import dates, display, documents, selectors, services
from .forms import (
    AttendanceRowForm,
    DateOverrideForm,
    DelegationForm,
    GenerateForm,
    MeetingAddForm,
    MeetingChangeForm,
    MoveItemForm,
    ObserverForm,
    ResearchForm,
    ScheduleForm,
)
from .models import AgendaItem, Attendance, ResearchDelegation, ResearchReturn
from .prompts import prompts_for


def _meeting(request, public_id):
    meeting = selectors.meeting_for(user=request.user, public_id=public_id)
    if meeting is None:
        not_found(request, "meetings.meeting", public_id)
    return meeting


def declaration_gate(request, meeting):
    """Case material of a meeting is shown only after the confidentiality declaration."""
    if selectors.has_signed(user=request.user, meeting=meeting):
        return None
    return redirect(f"{meeting_url('declaration', meeting)}?next={request.get_full_path()}")


def meeting_url(name, meeting):
    return reverse(f"meetings:{name}", args=[meeting.public_id])




# --- Meetings and the pattern ---------------------------------------------------------


@login_required
def meetings(request, slug):
    marac = marac_or_404(request, slug, lambda u, m: policy.has_role(u, m, *policy.MEETING_ROLES))
    can_prepare = policy.can_prepare_meetings(request.user, marac)
    if request.method == "POST" and not can_prepare:
        # A reader's POST is refused like any other write, not answered with the page.
        not_found(request, "meetings.meeting", f"generate {slug}")
    form = GenerateForm(request.POST if request.method == "POST" else None, initial={"first_on": services.suggested_first_date(marac)} if can_prepare else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.meetings_generate(
                marac=marac, by=request.user, first_on=form.cleaned_data["first_on"], on_holiday=form.cleaned_data["on_holiday"] or "move"
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"{len(created)} meeting{'s' if len(created) != 1 else ''} added from the pattern.")
            for note in created.notes:
                messages.warning(request, f"{note}.")
            return redirect("meetings:meetings", marac.slug)
    context = {
        "marac": marac,
        "meetings": selectors.meetings_for(user=request.user, marac=marac),
        "past": selectors.with_imported_hearings(paginate(request, selectors.past_meetings_for(user=request.user, marac=marac), param="past")),
        # Minutes open to the others once published (actions.views.minutes).
        "sees_unpublished_minutes": policy.can_see_unpublished_minutes(request.user, marac),
        "can_prepare": can_prepare,
        "form": form,
    }
    return render(request, "meetings/meetings.html", context)


@login_required
def pattern(request, slug):
    marac = marac_or_404(request, slug, policy.can_set_meeting_pattern)
    form = ScheduleForm(request.POST or None, instance=services.schedule_for(marac))
    if request.method == "POST" and form.is_valid():
        services.schedule_save(by=request.user, schedule=form.instance, cadence=form.cleaned_data["meeting_cadence"], request=request)
        messages.success(request, "Meeting pattern saved. Generate meetings to apply it to new dates.")
        if policy.can_prepare_meetings(request.user, marac):
            return redirect("meetings:meetings", marac.slug)
        return redirect("meetings:pattern", marac.slug)
    schedule = services.schedule_for(marac)
    return render(request, "meetings/pattern.html", {"marac": marac, "form": form, "lead_time_warning": schedule.lead_time_warning()})


@login_required
def meeting_add(request, slug):
    marac = marac_or_404(request, slug, policy.can_prepare_meetings)
    form = MeetingAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_add(by=request.user, marac=marac, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Meeting added.")
            return redirect("meetings:meeting", meeting.public_id)
    return render(request, "meetings/meeting_add.html", {"marac": marac, "form": form})


@login_required
def listing(request, slug):
    marac = marac_or_404(request, slug, lambda u, m: policy.has_role(u, m, *policy.ALL_CASES_ROLES))
    if request.method == "POST":
        if not policy.can_prepare_meetings(request.user, marac):
            not_found(request, "referrals.referral", "listing")
        try:
            if request.POST.get("case"):
                case = Case.objects.filter(marac=marac, public_id=request.POST["case"]).first()
                if case is None:
                    not_found(request, "referrals.case", request.POST["case"][:64])
                services.case_anniversary_list(
                    by=request.user, case=case, confirm_second_listing=request.POST.get("confirm_second_listing") == "yes", request=request,
                )
                messages.success(request, "Case listed for its 12-month review." if policy.is_restricted_for(request.user, case) else f"Case {case.reference} listed for its 12-month review.")
            elif request.POST.get("referral"):
                referral = Referral.objects.filter(marac=marac, public_id=request.POST["referral"]).first()
                if referral is None:
                    not_found(request, "referrals.referral", request.POST["referral"][:64])
                chosen = _chosen_meeting(request, marac)
                item = services.referral_list(
                    by=request.user, referral=referral, meeting=chosen,
                    confirm_second_listing=request.POST.get("confirm_second_listing") == "yes", request=request,
                )
                reference = "" if policy.is_restricted_for(request.user, referral.case) else f"{referral.case.reference} "
                when = f"{timezone.localtime(item.meeting.starts_at):%-d %B %Y}"
                if item.added_late:
                    messages.success(request, f"Case {reference}added late to the meeting of {when}. Agencies have been told.")
                else:
                    messages.success(request, f"Case {reference}listed for the meeting of {when}.")
                if selectors.research_window_passed(item.meeting):
                    messages.warning(
                        request,
                        f"The meeting of {when} is less than {marac.case_list_lead_days} days away: agencies have less time than usual to research this case.",
                    )
            else:
                listed = services.list_all_as_proposed(by=request.user, marac=marac, request=request)
                messages.success(request, f"{len(listed)} case{'s' if len(listed) != 1 else ''} listed as proposed.")
                waiting = selectors.awaiting_listing(user=request.user, marac=marac).count()
                if waiting:
                    messages.warning(
                        request,
                        f"{waiting} referral{'s' if waiting != 1 else ''} left unlisted: {'their cases are' if waiting != 1 else 'its case is'} already on the agenda of a meeting not yet held. List {'each' if waiting != 1 else 'it'} below if a second agenda item is right.",
                    )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("meetings:listing", marac.slug)
    page = paginate(request, selectors.awaiting_listing(user=request.user, marac=marac))
    audit.record(action=audit.Action.VIEWED, request=request, record_type="referrals.referral", marac=marac, summary="Referrals awaiting listing")
    can_prepare = policy.can_prepare_meetings(request.user, marac)
    upcoming = selectors.upcoming_meetings(marac)
    choices = selectors.listing_meetings(user=request.user, marac=marac, upcoming=upcoming)
    late_meetings = selectors.late_listing_meetings(user=request.user, marac=marac, upcoming=upcoming)
    rows = display.listing_rows_html(
        selectors.listing_rows(marac=marac, page=page, upcoming=upcoming), can_prepare=can_prepare, choices=choices, late_meetings=late_meetings,
        csrf_input=token_field(request) if can_prepare else "",
    )
    context = {
        "marac": marac,
        "page": page,
        "rows": rows,
        "anniversaries": selectors.with_pending_listing(paginate(request, selectors.anniversaries_due(user=request.user, marac=marac), param="reviews")),
        "can_prepare": can_prepare,
        "late_meetings": late_meetings,
    }
    return render(request, "meetings/listing.html", context)


def _chosen_meeting(request, marac):
    """The meeting the coordinator chose on the listing page, or None for the proposed
    one: a meeting whose case list is still to go, or a published one (added late)."""
    fields = (
        ("meeting", selectors.listing_meetings, "Choose a scheduled meeting still to come whose case list has not been sent."),
        ("late_meeting", selectors.late_listing_meetings, "Choose a published meeting still to come that has room."),
    )
    for field, choices, refusal in fields:
        if request.POST.get(field):
            chosen = next((m for m in choices(user=request.user, marac=marac) if str(m.public_id) == request.POST[field]), None)
            if chosen is None:
                raise ValidationError(refusal)
            return chosen
    return None


# --- One meeting ------------------------------------------------------------------------


@login_required
def meeting(request, public_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    can_prepare = policy.can_prepare_meetings(request.user, meeting.marac)
    if request.method == "POST" and not can_prepare:
        not_found(request, "meetings.meeting", public_id)
    if request.method == "POST" and request.POST.get("action") == "publish":
        try:
            services.meeting_publish(by=request.user, meeting=meeting, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Case list published. Every agency representative has been told.")
        return redirect("meetings:meeting", meeting.public_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=meeting, marac=meeting.marac, summary="Case list")
    read = selectors.agenda_reads(user=request.user, meeting=meeting, now=timezone.now(), can_prepare=can_prepare)
    entries = read.entries
    context = {
        "meeting": meeting,
        "entries": entries,
        # Each case written once in Python (meetings/display.py), not through the
        # template's tags and filters forty times over.
        "sections": display.agenda_sections(
            entries, meeting=meeting,
            # The "Move case to" form of each case, for those who prepare meetings: the
            # meetings to come, as `item_move` offers them.
            csrf_input=token_field(request) if can_prepare else "",
            move_options=display.move_options_html(read.move_targets) if can_prepare else "",
        ),
        "imported_hearings": selectors.imported_hearings(meeting) if not entries else None,
        "can_prepare": can_prepare,
        "can_run": policy.can_record_hearing(request.user, meeting),
        "research_deadline_passed": timezone.now() > meeting.research_deadline,
        "case_list_day": services.case_list_day(meeting),
        **early_context(meeting, can_prepare, overrides=read.date_overrides),
    }
    return render(request, "meetings/meeting.html", context)


def early_context(meeting, can_prepare, overrides=None):
    """What is still too early for this meeting, and the coordinator's form to record why
    it goes ahead anyway. `overrides`: the meeting's date overrides with who recorded
    each, when the caller has read them."""
    # The overrides read once, for the page and for what is still too early.
    if overrides is None:
        overrides = list(meeting.date_overrides.select_related("recorded_by"))
    early = services.early_operations(meeting, overridden={override.operation for override in overrides})
    return {
        "early_steps_section": dates.EARLY_STEPS_SECTION,
        "early": early,
        "overrides": overrides,
        "override_form": DateOverrideForm(operations=early) if can_prepare and early else None,
    }


@login_required
@require_POST
def date_override(request, public_id):
    """The coordinator records why a meeting operation goes ahead before its day."""
    meeting = _meeting(request, public_id)
    if not policy.can_prepare_meetings(request.user, meeting.marac):
        not_found(request, "meetings.dateoverride", public_id)
    form = DateOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.date_override_record(by=request.user, meeting=meeting, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Recorded. Those steps can now go ahead before their day.")
            return redirect("meetings:meeting", meeting.public_id)
    # One banner for every problem, each a sentence of its own.
    messages.error(request, ". ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("meetings:meeting", meeting.public_id)


@login_required
@require_safe
def case_list_pdf(request, public_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    entries = selectors.case_list(user=request.user, meeting=meeting)
    pdf = documents.case_list_pdf(meeting=meeting, entries=entries, viewer=request.user)
    audit.record(action=audit.Action.EXPORTED, request=request, obj=meeting, marac=meeting.marac, summary="Case list PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-list-{timezone.localtime(meeting.starts_at):%Y-%m-%d}.pdf"'
    return response


@login_required
@require_safe
def meeting_ics(request, public_id):
    meeting = _meeting(request, public_id)
    audit.record(action=audit.Action.EXPORTED, request=request, obj=meeting, marac=meeting.marac, summary="Calendar")
    response = HttpResponse(documents.meeting_ics(meeting, meeting.items.count(), reader=request.user), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="marac-{timezone.localtime(meeting.starts_at):%Y-%m-%d}.ics"'
    return response


@login_required
def meeting_change(request, public_id):
    meeting = _meeting(request, public_id)
    if not policy.can_prepare_meetings(request.user, meeting.marac):
        not_found(request, "meetings.meeting", public_id)
    form = MeetingChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["action"] == "move":
                services.meeting_move(by=request.user, meeting=meeting, starts_at=form.cleaned_data["starts_at"], note=form.cleaned_data["note"], request=request)
                messages.success(request, "Meeting moved. Agencies have been told.")
                return redirect("meetings:meeting", meeting.public_id)
            services.meeting_cancel(by=request.user, meeting=meeting, note=form.cleaned_data["note"], request=request)
            messages.success(request, "Meeting cancelled. Agencies have been told and its cases listed again.")
            return redirect("meetings:meetings", meeting.marac.slug)
        except ValidationError as error:
            apply_validation_error(form, error)
    return render(request, "meetings/meeting_change.html", {"meeting": meeting, "form": form})


@login_required
@require_POST
def item_move(request, public_id, pk):
    meeting = _meeting(request, public_id)
    item = AgendaItem.objects.filter(meeting=meeting, pk=pk).select_related("referral", "meeting__marac").first()
    if item is None or not policy.can_prepare_meetings(request.user, meeting.marac):
        not_found(request, "meetings.agendaitem", pk)
    form = MoveItemForm(request.POST, meetings=selectors.move_target_meetings(meeting=meeting, now=timezone.now()))
    if form.is_valid():
        try:
            services.agenda_item_move(by=request.user, item=item, meeting=form.cleaned_data["meeting"], request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Case {item.referral.case.reference} moved.")
    else:
        messages.error(request, "Choose the meeting to move the case to")
    return redirect("meetings:meeting", meeting.public_id)


@login_required
def declaration(request, public_id):
    meeting = _meeting(request, public_id)
    statement = services.schedule_for(meeting.marac).confidentiality_statement
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/meetings/"):
        next_url = meeting_url("meeting", meeting)
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            messages.error(request, "Tick the box to agree to the declaration")
        else:
            services.declaration_sign(by=request.user, meeting=meeting, request=request)
            return redirect(next_url)
    return render(request, "meetings/declaration.html", {"meeting": meeting, "statement": statement, "next": next_url})


# --- Research ---------------------------------------------------------------------------


@login_required
@require_safe
def research(request, public_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    return render(request, "meetings/research.html", _research_context(request, meeting))


def _research_context(request, meeting, bound=None):
    """The research grid. `bound` is (referral id, form) for a hand-over that was not
    valid, shown with its message and the choices made."""
    mine = selectors.research_for_agency(user=request.user, meeting=meeting)
    delegations = selectors.agency_delegations(user=request.user, meeting=meeting)
    colleagues = list(services.delegation_colleagues(by=request.user, meeting=meeting))
    rows = []
    for item, research in mine or []:
        form = None
        returned = research is not None and research.returned_at is not None
        if not returned and item.referral_id not in delegations and meeting.starts_at > timezone.now():
            form = bound[1] if bound and bound[0] == item.referral_id else DelegationForm(colleagues=colleagues, has_slots=not meeting.is_async, prefix=f"delegate-{item.referral_id}")
        rows.append((item, research, delegations.get(item.referral_id), form))
    return {
        "meeting": meeting,
        "mine": rows if mine is not None else None,
        "matrix": selectors.research_matrix(user=request.user, meeting=meeting),
        "to_remind": selectors.agencies_to_remind(user=request.user, meeting=meeting),
        "has_colleagues": bool(colleagues),
        "now": timezone.now(),
    }


@login_required
@require_POST
def research_remind(request, public_id, agency_id):
    """The coordinator's "remind this agency" on the research grid."""
    meeting = _meeting(request, public_id)
    agency = next((a for a in selectors.agencies_to_remind(user=request.user, meeting=meeting) if a.pk == agency_id), None)
    if agency is None and not policy.can_chase_actions(request.user, meeting.marac):
        not_found(request, "accounts.agency", agency_id)
    try:
        if agency is None:
            raise ValidationError("That agency has no research to chase on this case list.")
        services.research_remind(by=request.user, meeting=meeting, agency=agency, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Reminder sent to {agency}. The email carries a link only.")
    return redirect("meetings:research", meeting.public_id)


@login_required
@require_POST
def research_delegate(request, public_id, referral_id):
    """Hand one case's research to the key worker."""
    meeting = _meeting(request, public_id)
    item = selectors.visible_items(user=request.user, meeting=meeting).filter(referral__public_id=referral_id).select_related("referral").first()
    if item is None or not policy.can_do_research(request.user, meeting):
        not_found(request, "referrals.referral", referral_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    referral = item.referral
    colleagues = list(services.delegation_colleagues(by=request.user, meeting=meeting))
    chosen = request.POST.get(f"delegate-{referral.pk}-delegate", "")
    if chosen and chosen not in {str(user.pk) for user in colleagues}:
        # The list offers only colleagues; anyone else is a record this user cannot
        # address, refused like any other.
        not_found(request, "accounts.user", chosen[:32])
    form = DelegationForm(request.POST, colleagues=colleagues, has_slots=not meeting.is_async, prefix=f"delegate-{referral.pk}")
    if form.is_valid():
        try:
            delegation = services.research_delegate(by=request.user, meeting=meeting, referral=referral, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(
                request, f"Case {referral.case.reference}: {delegation.delegate.full_name} has been asked to complete the research and emailed a link."
            )
            return redirect("meetings:research", meeting.public_id)
    return render(request, "meetings/research.html", _research_context(request, meeting, bound=(referral.pk, form)))


@login_required
@require_POST
def research_delegation_withdraw(request, pk):
    delegation = ResearchDelegation.objects.filter(pk=pk).select_related("meeting__marac", "referral__case").first()
    if delegation is None:
        not_found(request, "meetings.researchdelegation", pk)
    meeting = selectors.meeting_for(user=request.user, public_id=delegation.meeting.public_id)
    if meeting is None or not policy.can_do_research(request.user, meeting) or request.user.agency_id != delegation.agency_id:
        not_found(request, "meetings.researchdelegation", pk)
    services.research_delegation_withdraw(by=request.user, delegation=delegation, request=request)
    messages.success(request, f"Case {delegation.referral.case.reference}: the request to {delegation.delegate.full_name} is withdrawn. The research is your agency’s to return.")
    return redirect("meetings:research", meeting.public_id)


@login_required
def delegated_research(request, pk):
    """The key worker's page: the statement, then one case's research form, nothing
    else of the meeting. The page closes when the research is returned or the meeting
    is held."""
    delegation = selectors.delegation_for(user=request.user, pk=pk)
    if delegation is None:
        not_found(request, "meetings.researchdelegation", pk)
    meeting, referral = delegation.meeting, delegation.referral
    action = request.POST.get("action", "")
    context = {"delegation": delegation, "meeting": meeting, "referral": referral}
    if not selectors.has_signed(user=request.user, meeting=meeting):
        if request.method == "POST":
            if request.POST.get("agree") == "yes":
                services.declaration_sign(by=request.user, meeting=meeting, request=request)
                return redirect("meetings:delegated-research", delegation.pk)
            messages.error(request, "Tick the box to agree to the declaration")
        context["statement"] = services.schedule_for(meeting.marac).confidentiality_statement
        return render(request, "meetings/delegated_statement.html", context)
    existing = ResearchReturn.objects.filter(meeting=meeting, referral=referral, agency_id=delegation.agency_id).first()
    form = ResearchForm(request.POST if action in ("return", "save") else None, instance=existing, has_children=referral.children_count > 0)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "no_trace": False}
        version = data.pop("version")
        try:
            services.research_save(by=request.user, meeting=meeting, referral=referral, data=data, submit=action == "return", version=version, request=request)
        except services.ResearchConflict as conflict:
            form.data = form.data.copy()
            form.data["version"] = conflict.current.version
            form.add_error(None, "Someone else from your agency saved research on this case while you were writing. Your text is kept below; check it and save again.")
        else:
            if action == "return":
                messages.success(request, f"Research on case {referral.case.reference} returned. Thank you: this request is now closed.")
                return redirect("core:home")
            messages.success(request, "Research saved; return it when complete.")
            return redirect("meetings:delegated-research", delegation.pk)
    audit.record(action=audit.Action.VIEWED, request=request, obj=referral.case, marac=meeting.marac, summary="Delegated research")
    context.update(
        form=form, form_version=form["version"].value(),
        victim=present_person(referral.case.victim, user=request.user, marac=meeting.marac),
    )
    return render(request, "meetings/delegated_research.html", context)


def _saved_rows(form, research):
    """A colleague's saved research as (label, text) pairs, in the form's order."""
    rows = []
    for field in form.visible_fields():
        value = research.get_details_correct_display() if field.name == "details_correct" and research.details_correct else getattr(research, field.name)
        if value:
            rows.append((field.label, value))
    return rows


def _posted_version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
def research_case(request, public_id, referral_id):
    meeting = _meeting(request, public_id)
    gate = declaration_gate(request, meeting)
    if gate:
        return gate
    item = (
        selectors.visible_items(user=request.user, meeting=meeting).filter(referral__public_id=referral_id)
        .select_related(*selectors.CASE_LIST_RELATED).first()
    )
    if item is None:
        not_found(request, "referrals.referral", referral_id)
    referral = item.referral
    can_research = policy.can_do_research(request.user, meeting)
    form = None
    conflict_with = None
    if can_research:
        existing = ResearchReturn.objects.filter(meeting=meeting, referral=referral, agency_id=request.user.agency_id).first()
        action = request.POST.get("action")
        form = ResearchForm(
            request.POST if action in ("return", "save") else None, instance=existing, has_children=referral.children_count > 0, returning=action == "return"
        )
        if request.method == "POST":
            try:
                if action == "no-trace" and request.POST.get("confirm_no_trace") != "yes":
                    messages.error(request, "Confirm that your agency has checked its records for everyone on the case and holds nothing")
                    return redirect("meetings:research-case", meeting.public_id, referral.public_id)
                if action == "no-trace":
                    version = _posted_version(request)
                    # A post that does not say which version it saw cannot be checked,
                    # so it is treated as stale (-1 matches no version).
                    services.research_save(
                        by=request.user, meeting=meeting, referral=referral, data={"no_trace": True}, submit=True,
                        version=version if version is not None else -1, request=request,
                    )
                    messages.success(request, f"Recorded: {request.user.agency} holds no information on case {referral.case.reference}.")
                    return redirect("meetings:research", meeting.public_id)
                if form.is_valid():
                    data = {**form.cleaned_data, "no_trace": False}
                    version = data.pop("version")
                    services.research_save(
                        by=request.user, meeting=meeting, referral=referral, data=data, submit=action == "return", version=version, request=request,
                    )
                    messages.success(request, "Research returned." if action == "return" else "Research saved; return it when complete.")
                    return redirect("meetings:research", meeting.public_id)
            except ValidationError as error:
                form.add_error(None, error)
            except services.ResearchConflict as conflict:
                conflict_with = conflict.current
                typed = form.is_bound
                if not typed:
                    # "No trace" typed nothing: the form shows what is saved now.
                    form = ResearchForm(
                        model_to_dict(conflict_with, fields=ResearchForm._meta.fields), instance=conflict_with, has_children=referral.children_count > 0
                    )
                # What this person typed stays in the form; saving again after reading
                # the colleague's version is then a deliberate choice.
                form.data = form.data.copy()
                form.data["version"] = conflict_with.version
                form.add_error(
                    None,
                    "Someone else from your agency saved research on this case while you were looking at it. "
                    + ("Your text is kept below; " if typed else "Nothing was recorded; ")
                    + "their saved version is shown under “Saved by your agency”. Check both, then save again.",
                )
    elif request.method == "POST":
        not_found(request, "meetings.researchreturn", referral_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=referral.case, marac=meeting.marac, summary="Research")
    assessment = RiskAssessment.objects.filter(referral=referral).first()
    prompts = prompts_for(
        agency_kind=request.user.agency.kind if request.user.agency else "",
        checklist_answers=assessment.answers if assessment else None,
        children_count=referral.children_count,
    ) if can_research else []
    research_read = selectors.research_on_case_read(user=request.user, meeting=meeting, referral=referral)
    entry, _, (returns,) = selectors.case_screen(user=request.user, meeting=meeting, item=item, also=[research_read])
    context = {
        "meeting": meeting,
        "referral": referral,
        "entry": entry,
        "form": form,
        "prompts": prompts,
        "returns": returns if research_read else None,
        "conflict_with": conflict_with,
        "conflict_rows": _saved_rows(form, conflict_with) if conflict_with else [],
        "form_version": form["version"].value() if form else None,
    }
    return render(request, "meetings/research_case.html", context)


# --- Register and slots ---------------------------------------------------------------


@login_required
def register(request, public_id):
    meeting = _meeting(request, public_id)
    data = selectors.register(user=request.user, meeting=meeting)
    if data is None:
        not_found(request, "meetings.attendance", public_id)
    can_edit = policy.can_take_register(request.user, meeting)
    forms_by_agency = {}
    for row in data["rows"]:
        attendance = row["attendance"]
        # Someone of the agency signed (the police chair, say): present unless changed.
        initial = {"status": Attendance.Status.PRESENT} if row["represented"] else {}
        if attendance:
            initial = {
                "status": attendance.status, "name": attendance.name, "arrived_at": attendance.arrived_at, "left_at": attendance.left_at,
                "information_sent_in_advance": {True: "yes", False: "no"}.get(attendance.information_sent_in_advance, ""),
            }
        prefix = f"agency-{row['link'].agency_id}"
        row["form"] = AttendanceRowForm(request.POST if request.method == "POST" and "save-register" in request.POST else None, prefix=prefix, initial=initial)
        forms_by_agency[row["link"].agency_id] = row["form"]
    observer_form = ObserverForm(request.POST if "add-observer" in request.POST else None)
    if request.method == "POST":
        if not can_edit:
            not_found(request, "meetings.attendance", public_id)
        try:
            if "add-observer" in request.POST and observer_form.is_valid():
                services.attendance_save(
                    by=request.user, meeting=meeting, request=request,
                    rows=[{"is_observer": True, "name": observer_form.cleaned_data["observer_name"], "observer_signed": observer_form.cleaned_data["observer_signed"]}],
                )
                messages.success(request, "Observer added.")
                return redirect("meetings:register", meeting.public_id)
            if "save-register" in request.POST and all(form.is_valid() for form in forms_by_agency.values()):
                rows = []
                for agency_id, form in forms_by_agency.items():
                    cleaned = dict(form.cleaned_data)
                    cleaned["information_sent_in_advance"] = {"yes": True, "no": False}.get(cleaned["information_sent_in_advance"])
                    rows.append({"agency": agency_id, **cleaned})
                services.attendance_save(by=request.user, meeting=meeting, rows=rows, request=request)
                messages.success(request, "Register saved.")
                return redirect("meetings:register", meeting.public_id)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    context = {
        "meeting": meeting, "register": data, "can_edit": can_edit, "observer_form": observer_form,
        "statement": services.schedule_for(meeting.marac).confidentiality_statement,
        # The rows' errors summed up at the top, each naming its agency: the fields
        # themselves may be folded away among a dozen agencies.
        "row_errors": [(row["link"].agency.name, row["form"]) for row in data["rows"] if row["form"].errors],
    }
    return render(request, "meetings/register.html", context)


@login_required
@require_safe
def agency_slots(request, slug):
    marac = marac_or_404(request, slug, lambda u, m: policy.has_role(u, m, *policy.MEETING_ROLES))
    slots = selectors.agency_slots(user=request.user, marac=marac)
    if request.GET.get("format") == "ics":
        audit.record(action=audit.Action.EXPORTED, request=request, record_type="meetings.slots", marac=marac, summary="Agency slots calendar")
        response = HttpResponse(documents.slots_ics(marac, slots, reader=request.user), content_type="text/calendar")
        response["Content-Disposition"] = 'attachment; filename="marac-slots.ics"'
        return response
    return render(request, "meetings/agency_slots.html", {"marac": marac, "slots": slots})
