"""Writes for meeting preparation: the pattern, meetings, listing, publication,
research, reminders, the register and the confidentiality declaration."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Func, IntegerField, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Agency, Marac, Membership, Role
from openmarac.accounts.selectors import users_with_role
from openmarac.actions.models import Action
from openmarac.audit import services as audit
from openmarac.core import compiled
from openmarac.notifications.services import notify
from openmarac.referrals.criteria import CLOCK_START, referral_clock_start
from openmarac.referrals.models import CaseInvolvement, Referral
from openmarac.referrals.services import tell_referrer

from . import dates, listing
from .dates import Operation
from .models import (
    AgendaItem,
    Attendance,
    DateOverride,
    DeclarationSignature,
    Meeting,
    MeetingMode,
    MeetingSchedule,
    ResearchDelegation,
    ResearchReminder,
    ResearchReturn,
)

# Research is due at the end of the working day.
RESEARCH_DUE_TIME = time(17, 0)
# Reminders start this many days before the research deadline.
REMINDER_DAYS_BEFORE_DEADLINE = 2
# Whoever returns research for an agency, and so is reminded when it is missing.
RESEARCHING_ROLES = (Role.REPRESENTATIVE, Role.IDVA)


def _require(allowed):
    if not allowed:
        raise PermissionDenied


def meeting_day(meeting):
    return timezone.localtime(meeting.starts_at).date()


def days_off_around(marac, day):
    """The bank holidays of the Marac's nation a due day counted back from `day` may
    meet (a deadline early in January may fall in the December before)."""
    return listing.days_off(marac.nation, (day.year - 1, day.year))


def _too_early(meeting, operation, today):
    day = meeting_day(meeting)
    return dates.too_early(
        operation, meeting_day=day, today=today, lead_days=meeting.marac.case_list_lead_days, closed=days_off_around(meeting.marac, day)
    )


def require_day(*, meeting, operation, today=None):
    """Refuse a meeting operation before its day (meetings/dates.py) unless the
    coordinator has recorded why it goes ahead early."""
    if not settings.OPENMARAC_DATE_GUARDS:
        return
    refusal = _too_early(meeting, operation, today or timezone.localdate())
    if refusal and not meeting.date_overrides.filter(operation=operation).exists():
        raise ValidationError(refusal)


def case_list_day(meeting):
    """The day the case list goes out: the Marac's lead time before the meeting, on a
    working day."""
    day = meeting_day(meeting)
    return dates.earliest_day(
        Operation.PUBLISH, meeting_day=day, lead_days=meeting.marac.case_list_lead_days, closed=days_off_around(meeting.marac, day)
    )


def early_operations(meeting, *, today=None, overridden=None):
    """The operations of this meeting still too early today and not overridden.
    `overridden`: the operations of the meeting's date overrides, when the caller has
    read them."""
    if not settings.OPENMARAC_DATE_GUARDS:
        return []
    today = today or timezone.localdate()
    if overridden is None:
        overridden = set(meeting.date_overrides.values_list("operation", flat=True))
    return [
        operation for operation in Operation
        if operation not in overridden
        and _too_early(meeting, operation, today)
    ]


@transaction.atomic
def date_override_record(*, by, meeting, operations, reason, request=None) -> list[DateOverride]:
    """The coordinator records why operations go ahead before their day; audited."""
    _require(policy.can_prepare_meetings(by, meeting.marac))
    if not reason.strip():
        raise ValidationError({"reason": "Record why this goes ahead before its day"})
    if not operations:
        raise ValidationError({"operations": "Choose what goes ahead early"})
    recorded = []
    for operation in operations:
        override, _ = DateOverride.objects.update_or_create(
            meeting=meeting, operation=operation, defaults={"reason": reason.strip(), "recorded_by": by}
        )
        recorded.append(override)
    labels = ", ".join(Operation(operation).label for operation in operations)
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac,
        summary=f"Date override ({labels}): {reason.strip()}",
    )
    return recorded


def schedule_for(marac):
    schedule, _ = MeetingSchedule.objects.get_or_create(marac=marac)
    return schedule


def _local(day, at):
    return timezone.make_aware(datetime.combine(day, at))


def research_deadline_for(starts_at, schedule, mode):
    """Research is due the pattern's number of working days before the meeting, bank
    holidays of the Marac's nation not counted, so it never falls on a day off."""
    if mode == MeetingMode.ASYNC:
        return starts_at
    meets_on = timezone.localtime(starts_at).date()
    day = listing.working_days_before(meets_on, schedule.research_deadline_working_days, days_off_around(schedule.marac, meets_on))
    return _local(day, RESEARCH_DUE_TIME)


@transaction.atomic
def schedule_save(*, by, schedule, cadence=None, request=None):
    """Save the meeting pattern; the cadence is the Marac's setting, saved with it."""
    _require(policy.can_set_meeting_pattern(by, schedule.marac))
    schedule.full_clean()
    schedule.save()
    marac = schedule.marac
    if cadence and cadence != marac.meeting_cadence:
        marac.meeting_cadence = cadence
        marac.full_clean()
        marac.save(update_fields=["meeting_cadence"])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=schedule, marac=marac, summary=f"Meeting pattern ({marac.meeting_cadence})")
    return schedule


