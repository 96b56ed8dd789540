"""Referral intake pages: the referral form (referrers), the case page (coordinator,
chair, involved agencies), the Idva referral, the children's social care prompt and
the information-sharing record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from openmarac.access import policy
from openmarac.actions.selectors import open_repeat_decisions
from openmarac.actions import selectors as action_selectors
from openmarac.accounts.models import Role
from openmarac.audit import display as audit_display
from openmarac.audit import selectors as audit_selectors
from openmarac.audit import services as audit
from openmarac.core import compiled
from openmarac.core.forms import apply_validation_error
from openmarac.core.pagination import paginate, paginate_search
from openmarac.core.views import not_found
from openmarac.people.selectors import present_person
from openmarac.records import selectors as record_selectors
from openmarac.risk import definitions
from openmarac.risk import display as risk_display
from openmarac.risk import selectors as risk_selectors

from . import display
from . import forms as f
from . import restriction, selectors, services, transfer, wizard
from .models import MatchCandidate, Referral, ReferralPerson

# --- Making a referral ----------------------------------------------------------------


@login_required
@require_safe
def my_referrals(request):
    referrals = selectors.referrals_made_by(user=request.user)
    can_refer = bool(policy.referring_maracs(request.user))
    if not can_refer and not referrals:
        not_found(request, "referrals.referral", "list")
    context = {"page": paginate(request, referrals), "can_refer": can_refer, "today": timezone.localdate()}
    return render(request, "referrals/my_referrals.html", context)


# --- Finding a case ---------------------------------------------------------------------

_SEARCH_FIELDS = ("q", "date_of_birth_day", "date_of_birth_month", "date_of_birth_year")


@login_required
@require_safe
def case_search(request):
    """Find a case the user may open by name, reference or date of birth. Audited as a
    view of the Marac's cases with how many were found, never with the words searched
    for: they may be a victim's name, and the audit trail keeps them for ever."""
    maracs = policy.case_search_maracs(request.user)
    if not maracs:
        not_found(request, "referrals.case", "search")
    searched = any(name in request.GET for name in _SEARCH_FIELDS)
    form = f.CaseSearchForm(request.GET if searched else None)
    page = None
    if searched and form.is_valid():
        terms = form.terms()
        results = selectors.case_search(user=request.user, **terms)
        page = paginate_search(request, results)
        # One Marac (the usual case): its count is the total, with no query of its own.
        counts = {maracs[0].pk: page.paginator.count} if len(maracs) == 1 else selectors.case_search_counts(results)
        by = " or ".join(label for label, key in (("name", "names"), ("case reference", "reference"), ("date of birth", "date_of_birth")) if terms[key])
        for marac in maracs:
            found = counts.get(marac.pk, 0)
            audit.record(
                action=audit.Action.VIEWED, request=request, record_type="referrals.case", marac=marac,
                summary=f"Case search by {by}: {found} case{'' if found == 1 else 's'} found",
            )
        today = timezone.localdate()
        for case in page:
            case.search_status = selectors.case_search_status(case, today)
    context = {"form": form, "page": page, "maracs": maracs}
    return render(request, "referrals/search.html", context)


@login_required
def start(request):
    maracs = policy.referring_maracs(request.user)
    if not maracs:
        not_found(request, "referrals.referral", "new")
    if request.method == "POST":
        marac = next((m for m in maracs if m.slug == request.POST.get("marac")), None)
        if marac is None and len(maracs) == 1:
            marac = maracs[0]
        if marac is not None:
            referral = Referral.objects.create(marac=marac, referrer=request.user)
            audit.record(action=audit.Action.CREATED, request=request, obj=referral, marac=marac, summary="Draft started")
            return redirect("referrals:step", referral.public_id, "referrer")
        messages.error(request, "Choose the Marac to refer to")
    return render(request, "referrals/start.html", {"maracs": maracs})


