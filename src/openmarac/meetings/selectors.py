"""Reads for meeting preparation, scoped through the access policy."""

from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.safestring import mark_safe

from openmarac.access import policy
from openmarac.accounts.models import Marac, Membership, Role
from openmarac.core import compiled
from openmarac.people.selectors import present_person
from openmarac.referrals.criteria import referral_clock_start
from openmarac.referrals.models import Case, CaseInvolvement, Referral
from openmarac.referrals.selectors import with_people

from . import display, listing
from .models import AgendaItem, Attendance, DeclarationSignature, Meeting, ResearchDelegation, ResearchReturn
from .services import agencies_missing_research, meeting_loads, pending_listings, researching_agency_ids, schedule_for, upcoming_meetings


def meetings_for(*, user, marac, upcoming=True):
    if not policy.has_role(user, marac, *policy.MEETING_ROLES):
        return Meeting.objects.none()
    meetings = Meeting.objects.filter(marac=marac).annotate(listed=Count("items")).order_by("starts_at")
    if upcoming:
        meetings = meetings.filter(starts_at__gte=timezone.now() - timezone.timedelta(days=1))
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        meetings = meetings.filter(published_at__isnull=False)
    return meetings


def past_meetings_for(*, user, marac):
    """Meetings whose day has gone (those meetings_for leaves out), latest first, for
    their minutes."""
    return meetings_for(user=user, marac=marac, upcoming=False).filter(
        starts_at__lt=timezone.now() - timezone.timedelta(days=1)
    ).order_by("-starts_at")


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
        # Through each item's own case: a case list has 40 items, an agency has been
        # involved in tens of thousands of cases over the years.
        return items.filter(policy.visible_cases_q(user, case="referral__case__"))
    return items.exclude(policy.hidden_case_q(user, "referral__case_id"))


def agenda_items(*, user, meeting):
    """The agenda items the user's role lists, restricted cases included: a restricted
    case keeps its place (and its time slot) on the agenda, shown as "Restricted case"
    to anyone who may not open it. Never use this to open an item: use visible_items."""
    items = meeting.items.all()
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        items = items.filter(policy.agenda_cases_q(user, case="referral__case__"))
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
    # The case reached the Marac's repeat-alert threshold: the chair records a decision.
    repeat_alert: bool = False

    @property
    def html(self):
        """The entry as the case list shows it (meetings/display.py)."""
        return mark_safe(display.case_entry_html(self))


# What each case of the case list is read with.
CASE_LIST_RELATED = ("referral", "referral__case", "referral__referring_agency", "referral__repeat_of")


def case_list(*, user, meeting):
    """The agenda in order, with slots, flags and the people as this user may see them."""
    items = list(agenda_items(user=user, meeting=meeting).select_related(*CASE_LIST_RELATED))
    slots = _slots(meeting, [_agenda_entry(item.pk, item.section, item.listed_at, item.referral.children_count) for item in items])
    return _entries(user=user, meeting=meeting, items={item.pk: item for item in items}, slots=slots)


def case_screen(*, user, meeting, item):
    """One case as the case list shows it (the chair's case screen, a research form), and
    the agenda item heard after it (None after the last). `item` is the agenda item the
    user opened, read through `visible_items` (so never a restricted case hidden from
    them: nothing is read to check again) with `CASE_LIST_RELATED`. The agenda's order is
    read once, as rows of four values, rather than every case with its referral (for
    this case's slot and for the next case)."""
    rows = agenda_items(user=user, meeting=meeting).values_list("pk", "section", "listed_at", "referral__children_count")
    slots = _slots(meeting, [_agenda_entry(*row) for row in rows])
    order = [slot.entry.key for slot in slots]
    position = order.index(item.pk)
    (entry,) = _entries(user=user, meeting=meeting, items={item.pk: item}, slots=[slots[position]], opened=True)
    return entry, (order[position + 1] if position + 1 < len(order) else None)


