"""The demo's meetings: the pattern's meetings ahead, one meeting three weeks ago with
its register, research, minutes and an action plan holding actions in every state, and
the meetings that heard the demo's past cases with their registers, so every screen has
something in it at `make run`."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Role, User
from openmarac.actions import services as action_services
from openmarac.actions.models import Action, ActionKind
from openmarac.meetings import listing
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import Attendance, DeclarationSignature, Meeting
from openmarac.referrals.models import Referral
from openmarac.referrals.services import referral_record

from .referrals import ReferralGenerator, as_made_by, dated_as_referred

PAST_MEETING_DAYS_AGO = 21
# The first meeting the demo makes leaves the case list's lead time and this many days
# more, so no case list goes out as the demo loads with its research due within hours.
FIRST_MEETING_EXTRA_DAYS = 3


def _first_meeting_on(marac, today):
    """The first pattern date far enough ahead, for a Marac with no meetings yet."""
    if Meeting.objects.filter(marac=marac, pattern_date__isnull=False).exists():
        return None
    schedule = meeting_services.schedule_for(marac)
    earliest = today + timedelta(days=marac.case_list_lead_days + FIRST_MEETING_EXTRA_DAYS)
    return next(
        listing.pattern_dates(cadence=marac.meeting_cadence, first_on_or_after=earliest, weekday=schedule.weekday, until=earliest + timedelta(days=62)),
        None,
    )


def _register(marac, rng):
    """One register's rows: every active agency of the Marac, most present, a few
    sending apologies (usually with their information) and the odd one absent."""
    rows = []
    for link in marac.agency_links.filter(is_active=True).select_related("agency").order_by("agency__name"):
        status = rng.choices([Attendance.Status.PRESENT, Attendance.Status.APOLOGIES, Attendance.Status.ABSENT], [8, 1 if link.is_core else 3, 1 if link.is_core else 3])[0]
        rows.append({"agency": link.agency_id, "status": status, "information_sent_in_advance": rng.random() < 0.8 if status == Attendance.Status.APOLOGIES else None})
    return rows


def _held_meeting(marac, schedule, day):
    starts_at = timezone.make_aware(datetime.combine(day, schedule.start_time))
    return Meeting(
        marac=marac, starts_at=starts_at, location=schedule.location, capacity=schedule.capacity, minutes_per_case=marac.minutes_per_case,
        research_deadline=meeting_services.research_deadline_for(starts_at, schedule, schedule.mode),
        published_at=starts_at - timedelta(days=marac.case_list_lead_days), minutes_published_at=starts_at + timedelta(days=1),
    )


def history_meetings(*, marac, seed=2025):
    """A held meeting, with its register, for each day the demo's imported past cases were
    heard: the governance page's attendance figures for past quarters. Bulk-written, as
    the history is."""
    days = sorted(
        set(Referral.objects.filter(marac=marac, heard_on__lt=timezone.localdate(), agenda_items__isnull=True).values_list("heard_on", flat=True))
        - {timezone.localtime(at).date() for at in Meeting.objects.filter(marac=marac).values_list("starts_at", flat=True)}
    )
    schedule = meeting_services.schedule_for(marac)
    rng = random.Random(seed)
    meetings = Meeting.objects.bulk_create(_held_meeting(marac, schedule, day) for day in days)
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, agency_id=row["agency"], status=row["status"], information_sent_in_advance=row["information_sent_in_advance"])
        for meeting in meetings
        for row in _register(marac, rng)
    )
    return meetings


def _by_role(marac, role, agency_kind=None):
    users = User.objects.filter(memberships__marac=marac, memberships__role=role)
    if agency_kind:
        users = users.filter(agency__kind=agency_kind)
    return users.select_related("agency").first()


def demo_meetings(*, marac, seed=2027):
    """Meetings from the pattern (idempotent), and the past meeting once. Returns the
    past meeting when it was made now, else None."""
    meeting_services.meetings_generate(marac=marac, first_on=_first_meeting_on(marac, timezone.localdate()))
    if Meeting.objects.filter(marac=marac, starts_at__lt=timezone.now(), items__isnull=False).exists():
        return None
    history_meetings(marac=marac, seed=seed)
    coordinator, chair, idva = _by_role(marac, Role.COORDINATOR), _by_role(marac, Role.CHAIR), _by_role(marac, Role.IDVA)
    housing, childrens = _by_role(marac, Role.REPRESENTATIVE, AgencyKind.HOUSING), _by_role(marac, Role.REPRESENTATIVE, AgencyKind.CHILDRENS_SOCIAL_CARE)
    referrer = _by_role(marac, Role.REFERRER)
    agencies = {link.agency.kind: link.agency for link in marac.agency_links.select_related("agency")}
    held_on = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=PAST_MEETING_DAYS_AGO)

    # Made ahead of time, as it was; then moved to its real date three weeks ago.
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=30))
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=held_on, research_deadline=held_on - timedelta(days=2))
    meeting.refresh_from_db()
    data = ReferralGenerator(seed=seed).referral(
        marac=marac, referring_agency=agencies.get(AgencyKind.POLICE), referred_on=held_on.date() - timedelta(days=16), children=2, review_owner=referrer
    )
    as_made_by(data, referrer)
    referral = referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    # Before the meeting: not "started today, heard three weeks ago" in the referrer's list.
    dated_as_referred(referral)
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=None, meeting=meeting)
    DeclarationSignature.objects.bulk_create(
        DeclarationSignature(meeting=meeting, user=user, statement="Demo") for user in {coordinator, chair, idva, housing, childrens} if user
    )
    # Signed on the day, as they were: a signature dated today would not count as attending.
    DeclarationSignature.objects.filter(meeting=meeting).update(signed_at=held_on - timedelta(minutes=30))
    meeting_services.research_save(
        by=housing, meeting=meeting, referral=referral, submit=True,
        data={"details_correct": "yes", "last_contact": "Tenancy officer visit a week before the meeting", "facts": "Two noise reports"},
    )
    meeting_services.research_save(by=childrens, meeting=meeting, referral=referral, data={"no_trace": True}, submit=True)

    # The register, taken on the day: the minutes open with it and governance counts it.
    meeting_services.attendance_save(by=chair, meeting=meeting, rows=_register(marac, random.Random(seed)))
    hearing = action_services.hearing_for(item)
    action_services.hearing_save(
        by=chair, hearing=hearing, version=hearing.version,
        minutes="Threats to kill and strangulation in the last month. Police and housing hold information; the Idva gave the victim’s views.",
        victim_views="She wants to stay in her home if it can be made safe.", single_point_of_contact="Idva service",
    )
    day = held_on.date()
    plan = [
        # (agency, kind, what, due, final status, for whom)
        (AgencyKind.HOUSING, ActionKind.TARGET_HARDENING, "Fit new locks and a door chain at the victim’s home", day + timedelta(days=7), Action.Status.COMPLETED, "victim"),
        (AgencyKind.POLICE, ActionKind.FLAG, "Flag the address on police systems for an urgent response", day + timedelta(days=2), Action.Status.COMPLETED, "victim"),
        (AgencyKind.IDVA, ActionKind.SPOC, "Idva to be single point of contact and agree safe contact times", day + timedelta(days=3), Action.Status.OPEN, "victim"),
        (AgencyKind.CHILDRENS_SOCIAL_CARE, ActionKind.CHILDRENS_REFERRAL, "Start a child and family assessment", day + timedelta(days=14), Action.Status.OPEN, "household"),
        (AgencyKind.PROBATION, ActionKind.PERPETRATOR_PROGRAMME, "Refer the perpetrator to a perpetrator programme", day + timedelta(days=10), Action.Status.NOT_POSSIBLE, "perpetrator"),
        (AgencyKind.HOUSING, ActionKind.HOUSING_PERPETRATOR, "Housing options for the perpetrator away from the area", timezone.localdate() + timedelta(days=5), Action.Status.OPEN, "perpetrator"),
        (AgencyKind.HEALTH, ActionKind.OTHER, "GP to offer an appointment with a domestic abuse advocate present", timezone.localdate() + timedelta(days=30), Action.Status.OPEN, "victim"),
    ]
    for kind, action_kind, description, due_on, status, for_whom in plan:
        if kind not in agencies:
            continue
        action = action_services.action_add(
            by=coordinator, hearing=hearing, owner_agency=agencies[kind], description=description, for_whom=for_whom, due_on=due_on, kind=action_kind
        )
        if status == Action.Status.COMPLETED:
            action_services.action_report(by=coordinator, action=action, version=action.version, status=status, note="Done", completed_on=due_on)
        elif status == Action.Status.NOT_POSSIBLE:
            action_services.action_report(
                by=coordinator, action=action, version=action.version, status=status, note="He left the area before the referral",
                not_possible_reason=Action.NotPossibleReason.CIRCUMSTANCES_CHANGED,
            )
    if idva:
        action_services.plan_confirm_safe(by=idva, hearing=hearing)
    # The chair confirms the children and their dates of birth before closing (seed 003).
    action_services.hearing_children_confirm(by=chair, hearing=hearing, confirmed=True)
    action_services.hearing_close(by=chair, hearing=hearing)
    Meeting.objects.filter(pk=meeting.pk).update(minutes_published_at=held_on + timedelta(days=1))
    # One current referral goes on the next meeting's agenda, so the chair's home page
    # and the case list have a case; the rest wait on the listing page (one of them near
    # its six-week target).
    waiting = referral.__class__.objects.filter(marac=marac, status="awaiting_listing", referred_on=timezone.localdate() - timedelta(days=12)).first()
    if waiting:
        meeting_services.referral_list(by=coordinator, referral=waiting)
    return meeting