@transaction.atomic
class Generated(list):
    """The meetings a run of the pattern created, with `notes`: what the coordinator
    must be told (bank holidays moved, skipped or kept; case lists already due)."""

    def __init__(self, meetings=(), notes=()):
        super().__init__(meetings)
        self.notes = list(notes)


def _check_first_date(first_on, cadence, weekday, today):
    if first_on < today:
        raise ValidationError({"first_on": "The first meeting date must be today or later"})
    # A year's typo (2027 for 2026) would otherwise make one meeting a year away.
    if first_on > today + timedelta(days=366):
        raise ValidationError({"first_on": f"The first meeting date must be within a year, by {today + timedelta(days=366):%-d %B %Y}"})
    if cadence == "daily":
        return
    day_name = f"{date(2024, 1, 1) + timedelta(days=weekday):%A}"  # 1 January 2024 was a Monday
    if first_on.weekday() != weekday:
        raise ValidationError({"first_on": f"The first meeting date must be a {day_name}, the pattern’s day of the week"})
    if cadence == "monthly" and first_on.day > 7:
        raise ValidationError({"first_on": f"Monthly meetings fall on the first {day_name} of the month: choose one"})


def suggested_first_date(marac, today=None):
    """The next date the pattern gives after its last meeting (or from today): the
    answer offered to "when is the first new meeting?"."""
    today = today or timezone.localdate()
    schedule = schedule_for(marac)
    last = Meeting.objects.filter(marac=marac, pattern_date__isnull=False).order_by("-pattern_date").first()
    if last and marac.meeting_cadence == "fortnightly":
        return max(last.pattern_date + timedelta(days=14), today)
    start = max(today, last.pattern_date + timedelta(days=1)) if last else max(today, schedule.first_meeting_on or today)
    return next(listing.pattern_dates(cadence=marac.meeting_cadence, first_on_or_after=start, weekday=schedule.weekday, until=start + timedelta(days=62)), None)


def meetings_generate(*, marac, by=None, today=None, first_on=None, on_holiday="move"):
    """Create the pattern's meetings up to the schedule's horizon, from `first_on` when
    given (the coordinator's answer to "when is the first meeting?"). Idempotent: a date
    the pattern already produced (even if that meeting was moved or cancelled) is
    skipped. A meeting falling on a bank holiday of the Marac's nation is moved to the
    next working day, skipped or kept (`on_holiday`), and one inside its own case-list
    window is made but noted: both are in the result's `notes`."""
    if by is not None:
        _require(policy.can_prepare_meetings(by, marac))
    schedule = schedule_for(marac)
    today = today or timezone.localdate()
    until = today + timedelta(weeks=schedule.weeks_ahead)
    last = Meeting.objects.filter(marac=marac, pattern_date__isnull=False).order_by("-pattern_date").first()
    start = today
    anchor = schedule.first_meeting_on
    if first_on:
        _check_first_date(first_on, marac.meeting_cadence, schedule.weekday, today)
        start = anchor = first_on
        until = max(until, first_on)
    elif anchor:
        start = max(today, anchor)
    if (first_on or not last) and anchor and marac.meeting_cadence == "fortnightly":
        # Keep the fortnight the first meeting date sets.
        while (start - anchor).days % 14 and start <= until:
            start += timedelta(days=1)
    elif last and marac.meeting_cadence == "fortnightly":
        # Keep the fortnightly rhythm from the last pattern meeting.
        start = max(today, last.pattern_date + timedelta(days=1))
        while (start - last.pattern_date).days % 14 and start <= until:
            start += timedelta(days=1)
    existing = set(Meeting.objects.filter(marac=marac, pattern_date__gte=today).values_list("pattern_date", flat=True))
    # The days holding a scheduled meeting, from a fortnight back (a pattern date too
    # near one of them is skipped: `listing.place_meetings`).
    taken = {
        timezone.localtime(at).date()
        for at in Meeting.objects.filter(marac=marac, status=Meeting.Status.SCHEDULED, starts_at__date__gte=today - timedelta(days=14)).values_list("starts_at", flat=True)
    }
    pattern = [
        day
        for day in listing.pattern_dates(cadence=marac.meeting_cadence, first_on_or_after=start, weekday=schedule.weekday, until=until)
        if day not in existing
    ]
    placed = listing.place_meetings(
        pattern, holidays_by_date=listing.bank_holidays(marac.nation, range(start.year, until.year + 2)), on_holiday=on_holiday,
        today=today, lead_days=marac.case_list_lead_days, taken=taken, cadence=marac.meeting_cadence,
    )
    created = Generated(notes=[p.note for p in placed if p.note])
    for place in placed:
        if place.meets_on is None:
            continue
        starts_at = _local(place.meets_on, schedule.start_time)
        created.append(
            Meeting.objects.create(
                marac=marac,
                mode=schedule.mode,
                starts_at=starts_at,
                location=schedule.location,
                video_link=schedule.video_link,
                capacity=schedule.capacity,
                minutes_per_case=marac.minutes_per_case,
                research_deadline=research_deadline_for(starts_at, schedule, schedule.mode),
                pattern_date=place.pattern_date,
            )
        )
    if created or created.notes:
        audit.record(
            action=audit.Action.CREATED, actor=by, record_type="meetings.meeting", marac=marac,
            summary=f"{len(created)} meetings generated" + (f" ({len(created.notes)} notes)" if created.notes else ""),
        )
    return created