@login_required
def step(request, public_id, slug):
    referral = selectors.draft_for(user=request.user, public_id=public_id)
    if referral is None:
        not_found(request, "referrals.referral", public_id)
    steps = wizard.steps_for(referral)
    slugs = [s.slug for s in steps]
    if slug not in slugs:
        not_found(request, "referrals.referral", f"{public_id} step {slug}"[:64])
    action = request.POST.get("action", "continue")
    if request.method == "POST":
        wizard.store(referral, slug, request.POST)
        if action == "save":
            messages.success(request, "Your referral has been saved as a draft. You can come back to it from Your referrals.")
            return redirect("referrals:mine")
        if action in {"add-perpetrator", "add-child"}:
            wizard.add_blank_form(referral, slug, "perpetrator" if action == "add-perpetrator" else "child")
            return redirect("referrals:step", referral.public_id, slug)
        prefix, _, index = action.rpartition("-remove-")
        if index.isdigit() and {"perpetrator": "perpetrators", "child": "children"}.get(prefix) == slug:
            wizard.remove_form(referral, slug, prefix, int(index))
            return redirect("referrals:step", referral.public_id, slug)
        form = wizard.form_for(referral, slug)
        if form.is_valid():
            steps = wizard.steps_for(referral)  # consent may have added the sharing page
            slugs = [s.slug for s in steps]
            if request.GET.get("return") == "check" or slug == slugs[-1]:
                return redirect("referrals:check", referral.public_id)
            return redirect("referrals:step", referral.public_id, slugs[slugs.index(slug) + 1])
    else:
        form = wizard.form_for(referral, slug, user=request.user)
        if slug in referral.draft:
            form.is_valid()  # show what was wrong when the referrer left this page
    index = slugs.index(slug)
    context = {
        "referral": referral,
        "form": form,
        "step": steps[index],
        "step_number": index + 1,
        "step_count": len(steps),
        "previous": steps[index - 1] if index else None,
        "score_so_far": _score_so_far(referral, page=slug) if slug.startswith(("checklist-", "judgement")) else None,
    }
    return render(request, f"referrals/steps/{_template(slug)}.html", context)


def _template(slug):
    if slug.startswith("checklist-"):
        return "checklist"
    if slug in {"perpetrators", "children"}:
        return "repeating"
    return "form"


def _score_so_far(referral, page):
    """The score from the answers saved so far, and from the other pages alone: the
    page's script adds this page's ticks to the latter as they are made (the server
    still counts the score when the referral is recorded)."""
    answers, elsewhere = {}, {}
    for step in wizard.steps_for(referral):
        if step.slug.startswith("checklist-"):
            form = wizard.form_for(referral, step.slug)
            if form.is_valid():
                answers.update(form.answers())
                if step.slug != page:
                    elsewhere.update(form.answers())
    definition = wizard.definition_for(referral)
    return {
        "score": definitions.score(definition, answers),
        "elsewhere": definitions.score(definition, elsewhere),
        "scored_answer": definition.scored_answer,
        "threshold": referral.marac.visible_high_risk_threshold,
    }


@login_required
def check(request, public_id):
    referral = selectors.draft_for(user=request.user, public_id=public_id)
    if referral is None:
        not_found(request, "referrals.referral", public_id)
    problems = {}
    incomplete = wizard.first_incomplete(referral)
    if request.method == "POST" and incomplete is None:
        try:
            services.referral_record(marac=referral.marac, data=wizard.referral_data(referral), by=request.user, referral=referral, request=request)
        except ValidationError as error:
            problems = error.message_dict
        else:
            return redirect("referrals:sent", referral.public_id)
    headline = services.referral_headline(marac=referral.marac, data=wizard.referral_data(referral)) if incomplete is None else None
    context = {"referral": referral, "sections": wizard.summary(referral), "incomplete": incomplete, "problems": problems, "headline": headline}
    return render(request, "referrals/check.html", context)


@login_required
@require_safe
def sent(request, public_id):
    referral = selectors.referral_for_referrer(user=request.user, public_id=public_id)
    if referral is None or referral.status == Referral.Status.DRAFT:
        not_found(request, "referrals.referral", public_id)
    idva_referral = getattr(referral, "idva_referral", None)
    context = {"referral": referral, "idva_in_openmarac": bool(services.idva_users_for(idva_referral))}
    return render(request, "referrals/sent.html", context)


@login_required
@require_safe
def referral_outcome(request, public_id):
    """What a referrer may see of a referral they made: its progress and any feedback."""
    referral = selectors.referral_for_referrer(user=request.user, public_id=public_id)
    if referral is None:
        not_found(request, "referrals.referral", public_id)
    if referral.status == Referral.Status.DRAFT:
        return redirect("referrals:check", referral.public_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=referral, marac=referral.marac, summary="Outcome")
    context = {
        "referral": referral,
        "concerns": referral.quality_concerns.all(),
        "can_reassess": referral.case_id is not None and policy.can_reassess_risk(request.user, referral.case),
        "hearing": action_selectors.referrer_outcome(referral=referral),
        # A referrer has no actions page of their own; those who attend the meetings do.
        "sees_agency_actions": policy.has_role(request.user, referral.marac, *policy.MEETING_ROLES),
        "today": timezone.localdate(),
    }
    return render(request, "referrals/outcome.html", context)


