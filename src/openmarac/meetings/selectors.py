"""Reads for meeting preparation, scoped through the access policy."""

import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.safestring import mark_safe

from openmarac.access import policy
from openmarac.accounts.models import Agency, Marac, MaracAgency, Membership, Role, User
from openmarac.core import compiled
from openmarac.people.selectors import present_person
from openmarac.referrals.criteria import referral_clock_start
from openmarac.referrals.models import Case, CaseInvolvement, Referral, ReferralPerson
from openmarac.referrals.selectors import people_reads, referral_people_reads, with_people, with_people_rows

from . import display, listing
from .models import AgendaItem, Attendance, DateOverride, DeclarationSignature, Meeting, ResearchDelegation, ResearchReturn
from .services import (
    agencies_missing_research, awaiting_order, meeting_loads, pending_listings, researching_agency_ids, schedule_for, signed_at_the_meeting, upcoming_meetings,
)


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
    # Read by a query compiled once (core/compiled.py): every page of a meeting opens
    # with it, the chair's case screen on every case, and the ORM took longer to build
    # it than the database takes to run it.
    found = compiled.objects(_meeting_by_public_id, public_id=public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id)))
    meeting = found[0] if found else None
    if meeting is None or not policy.can_see_meeting(user, meeting):
        return None
    return meeting


def _meeting_by_public_id(*, public_id):
    # As `.first()` reads it: the one meeting of this public id, with its Marac.
    return Meeting.objects.filter(public_id=public_id).select_related("marac")[:1]


def visible_items(*, user, meeting):
    """The meeting's agenda items whose cases the user may still open: an agency's
    access lapses 12 months after a case's last hearing, old case lists included."""
    return _visible(meeting.items.all(), user=user, marac=meeting.marac)


def screen_item(*, user, meeting, item_id):
    """The meeting's agenda item `item_id` with `CASE_LIST_RELATED`, when the user may
    open its case (as `visible_items` decides); None otherwise. For the coordinator and
    the chair (every case but those restricted and hidden from them) the query is
    compiled once (core/compiled.py): the ORM took longer to build it than the database
    takes to run it."""
    if item_id > _LARGEST_ID:
        # The address takes any digits: an id no row can have finds nothing, as the
        # ORM's lookup would, rather than failing in the database.
        return None
    if policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        found = compiled.objects(_screen_item, meeting_id=meeting.pk, item_id=item_id, user_id=user.pk, now=timezone.now())
        item = found[0] if found else None
    else:
        item = visible_items(user=user, meeting=meeting).filter(pk=item_id).select_related(*CASE_LIST_RELATED).first()
    if item is not None:
        item.meeting = meeting
    return item


# The largest id a row can have (a 64-bit integer).
_LARGEST_ID = 2**63 - 1


def _screen_item(*, meeting_id, item_id, user_id, now):
    # `_visible` for every case of the agenda, from values alone.
    return (
        AgendaItem.objects.filter(meeting_id=meeting_id, pk=item_id)
        .exclude(policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now))
        .select_related(*CASE_LIST_RELATED).order_by("pk")[:1]
    )


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
    # Asked on every page of a meeting's cases, by a query compiled once (core/compiled.py).
    return bool(compiled.rows(_signature, meeting_id=meeting.pk, user_id=user.pk))


def _signature(*, meeting_id, user_id):
    return DeclarationSignature.objects.filter(meeting_id=meeting_id, user_id=user_id).values("pk")[:1]


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


# What the case list reads of each person beyond its own row: it shows names, aliases
# and addresses, never a phone number (a hundred rows made for nothing on an agenda).
CASE_LIST_DETAILS = ("aliases", "addresses")

# What each case of the case list is read with.
CASE_LIST_RELATED = ("referral", "referral__case", "referral__referring_agency", "referral__repeat_of")


def case_list(*, user, meeting):
    """The agenda in order, with slots, flags and the people as this user may see them."""
    return _case_list(user=user, meeting=meeting)[0]


@dataclass
class AgendaReads:
    """What a meeting's page reads (`agenda_reads`)."""

    entries: list  # `case_list`
    # (id, start) of each of `move_target_meetings`, in their order: the "Move case to"
    # menu, for those who prepare meetings (else empty)
    move_targets: list
    date_overrides: list  # the meeting's, with who recorded each


def agenda_reads(*, user, meeting, now, can_prepare):
    """The meeting's page: its case list, the "Move case to" menu for those who prepare
    meetings, and its date overrides. For the coordinator and the chair read with the
    case list's other queries (one round trip on PostgreSQL, compiled once)."""
    also = [(_date_overrides, {"meeting_id": meeting.pk})]
    if can_prepare:
        also.append((_move_target_rows, {"marac_id": meeting.marac_id, "now": now, "meeting_id": meeting.pk}))
    entries, found = _case_list(user=user, meeting=meeting, also=also)
    if found is None:
        found = compiled.read_together(*also)
    overrides, targets = found if can_prepare else (found[0], [])
    return AgendaReads(entries=entries, move_targets=[(row["pk"], row["starts_at"]) for row in targets], date_overrides=overrides)