@transaction.atomic
def meeting_add(*, by, marac, starts_at, mode=MeetingMode.MEETING, location="", video_link="", capacity=None, request=None):
    """An extra meeting (or an asynchronous round with a closing date)."""
    _require(policy.can_prepare_meetings(by, marac))
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "The meeting must be in the future"})
    schedule = schedule_for(marac)
    meeting = Meeting.objects.create(
        marac=marac,
        mode=mode,
        starts_at=starts_at,
        location=location or schedule.location,
        video_link=video_link or schedule.video_link,
        capacity=capacity or schedule.capacity,
        minutes_per_case=marac.minutes_per_case,
        research_deadline=research_deadline_for(starts_at, schedule, mode),
    )
    audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=meeting, marac=marac, summary="Extra meeting")
    return meeting


def _attendee_users(marac):
    return users_with_role(marac, Role.COORDINATOR, Role.CHAIR, Role.REPRESENTATIVE, Role.IDVA)


def keep_agreed_in_step(*, meeting=None, item=None):
    """Give the actions agreed at a meeting that has moved (`meeting`), or at the hearing
    of an agenda item moved to another meeting (`item`), the meeting's Marac and new
    start, which each action keeps (`Action.agreed_marac`, `agreed_meeting_at`) for the
    governance figures. One update; none is written when no action was agreed there."""
    if item is not None:
        meeting, agreed = item.meeting, Action.objects.filter(hearing__item=item)
    else:
        agreed = Action.objects.filter(hearing__item__meeting=meeting)
    agreed.update(agreed_marac=meeting.marac_id, agreed_meeting_at=meeting.starts_at)


@transaction.atomic
def meeting_move(*, by, meeting, starts_at, note, request=None):
    _require(policy.can_prepare_meetings(by, meeting.marac))
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": "The new time must be in the future"})
    if not note.strip():
        raise ValidationError({"note": "Say why the meeting is moving: agencies are told"})
    old = meeting.starts_at
    meeting.starts_at = starts_at
    meeting.research_deadline = research_deadline_for(starts_at, schedule_for(meeting.marac), meeting.mode)
    meeting.change_note = note
    meeting.save(update_fields=["starts_at", "research_deadline", "change_note"])
    keep_agreed_in_step(meeting=meeting)
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary="Moved")
    local_old, local_new = timezone.localtime(old), timezone.localtime(starts_at)
    notify(
        users=_attendee_users(meeting.marac),
        subject=f"{meeting.marac.name}: {meeting.kind_word} moved",
        message=(
            f"The {meeting.marac.name} {meeting.kind_word} {'closing' if meeting.is_async else 'of'} {local_old:%-d %B %Y %H:%M} has moved: "
            f"it is now the {meeting.title} at {local_new:%H:%M}. The reason is on its page."
        ),
        path=reverse("meetings:meeting", args=[meeting.public_id]),
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, by, meeting, note, request=None):
    """Cancel a meeting; its cases are listed again for the next meeting with room,
    never dropped."""
    _require(policy.can_prepare_meetings(by, meeting.marac))
    if not note.strip():
        raise ValidationError({"note": "Say why the meeting is cancelled: agencies are told"})
    if meeting.items.filter(hearing__closed_at__isnull=False).exists():
        raise ValidationError("This meeting has already heard cases: it cannot be cancelled.")
    meeting.status = Meeting.Status.CANCELLED
    meeting.change_note = note
    meeting.save(update_fields=["status", "change_note"])
    relisted = 0
    for item in list(meeting.items.select_related("referral__marac")):
        # The item moves, in its own section, to the meeting the listing rules propose.
        item.meeting = _proposed_meeting(item.referral)
        item.save(update_fields=["meeting"])
        keep_agreed_in_step(item=item)
        if item.meeting.published_at:
            _involve_agencies(item.meeting, [item.referral])
        relisted += 1
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary=f"Cancelled; {relisted} relisted")
    notify(
        users=_attendee_users(meeting.marac),
        subject=f"{meeting.marac.name}: {meeting.kind_word} cancelled",
        message=(
            f"The {meeting.marac.name} {meeting.title} at {timezone.localtime(meeting.starts_at):%H:%M} is cancelled; "
            "its cases are listed for the next meetings. The reason is on the meeting page."
        ),
        path=reverse("meetings:meetings", args=[meeting.marac.slug]),
    )
    return meeting


