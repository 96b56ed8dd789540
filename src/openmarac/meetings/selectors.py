"""Reads for meeting preparation, scoped through the access policy."""

from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, F, OuterRef, Prefetch, prefetch_related_objects
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Membership, Role
from openmarac.people.selectors import present_person
from openmarac.referrals.models import Case, CaseInvolvement, Referral, ReferralPerson

from . import listing
from .models import AgendaItem, DeclarationSignature, Meeting, ResearchDelegation, ResearchReturn
from .services import meeting_loads, proposal_for, schedule_for


def meetings_for(*, user, marac, upcoming=True):
    if not policy.has_role(user, marac, *policy.MEETING_ROLES):
        return Meeting.objects.none()
    meetings = Meeting.objects.filter(marac=marac).annotate(listed=Count("items")).order_by("starts_at")
    if upcoming:
        meetings = meetings.filter(starts_at__gte=timezone.now() - timezone.timedelta(days=1))
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        meetings = meetings.filter(published_at__isnull=False)
    return meetings


def meeting_for(*, user, public_id):
    meeting = Meeting.objects.filter(public_id=public_id).select_related("marac").first()
    if meeting is None or not policy.can_see_meeting(user, meeting):
        return None
    return meeting


def visible_items(*, user, meeting):
    """The meeting's agenda items whose cases the user may still open: an agency's
    access lapses 12 months after a case's last hearing, old case lists included."""
    return _visible(meeting.items.all(), user=user, marac=meeting.marac)


def _visible(items, *, user, marac):
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return items.filter(referral__case__in=Case.objects.filter(policy.visible_cases_q(user)))
    return items.exclude(referral__case_id__in=policy.restricted_case_ids_hidden_from(user))


def agenda_items(*, user, meeting):
    """The agenda items the user's role lists, restricted cases included: a restricted
    case keeps its place (and its time slot) on the agenda, shown as "Restricted case"
    to anyone who may not open it. Never use this to open an item: use visible_items."""
    items = meeting.items.all()
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        items = items.filter(referral__case__in=Case.objects.filter(policy.agenda_cases_q(user)))
    return items


def has_signed(*, user, meeting):
    return DeclarationSignature.objects.filter(meeting=meeting, user=user).exists()


@dataclass
class CaseListEntry:
    slot: listing.Slot
    item: AgendaItem
    referral: Referral
    victim: object
    perpetrators: list
    children: list
    previous_hearing: object = None
    flags: list = field(default_factory=list)
    # A restricted case the user may not open: shown as "Restricted case", nothing more.
    restricted: bool = False


_PEOPLE = Prefetch(
    "referral__people",
    queryset=ReferralPerson.objects.select_related("person").prefetch_related("person__aliases", "person__addresses", "person__phones"),
)


def case_list(*, user, meeting, item_id=None):
    """The agenda in order, with slots, flags and the people as this user may see them;
    with `item_id`, only that case (its slot still follows the whole agenda)."""
    items = list(
        agenda_items(user=user, meeting=meeting).select_related(
            "referral", "referral__case", "referral__referring_agency", "referral__repeat_of"
        )
    )
    by_id = {item.pk: item for item in items}
    hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case_id__in=[item.referral.case_id for item in items]).values_list("case_id", flat=True))
    entries = [
        listing.AgendaEntry(key=item.pk, section=item.section, has_children=item.referral.children_count > 0, listed_at=item.listed_at)
        for item in items
    ]
    local_start = timezone.localtime(meeting.starts_at)
    repeats = _recent_repeats(meeting, [item.referral.case_id for item in items], local_start.date())
    slots = listing.slots(entries, starts_at=local_start, minutes_per_case=meeting.minutes_per_case, capacity=meeting.capacity, timed=not meeting.is_async)
    slots = [slot for slot in slots if item_id is None or slot.entry.key == item_id]
    prefetch_related_objects([by_id[slot.entry.key] for slot in slots if by_id[slot.entry.key].referral.case_id not in hidden], _PEOPLE)
    result = []
    for slot in slots:
        item = by_id[slot.entry.key]
        referral = item.referral
        if referral.case_id in hidden:
            # Its place and slot only: no people, flags or history that could identify it.
            result.append(CaseListEntry(slot=slot, item=item, referral=referral, victim=[], perpetrators=[], children=[], restricted=True))
            continue
        people = list(referral.people.all())

        def shown(role):
            return [(rp, present_person(rp.person, user=user, marac=meeting.marac, on=local_start.date())) for rp in people if rp.role == role]

        flags = []
        if item.added_late:
            flags.append("Added late, after the case list was sent")
        if listing.is_late(referral.referred_on, local_start.date()):
            flags.append("Heard more than 6 weeks after referral")
        if slot.over_capacity:
            flags.append(f"Over this meeting’s capacity of {meeting.capacity} cases")
        if repeats.get(referral.case_id, 0) >= meeting.marac.repeat_alert_count:
            flags.append(
                f"Repeat {repeats[referral.case_id]} times in {meeting.marac.repeat_alert_months} months: a different approach is needed "
                "(for example a multi-agency risk management meeting)"
            )
        repeat_of = referral.repeat_of
        result.append(
            CaseListEntry(
                slot=slot, item=item, referral=referral, victim=shown("victim"), perpetrators=shown("perpetrator"), children=shown("child"),
                previous_hearing=(repeat_of.heard_on or repeat_of.referred_on) if repeat_of else None, flags=flags,
            )
        )
    return result