def _date_overrides(*, meeting_id):
    return DateOverride.objects.filter(meeting_id=meeting_id).select_related("recorded_by")


def _case_list(*, user, meeting, also=()):
    """`case_list`, and what each of `also` (reads for `compiled.read_together`) gives
    when they were read with it (the coordinator's and the chair's); else None."""
    on = timezone.localtime(meeting.starts_at).date()
    since = _repeat_window_start(meeting, on)
    people = found = None
    if policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES) and user.is_authenticated:
        # The coordinator and the chair (every case of the agenda): the items and their
        # people are read by queries compiled once (core/compiled.py), sent together.
        # On a 40-case agenda the ORM took longer to build them and their lists of ids
        # than the database takes to run them.
        values = {"meeting_id": meeting.pk, "user_id": user.pk, "now": timezone.now()}
        people_read = people_reads(_shown_referrals, CASE_LIST_DETAILS, **values)
        items, *read = compiled.read_together((_every_case_list_item, {**values, "since": since, "on": on}), *people_read, *also)
        people, found = read[: len(people_read)], read[len(people_read):]
        for item in items:
            item.meeting = meeting
    else:
        # Whether each case is restricted and hidden from the user, and its repeats, read
        # with the items (as `_entries` would read them, in two more queries).
        items = list(
            _case_list_items(agenda_items(user=user, meeting=meeting), hidden=policy.hidden_case_q(user, "referral__case_id"), since=since, on=on)
        )
    slots = _slots(meeting, [_agenda_entry(item.pk, item.section, item.listed_at, item.referral.children_count) for item in items])
    entries = _entries(
        user=user, meeting=meeting, items={item.pk: item for item in items}, slots=slots,
        hidden={item.referral.case_id for item in items if item.restricted}, repeats={item.referral.case_id: item.repeats for item in items},
        people=people,
    )
    return entries, found


def _case_list_items(items, *, hidden, since, on):
    """`items` as `case_list` reads them: with `CASE_LIST_RELATED` (only the columns
    `_CASE_LIST_COLUMNS` names), whether each case is restricted and hidden from the user
    (`hidden`, a filter on the item) and how many of the case's referrals count towards
    its repeat alert."""
    return items.select_related(*CASE_LIST_RELATED).only(*_CASE_LIST_COLUMNS).annotate(
        restricted=ExpressionWrapper(hidden, output_field=BooleanField()),
        repeats=_count_of(_repeat_referrals(since, on).filter(case_id=OuterRef("referral__case_id"))),
    )


# What the case list shows of each item (meetings/display.py, `_flags`, `_slots`, the
# PDF and the agency's slots), and no more: a referral is 44 columns (its draft's JSON,
# six texts, three times), twice for a repeat, and on a 40-case agenda reading and
# making them all was a tenth of the page's CPU. Any other field is deferred: reading
# one is a query of its own, which the page's query count (and its tests) would show.
_CASE_LIST_COLUMNS = (
    "meeting", "referral", "section", "listed_at", "added_late",
    *(
        f"referral__{name}"
        for name in (
            "case", "marac", "referring_agency", "repeat_of", "public_id", "referred_on", "disclosed_on", "children_count", "referring_agency_kind",
            "checklist_score", "meets_visible_high_risk", "meets_professional_judgement", "meets_escalation", "meets_repeat",
        )
    ),
    "referral__case__reference", "referral__case__public_id", "referral__referring_agency__name",
    "referral__repeat_of__heard_on", "referral__repeat_of__referred_on",
)


def move_target_meetings(*, meeting, now):
    """The meetings a case of `meeting`'s agenda may be moved to: the Marac's other
    meetings still to come and not cancelled."""
    return _move_targets(marac_id=meeting.marac_id, now=now, meeting_id=meeting.pk)


def _move_targets(*, marac_id, now, meeting_id):
    return Meeting.objects.filter(marac=marac_id, status=Meeting.Status.SCHEDULED, starts_at__gt=now).exclude(pk=meeting_id)


def _move_target_rows(*, marac_id, now, meeting_id):
    return _move_targets(marac_id=marac_id, now=now, meeting_id=meeting_id).values("pk", "starts_at")


@compiled.joined_as_written
def _every_case_list_item(meeting_id, user_id, now, since, on):
    """Every item of the meeting's agenda (what `agenda_items` lists for the coordinator
    and the chair) as `_case_list_items` reads them. Its 40 items by the index on the
    meeting, then each related object by its key: the order the SQL writes, which
    PostgreSQL took 1.2 ms to choose at national scale, and 0.8 ms told."""
    hidden = policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now)
    return _case_list_items(AgendaItem.objects.filter(meeting_id=meeting_id), hidden=hidden, since=since, on=on)