@login_required
@require_safe
def match_queue(request, slug):
    """Possible matches awaiting the coordinator, one row per referral; each is decided
    on its case page."""
    marac = selectors.marac_by_slug(slug)
    if marac is None or not policy.can_decide_matches(request.user, marac):
        not_found(request, "referrals.matchcandidate", f"queue {slug}")
    audit.record(action=audit.Action.VIEWED, request=request, record_type="referrals.matchcandidate", marac=marac, summary="Possible matches to confirm")
    page = paginate(request, selectors.match_queue(user=request.user, marac=marac))
    known = selectors.match_queue_known_cases(user=request.user, marac=marac, page=page)
    for row in page:
        row["known_in"] = known.get(row["referral_id"], [])
    return render(request, "referrals/match_queue.html", {"marac": marac, "page": page})


# --- The case -----------------------------------------------------------------------------


@login_required
@require_safe
def case(request, public_id):
    case = selectors.case_for(user=request.user, public_id=public_id)
    if case is None:
        not_found(request, "referrals.case", public_id)
    if str(case.public_id) != str(public_id):
        return redirect("referrals:case", case.public_id)
    audit.record(action=audit.Action.VIEWED, request=request, obj=case, marac=case.marac)
    user, marac = request.user, case.marac
    can_decide = policy.can_decide_matches(user, marac)
    # Asked once for everyone on the page, not once a person.
    show_sealed = policy.can_see_sealed_values(user, marac)
    # The page's reads compiled once (core/compiled.py) run together: on PostgreSQL one
    # round trip for the ten or so (the referrals and their agenda items, the four of the
    # people, the people offered for correction), not one for each, each a wait for the
    # server on a busy machine.
    reassess = policy.reassess_read(user, case)
    can_correct = policy.can_correct_person(user, marac)
    parts_rows, *read = compiled.read_together(
        selectors.case_parts_read(case=case),
        *selectors.case_episodes_reads(case=case),
        *selectors.case_people_reads(case=case),
        risk_selectors.score_history_read(case=case),
        action_selectors.open_repeat_decisions_read(case_id=case.pk),
        *([record_selectors.correctable_people_read(case=case)] if can_correct else []),
        *([reassess] if reassess else []),
    )
    episodes_read, people_rows, (score_rows, repeat_rows), optional = read[:2], read[2:6], read[6:8], read[8:]
    correctable_people = optional.pop(0) if can_correct else []
    reassess_rows = optional
    # Quality concerns, matches in other Maracs, possible matches, the restriction and
    # corrections are read (and looked at) only when the case has some.
    parts = selectors.case_parts(case=case, rows=parts_rows)
    referrals, agenda_items = selectors.case_episodes(read=episodes_read, parts=parts, with_candidates=can_decide)
    selectors.with_case_people(referrals, case=case, rows=people_rows)
    # Every checklist of the case, oldest first; each referral's own is the latest made
    # with it (every checklist belongs to its referral's case, risk.models), as its
    # `risk_assessments` (newest first) would give it.
    risk_rows = risk_selectors.score_history(case=case, rows=score_rows)
    latest_checklist = {row.assessment.referral_id: row.assessment for row in risk_rows if row.assessment.referral_id}
    # A possible match in a restricted case the user may not open is not shown: it would
    # name that case's people. Coordinators named on it see the match. Read only when
    # there is a possible match to show.
    candidate_ids = {c.candidate_id for r in referrals for c in r.match_candidates.all()} if can_decide and parts["candidates"] else set()
    hidden_people = restriction.people_of_hidden_cases(user=user, marac=marac) if candidate_ids else set()
    # Which case each known person is in, so the coordinator knows what a "same person"
    # would join (nothing to read when there is no possible match).
    known = selectors.known_cases(user=user, marac=marac, person_ids=candidate_ids) if candidate_ids else {}
    episodes = []
    for referral in referrals:
        people = _people_by_role(referral, user=user, marac=marac, on=referral.referred_on, show_sealed=show_sealed)
        assessment = latest_checklist.get(referral.pk)
        episodes.append(
            {
                "referral": referral,
                "items": agenda_items.get(referral.pk, []),
                "people": people,
                "assessment": assessment,
                "yes_factors": _yes_factors(assessment),
                # Possible matches are other cases' people: for the coordinator deciding them.
                "candidates": [
                    (candidate, present_person(candidate.candidate, user=user, marac=marac, show_sealed=show_sealed), known.get(candidate.candidate_id, ""))
                    for candidate in referral.match_candidates.all()
                    if candidate.candidate.marac_id == marac.pk and candidate.candidate_id not in hidden_people
                ]
                if candidate_ids
                else [],
            }
        )
    sees_unpublished_minutes, now = policy.can_see_unpublished_minutes(user, marac), timezone.now()
    # Which Idva referrals to link, read only when the case has one (each referral's is
    # read with it: `hasattr` asks nothing of the database).
    has_idva_referral = any(hasattr(referral, "idva_referral") for referral in referrals)
    openable_idva = selectors.openable_idva_referral_ids(user=user, case=case) if has_idva_referral else set()
    for episode in episodes:
        episode["head"], episode["tail"] = display.episode_parts(
            episode, case=case, parts=parts, can_decide=can_decide, sees_unpublished_minutes=sees_unpublished_minutes, now=now,
            openable_idva_referrals=openable_idva,
        )
    # Read once: the restriction for the banner and for who may change it.
    restricted = restriction.restriction_for(user=user, case=case) if parts["restricted"] else None
    context = {
        "case": case,
        "parts": parts,
        "episodes": episodes,
        "risk_rows": risk_rows,
        "risk_sparkline": risk_display.sparkline(risk_rows, threshold=marac.visible_high_risk_threshold),
        "can_reassess": policy.can_reassess_risk(user, case, rows=reassess_rows[0] if reassess else None),
        "can_decide": can_decide,
        "viewers": (viewers := audit_display.viewers_page(request, audit_selectors.viewers_of(user=user, marac=marac, obj=case))),
        "viewer_rows": audit_display.viewer_rows(viewers),
        "corrections": record_selectors.corrections_for_case(user=user, case=case) if parts["corrected"] else [],
        "correctable_people": correctable_people,
        "restriction": restricted,
        "can_restrict": policy.can_manage_restriction(user, case, restriction=restricted),
        # Break-glass access is shown only on the restricted-case banner.
        "break_glass": restriction.live_grant(user=user, case=case) if restricted else None,
        "open_decisions": open_repeat_decisions(case=case, ids=repeat_rows),
        "pending_transfer": selectors.pending_transfer(case=case) if parts["transfer_pending"] else None,
        # The transfer page is the coordinators' (transfer.transfer_for).
        "can_open_transfer": policy.has_role(user, marac, Role.COORDINATOR),
    }
    return render(request, "referrals/case.html", context)