def _recent_repeats(meeting, case_ids, on):
    since = on - relativedelta(months=meeting.marac.repeat_alert_months)
    rows = (
        Referral.objects.filter(case_id__in=case_ids, meets_repeat=True, referred_on__gte=since, referred_on__lte=on)
        .values("case_id")
        .annotate(n=Count("id"))
    )
    return {row["case_id"]: row["n"] for row in rows}


def anniversaries_due(*, user, marac, within_days=28):
    """Cases whose 12 months since their last hearing fall within the coming weeks and
    that are not yet listed for that review."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return []
    horizon = timezone.localdate() + timezone.timedelta(days=within_days)
    cases = Case.objects.filter(marac=marac, status=Case.Status.OPEN, last_heard_on__lte=horizon - relativedelta(months=12)).select_related("victim")
    listed = set(
        AgendaItem.objects.filter(referral__case__in=cases, section=AgendaItem.Section.ANNIVERSARY, meeting__status="scheduled")
        .filter(meeting__starts_at__date__gt=F("referral__case__last_heard_on"))
        .values_list("referral__case_id", flat=True)
    )
    hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case__marac=marac).values_list("case_id", flat=True))
    due = [case for case in cases if case.pk not in listed]
    for case in due:
        case.restricted = case.pk in hidden
    return due


def awaiting_listing(*, user, marac):
    """Referrals awaiting listing with the meeting each would be proposed for."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return []
    loads = meeting_loads(marac)
    meetings = {m.pk: m for m in Meeting.objects.filter(pk__in=[load.meeting_id for load in loads])}
    rows = []
    referrals = Referral.objects.filter(marac=marac, status=Referral.Status.AWAITING_LISTING).select_related("case", "case__victim", "referring_agency")
    # A restricted case is still listed by any coordinator, but shown without details.
    hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case__marac=marac).values_list("case_id", flat=True))
    for referral in referrals.order_by("submitted_at"):
        referral.restricted = referral.case_id in hidden
        proposal = proposal_for(referral, loads)
        if proposal:
            # Count the proposal in, so the next referral sees the meeting filling up.
            loads = [
                listing.MeetingLoad(l.meeting_id, l.starts_on, l.capacity, l.listed + (l.meeting_id == proposal.meeting_id), l.published) for l in loads
            ]
        rows.append((referral, proposal, meetings.get(proposal.meeting_id) if proposal else None))
    return rows


@dataclass
class MatrixCell:
    status: str  # returned, no_trace, late, missing, in_progress
    label: str