def _shown_referrals(meeting_id, user_id, now):
    """The referrals of the meeting's agenda whose people the case list shows to the
    coordinator or the chair: all but those of restricted cases hidden from them."""
    hidden = policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now)
    return AgendaItem.objects.filter(meeting_id=meeting_id).exclude(hidden).values("referral_id")


def case_screen(*, user, meeting, item, also=()):
    """One case as the case list shows it (the chair's case screen, a research form), and
    the agenda item heard after it (None after the last). `item` is the agenda item the
    user opened, read through `visible_items` (so never a restricted case hidden from
    them: nothing is read to check again) with `CASE_LIST_RELATED`. The agenda's order is
    read once, as rows of four values, rather than every case with its referral (for
    this case's slot and for the next case).

    `also`: the page's other reads, (build, values) pairs as `compiled.read_together`
    takes them (None for one not to send), sent with these: what each gave comes third,
    in a list in their order."""
    # The case's repeats and people (`with_people`'s four queries), and for the
    # coordinator and the chair (every case of the agenda) the order, are read by
    # queries compiled once (core/compiled.py), sent together: the ORM took longer to
    # build them than the database takes to run them.
    on = timezone.localtime(meeting.starts_at).date()
    repeats_read = (_case_repeats, {"case_id": item.referral.case_id, "since": _repeat_window_start(meeting, on), "on": on})
    # Its people as the case list shows them: no phones.
    people_read = referral_people_reads(referral=item.referral, relations=CASE_LIST_DETAILS)
    every_case = policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES)
    order_read = (_agenda_order, {"meeting_id": meeting.pk}) if every_case else None
    counted, every, *read = compiled.read_together(repeats_read, order_read, *people_read, *also)
    people, others = read[: len(people_read)], read[len(people_read) :]
    if every_case:
        rows = [(row["pk"], row["section"], row["listed_at"], row["referral__children_count"]) for row in every]
    else:
        rows = agenda_items(user=user, meeting=meeting).values_list(*_AGENDA_ORDER)
    slots = _slots(meeting, [_agenda_entry(*row) for row in rows])
    order = [slot.entry.key for slot in slots]
    position = order.index(item.pk)
    repeats = {row["case_id"]: row["n"] for row in counted}
    (entry,) = _entries(
        user=user, meeting=meeting, items={item.pk: item}, slots=[slots[position]], hidden=set(), repeats=repeats, people=people
    )
    return entry, (order[position + 1] if position + 1 < len(order) else None), others


# What `case_screen` reads of each item for the agenda's order.
_AGENDA_ORDER = ("pk", "section", "listed_at", "referral__children_count")


def _agenda_order(*, meeting_id):
    return AgendaItem.objects.filter(meeting_id=meeting_id).values(*_AGENDA_ORDER)


def _case_repeats(*, case_id, since, on):
    # `_recent_repeats` for one case.
    return _repeat_referrals(since, on).filter(case_id=case_id).values("case_id").annotate(n=Count("id"))


def _entries(*, user, meeting, items, slots, hidden=None, repeats=None, people=None):
    """A `CaseListEntry` for each slot, from `items` (by id, with `CASE_LIST_RELATED`).
    `hidden` (the restricted cases hidden from the user) and `repeats` (each case's
    repeat referrals, `_repeat_referrals`) are read here unless the caller has them;
    so are the shown cases' people, unless given as the rows `people_reads` reads."""
    case_ids = [items[slot.entry.key].referral.case_id for slot in slots]
    if hidden is None:
        hidden = set(policy.restricted_case_ids_hidden_from(user).filter(case_id__in=case_ids).values_list("case_id", flat=True))
    local_start = timezone.localtime(meeting.starts_at)
    if repeats is None:
        repeats = _recent_repeats(meeting, case_ids, local_start.date())
    shown_referrals = [items[slot.entry.key].referral for slot in slots if items[slot.entry.key].referral.case_id not in hidden]
    if people is None:
        with_people(shown_referrals)
    else:
        with_people_rows(shown_referrals, people, CASE_LIST_DETAILS)
    marac, on = meeting.marac, local_start.date()
    show_sealed = policy.can_see_sealed_values(user, marac)
    result = []
    for slot in slots:
        item = items[slot.entry.key]
        referral = item.referral
        if referral.case_id in hidden:
            # Its place and slot only: no people, flags or history that could identify it.
            result.append(CaseListEntry(slot=slot, item=item, referral=referral, victim=[], perpetrators=[], children=[], restricted=True))
            continue
        # The people the case list shows, by role, each in the referral's order.
        shown = {ReferralPerson.Role.VICTIM: [], ReferralPerson.Role.PERPETRATOR: [], ReferralPerson.Role.CHILD: []}
        for rp in referral.people_list:
            if rp.role in shown:
                shown[rp.role].append((rp, present_person(rp.person, user=user, marac=marac, on=on, show_sealed=show_sealed, phones=False)))
        flags = _flags(meeting, item, referral, slot, repeats.get(referral.case_id, 0), local_start)
        repeat_alert = repeats.get(referral.case_id, 0) >= marac.repeat_alert_count
        repeat_of = referral.repeat_of
        result.append(
            CaseListEntry(
                slot=slot, item=item, referral=referral, victim=shown[ReferralPerson.Role.VICTIM],
                perpetrators=shown[ReferralPerson.Role.PERPETRATOR], children=shown[ReferralPerson.Role.CHILD],
                previous_hearing=(repeat_of.heard_on or repeat_of.referred_on) if repeat_of else None, flags=flags, repeat_alert=repeat_alert,
            )
        )
    return result