def _entries(*, user, meeting, items, slots, opened=False):
    """A `CaseListEntry` for each slot, from `items` (by id, with `CASE_LIST_RELATED`);
    `opened` when they were read through `visible_items`, which leaves out every
    restricted case hidden from the user."""
    case_ids = [items[slot.entry.key].referral.case_id for slot in slots]
    if opened:
        hidden = set()
    else:
        hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case_id__in=case_ids).values_list("case_id", flat=True))
    local_start = timezone.localtime(meeting.starts_at)
    repeats = _recent_repeats(meeting, case_ids, local_start.date())
    with_people([items[slot.entry.key].referral for slot in slots if items[slot.entry.key].referral.case_id not in hidden])
    show_sealed = policy.can_see_sealed_values(user, meeting.marac)
    result = []
    for slot in slots:
        item = items[slot.entry.key]
        referral = item.referral
        if referral.case_id in hidden:
            # Its place and slot only: no people, flags or history that could identify it.
            result.append(CaseListEntry(slot=slot, item=item, referral=referral, victim=[], perpetrators=[], children=[], restricted=True))
            continue
        people = referral.people_list

        def shown(role):
            return [
                (rp, present_person(rp.person, user=user, marac=meeting.marac, on=local_start.date(), show_sealed=show_sealed))
                for rp in people
                if rp.role == role
            ]

        flags = []
        if item.added_late:
            flags.append("Added late, after the case list was sent")
        if listing.is_late(referral_clock_start(referral), local_start.date()):
            flags.append("Heard more than 6 weeks after disclosure" if referral.disclosed_on else "Heard more than 6 weeks after referral")
        if slot.over_capacity:
            flags.append(f"Over this meeting’s capacity of {meeting.capacity} cases")
        repeat_alert = repeats.get(referral.case_id, 0) >= meeting.marac.repeat_alert_count
        if repeat_alert:
            flags.append(
                f"Repeat {repeats[referral.case_id]} times in {meeting.marac.repeat_alert_months} months: a different approach is needed "
                "(for example a multi-agency risk management meeting)"
            )
        repeat_of = referral.repeat_of
        result.append(
            CaseListEntry(
                slot=slot, item=item, referral=referral, victim=shown("victim"), perpetrators=shown("perpetrator"), children=shown("child"),
                previous_hearing=(repeat_of.heard_on or repeat_of.referred_on) if repeat_of else None, flags=flags, repeat_alert=repeat_alert,
            )
        )
    return result


def _agenda_entry(pk, section, listed_at, children_count):
    return listing.AgendaEntry(key=pk, section=section, has_children=children_count > 0, listed_at=listed_at)


def _slots(meeting, entries):
    local_start = timezone.localtime(meeting.starts_at)
    return listing.slots(entries, starts_at=local_start, minutes_per_case=meeting.minutes_per_case, capacity=meeting.capacity, timed=not meeting.is_async)


def _recent_repeats(meeting, case_ids, on):
    since = on - relativedelta(months=meeting.marac.repeat_alert_months)
    rows = (
        Referral.objects.filter(case_id__in=case_ids, meets_repeat=True, referred_on__gte=since, referred_on__lte=on)
        .values("case_id")
        .annotate(n=Count("id"))
    )
    return {row["case_id"]: row["n"] for row in rows}


def anniversaries_due(*, user, marac, today=None):
    """Cases due their one review 12 months after the hearing that last listed them,
    offered in a window around that date (`listing.review_window`). Never a case whose
    last hearing was imported history (no meeting here heard it), never one already
    listed for its review, and never again after the review itself. A queryset, so the
    page reads only the rows it shows."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return Case.objects.none()
    earliest, latest = listing.review_window(today or timezone.localdate())
    heard_here = AgendaItem.objects.filter(
        referral__case=OuterRef("pk"), section=AgendaItem.Section.NEW_AND_REPEAT, referral__heard_on=OuterRef("last_heard_on")
    )
    # Listed for review (or reviewed) since the last hearing: the review itself counts.
    reviewed = AgendaItem.objects.filter(
        referral__case=OuterRef("pk"), section=AgendaItem.Section.ANNIVERSARY, meeting__status=Meeting.Status.SCHEDULED,
        meeting__starts_at__date__gte=OuterRef("last_heard_on"),
    )
    return (
        Case.objects.filter(marac=marac, status=Case.Status.OPEN, last_heard_on__gte=earliest, last_heard_on__lte=latest)
        .filter(Exists(heard_here))
        .exclude(Exists(reviewed))
        .annotate(restricted=ExpressionWrapper(policy.hidden_case_q(user, "pk"), output_field=BooleanField()))
        .order_by("last_heard_on", "id")
    )


def awaiting_listing(*, user, marac):
    """Referrals awaiting listing, oldest first: page them, then `listing_rows`."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return Referral.objects.none()
    # A restricted case is still listed by any coordinator, but shown without details.
    hidden = Q(case_id__isnull=False) & policy.hidden_case_q(user, "case_id")
    return (
        Referral.objects.filter(marac=marac, status=Referral.Status.AWAITING_LISTING)
        .select_related("case", "case__victim", "referring_agency")
        .annotate(restricted=ExpressionWrapper(hidden, output_field=BooleanField()))
        .order_by("submitted_at", "id")
    )


@dataclass
class ListingRow:
    referral: Referral
    proposal: listing.Proposal | None
    meeting: Meeting | None
    target: listing.SixWeekTarget
    # The meeting still to be held whose agenda already carries this referral's case.
    listed_elsewhere: Meeting | None = None