def upcoming_meetings(marac):
    """The Marac's scheduled meetings still to come, soonest first, each with the number
    of cases listed (`listed`): what referrals are proposed for and may be listed in."""
    meetings = list(
        Meeting.objects.filter(marac=marac, status=Meeting.Status.SCHEDULED, starts_at__gt=timezone.now())
        .annotate(listed=Count("items"))
        .order_by("starts_at")
    )
    for meeting in meetings:
        meeting.marac = marac
    return meetings


def meeting_loads(marac, upcoming=None):
    """How full each meeting to come is, for `listing.propose`; `upcoming` as
    `upcoming_meetings` gives them, when the caller has them already."""
    return [
        listing.MeetingLoad(m.pk, timezone.localtime(m.starts_at).date(), m.capacity, m.listed, m.published_at is not None)
        for m in (upcoming_meetings(marac) if upcoming is None else upcoming)
    ]


def proposal_for(referral, loads=None):
    return listing.propose(
        clock_start=referral_clock_start(referral),
        today=timezone.localdate(),
        meetings=meeting_loads(referral.marac) if loads is None else loads,
        lead_days=referral.marac.case_list_lead_days,
    )


def awaiting_order():
    """The order referrals awaiting listing are shown and listed in: the longest-waiting
    victim first, by the clock start (the day the six-week target counts from), then
    the order they came in. The listing page and *List all as proposed* share it, so a
    later page proposes what listing them all would."""
    return (CLOCK_START.asc(nulls_last=True), "submitted_at", "id")


def pending_listings(case_ids) -> dict:
    """For each case, the earliest meeting still to be held (scheduled, its day not
    gone) whose agenda carries the case and has not closed it: a referral of that case
    listed too would give one case two agenda items at once."""
    items = (
        AgendaItem.objects.filter(
            referral__case_id__in=list(case_ids),
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__starts_at__gte=_local(timezone.localdate(), time.min),
        )
        .exclude(hearing__closed_at__isnull=False)
        .select_related("meeting")
        .annotate(listed_case_id=F("referral__case_id"))
        # Latest first, so the earliest meeting is the one the dictionary keeps.
        .order_by("-meeting__starts_at")
    )
    return {item.listed_case_id: item.meeting for item in items}


def _check_not_pending_elsewhere(case_id, confirmed, *, otherwise):
    """A case already on the agenda of a meeting still to be held is listed again only
    when the coordinator has confirmed it, having been told which meeting (`otherwise`
    says what else she can do)."""
    if confirmed:
        return
    pending = pending_listings([case_id]).get(case_id)
    if pending is None:
        return
    raise ValidationError(
        f"This case is already on the agenda of the {pending.title}, not yet held. "
        f"Confirm to give the case a second agenda item, or {otherwise}."
    )


@transaction.atomic
def referral_list(*, by, referral, meeting=None, confirm_second_listing=False, request=None):
    """List a referral for a meeting: the one chosen, or the proposed one. When the
    referral's case is already on another agenda not yet heard (a possible match joined
    it to a listed case), the coordinator must confirm the second listing."""
    if by is not None:
        _require(policy.can_prepare_meetings(by, referral.marac))
    if referral.status != Referral.Status.AWAITING_LISTING:
        raise ValidationError("This referral is not awaiting listing.")
    _check_not_pending_elsewhere(referral.case_id, confirm_second_listing, otherwise="leave this referral for that meeting to hear with the case")
    meeting = meeting or _proposed_meeting(referral)
    _check_listable(referral, meeting)
    late = meeting.published_at is not None
    if late:
        _check_room_for_late(Meeting.objects.select_for_update().get(pk=meeting.pk))
    item = AgendaItem.objects.create(meeting=meeting, referral=referral, listed_by=by, added_late=late)
    referral.status = Referral.Status.LISTED
    referral.save(update_fields=["status"])
    if late:
        _involve_agencies(meeting, [referral])
        _tell_added_late(meeting)
    when = timezone.localtime(meeting.starts_at)
    tell_referrer(
        referral,
        subject="A referral you made has been listed",
        message=f"A referral you made to {referral.marac.name} has been listed for the {'round closing' if meeting.is_async else 'meeting'} of {when:%-d %B %Y}.",
    )
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=referral, marac=referral.marac,
        summary=f"Listed for meeting {meeting.pk}{' (added late)' if late else ''}",
    )
    return item


def _check_room_for_late(meeting):
    """A case goes onto a case list already sent only while the meeting is still to
    come and has room: agencies need some time, and a full meeting runs long."""
    if meeting.starts_at <= timezone.now():
        raise ValidationError("This meeting has already started: list the case for a later meeting.")
    if meeting.items.count() >= meeting.capacity:
        raise ValidationError(f"This meeting is full ({meeting.capacity} cases): choose another meeting.")