def _flags(meeting, item, referral, slot, repeats, local_start):
    """What the case list says of one case it shows (not a restricted one): added late,
    heard late, over capacity, a repeat alert. `repeats` is the case's referrals counted
    by `_repeat_referrals`."""
    flags = []
    if item.added_late:
        flags.append("Added late, after the case list was sent")
    if listing.is_late(referral_clock_start(referral), local_start.date()):
        flags.append("Heard more than 6 weeks after disclosure" if referral.disclosed_on else "Heard more than 6 weeks after referral")
    if slot.over_capacity:
        flags.append(f"Over this meeting’s capacity of {meeting.capacity} cases")
    if repeats >= meeting.marac.repeat_alert_count:
        flags.append(
            f"Repeat {repeats} times in {meeting.marac.repeat_alert_months} months: a different approach is needed "
            "(for example a multi-agency risk management meeting)"
        )
    return flags


@dataclass
class AgendaLine:
    """One case of the agenda as the run page and the minutes list it: its slot, and for
    a case the user may open its reference, how many children it names and the case
    list's flags. Read without the people and their details, which neither page shows."""

    slot: listing.Slot
    item: AgendaItem
    referral: Referral
    children_count: int = 0
    flags: list = field(default_factory=list)
    # A restricted case the user may not open: shown as "Restricted case", nothing more.
    restricted: bool = False
    # Whether the meeting has a hearing of the item (its case screen was opened), and
    # when the hearing was closed: the run page's state of each case.
    heard: bool = False
    hearing_closed_at: object = None


def imported_hearings(meeting):
    """For a meeting held with nothing on its agenda here, how many referrals imported as
    history record its day as their hearing: their case list, minutes and action plan
    were kept before the Marac used OpenMarac, so its pages say so rather than look
    empty. None for a meeting still to come, or one whose agenda holds cases."""
    if meeting.starts_at > timezone.now() or meeting.items.exists():
        return None
    day = timezone.localtime(meeting.starts_at).date()
    return _imported_by_day(meeting.marac_id, [day]).get(day, 0)


def with_imported_hearings(page):
    """A page of past meetings (`past_meetings_for`'s, each with `listed`), each held
    meeting with nothing on its agenda given `imported`: its hearings imported as
    history (`imported_hearings`), so the list does not say it heard no case. One query
    for the page."""
    empty = [m for m in page if not m.listed and m.status == Meeting.Status.SCHEDULED]
    days = {m.pk: timezone.localtime(m.starts_at).date() for m in empty}
    counts = _imported_by_day(empty[0].marac_id, set(days.values())) if empty else {}
    for meeting in page:
        meeting.imported = counts.get(days.get(meeting.pk), 0)
    return page


def _imported_by_day(marac_id, days):
    """{day: referrals imported as history heard that day} for the Marac's `days`."""
    rows = Referral.objects.filter(
        marac_id=marac_id, status=Referral.Status.HEARD, heard_on__in=days, agenda_items__isnull=True,
    ).values("heard_on").annotate(n=Count("pk")).order_by()
    return {row["heard_on"]: row["n"] for row in rows}