def listing_rows(*, marac, page, upcoming=None, today=None):
    """One page of awaiting referrals with the meeting each would be proposed for (one
    of `upcoming`, as `upcoming_meetings` gives them, when the caller has them) and its
    six-week target. Referrals on earlier pages are counted into the meetings' loads
    first, so a page proposes what listing them all in order would."""
    today = today or timezone.localdate()
    upcoming = upcoming_meetings(marac) if upcoming is None else upcoming
    loads = meeting_loads(marac, upcoming)
    meetings = {m.pk: m for m in upcoming}
    lead_days = marac.case_list_lead_days
    for _ in range(page.start_index() - 1 if page.paginator.count else 0):
        loads = listing.advance(loads, listing.propose(referred_on=today, today=today, meetings=loads, lead_days=lead_days))
    rows = []
    pending = pending_listings({referral.case_id for referral in page})
    for referral in page:
        proposal = listing.propose(referred_on=referral.referred_on, today=today, meetings=loads, lead_days=lead_days)
        loads = listing.advance(loads, proposal)
        meeting = meetings.get(proposal.meeting_id) if proposal else None
        rows.append(ListingRow(referral, proposal, meeting, listing.six_week_target(referral.referred_on, today), pending.get(referral.case_id)))
    return rows


def listing_meetings(*, user, marac, upcoming=None, today=None):
    """The meetings a coordinator may choose for a referral instead of the proposed
    one: scheduled, still to come, case list not yet sent (of `upcoming`, as
    `upcoming_meetings` gives them, when the caller has them). Each says whether the
    research window (the case list lead time) has already passed."""
    if not policy.can_prepare_meetings(user, marac):
        return []
    today = today or timezone.localdate()
    upcoming = upcoming_meetings(marac) if upcoming is None else upcoming
    meetings = [meeting for meeting in upcoming if meeting.published_at is None][:12]
    for meeting in meetings:
        meeting.short_notice = research_window_passed(meeting, today=today)
    return meetings


def research_window_passed(meeting, *, today=None):
    """True when a case listed now would leave agencies less than the Marac's lead time
    to research it before the meeting."""
    today = today or timezone.localdate()
    return (timezone.localtime(meeting.starts_at).date() - today).days < meeting.marac.case_list_lead_days


def agencies_to_remind(*, user, meeting):
    """The agencies the coordinator may remind of research on this case list: those
    that have not returned it all, while the case list is out and the meeting to come."""
    from .services import agencies_missing_research

    if not policy.can_chase_actions(user, meeting.marac) or meeting.published_at is None or meeting.status != Meeting.Status.SCHEDULED:
        return []
    return agencies_missing_research(meeting)


@dataclass(frozen=True)
class Readiness:
    """How ready a meeting is: what the chair's home page shows."""

    meeting: Meeting
    cases: int
    research_returned: int
    research_expected: int
    declarations_signed: int


def next_meeting_readiness(*, user, marac):
    """The Marac's next meeting (or one under way today) with its cases, research
    returned of expected (each researching agency on each case) and declarations
    signed; None when no meeting is scheduled. For the coordinator and the chair."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return None
    since = timezone.now() - timezone.timedelta(hours=12)
    meeting = next(iter(Meeting.objects.raw(*compiled.sql(_next_meeting_with_counts, marac_id=marac.pk, since=since))), None)
    if meeting is None:
        return None
    meeting.marac = marac
    expected = meeting.n_cases * meeting.n_agencies if meeting.published_at else 0
    return Readiness(meeting, meeting.n_cases, meeting.n_returned, expected, meeting.n_signed)


def _next_meeting_with_counts(marac_id, since):
    """The meeting with its counts as scalar subqueries: one query, compiled once (the
    ORM took longer to compile the four counts than the database takes to run them)."""
    agencies = researching_agency_ids(Marac(pk=marac_id))
    return (
        Meeting.objects.filter(marac_id=marac_id, status=Meeting.Status.SCHEDULED, starts_at__gte=since)
        .annotate(
            n_cases=_count_of(AgendaItem.objects.filter(meeting=OuterRef("pk"))),
            n_agencies=_count_of(agencies),
            n_returned=_count_of(ResearchReturn.objects.filter(meeting=OuterRef("pk"), agency_id__in=agencies, returned_at__isnull=False)),
            n_signed=_count_of(DeclarationSignature.objects.filter(meeting=OuterRef("pk"))),
        )
        .order_by("starts_at")[:1]
    )


def _count_of(queryset):
    """A scalar subquery: how many rows the queryset has. COUNT as a plain function, not
    an aggregate, so the subquery is not grouped and always gives one row."""
    return Subquery(queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"), output_field=IntegerField())


@dataclass
class MatrixCell:
    status: str  # returned, no_trace, late, missing, in_progress, not_asked
    label: str


def research_matrix(*, user, meeting):
    """Agencies × cases: returned, no trace, late, in progress or missing (not asked yet,
    before the case list is published)."""
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
    # Agencies with nobody to return research or to receive a reminder: the grid says so.
    represented = set(researching_agency_ids(meeting.marac))
    unrepresented = {link.agency_id for link in links if link.agency_id not in represented}
    return {"items": items, "rows": rows, "unrepresented": unrepresented}


def _cell(research, meeting):
    if research is None:
        # Before the case list goes out nobody has been asked: "Missing" in red would blame them.
        return MatrixCell("missing", "Missing") if meeting.published_at else MatrixCell("not_asked", "Not asked yet")
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
    now = timezone.now()
    # The Marac's choice of when research shows can only widen who sees it: read only
    # when the answer without it is no (the chair and coordinator never need it).
    if not policy.can_see_all_research(user, meeting, visible_before_meeting=False, now=now) and not policy.can_see_all_research(
        user, meeting, visible_before_meeting=schedule_for(meeting.marac).research_visible_before_meeting, now=now
    ):
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


# Roles that bring someone into the meeting room for their agency: a police chair or
# an Idva-service coordinator represents their agency as much as its representative.
REPRESENTING_ROLES = (Role.REPRESENTATIVE, Role.IDVA, Role.CHAIR, Role.COORDINATOR)


def register(*, user, meeting):
    """The attendance register: one row per agency, then observers, with who signed.

    Each row says who may speak for the agency (its representatives and anyone of it who
    holds another role at the meeting, such as the police chair), whether it is
    represented (marked present, or someone of it signed the declaration) and whether
    someone marked present has not signed. A constant number of queries."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return None
    return _register(meeting)