def _tell_added_late(meeting):
    when = timezone.localtime(meeting.starts_at)
    notify(
        users=_attendee_users(meeting.marac),
        subject=f"{meeting.marac.name}: a case added late to the case list for {when:%-d %B %Y}",
        message=(
            f"A case has been added late to the case list of the {meeting.marac.name} "
            f"{'round closing' if meeting.is_async else 'meeting'} of {when:%-d %B %Y at %H:%M}, after it was sent. "
            "Please research it before the meeting; it is marked “added late” on the case list."
        ),
        path=reverse("meetings:meeting", args=[meeting.public_id]),
    )



def _proposed_meeting(referral):
    """The meeting the listing rules propose, making the pattern's meetings if there are
    none far enough ahead yet."""
    proposal = proposal_for(referral)
    if proposal is None:
        meetings_generate(marac=referral.marac)
        proposal = proposal_for(referral)
    if proposal is None:
        raise ValidationError("There is no meeting far enough ahead: add a meeting first.")
    return Meeting.objects.get(pk=proposal.meeting_id)


def _check_listable(referral, meeting):
    if meeting.marac_id != referral.marac_id or meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError("Choose a scheduled meeting of this Marac.")


@transaction.atomic
def case_anniversary_list(*, by, case, meeting=None, confirm_second_listing=False, request=None):
    """List a case for the review 12 months after its last hearing (flags come off
    agency files then), in the agenda's section for such cases. A case already on an
    agenda not yet held (a repeat referral listed since) is listed for review too only
    when the coordinator confirms: that hearing may stand for the review."""
    _require(policy.can_prepare_meetings(by, case.marac))
    referral = case.referrals.filter(status=Referral.Status.HEARD).order_by("-heard_on", "-submitted_at").first()
    if referral is None:
        raise ValidationError("This case has not been heard yet.")
    _check_not_pending_elsewhere(case.pk, confirm_second_listing, otherwise="let that meeting's hearing of the case stand for its review")
    meeting = meeting or _proposed_meeting(referral)
    _check_listable(referral, meeting)
    item = AgendaItem.objects.create(meeting=meeting, referral=referral, section=AgendaItem.Section.ANNIVERSARY, listed_by=by)
    if meeting.published_at:
        _involve_agencies(meeting, [referral])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=case, marac=case.marac, summary=f"12-month review listed for meeting {meeting.pk}")
    return item


@transaction.atomic
def list_all_as_proposed(*, by, marac, request=None):
    """List every awaiting referral as proposed, except those whose case is already on
    an agenda not yet heard: those wait for the coordinator to confirm one by one."""
    _require(policy.can_prepare_meetings(by, marac))
    awaiting = list(Referral.objects.filter(marac=marac, status=Referral.Status.AWAITING_LISTING).order_by(*awaiting_order()))
    pending = set(pending_listings({referral.case_id for referral in awaiting}))
    listed = []
    for referral in awaiting:
        if referral.case_id in pending:
            continue
        listed.append(referral_list(by=by, referral=referral, request=request))
        # A second referral of the same case waits too.
        pending.add(referral.case_id)
    return listed


@transaction.atomic
def agenda_item_move(*, by, item, meeting, request=None):
    _require(policy.can_prepare_meetings(by, item.meeting.marac))
    if item.referral.marac_id != item.meeting.marac_id:
        raise ValidationError("This case has moved to another Marac: it cannot be moved to another meeting here.")
    _check_listable(item.referral, meeting)
    item.meeting = meeting
    item.save(update_fields=["meeting"])
    keep_agreed_in_step(item=item)
    if meeting.published_at:
        _involve_agencies(meeting, [item.referral])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=item.referral, marac=meeting.marac, summary=f"Moved to meeting {meeting.pk}")
    return item


def _involve_agencies(meeting, referrals):
    """Every agency of the Marac is sent the case list, so each may open its cases."""
    agencies = [link.agency for link in meeting.marac.agency_links.filter(is_active=True).select_related("agency")]
    CaseInvolvement.objects.bulk_create(
        [CaseInvolvement(case=r.case, agency=a, reason=CaseInvolvement.Reason.AGENDA) for r in referrals for a in agencies],
        ignore_conflicts=True,
    )


@transaction.atomic
def meeting_publish(*, by, meeting, request=None):
    """Send the case list: every agency representative is told by email, with a link
    and no personal data."""
    if by is not None:
        _require(policy.can_prepare_meetings(by, meeting.marac))
    if meeting.published_at:
        return meeting
    if by is not None:
        # The automatic publication runs only once the lead time is reached.
        require_day(meeting=meeting, operation=Operation.PUBLISH)
    meeting.published_at = timezone.now()
    meeting.published_by = by
    meeting.save(update_fields=["published_at", "published_by"])
    _involve_agencies(meeting, [item.referral for item in meeting.items.select_related("referral__case")])
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary="Case list published")
    when = timezone.localtime(meeting.starts_at)
    deadline = timezone.localtime(meeting.research_deadline)
    notify(
        users=_attendee_users(meeting.marac),
        subject=f"{meeting.marac.name}: case list for the {meeting.title}",
        message=(
            f"The case list for the {meeting.marac.name} {meeting.title} at {when:%H:%M} is ready. Please research every case and return your agency's research by "
            f"{deadline:%-d %B %Y %H:%M}."
        ),
        path=reverse("meetings:meeting", args=[meeting.public_id]),
    )
    return meeting