def agenda_lines(*, user, meeting):
    """The agenda in order, as `case_list` gives it (the same items, slots, restricted
    cases and flags), in one query: each case with its referral and the counts the flags
    need, without its people. For the coordinator and the chair (every case of the
    agenda) the query is compiled once (core/compiled.py): the ORM took longer to build
    it than the database takes to run it."""
    local_start = timezone.localtime(meeting.starts_at)
    values = {"user_id": user.pk, "now": timezone.now(), "since": _repeat_window_start(meeting, local_start.date()), "on": local_start.date()}
    if policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        rows = compiled.rows(_every_agenda_line, meeting_id=meeting.pk, **values)
    else:
        rows = list(_agenda_line_values(agenda_items(user=user, meeting=meeting), **values))
    by_pk = {}
    for row in rows:
        case = _loaded(Case, {name: row[f"referral__case__{name}"] for name in _LINE_CASE_FIELDS})
        referral = _loaded(Referral, {"id": row["referral"], "case_id": case.pk, **{name: row[f"referral__{name}"] for name in _LINE_REFERRAL_FIELDS}})
        referral.case = case
        item = _loaded(AgendaItem, {"id": row["id"], "meeting_id": meeting.pk, "referral_id": referral.pk, **{name: row[name] for name in _LINE_ITEM_FIELDS}})
        item.meeting, item.referral = meeting, referral
        by_pk[item.pk] = (item, row)
    lines = []
    for slot in _slots(meeting, [_agenda_entry(item.pk, item.section, item.listed_at, item.referral.children_count) for item, _ in by_pk.values()]):
        item, row = by_pk[slot.entry.key]
        hearing = {"heard": row["hearing__id"] is not None, "hearing_closed_at": row["hearing__closed_at"]}
        if row["restricted"]:
            lines.append(AgendaLine(slot=slot, item=item, referral=item.referral, restricted=True, **hearing))
            continue
        flags = _flags(meeting, item, item.referral, slot, row["repeats"], local_start)
        lines.append(AgendaLine(slot=slot, item=item, referral=item.referral, children_count=row["children_named"], flags=flags, **hearing))
    return lines


# What `agenda_lines` reads of each item, its referral and its case.
_LINE_ITEM_FIELDS = ("section", "listed_at", "added_late")
_LINE_REFERRAL_FIELDS = ("meets_repeat", "children_count", "disclosed_on", "referred_on")
_LINE_CASE_FIELDS = ("id", "reference", "public_id")


def _loaded(model, values):
    """An instance of `model` as the database gave `values` (by attribute name): any
    other field is deferred, so that reading one is a query (and shows in a page's
    query count) rather than a default value."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(None, names, [values[name] for name in names])


def _agenda_line_values(items, *, user_id, now, since, on):
    """`items` as `agenda_lines` reads them: its hearing if any, whether each case is
    restricted and hidden from the user, how many children its referral names and how
    many of the case's referrals count towards its repeat alert."""
    return items.annotate(
        restricted=ExpressionWrapper(policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now), output_field=BooleanField()),
        children_named=_count_of(ReferralPerson.objects.filter(referral=OuterRef("referral_id"), role=ReferralPerson.Role.CHILD)),
        repeats=_count_of(_repeat_referrals(since, on).filter(case_id=OuterRef("referral__case_id"))),
    ).values(
        "id", "referral", *_LINE_ITEM_FIELDS, *(f"referral__{name}" for name in _LINE_REFERRAL_FIELDS),
        *(f"referral__case__{name}" for name in _LINE_CASE_FIELDS), "hearing__id", "hearing__closed_at", "restricted", "children_named", "repeats",
    )


def _every_agenda_line(meeting_id, user_id, now, since, on):
    """Every item of the meeting's agenda (what `agenda_items` lists for the coordinator
    and the chair) as `_agenda_line_values` reads it."""
    return _agenda_line_values(AgendaItem.objects.filter(meeting_id=meeting_id), user_id=user_id, now=now, since=since, on=on)


def _agenda_entry(pk, section, listed_at, children_count):
    return listing.AgendaEntry(key=pk, section=section, has_children=children_count > 0, listed_at=listed_at)


def _slots(meeting, entries):
    # From the meeting's local start, so each slot's times are local ones (which
    # `display.case_entry_html` writes as they are).
    local_start = timezone.localtime(meeting.starts_at)
    return listing.slots(entries, starts_at=local_start, minutes_per_case=meeting.minutes_per_case, capacity=meeting.capacity, timed=not meeting.is_async)


def _repeat_window_start(meeting, on):
    """The first day of the Marac's repeat-alert window ending on `on`."""
    return on - relativedelta(months=meeting.marac.repeat_alert_months)


def _repeat_referrals(since, on):
    """The repeat referrals that count towards a case's repeat alert at a meeting on `on`:
    those referred in the Marac's alert window (`_repeat_window_start`) up to that day."""
    return Referral.objects.filter(meets_repeat=True, referred_on__gte=since, referred_on__lte=on)


def _recent_repeats(meeting, case_ids, on):
    rows = _repeat_referrals(_repeat_window_start(meeting, on), on).filter(case_id__in=case_ids).values("case_id").annotate(n=Count("id"))
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


def with_pending_listing(page):
    """A page of cases (`anniversaries_due`), each with `listed_elsewhere`: the meeting
    still to be held whose agenda already carries it, or None. One query for the page."""
    pending = pending_listings({case.pk for case in page})
    for case in page:
        case.listed_elsewhere = pending.get(case.pk)
    return page