def research_matrix(*, user, meeting):
    """Agencies × cases: returned, no trace, late, in progress or missing."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return None
    items = list(meeting.items.select_related("referral__case").order_by("listed_at"))
    hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case__marac=meeting.marac).values_list("case_id", flat=True))
    for item in items:
        item.restricted = item.referral.case_id in hidden
    links = list(meeting.marac.agency_links.filter(is_active=True).select_related("agency").order_by("agency__name"))
    returns = {(r.agency_id, r.referral_id): r for r in ResearchReturn.objects.filter(meeting=meeting)}
    rows = []
    for link in links:
        cells = []
        for item in items:
            research = returns.get((link.agency_id, item.referral_id))
            cells.append(_cell(research, meeting))
        rows.append((link.agency, cells))
    return {"items": items, "rows": rows}


def _cell(research, meeting):
    if research is None:
        return MatrixCell("missing", "Missing")
    if research.returned_at is None:
        return MatrixCell("in_progress", "Started, not returned")
    if research.returned_at > meeting.research_deadline:
        return MatrixCell("late", "No trace (late)" if research.no_trace else "Returned late")
    return MatrixCell("no_trace", "No trace") if research.no_trace else MatrixCell("returned", "Returned")


def research_for_agency(*, user, meeting):
    """The user's agency's research list: every case on the published agenda."""
    if not policy.can_do_research(user, meeting):
        return None
    returns = {r.referral_id: r for r in ResearchReturn.objects.filter(meeting=meeting, agency_id=user.agency_id)}
    items = visible_items(user=user, meeting=meeting).select_related("referral__case").order_by("listed_at")
    return [(item, returns.get(item.referral_id)) for item in items]


def research_outstanding_by_meeting(*, user, marac, meetings):
    """{meeting id: cases the user's agency has still to return research on}, counted as
    research_for_agency lists them, for meetings of one Marac in one query."""
    meetings = [meeting for meeting in meetings if policy.can_do_research(user, meeting)]
    if not meetings:
        return {}
    returned = ResearchReturn.objects.filter(
        meeting=OuterRef("meeting"), referral=OuterRef("referral"), agency_id=user.agency_id, returned_at__isnull=False
    )
    items = _visible(AgendaItem.objects.filter(meeting__in=meetings), user=user, marac=marac).exclude(Exists(returned))
    return dict(items.values("meeting").annotate(n=Count("pk")).values_list("meeting", "n"))


def agency_delegations(*, user, meeting):
    """The representative's view of research handed to key workers: the standing
    (not withdrawn) request per case of the user's agency."""
    if not policy.can_do_research(user, meeting):
        return {}
    delegations = ResearchDelegation.objects.filter(meeting=meeting, agency_id=user.agency_id, withdrawn_at__isnull=True).select_related("delegate")
    return {d.referral_id: d for d in delegations}


def delegation_for(*, user, pk):
    """A key worker's one research request, while it is live (see the policy)."""
    return (
        ResearchDelegation.objects.filter(policy.live_research_delegations_q(user, now=timezone.now()), pk=pk)
        .select_related("meeting__marac", "referral__case__victim", "agency", "delegated_by")
        .first()
    )


def live_delegations(*, user):
    return (
        ResearchDelegation.objects.filter(policy.live_research_delegations_q(user, now=timezone.now()))
        .select_related("meeting__marac", "referral__case", "delegated_by")
        .order_by("meeting__research_deadline")
    )


def research_on_case(*, user, meeting, referral):
    """Every agency's returned research on a case, when the user may see it."""
    schedule = schedule_for(meeting.marac)
    if not policy.can_see_all_research(user, meeting, visible_before_meeting=schedule.research_visible_before_meeting, now=timezone.now()):
        return None
    return ResearchReturn.objects.filter(meeting=meeting, referral=referral, returned_at__isnull=False).select_related("agency", "returned_by")


def agency_slots(*, user, marac):
    """The slots of cases the user's agency is involved in, on published agendas."""
    if not user.agency_id or not policy.has_role(user, marac, *policy.MEETING_ROLES):
        return []
    involved = set(
        CaseInvolvement.objects.filter(agency_id=user.agency_id, case__marac=marac)
        .exclude(reason=CaseInvolvement.Reason.AGENDA)
        .values_list("case_id", flat=True)
    )
    # Key workers invited for a case's slot: the agency sees whom it is bringing.
    invited = {
        (d.meeting_id, d.referral_id): d.delegate
        for d in ResearchDelegation.objects.filter(
            agency_id=user.agency_id, meeting__marac=marac, invited_to_slot=True, withdrawn_at__isnull=True
        ).select_related("delegate")
    }
    slots = []
    for meeting in meetings_for(user=user, marac=marac).filter(published_at__isnull=False):
        slots += [
            (meeting, entry, invited.get((meeting.pk, entry.referral.pk)))
            for entry in case_list(user=user, meeting=meeting)
            if entry.referral.case_id in involved or (meeting.pk, entry.referral.pk) in invited
        ]
    return slots


def register(*, user, meeting):
    """The attendance register: one row per agency, then observers, with who signed."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return None
    recorded = {a.agency_id: a for a in meeting.attendance.filter(is_observer=False)}
    signed = {}
    for signature in meeting.signatures.select_related("user", "user__agency"):
        signed.setdefault(signature.user.agency_id, []).append(signature)
    representatives = {}
    for membership in Membership.objects.filter(marac=meeting.marac, role=Role.REPRESENTATIVE, is_active=True).select_related("user"):
        representatives.setdefault(membership.user.agency_id, []).append(membership.user)
    rows = []
    for link in meeting.marac.agency_links.filter(is_active=True).select_related("agency").order_by("-is_core", "agency__name"):
        rows.append(
            {
                "link": link,
                "attendance": recorded.get(link.agency_id),
                "representatives": representatives.get(link.agency_id, []),
                "signatures": signed.get(link.agency_id, []),
            }
        )
    return {"rows": rows, "observers": list(meeting.attendance.filter(is_observer=True))}


def late_listing_meetings(*, user, marac):
    """Published meetings still to come with room: where the coordinator may add a late
    high-risk referral (agencies are told it was added late)."""
    if not policy.can_prepare_meetings(user, marac):
        return []
    meetings = (
        Meeting.objects.filter(marac=marac, status=Meeting.Status.SCHEDULED, published_at__isnull=False, starts_at__gt=timezone.now())
        .annotate(listed=Count("items"))
        .order_by("starts_at")
    )
    return [meeting for meeting in meetings if meeting.listed < meeting.capacity]