def _people_by_role(referral, *, user, marac, on=None, show_sealed=None):
    """{role: [(referral person, what this user may see of them)]} for one referral."""
    return {
        role: [(rp, present_person(rp.person, user=user, marac=marac, on=on, show_sealed=show_sealed)) for rp in selectors.people_of(referral, role)]
        for role in ReferralPerson.Role.values
    }


def _yes_factors(assessment):
    if assessment is None or not assessment.answers:
        return []
    return definitions.yes_risk_factors(assessment.definition, assessment.answers)


@login_required
@require_POST
def match_decision(request, public_id, pk):
    case = selectors.case_for(user=request.user, public_id=public_id)
    candidate = MatchCandidate.objects.filter(pk=pk, referral__case=case).select_related("referral", "referral__marac", "referral__case").first() if case else None
    if candidate is None or not policy.can_decide_matches(request.user, case.marac):
        not_found(request, "referrals.matchcandidate", pk)
    form = f.MatchDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.match_decide(by=request.user, candidate=candidate, same_person=form.cleaned_data["same_person"] == "yes", request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            candidate.referral.refresh_from_db()
            referral = candidate.referral
            # Confirming can move the referral into the known person's case, and the page
            # that follows is that case's: say why the reference changed.
            moved = referral.case_id != case.pk
            which = f"The referral of {referral.referred_on:%-d %B %Y}" if referral.referred_on else "The referral"
            messages.success(
                request,
                "Decision recorded."
                + (f" {which} is now part of case {referral.case.reference}, with this person’s earlier referrals." if moved else "")
                + (" This referral is a repeat." if referral.meets_repeat else ""),
            )
        return redirect("referrals:case", candidate.referral.case.public_id)
    messages.error(request, "Choose whether this is the same person")
    return redirect("referrals:case", case.public_id)


@login_required
def quality_concern(request, public_id):
    referral = Referral.objects.filter(public_id=public_id, case__isnull=False).select_related("marac", "case").first()
    if referral is None or not policy.can_decide_matches(request.user, referral.marac):
        not_found(request, "referrals.referral", public_id)
    form = f.QualityConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.quality_concern_raise(by=request.user, referral=referral, request=request, **form.cleaned_data)
        messages.success(request, "Quality concern recorded. The referring agency has been told; the case goes forward.")
        return redirect("referrals:case", referral.case.public_id)
    return render(request, "referrals/quality_concern.html", {"referral": referral, "form": form})


# --- What a referral sets in motion ----------------------------------------------------


@login_required
@require_safe
def idva_referrals(request, slug):
    """The Idva service's open Idva referrals, a page at a time with their total: once
    first contact is made an Idva referral leaves the home page, and is found here."""
    marac = selectors.marac_by_slug(slug)
    if marac is None or not policy.can_list_idva_referrals(request.user, marac):
        not_found(request, "referrals.idvareferral", f"list {slug}")
    audit.record(action=audit.Action.VIEWED, request=request, record_type="referrals.idvareferral", marac=marac, summary="Open Idva referrals")
    page = paginate(request, selectors.open_idva_referrals(user=request.user, marac=marac))
    return render(request, "referrals/idva_referrals.html", {"marac": marac, "page": page, "now": timezone.now()})


@login_required
def idva_referral(request, pk):
    item = selectors.idva_referral_for(user=request.user, pk=pk)
    if item is None:
        not_found(request, "referrals.idvareferral", pk)
    marac = item.referral.marac
    form = f.ContactAttemptForm(request.POST or None, initial={"attempted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST" and form.is_valid():
        try:
            services.idva_contact_record(by=request.user, idva_referral=item, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Contact attempt recorded.")
            return redirect("referrals:idva-referral", item.pk)
    audit.record(action=audit.Action.VIEWED, request=request, obj=item, marac=marac)
    victim = present_person(item.referral.case.victim, user=request.user, marac=marac)
    context = {
        "item": item, "victim": victim, "form": form, "now": timezone.now(),
        "told_hearings": action_selectors.hearings_to_tell_victim(user=request.user, referral=item.referral),
    }
    return render(request, "referrals/idva_referral.html", context)


@login_required
def children_prompt(request, pk):
    prompt = selectors.children_prompt_for(user=request.user, pk=pk)
    if prompt is None:
        not_found(request, "referrals.childrenreferralprompt", pk)
    form = f.ChildrenPromptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.children_prompt_confirm(by=request.user, prompt=prompt, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Children’s social care referral confirmed.")
            return redirect("core:home")
    audit.record(action=audit.Action.VIEWED, request=request, obj=prompt, marac=prompt.referral.marac)
    children = [
        (rp, present_person(rp.person, user=request.user, marac=prompt.referral.marac))
        for rp in prompt.referral.people.filter(role=ReferralPerson.Role.CHILD).select_related("person")
    ]
    return render(request, "referrals/children_prompt.html", {"prompt": prompt, "children": children, "form": form})


@login_required
def agency_check(request, pk):
    """The referring agency's Marac representative checks a referral, adds what is
    missing and sends it on; the coordinator sees the result."""
    check = selectors.agency_check_for(user=request.user, pk=pk)
    if check is None:
        not_found(request, "referrals.agencycheck", pk)
    can_complete = check.is_open and policy.can_complete_agency_check(request.user, check)
    if request.method == "POST" and not can_complete:
        not_found(request, "referrals.agencycheck", pk)
    form = f.AgencyCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agency_check_complete(by=request.user, check=check, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Sent on to the coordinator.")
            return redirect("core:home")
    audit.record(action=audit.Action.VIEWED, request=request, obj=check, marac=check.referral.marac)
    (referral,) = selectors.with_people([check.referral])
    context = {
        "check": check,
        "referral": referral,
        "form": form if can_complete else None,
        "people": _people_by_role(referral, user=request.user, marac=referral.marac),
    }
    return render(request, "referrals/agency_check.html", context)


@login_required
def sharing_decision(request, pk):
    decision = selectors.sharing_decision_for(user=request.user, pk=pk)
    if decision is None:
        not_found(request, "referrals.sharingdecision", pk)
    log_form = f.SharingLogForm(request.POST if request.POST.get("action") == "log" else None)
    review_form = f.SharingReviewForm(request.POST if request.POST.get("action") == "review" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "log" and log_form.is_valid():
                services.sharing_log_add(by=request.user, decision=decision, request=request, **log_form.cleaned_data)
                messages.success(request, "Added to the sharing log.")
                return redirect("referrals:sharing", decision.pk)
            if request.POST.get("action") == "review" and review_form.is_valid():
                services.sharing_review_complete(by=request.user, decision=decision, request=request, **review_form.cleaned_data)
                messages.success(request, "Review recorded.")
                return redirect("referrals:sharing", decision.pk)
        except ValidationError as error:
            apply_validation_error(review_form if request.POST.get("action") == "review" else log_form, error)
    audit.record(action=audit.Action.VIEWED, request=request, obj=decision, marac=decision.referral.marac)
    context = {"decision": decision, "log_form": log_form, "review_form": review_form}
    return render(request, "referrals/sharing.html", context)


# --- Moving area ------------------------------------------------------------------------


@login_required
def transfer_request(request, public_id):
    case = selectors.case_for(user=request.user, public_id=public_id)
    if case is None or not policy.has_role(request.user, case.marac, Role.COORDINATOR):
        not_found(request, "referrals.case", public_id)
    form = f.TransferForm(request.POST or None, exclude=case.marac)
    if request.method == "POST" and form.is_valid():
        try:
            transfer.transfer_request(by=request.user, case=case, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Transfer requested. The {form.cleaned_data['to_marac']} coordinator has been asked to accept it.")
            return redirect("referrals:case", case.public_id)
    return render(request, "referrals/transfer_request.html", {"case": case, "form": form})


@login_required
def transfer_detail(request, pk):
    item = transfer.transfer_for(user=request.user, pk=pk)
    if item is None:
        not_found(request, "referrals.casetransfer", pk)
    can_decide = item.status == item.Status.PENDING and policy.has_role(request.user, item.to_marac, Role.COORDINATOR)
    if request.method == "POST" and not can_decide:
        not_found(request, "referrals.casetransfer", pk)
    handover = transfer.handover_for(item) if item.status == item.Status.PENDING else None
    form = f.TransferDecisionForm(
        request.POST or None, actions=handover.actions if can_decide else (), agencies=transfer.receiving_agencies(item.to_marac)
    )
    if request.method == "POST" and form.is_valid():
        try:
            transfer.transfer_decide(
                by=request.user, transfer=item, accept=form.cleaned_data["decision"] == "accept", note=form.cleaned_data["note"],
                owners=form.owners(), request=request,
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            item.refresh_from_db()
            if item.status == item.Status.ACCEPTED:
                messages.success(request, f"Case accepted into {item.to_marac.name}, with its history and its open safety work.")
                return redirect("referrals:case", item.case.public_id)
            messages.success(request, "Transfer declined. The sending coordinator has been told.")
            return redirect("core:home")
    audit.record(action=audit.Action.VIEWED, request=request, obj=item, marac=item.to_marac)
    context = {
        "transfer": item,
        "form": form if can_decide else None,
        "handover": handover,
        "ended_actions": transfer.actions_ended(item) if item.status == item.Status.ACCEPTED else [],
        # Warned before accepting: the restriction moves with the case.
        "restricted": item.status == item.Status.PENDING and transfer.restriction_in_force(item) is not None,
        # Linked only for those who may open it (a link to a 404 helps nobody); the
        # reference of a restricted case is not shown to those it is hidden from.
        "case": (case := selectors.case_for(user=request.user, public_id=item.case.public_id)),
        "reference_hidden": case is None and policy.is_restricted_for(request.user, item.case),
    }
    return render(request, "referrals/transfer.html", context)


@login_required
@require_safe
def transfer_bundle(request, public_id):
    case = selectors.case_for(user=request.user, public_id=public_id)
    if case is None or not policy.has_role(request.user, case.marac, Role.COORDINATOR):
        not_found(request, "referrals.case", public_id)
    response = JsonResponse(transfer.case_bundle(by=request.user, case=case, request=request), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="case-{case.reference}-transfer.json"'
    return response