def awaiting_listing(*, user, marac):
    """Referrals awaiting listing, the longest wait first (`awaiting_order`): page them,
    then `listing_rows`."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return Referral.objects.none()
    # A restricted case is still listed by any coordinator, but shown without details.
    hidden = Q(case_id__isnull=False) & policy.hidden_case_q(user, "case_id")
    return (
        Referral.objects.filter(marac=marac, status=Referral.Status.AWAITING_LISTING)
        .select_related("case", "case__victim", "referring_agency")
        .annotate(restricted=ExpressionWrapper(hidden, output_field=BooleanField()))
        .order_by(*awaiting_order())
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
        loads = listing.advance(loads, listing.propose(clock_start=today, today=today, meetings=loads, lead_days=lead_days))
    rows = []
    pending = pending_listings({referral.case_id for referral in page})
    for referral in page:
        # From the disclosure when it is known, as the case list and the figures count.
        clock_start = referral_clock_start(referral)
        proposal = listing.propose(clock_start=clock_start, today=today, meetings=loads, lead_days=lead_days)
        loads = listing.advance(loads, proposal)
        meeting = meetings.get(proposal.meeting_id) if proposal else None
        rows.append(ListingRow(referral, proposal, meeting, listing.six_week_target(clock_start, today), pending.get(referral.case_id)))
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


def next_meeting_read(*, user, marac, now):
    """The Marac's next meeting (or one under way today) with its cases, research
    returned of expected (each researching agency on each case) and declarations signed,
    as a read for `compiled.read_together` (give what it reads to `readiness_of`); None
    for a role that does not see every case. The coordinator's and the chair's home."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return None
    return _next_meeting_with_counts, {"marac_id": marac.pk, "since": now - timezone.timedelta(hours=12)}


def readiness_of(meetings, marac):
    """The Readiness of the meeting `next_meeting_read` read (a list of it, or empty:
    None)."""
    if not meetings:
        return None
    meeting = meetings[0]
    meeting.marac = marac
    expected = meeting.n_cases * meeting.n_agencies if meeting.published_at else 0
    return Readiness(meeting, meeting.n_cases, meeting.n_returned, expected, meeting.n_signed)