def minutes_attendance(*, user, meeting):
    """The register as the minutes open with it: present (with names and late or early),
    apologies (and whether information came in advance), absent, not recorded, observers,
    and the agencies that did not return research on every case."""
    if not policy.can_see_meeting(user, meeting):
        return None
    data = _register(meeting)
    groups = {"present": [], "apologies": [], "absent": [], "not_recorded": []}
    for row in data["rows"]:
        attendance = row["attendance"]
        if row["represented"]:
            groups["present"].append(row)
        elif attendance and attendance.status:
            groups[attendance.status].append(row)
        else:
            groups["not_recorded"].append(row)
    return {**groups, "observers": data["observers"], "research_missing": agencies_missing_research(meeting)}


def _register(meeting):
    recorded = {a.agency_id: a for a in meeting.attendance.filter(is_observer=False)}
    signed = {}
    for signature in meeting.signatures.select_related("user", "user__agency"):
        signed.setdefault(signature.user.agency_id, []).append(signature)
    people = {}
    memberships = Membership.objects.filter(marac=meeting.marac, role__in=REPRESENTING_ROLES, is_active=True).select_related("user").order_by("user__full_name")
    for membership in memberships:
        holders = people.setdefault(membership.user.agency_id, {})
        holders.setdefault(membership.user, []).append(membership.get_role_display().lower())
    rows = []
    for link in meeting.marac.agency_links.filter(is_active=True).select_related("agency").order_by("-is_core", "agency__name"):
        attendance = recorded.get(link.agency_id)
        signatures = signed.get(link.agency_id, [])
        present = attendance is not None and attendance.status == Attendance.Status.PRESENT
        rows.append(
            {
                "link": link,
                "attendance": attendance,
                "representatives": [{"user": person, "roles": roles} for person, roles in people.get(link.agency_id, {}).items()],
                "signatures": signatures,
                "represented": present or (attendance is None and bool(signatures)),
                "present_unsigned": present and not signatures,
            }
        )
    observers = list(meeting.attendance.filter(is_observer=True))
    counts = {status: sum(1 for row in rows if row["attendance"] and row["attendance"].status == status) for status in Attendance.Status.values}
    return {
        "rows": rows,
        "observers": observers,
        "counts": counts,
        "represented": sum(1 for row in rows if row["represented"]),
        "not_recorded": sum(1 for row in rows if not (row["attendance"] and row["attendance"].status)),
        "unsigned": [row["link"].agency for row in rows if row["present_unsigned"]]
        + [observer.name for observer in observers if not observer.observer_signed],
    }


def late_listing_meetings(*, user, marac, upcoming=None):
    """Published meetings still to come with room: where the coordinator may add a late
    high-risk referral (agencies are told it was added late). Of `upcoming`, as
    `upcoming_meetings` gives them, when the caller has them."""
    if not policy.can_prepare_meetings(user, marac):
        return []
    upcoming = upcoming_meetings(marac) if upcoming is None else upcoming
    return [meeting for meeting in upcoming if meeting.published_at is not None and meeting.listed < meeting.capacity]