def publish_due(*, now=None):
    """Publish each case list that has reached its publication day (the lead time,
    moved back off a weekend or bank holiday), at the meeting's time of day, without
    being published."""
    now = now or timezone.now()
    published = []
    for meeting in Meeting.objects.filter(status=Meeting.Status.SCHEDULED, published_at__isnull=True, starts_at__gt=now).select_related("marac"):
        if _local(case_list_day(meeting), timezone.localtime(meeting.starts_at).time()) <= now:
            published.append(meeting_publish(by=None, meeting=meeting))
    return published


RESEARCH_FIELDS = [
    "no_trace", "details_correct", "corrections", "last_contact", "recent_behaviour", "risk_information",
    "actions_taken", "victim_priorities", "victim_fears", "safe_and_unsafe_people", "about_children", "facts", "professional_opinion",
]


class ResearchConflict(Exception):
    """Someone else of the agency saved this research first. `current` is the return as
    it now stands."""

    def __init__(self, current):
        super().__init__("Someone else saved research on this case while you were editing.")
        self.current = current


@transaction.atomic
def research_save(*, by, meeting, referral, data, submit, version=None, request=None):
    """Save an agency's research on a case; `submit` returns it to the Marac.

    `version` is the version of the return the person's form showed (0 when there was
    none); if another save came in since, nothing is written and ResearchConflict says
    so. Callers that do not edit a form (the tests' set-up) pass None."""
    allowed = policy.can_do_research(by, meeting) or policy.can_complete_delegated_research(by, meeting, referral, now=timezone.now())
    _require(allowed and meeting.items.filter(referral=referral).exists())
    research, created = ResearchReturn.objects.select_for_update().get_or_create(meeting=meeting, referral=referral, agency=by.agency)
    if version is not None and version != (0 if created else research.version):
        raise ResearchConflict(research)
    for name in RESEARCH_FIELDS:
        if name in data:
            setattr(research, name, data[name])
    if submit:
        # "No" with nothing to say what is wrong leaves the coordinator a case list they
        # know is wrong and cannot mend. A draft may wait for the corrections.
        if research.details_correct == ResearchReturn.DetailsCorrect.CORRECTED and not research.corrections.strip():
            raise ValidationError({"corrections": "Write the corrections to the case list’s details, or choose another answer"})
        research.returned_by = by
        research.returned_at = timezone.now()
    if not created:
        research.version += 1
    research.save()
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=research, marac=meeting.marac,
        summary="No trace" if research.no_trace else ("Returned" if submit else "Saved"),
    )
    return research


def researching_agency_ids(marac):
    """The Marac's active agencies with a representative or an Idva: those expected to
    return research on every case (the Idva service owes research like any agency). A
    queryset of ids, to use as a subquery."""
    represented = Membership.objects.filter(marac=marac, role__in=RESEARCHING_ROLES, is_active=True, user__is_active=True).values("user__agency")
    return marac.agency_links.filter(is_active=True, agency__in=represented).values_list("agency_id", flat=True)


def researching_agency_ids_read(*, marac_id):
    """`researching_agency_ids` as a read for `compiled.read_together`: a row of
    `agency_id` each."""
    return _researching_agency_ids, {"marac_id": marac_id}


def _researching_agency_ids(*, marac_id):
    return researching_agency_ids(Marac(pk=marac_id)).values("agency_id")


def agencies_missing_research(meeting):
    """Agencies of the Marac with a representative or an Idva that have not returned
    research for every case on the list (the Idva service owes research like any agency),
    by name. The rule of `agencies_missing_research_by_meeting` (tests hold the two to
    the same answers) for one meeting, in one query compiled once (core/compiled.py):
    the minutes and the research grid read it, and the ORM took longer to build its
    three queries than the database takes to run them."""
    return list(Agency.objects.raw(*compiled.sql(_missing_research, meeting_id=meeting.pk, marac_id=meeting.marac_id)))