def _next_meeting_with_counts(marac_id, since):
    """The meeting with its counts as scalar subqueries: one query, compiled once (the
    ORM took longer to compile the four counts than the database takes to run them)."""
    agencies = researching_agency_ids(Marac(pk=marac_id))
    return (
        # A meeting whose minutes are out has been held, even if it was run early (under a
        # recorded reason) and its date is still to come: the next one is the one after.
        Meeting.objects.filter(marac_id=marac_id, status=Meeting.Status.SCHEDULED, starts_at__gte=since, minutes_published_at__isnull=True)
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
    """Agencies × cases: returned, no trace, late, in progress, not yet returned (before
    the research deadline) or missing (not asked yet, before the case list is
    published)."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return None
    # Whether each case is restricted and hidden from the user, read with the items.
    items = list(
        meeting.items.select_related("referral__case")
        .annotate(restricted=ExpressionWrapper(policy.hidden_case_q(user, "referral__case_id"), output_field=BooleanField()))
        .order_by("listed_at")
    )
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
        # Before the case list goes out nobody has been asked, and before the research
        # deadline nothing is late: "Missing" in red would blame them.
        if not meeting.published_at:
            return MatrixCell("not_asked", "Not asked yet")
        return MatrixCell("missing", "Missing") if timezone.now() > meeting.research_deadline else MatrixCell("awaited", "Not yet returned")
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


def published_upcoming_read(*, user, marac, now):
    """The Marac's scheduled meetings whose case list is sent, from the day before `now`
    (those `meetings_for` gives the home pages), soonest first, each with its Marac: a
    read for `compiled.read_together` (build, values), None when the user's roles show
    no meeting. Compiled once: every home page of the coordinator and the agencies asks
    it, and the ORM took longer to build it than the database to run it."""
    if not policy.has_role(user, marac, *policy.MEETING_ROLES):
        return None
    return _published_upcoming, {"marac_id": marac.pk, "since": now - timezone.timedelta(days=1)}


def _published_upcoming(marac_id, since):
    return Meeting.objects.filter(_published_upcoming_q(marac_id, since)).select_related("marac").order_by("starts_at")


def _published_upcoming_q(marac_id, since, meeting=""):
    """The meetings of `_published_upcoming`; `meeting` the lookup from the filtered
    model to its meeting ("meeting__" for an agenda item)."""
    return Q(**{f"{meeting}marac_id": marac_id, f"{meeting}starts_at__gte": since, f"{meeting}status": Meeting.Status.SCHEDULED, f"{meeting}published_at__isnull": False})


def research_missing_reads(*, user, marac, now):
    """What `services.missing_research_by_meeting` needs for the meetings
    `published_upcoming_read` gives, as three reads for `compiled.read_together`: each
    meeting's cases, the cases on which each agency returned research, and the
    researching agencies by name; Nones when the user's roles show no meeting."""
    if not policy.has_role(user, marac, *policy.MEETING_ROLES):
        return None, None, None
    values = {"marac_id": marac.pk, "since": now - timezone.timedelta(days=1)}
    return (_upcoming_case_counts, values), (_upcoming_research_returned, values), (_researching_agencies, {"marac_id": marac.pk})


def _upcoming_case_counts(marac_id, since):
    items = AgendaItem.objects.filter(_published_upcoming_q(marac_id, since, "meeting__"))
    return items.values("meeting").annotate(n=Count("pk")).values("meeting", "n")


def _upcoming_research_returned(marac_id, since):
    returned = ResearchReturn.objects.filter(_published_upcoming_q(marac_id, since, "meeting__"), returned_at__isnull=False)
    return returned.values("meeting", "agency").annotate(n=Count("referral", distinct=True)).values("meeting", "agency", "n")


def _researching_agencies(marac_id):
    return Agency.objects.filter(pk__in=researching_agency_ids(Marac(pk=marac_id))).order_by("name")


def research_outstanding_read(*, user, marac, now):
    """`research_outstanding_by_meeting` for the meetings `published_upcoming_read` gives,
    as a read for `compiled.read_together` (rows of meeting and n), None when the user
    does no research in the Marac: the same agenda items, through the meetings' own
    columns rather than a list of their ids, so that it is compiled once for each shape
    of the access filter and sent with the page's other reads."""
    if user.agency_id is None or not policy.has_role(user, marac, Role.REPRESENTATIVE, Role.IDVA):
        return None
    values = {"marac_id": marac.pk, "since": now - timezone.timedelta(days=1), "agency_id": user.agency_id}
    if policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        # As `_visible`: every case of the Marac but the restricted ones hidden from the user.
        return _outstanding_every_case, {**values, "user_id": user.pk, "now": now}
    kinds, shape = policy.visible_case_shape(user)
    return _outstanding_query(kinds), {**shape, **values, "now": now}


def _outstanding_items(marac_id, since, agency_id):
    returned = ResearchReturn.objects.filter(meeting=OuterRef("meeting"), referral=OuterRef("referral"), agency_id=agency_id, returned_at__isnull=False)
    return AgendaItem.objects.filter(_published_upcoming_q(marac_id, since, "meeting__")).exclude(Exists(returned))


def _outstanding_every_case(marac_id, since, agency_id, user_id, now):
    items = _outstanding_items(marac_id, since, agency_id).exclude(policy.hidden_case_values_q("referral__case_id", user_id=user_id, now=now))
    return items.values("meeting").annotate(n=Count("pk")).values("meeting", "n")


@lru_cache(maxsize=None)
def _outstanding_query(kinds):
    """`research_outstanding_read`'s query for one shape of the access filter."""

    def build(marac_id, since, agency_id, user_id, now, **values):
        visible = policy.visible_cases_values_q(kinds, user_id=user_id, now=now, agency_id=agency_id, case="referral__case__", **values)
        items = _outstanding_items(marac_id, since, agency_id).filter(visible)
        return items.values("meeting").annotate(n=Count("pk")).values("meeting", "n")

    build.__qualname__ = build.__name__ = f"_outstanding_query_{'_'.join(kinds)}"
    return build


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


def research_on_case_read(*, user, meeting, referral):
    """Every agency's returned research on a case, as a (build, values) pair for
    `compiled.read_together` to send with a page's other reads; None when the user may
    not see the research (yet)."""
    now = timezone.now()
    # The Marac's choice of when research shows can only widen who sees it: read only
    # when the answer without it is no (the chair and coordinator never need it).
    if not policy.can_see_all_research(user, meeting, visible_before_meeting=False, now=now) and not policy.can_see_all_research(
        user, meeting, visible_before_meeting=schedule_for(meeting.marac).research_visible_before_meeting, now=now
    ):
        return None
    # Compiled once (core/compiled.py): the chair's case screen reads it on every open.
    return _returned_research, {"meeting_id": meeting.pk, "referral_id": referral.pk}


def _returned_research(*, meeting_id, referral_id):
    return ResearchReturn.objects.filter(meeting_id=meeting_id, referral_id=referral_id, returned_at__isnull=False).select_related("agency", "returned_by")


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


def register(*, user, meeting, with_representatives=True):
    """The attendance register: one row per agency, then observers, with who signed.

    Each row says who may speak for the agency (its representatives and anyone of it who
    holds another role at the meeting, such as the police chair), whether it is
    represented (marked present, or someone of it signed the declaration by the end of
    the meeting's day and before its minutes were published) and whether
    someone marked present has not signed. A constant number of queries. Without
    `with_representatives` (the run page's summary, which names none) each row's
    representatives are left unread (None)."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return None
    return _register(meeting, with_representatives=with_representatives)


def minutes_attendance(*, user, meeting):
    """The register as the minutes open with it: present (with names and late or early),
    apologies (and whether information came in advance), absent, not recorded, observers,
    the agencies that did not return research on every case, and those with nobody to
    research."""
    if not policy.can_see_meeting(user, meeting):
        return None
    data = _register(meeting, with_representatives=False)
    groups = {"present": [], "apologies": [], "absent": [], "not_recorded": []}
    for row in data["rows"]:
        attendance = row["attendance"]
        if row["represented"]:
            groups["present"].append(row)
        elif attendance and attendance.status:
            groups[attendance.status].append(row)
        else:
            groups["not_recorded"].append(row)
    # Agencies with nobody to research (no representative, no Idva): not "missing" what
    # nobody could be asked for, but named, as the research grid names them.
    researching = set(researching_agency_ids(meeting.marac))
    no_one = [row["link"].agency for row in data["rows"] if row["link"].agency_id not in researching]
    return {**groups, "observers": data["observers"], "research_missing": agencies_missing_research(meeting), "no_one_to_research": no_one}


def _register(meeting, *, with_representatives):
    # The attendance (agencies and observers), the signatures and the Marac's agencies in
    # three queries compiled once (core/compiled.py), sent together where the database
    # allows: the ORM took longer to build them than the database takes to run them.
    marked, signatures, links = compiled.rows_together(
        (_register_attendance, {"meeting_id": meeting.pk}), (_register_signatures, {"meeting_id": meeting.pk}),
        (_register_links, {"marac_id": meeting.marac_id}),
    )
    marked = [_loaded(Attendance, row) for row in marked]
    recorded = {a.agency_id: a for a in marked if not a.is_observer}
    signed, attended = {}, {}
    for row in signatures:
        signature = _loaded(DeclarationSignature, {name: row[name] for name in _SIGNATURE_FIELDS})
        signature.user = _loaded(User, {"id": row["user_id"], "full_name": row["user__full_name"], "agency_id": row["user__agency_id"]})
        signed.setdefault(signature.user.agency_id, []).append(signature)
        # Signed later (to read the minutes, say): shown as signed, never as attending.
        if signed_at_the_meeting(meeting, signature.signed_at):
            attended.setdefault(signature.user.agency_id, []).append(signature)
    people = {}
    if with_representatives:
        memberships = (
            Membership.objects.filter(marac=meeting.marac, role__in=REPRESENTING_ROLES, is_active=True).select_related("user").order_by("user__full_name")
        )
        for membership in memberships:
            holders = people.setdefault(membership.user.agency_id, {})
            holders.setdefault(membership.user, []).append(membership.get_role_display().lower())
    rows = []
    for row in links:
        link = _loaded(MaracAgency, {name: row[name] for name in _LINK_FIELDS})
        link.agency = _loaded(Agency, {"id": row["agency_id"], "name": row["agency__name"], "kind": row["agency__kind"]})
        attendance = recorded.get(link.agency_id)
        signatures = signed.get(link.agency_id, [])
        at_meeting = attended.get(link.agency_id, [])
        present = attendance is not None and attendance.status == Attendance.Status.PRESENT
        rows.append(
            {
                "link": link,
                "attendance": attendance,
                "representatives": (
                    [{"user": person, "roles": roles} for person, roles in people.get(link.agency_id, {}).items()] if with_representatives else None
                ),
                "signatures": signatures,
                "signed_at_meeting": at_meeting,
                "represented": present or (attendance is None and bool(at_meeting)),
                # A signature made later (to read the minutes) was not made at the meeting.
                "present_unsigned": present and not at_meeting,
            }
        )
    observers = [a for a in marked if a.is_observer]
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


_ATTENDANCE_FIELDS = tuple(f.attname for f in Attendance._meta.concrete_fields)
_SIGNATURE_FIELDS = ("id", "meeting_id", "user_id", "signed_at")
_LINK_FIELDS = tuple(f.attname for f in MaracAgency._meta.concrete_fields)


def _register_attendance(meeting_id):
    return Attendance.objects.filter(meeting_id=meeting_id).values(*_ATTENDANCE_FIELDS)


def _register_signatures(meeting_id):
    """Who signed, with the name and agency each row of the register shows."""
    return DeclarationSignature.objects.filter(meeting_id=meeting_id).values(*_SIGNATURE_FIELDS, "user__full_name", "user__agency_id")


def _register_links(marac_id):
    """The Marac's active agencies, core agencies first."""
    return (
        MaracAgency.objects.filter(marac_id=marac_id, is_active=True)
        .order_by("-is_core", "agency__name")
        .values(*_LINK_FIELDS, "agency__name", "agency__kind")
    )


def late_listing_meetings(*, user, marac, upcoming=None):
    """Published meetings still to come with room: where the coordinator may add a late
    high-risk referral (agencies are told it was added late). Of `upcoming`, as
    `upcoming_meetings` gives them, when the caller has them."""
    if not policy.can_prepare_meetings(user, marac):
        return []
    upcoming = upcoming_meetings(marac) if upcoming is None else upcoming
    return [meeting for meeting in upcoming if meeting.published_at is not None and meeting.listed < meeting.capacity]