def _missing_research(meeting_id, marac_id):
    """The researching agencies that returned research on fewer distinct cases than the
    case list has; none when the case list is empty."""
    cases = AgendaItem.objects.filter(meeting_id=meeting_id).order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    returned = (
        ResearchReturn.objects.filter(meeting_id=meeting_id, agency_id=OuterRef("pk"), returned_at__isnull=False)
        .order_by()
        .annotate(n=Func(F("referral"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)"))
        .values("n")
    )
    return (
        Agency.objects.filter(pk__in=researching_agency_ids(Marac(pk=marac_id)))
        .annotate(cases=Subquery(cases, output_field=IntegerField()), returned_cases=Subquery(returned, output_field=IntegerField()))
        .filter(cases__gt=0, returned_cases__lt=F("cases"))
        .order_by("name")
    )


def agencies_missing_research_by_meeting(meetings):
    """{meeting id: agencies missing research} for meetings of one Marac, in four
    queries however many meetings there are."""
    meetings = list(meetings)
    if not meetings:
        return {}
    marac = meetings[0].marac
    case_counts = dict(
        AgendaItem.objects.filter(meeting__in=meetings).values("meeting").annotate(n=Count("pk")).values_list("meeting", "n")
    )
    returned = (
        ResearchReturn.objects.filter(meeting__in=meetings, returned_at__isnull=False)
        .values("meeting", "agency")
        .annotate(n=Count("referral", distinct=True))
    )
    agencies = list(Agency.objects.filter(pk__in=researching_agency_ids(marac)).order_by("name"))
    return missing_research_by_meeting(meetings, case_counts, returned, agencies)


def missing_research_by_meeting(meetings, case_counts, returned, agencies):
    """`agencies_missing_research_by_meeting`'s answer from what it reads: `case_counts`
    {meeting id: cases}, `returned` rows of meeting, agency and n (cases with research
    returned), `agencies` the researching agencies by name (the home page reads them
    with its other reads, meetings.selectors.research_missing_reads)."""
    complete = {(row["meeting"], row["agency"]) for row in returned if row["n"] >= case_counts.get(row["meeting"], 0)}
    # An empty case list owes no research: no agency is missing anything on it.
    return {
        meeting.pk: [agency for agency in agencies if (meeting.pk, agency.pk) not in complete] if case_counts.get(meeting.pk) else []
        for meeting in meetings
    }


def research_reminders_send(*, today=None):
    """Remind agencies with research missing, once a day, from two days before the
    deadline until the meeting."""
    today = today or timezone.localdate()
    sent = 0
    meetings = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, published_at__isnull=False).select_related("marac")
    for meeting in meetings:
        deadline_day = timezone.localtime(meeting.research_deadline).date()
        if not (deadline_day - timedelta(days=REMINDER_DAYS_BEFORE_DEADLINE) <= today <= timezone.localtime(meeting.starts_at).date()):
            continue
        for agency in agencies_missing_research(meeting):
            sent += _research_reminder_once(meeting, agency, today)
    return sent


def _research_reminder_once(meeting, agency, today):
    """Remind an agency of the research it owes, once a day (the reminder row is the
    record that it went, whoever sent it). 1 if sent, 0 if it already went today."""
    _, created = ResearchReminder.objects.get_or_create(meeting=meeting, agency=agency, sent_on=today)
    if not created:
        return 0
    late = today > timezone.localtime(meeting.research_deadline).date()
    notify(
        users=users_with_role(meeting.marac, *RESEARCHING_ROLES, agency=agency),
        subject=f"{meeting.marac.name}: research {'overdue' if late else 'due'}",
        message=(
            f"Your agency has not returned research on every case for the {meeting.marac.name} {meeting.title}. It {'was' if late else 'is'} due by "
            f"{timezone.localtime(meeting.research_deadline):%-d %B %Y %H:%M}."
        ),
        path=reverse("meetings:research", args=[meeting.public_id]),
    )
    return 1


@transaction.atomic
def research_remind(*, by, meeting, agency, request=None) -> None:
    """The coordinator's "remind this agency" on the research grid: for an agency that
    has not returned all its research on a published case list; once a day."""
    _require(policy.can_chase_actions(by, meeting.marac))
    if meeting.published_at is None or meeting.status != Meeting.Status.SCHEDULED:
        raise ValidationError("The case list has not been sent: there is no research to chase yet.")
    if agency not in agencies_missing_research(meeting):
        raise ValidationError(f"{agency} has returned research on every case.")
    if not _research_reminder_once(meeting, agency, timezone.localdate()):
        raise ValidationError(f"{agency} was already reminded today. You can remind them again tomorrow.")
    audit.record(
        action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary=f"Research reminder sent to {agency}"
    )


def _has_live_delegation(user, meeting):
    return ResearchDelegation.objects.filter(policy.live_research_delegations_q(user, now=timezone.now()), meeting=meeting).exists()


def delegation_colleagues(*, by, meeting):
    """Whom a representative may hand a case's research to: active users of the same
    agency with an active role in the Marac that sees case content (a referrer will do;
    governance sees figures only), other than themselves."""
    from openmarac.accounts.models import User

    if by.agency_id is None:
        return User.objects.none()
    members = Membership.objects.filter(marac=meeting.marac, is_active=True).exclude(role=Role.GOVERNANCE).values("user")
    return User.objects.filter(agency_id=by.agency_id, is_active=True, pk__in=members).exclude(pk=by.pk).order_by("full_name")


@transaction.atomic
def research_delegate(*, by, meeting, referral, delegate, invited_to_slot=False, request=None) -> ResearchDelegation:
    """Ask the key worker to complete the agency's research on one case by the same
    deadline. They are emailed a link and nothing about the case."""
    _require(policy.can_do_research(by, meeting) and meeting.items.filter(referral=referral).exists())
    problems = []
    if not delegation_colleagues(by=by, meeting=meeting).filter(pk=delegate.pk).exists():
        problems.append("Choose a colleague of your agency who uses OpenMarac in this Marac")
    if meeting.status != Meeting.Status.SCHEDULED or meeting.starts_at <= timezone.now():
        problems.append(f"The {meeting.kind_word} has been held: research can no longer be handed on")
    if ResearchReturn.objects.filter(meeting=meeting, referral=referral, agency=by.agency, returned_at__isnull=False).exists():
        problems.append("Your agency has already returned research on this case")
    if ResearchDelegation.objects.select_for_update().filter(meeting=meeting, referral=referral, agency=by.agency, withdrawn_at__isnull=True).exists():
        problems.append("This case’s research is already with a colleague: withdraw that request first")
    if problems:
        raise ValidationError(problems)
    invited_to_slot = invited_to_slot and not meeting.is_async  # a round has no slots
    delegation = ResearchDelegation.objects.create(
        meeting=meeting, referral=referral, agency=by.agency, delegate=delegate, invited_to_slot=invited_to_slot, delegated_by=by
    )
    audit.record(
        action=audit.Action.CREATED, actor=by, request=request, obj=delegation, marac=meeting.marac,
        summary=f"Research handed to user {delegate.pk}{' (invited to the slot)' if invited_to_slot else ''}",
    )
    notify(
        users=[delegate],
        subject=f"{meeting.marac.name}: research asked of you",
        message=(
            f"{by.full_name} of {by.agency} asks you to complete your agency's research on one case for the "
            f"{meeting.marac.name} {meeting.title}. It is due by {timezone.localtime(meeting.research_deadline):%-d %B %Y %H:%M}."
            + (" You are also invited to join for that case's slot." if invited_to_slot else "")
        ),
        path=reverse("meetings:delegated-research", args=[delegation.pk]),
    )
    return delegation


@transaction.atomic
def research_delegation_withdraw(*, by, delegation, request=None) -> ResearchDelegation:
    meeting = delegation.meeting
    _require(policy.can_do_research(by, meeting) and by.agency_id == delegation.agency_id)
    if delegation.withdrawn_at is None:
        delegation.withdrawn_at = timezone.now()
        delegation.withdrawn_by = by
        delegation.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=delegation, marac=meeting.marac, summary="Research request withdrawn")
    return delegation


@transaction.atomic
def declaration_sign(*, by, meeting, request=None):
    # A key worker accepts the statement before seeing the one case's research form.
    _require(policy.can_attend(by, meeting) or _has_live_delegation(by, meeting))
    statement = schedule_for(meeting.marac).confidentiality_statement
    signature, created = DeclarationSignature.objects.get_or_create(meeting=meeting, user=by, defaults={"statement": statement})
    if created:
        audit.record(action=audit.Action.CREATED, actor=by, request=request, obj=signature, marac=meeting.marac, summary="Confidentiality declaration signed")
    return signature


def signed_at_the_meeting(meeting, signed_at) -> bool:
    """Whether a declaration signed at `signed_at` says someone was at the meeting: signed
    by the end of the meeting's day and before its minutes were published. Anyone may sign
    later to read old minutes or research; that must not rewrite who attended a meeting
    already held, nor minutes already sent to agencies."""
    if meeting.minutes_published_at and signed_at >= meeting.minutes_published_at:
        return False
    return timezone.localtime(signed_at).date() <= meeting_day(meeting)


@transaction.atomic
def attendance_save(*, by, meeting, rows, request=None):
    """Record the register: rows of dicts keyed by agency id (or observer name). The
    chair and whoever runs the meeting take it, on the day."""
    _require(policy.can_take_register(by, meeting))
    require_day(meeting=meeting, operation=Operation.REGISTER)
    for row in rows:
        if row.get("is_observer"):
            Attendance.objects.update_or_create(
                meeting=meeting, is_observer=True, name=row["name"],
                defaults={"observer_signed": row.get("observer_signed", False), "status": Attendance.Status.PRESENT, "recorded_by": by},
            )
            continue
        fields = {key: row.get(key) for key in ("status", "information_sent_in_advance", "arrived_at", "left_at", "name")}
        fields["name"] = fields["name"] or ""
        fields["status"] = fields["status"] or ""
        Attendance.objects.update_or_create(meeting=meeting, agency_id=row["agency"], is_observer=False, defaults={**fields, "recorded_by": by})
    audit.record(action=audit.Action.CHANGED, actor=by, request=request, obj=meeting, marac=meeting.marac, summary="Register recorded")


