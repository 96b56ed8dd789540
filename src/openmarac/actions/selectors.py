"""Reads of action plans, scoped through the access policy."""

import functools
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from openmarac.access import policy
from openmarac.accounts.models import Role
from openmarac.core import compiled
from openmarac.meetings.models import Meeting

from . import flags
from .models import Action, ActionKind, agreed_at

_ACTION_DETAIL = ["owner_agency", "case", "hearing__item__meeting", "risk"]


class HearingState:
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    CLOSED = "Closed"


def hearing_state(heard, closed_at):
    """An agenda item's state at the meeting: a case screen opened makes the hearing (in
    progress) until the case is closed; an item with none is not started."""
    if not heard:
        return HearingState.NOT_STARTED
    return HearingState.CLOSED if closed_at else HearingState.IN_PROGRESS


def _open_repeat_decision_ids(case_id):
    from openmarac.meetings.models import RepeatDecision

    return RepeatDecision.objects.filter(case_id=case_id, done_on__isnull=True).values("pk")


def open_repeat_decisions_read(*, case_id):
    """Whether the case has open repeat-alert decisions, as (build, values) for
    `compiled.rows_together`; its rows go to `open_repeat_decisions`."""
    return _open_repeat_decision_ids, {"case_id": case_id}


def open_repeat_decisions(*, case, ids=None):
    """Repeat-alert decisions on the case not yet done: the case shows them until they are.
    Most cases have none, so whether there are any is asked first by a query compiled
    once (core/compiled.py): building the full one, with its five joins, cost the case
    page more CPU than any other of its reads. `ids`: the rows of
    `open_repeat_decisions_read`, when the caller ran it with its other reads."""
    from openmarac.meetings.models import RepeatDecision

    if ids is None:
        ids = compiled.rows(_open_repeat_decision_ids, case_id=case.pk)
    if not ids:
        return []
    return list(
        RepeatDecision.objects.filter(case=case, done_on__isnull=True).select_related("owner_agency", "hearing__item__meeting", "recorded_by")
    )


def outstanding_for(*, user, meeting):
    """What the meeting reviews first: actions agreed at earlier meetings that are open
    and overdue (they arrive here by themselves), and those done or found not possible
    since the previous meeting, so agencies report back on every one."""
    if not policy.has_role(user, meeting.marac, *policy.ALL_CASES_ROLES):
        return Action.objects.none()
    previous = Meeting.objects.filter(marac=meeting.marac, starts_at__lt=meeting.starts_at, status="scheduled").order_by("-starts_at").first()
    closed_since = (Q(updated_at__gte=previous.starts_at) | Q(hearing__item__meeting=previous)) if previous else Q()
    return (
        Action.objects.filter(policy.visible_actions_q(user), case__marac=meeting.marac, hearing__item__meeting__starts_at__lt=meeting.starts_at)
        .filter(Q(status=Action.Status.OPEN, due_on__lt=timezone.localtime(meeting.starts_at).date()) | (~Q(status=Action.Status.OPEN) & closed_since))
        # An action ended by a transfer lives on as the receiving agency's copy.
        .exclude(status=Action.Status.TRANSFERRED)
        .select_related(*_ACTION_DETAIL)
        .prefetch_related("joint_agencies", "children")
        # The primary key last, so that the pages of the list keep one order.
        .order_by("owner_agency__name", "due_on", "pk")
    )


def actions_of_agency(*, user, marac):
    """The actions the user's agency owns or shares, open first."""
    if user.agency_id is None or not policy.has_role(user, marac, Role.REPRESENTATIVE, Role.IDVA, Role.COORDINATOR):
        return Action.objects.none()
    return (
        Action.objects.filter(policy.owned_or_shared_actions_q(user.agency_id), case__marac=marac)
        .filter(policy.visible_actions_q(user))
        .select_related(*_ACTION_DETAIL)
        .prefetch_related("joint_agencies", "children")
        .order_by("-status", "due_on")
    )


def open_agency_counts_read(*, user, marac, now, today):
    """How many open actions the user's agency owns or shares in the Marac, as
    `actions_of_agency` gives them: records updates (and of them overdue), and the other
    actions (overdue, due within a week). A read for `compiled.read_together`: one row,
    or none when there are none; None when the user's role opens no agency's actions.
    Compiled once: the ORM took longer to build the five counts than the database to
    run them."""
    if user.agency_id is None or not policy.has_role(user, marac, Role.REPRESENTATIVE, Role.IDVA, Role.COORDINATOR):
        return None
    values = {"marac_id": marac.pk, "agency_id": user.agency_id, "user_id": user.pk, "now": now}
    return _open_agency_counts, {**values, "today": today, "week": today + timezone.timedelta(days=7)}


def _open_agency_counts(marac_id, agency_id, user_id, now, today, week):
    records_update = Q(kind=ActionKind.UPDATE_RECORDS)
    # Overdue and due soon by the action list's own filters: the home page calls overdue
    # only what the list's Overdue tab shows.
    overdue = MARAC_ACTION_VIEWS["overdue"][1](today=today)
    soon = _DUE["due_soon"](today=today, soon_until=week)
    open_actions = Action.objects.filter(policy.open_agency_actions_values_q(marac_id=marac_id, agency_id=agency_id, user_id=user_id, now=now))
    # Grouped by the Marac, which the filter holds to one: one row of counts.
    return open_actions.values("marac_id").annotate(
        records_n=Count("id", filter=records_update),
        records_late=Count("id", filter=records_update & overdue),
        n=Count("id", filter=~records_update),
        late=Count("id", filter=~records_update & overdue),
        soon=Count("id", filter=~records_update & soon),
    ).values("records_n", "records_late", "n", "late", "soon")


def action_for(*, user, pk):
    return Action.objects.filter(policy.visible_actions_q(user), pk=pk).select_related(*_ACTION_DETAIL, "case__marac").prefetch_related("children").first()


def openable_action_ids(*, user, meeting):
    """The ids of the meeting's actions this user may open (`visible_actions_q`), read in
    one query, so that the minutes link those and name the others as plain text: the
    minutes show every agency's actions, and a link to one the reader may not open
    ends in "Page not found"."""
    return set(Action.objects.filter(policy.visible_actions_q(user), hearing__item__meeting=meeting).values_list("pk", flat=True))


DUE_SOON_DAYS = 14
RECENTLY_DONE_DAYS = 28

# The views of the Marac's action list: name, label, filter (given `view_dates`). The
# filters take the dates they need rather than work them out from today, so that the
# tabs' counts can be compiled once (`marac_action_summary`).
# The open views by their due dates alone (each view below is an open action's status
# and these): the counts of open actions alone test no status again.
_DUE = {
    "overdue": lambda today, **_: Q(due_on__lt=today),
    "due_soon": lambda today, soon_until, **_: Q(due_on__gte=today, due_on__lte=soon_until),
}
MARAC_ACTION_VIEWS = {
    "overdue": ("Overdue", lambda **dates: Q(status=Action.Status.OPEN) & _DUE["overdue"](**dates)),
    "due_soon": ("Due soon", lambda **dates: Q(status=Action.Status.OPEN) & _DUE["due_soon"](**dates)),
    "completed": (
        "Recently completed",
        lambda done_since, **_: Q(status__in=[Action.Status.COMPLETED, Action.Status.NOT_POSSIBLE], updated_at__date__gte=done_since),
    ),
    "all": ("All actions", lambda **_: Q()),
}
# The dates each view's filter uses.
_VIEW_DATES = {"overdue": ("today",), "due_soon": ("today", "soon_until"), "completed": ("done_since",), "all": ()}


def view_dates(today, views=tuple(MARAC_ACTION_VIEWS)):
    """The dates the filters of `views` are written with: today, the last day "due
    soon" and the first day "recently completed"."""
    dates = {"today": today, "soon_until": today + timezone.timedelta(days=DUE_SOON_DAYS), "done_since": today - timezone.timedelta(days=RECENTLY_DONE_DAYS)}
    return {name: dates[name] for name in dates if any(name in _VIEW_DATES[view] for view in views)}


def marac_actions(*, user, marac, view="all", agency=None, meeting=None, status="", due_from=None, due_to=None, today=None):
    """Every action of the Marac for the coordinator and the chair, one view of it
    (overdue, due soon, recently completed, all) narrowed by agency (owning or joint),
    meeting, status and due dates. None for anyone else. The chase list is the overdue
    view."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return None
    today = today or timezone.localdate()
    # The action's own Marac (always its case's): the open views read the Marac's open
    # actions from their index instead of probing each of its cases.
    actions = Action.objects.filter(policy.visible_actions_q(user), marac=marac).filter(MARAC_ACTION_VIEWS[view][1](**view_dates(today)))
    if view not in OPEN_VIEWS:
        actions = actions.filter(_history_of(marac.pk))
    if agency is not None:
        actions = actions.filter(policy.owned_or_shared_actions_q(agency.pk))
    if meeting is not None:
        actions = actions.filter(hearing__item__meeting=meeting)
    if status:
        actions = actions.filter(status=status)
    if due_from:
        actions = actions.filter(due_on__gte=due_from)
    if due_to:
        actions = actions.filter(due_on__lte=due_to)
    # What the list shows and no more: the meeting's date rather than the hearing, its
    # agenda item and meeting (their minutes and every column), no risk, and not the
    # children (the list names whom an action is for, not which child); of the action,
    # its agency and its case only the columns a row shows (`display.action_rows`), so
    # a page builds no date or text it does not write.
    return (
        actions.select_related("owner_agency", "case")
        .only(*_LIST_COLUMNS)
        .annotate(agreed_at=agreed_at())
        # A list per action (`joints`): the template reads it without making a queryset
        # for every row, as `joint_agencies.all` would.
        .prefetch_related(Prefetch("joint_agencies", to_attr="joints"))
        .order_by(*_ORDER[view])
    )


@dataclass
class ActionListReads:
    """What the Marac's action list reads besides its page of actions
    (`action_list_reads`): the tabs' counts and the agencies' open and overdue actions
    (`marac_action_summary`), the filter's agency and meeting options, the agencies
    that have someone to remind, the filtered list's count (None unfiltered: the tab's
    count), and the first page asked for (`ActionPage`)."""
    counts: dict
    agencies: list
    agency_options: list
    meeting_options: list
    remindable: set
    count: int | None
    page: "ActionPage"


def action_list_reads(*, user, marac, view, filters, page_number, can_chase, now, today, per_page):
    """Everything the Marac's action list reads, by queries compiled once
    (core/compiled.py) and sent to the database together (one round trip on
    PostgreSQL). Building the ORM's queries (the page's ids, its actions, their joint
    agencies, the filter's options) cost the page more CPU than the database took to
    run them. `filters` as `marac_actions` takes them; `page_number` the page asked for,
    whose rows are read with the rest (an integer; any other page, such as one past the
    last, is read when the paginator asks for it). None for anyone but the coordinator
    and the chair."""
    from openmarac.meetings.services import researching_agency_ids_read

    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return None
    views = tuple(dict.fromkeys((*OPEN_VIEWS, view)))
    page = ActionPage(user=user, marac=marac, view=view, filters=filters, now=now, today=today)
    offset = (page_number - 1) * per_page
    summary, meetings, agency_options, remindable, count, rows = compiled.read_together(
        _summary_read(user=user, marac=marac, views=views, now=now, today=today),
        _meeting_options_read(marac=marac, now=now),
        (_agency_options, {"marac_id": marac.pk}),
        researching_agency_ids_read(marac_id=marac.pk) if can_chase else None,
        page.count_read() if filters else None,
        page.read(limit=per_page, offset=offset) if offset >= 0 else None,
    )
    if offset >= 0:
        page.prefetched = (offset, per_page, _with_joints(rows))
    counts, agencies = _summary(summary, user=user, marac=marac, views=views)
    return ActionListReads(
        counts=counts, agencies=agencies, page=page,
        agency_options=[(row["id"], row["name"]) for row in agency_options],
        meeting_options=[(row["public_id"], row["day"]) for row in meetings],
        remindable={row["agency_id"] for row in remindable}, count=count[0]["n"] if count else 0 if filters else None,
    )


class ActionPage:
    """The Marac's action list (`marac_actions`, for a coordinator or a chair) for the
    paginator, read by a query compiled once per view and set of filters: a page's rows
    as dicts of what `display.action_rows` writes, each with its joint agencies' names
    (`joints`). The page's ids are found first, in the list's order, from the index of
    open actions by Marac (the ids, agency and case of the Marac's open actions are all
    in it), so PostgreSQL finds and orders the thousands of overdue actions without
    reading them from the table and reads only the page's (`_page_query`)."""

    def __init__(self, *, user, marac, view, filters, now, today):
        self.view, self.prefetched = view, None
        status = filters.get("status", "")
        self.shape = (view, tuple(name for name in _FILTERS if filters.get(name)), status)
        self.values = {
            "marac_id": marac.pk, "user_id": user.pk, "now": now, **view_dates(today, (view,)),
            **{name: _filter_value(filters[name]) for name in self.shape[1]},
        }

    def count_read(self):
        return _count_query(*self.shape), self.values

    def read(self, *, limit, offset):
        return _page_query(*self.shape), {**self.values, "limit": limit, "offset": offset}

    def count(self):
        build, values = self.count_read()
        found = compiled.rows(build, **values)
        return found[0]["n"] if found else 0

    def __getitem__(self, index):
        offset, limit = index.start or 0, index.stop - (index.start or 0)
        if self.prefetched and self.prefetched[0] == offset and limit <= self.prefetched[1]:
            return self.prefetched[2][:limit]
        build, values = self.read(limit=limit, offset=offset)
        return _with_joints(compiled.rows(build, **values))


# The filters of `marac_actions` a query is built with (status: one query each).
_FILTERS = ("agency", "meeting", "due_from", "due_to")


def _filter_value(value):
    # An agency or a meeting by its key: the compiled query takes values only.
    return getattr(value, "pk", value)


def _listed(view, filtered, status, *, marac_id, user_id, now, agency=None, meeting=None, due_from=None, due_to=None, **dates):
    """`marac_actions` from values alone, for a coordinator or a chair of the Marac (the
    caller checks the role): `visible_actions_q` within one Marac is
    `all_cases_actions_q` for them, as `marac_action_summary` counts them."""
    actions = Action.objects.filter(policy.all_cases_actions_q(marac_id=marac_id, user_id=user_id, now=now)).filter(MARAC_ACTION_VIEWS[view][1](**dates))
    if view not in OPEN_VIEWS:
        actions = actions.filter(_history_of(marac_id))
    if "agency" in filtered:
        actions = actions.filter(policy.owned_or_shared_actions_q(agency))
    if "meeting" in filtered:
        actions = actions.filter(hearing__item__meeting_id=meeting)
    if status:
        actions = actions.filter(status=status)
    if "due_from" in filtered:
        actions = actions.filter(due_on__gte=due_from)
    if "due_to" in filtered:
        actions = actions.filter(due_on__lte=due_to)
    return actions


@functools.cache
def _count_query(view, filtered, status):
    """The count of a filtered list (`ActionPage`), to be compiled once."""

    def build(**values):
        # Grouped by the Marac, which the filter holds to one: one row, or none.
        return _listed(view, filtered, status, **values).values("marac_id").annotate(n=Count("pk")).values("n")

    build.__qualname__ = f"_count_query({view}, {', '.join(filtered)}, {status})"
    return build


@functools.cache
def _page_query(view, filtered, status):
    """A page of the list (`ActionPage`), to be compiled once: the ids of `limit` actions
    from `offset`, in the list's order, as a subquery (its LIMIT and OFFSET bound values,
    not written into the SQL as slicing a queryset writes them), then those actions with
    their agency's name, case's reference, meeting's date and joint agencies' names, a
    row per joint agency, again in the list's order."""
    order = _ORDER[view]

    def build(*, limit, offset, **values):
        ids = _listed(view, filtered, status, **values).order_by(*order).values("pk")
        sql, params = ids.query.sql_with_params()
        page = RawSQL(f"{sql} LIMIT %s OFFSET %s", (*params, limit, offset))
        return (
            Action.objects.filter(pk__in=page)
            # The agreeing meeting's start as the action keeps it (kept in step with the
            # meeting): not looked up through the hearing and agenda item, which the
            # planner weighed for each of the page's actions.
            .annotate(agreed_at=F("agreed_meeting_at"))
            .values("pk", *_LIST_COLUMNS, "agreed_at", joint=F("joint_agencies__name"))
            .order_by(*order, "joint_agencies__name")
        )

    build.__qualname__ = f"_page_query({view}, {', '.join(filtered)}, {status})"
    return build


def _with_joints(rows):
    """The rows of `_page_query`, one per action, each with its joint agencies' names
    (`joints`) in name order, as `prefetch_related` of the agencies gave them."""
    actions = {}
    for row in rows:
        joint = row.pop("joint")
        action = actions.setdefault(row["pk"], {**row, "joints": []})
        if joint is not None:
            action["joints"].append(joint)
    return list(actions.values())


_ORDER = {"completed": ("-updated_at", "id"), "overdue": ("owner_agency__name", "due_on", "id")}
_ORDER.update({view: ("due_on", "id") for view in MARAC_ACTION_VIEWS if view not in _ORDER})


def _agency_options(*, marac_id):
    # The filter's agencies, as `action_filter_choices` gives them, by key and name.
    from openmarac.accounts.models import Agency

    return Agency.objects.filter(marac_links__marac_id=marac_id).order_by("name").values("id", "name")


# The columns a row of the Marac's action list shows (actions/display.py).
_LIST_COLUMNS = (
    "owner_agency__name", "owner_name", "case__reference", "description", "kind", "for_whom", "due_on", "status", "completed_on",
)


def overdue_count(*, user, marac, today=None):
    """The Marac's overdue actions for its coordinator and chair (their home pages and
    the link to the chase list): the chase list's own "overdue" count, counted alone so
    that only open actions are read (through the index of open actions by Marac), not
    every action of the Marac's history as the history tabs' counts must."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return 0
    today = today or timezone.localdate()
    return Action.objects.filter(policy.visible_actions_q(user), marac=marac).filter(MARAC_ACTION_VIEWS["overdue"][1](**view_dates(today))).count()


def overdue_count_read(*, user, marac, now, today):
    """`overdue_count` as a read for `compiled.read_together`: one row of n, or none;
    None for a user whose role does not see every case of the Marac. The home pages of
    the coordinator and the chair read it with their other reads; the agency's Actions page counts
    by `overdue_count` (tests/meetings/test_home_reads.py holds the two alike)."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return None
    return _overdue_count, {"marac_id": marac.pk, "user_id": user.pk, "now": now, "today": today}


def _overdue_count(marac_id, user_id, now, today):
    # `visible_actions_q` within the Marac for its coordinator or chair, from values.
    overdue = Action.objects.filter(policy.all_cases_actions_q(marac_id=marac_id, user_id=user_id, now=now)).filter(
        MARAC_ACTION_VIEWS["overdue"][1](today=today)
    )
    # Grouped by the Marac, which the filter holds to one: one row, or none.
    return overdue.values("marac_id").annotate(n=Count("pk")).values("n")


def _history_of(marac_id):
    """Every action of the Marac, done or open, read case by case through the cases'
    index: only its open actions have an index by Marac (action_open_by_marac). The
    same actions as the action's own Marac gives, which is always its case's."""
    return Q(case__marac_id=marac_id)


# The views that hold open actions only: a few thousand of a Marac's hundreds of
# thousands, counted through the index of open actions by Marac.
OPEN_VIEWS = ("overdue", "due_soon")


def marac_action_summary(*, user, marac, views=tuple(MARAC_ACTION_VIEWS), today=None):
    """For the Marac's action list, in one query grouped by owning agency: how many
    actions each of `views` holds, for its tab (the agencies' counts summed), and for the
    coordinator's reminder buttons each agency with open actions, how many and how many
    overdue, most overdue first. Counting a history view (recently completed, all) reads
    every action of the Marac's years of meetings, so when `views` are open views only,
    only open actions are read. ({}, []) for anyone but the coordinator and the chair; no
    agencies for anyone who may not remind them."""
    if not policy.has_role(user, marac, *policy.ALL_CASES_ROLES):
        return {}, []
    # Compiled once (core/compiled.py): the ORM took ten times longer to build and
    # compile the grouped counts than the database takes to run them.
    build, values = _summary_read(user=user, marac=marac, views=views, now=timezone.now(), today=today or timezone.localdate())
    rows = compiled.rows(build, **values)
    return _summary(rows, user=user, marac=marac, views=views)


def _summary_read(*, user, marac, views, now, today):
    # `marac_action_summary`'s query, as (build, values); its rows go to `_summary`.
    counted = tuple(dict.fromkeys((*views, "overdue")))  # the agencies' overdue counts too
    return _summary_query(counted), {"marac_id": marac.pk, "user_id": user.pk, "now": now, **view_dates(today, counted)}


def _summary(rows, *, user, marac, views):
    for row in rows:
        row["owner_agency__name"] = row.pop("agency_name")
    counts = {name: sum(row[name] for row in rows) for name in views}
    agencies = [row for row in rows if row["open"]] if policy.can_chase_actions(user, marac) else []
    return counts, agencies


@functools.cache
def _summary_query(counted):
    """The query of `marac_action_summary` counting the views `counted`, to be compiled
    once: one such query for each set of views a page counts."""
    from openmarac.accounts.models import Agency

    def build(*, marac_id, user_id, now, **dates):
        actions = Action.objects.filter(policy.all_cases_actions_q(marac_id=marac_id, user_id=user_id, now=now))
        if set(counted) <= set(OPEN_VIEWS):
            # Open actions only: each count tests its due dates, not the status again
            # (the counting was most of the query's time).
            actions = actions.filter(status=Action.Status.OPEN)
            counts = {"open": Count("id"), **{name: Count("id", filter=_DUE[name](**dates)) for name in counted}}
        else:
            actions = actions.filter(_history_of(marac_id))
            counts = {"open": Count("id", filter=Q(status=Action.Status.OPEN)), **{name: Count("id", filter=MARAC_ACTION_VIEWS[name][1](**dates)) for name in counted}}
        return (
            actions.values("owner_agency")
            .annotate(**counts)
            # The agency's name looked up for each of the dozen agencies counted, not
            # joined to each of the thousands of actions before they are grouped: the
            # join took about as long as the counting.
            .annotate(agency_name=Subquery(Agency.objects.filter(pk=OuterRef("owner_agency")).values("name")))
            .order_by("-overdue", "agency_name")
        )

    build.__qualname__ = f"_summary_query({', '.join(counted)})"
    return build


def marac_action_counts(*, user, marac, views=tuple(MARAC_ACTION_VIEWS), today=None):
    """How many actions each of `views` holds, for its tab."""
    return marac_action_summary(user=user, marac=marac, views=views, today=today)[0]


def action_filter_choices(*, marac, since_days=730, now=None):
    """The agencies and meetings the action list can be narrowed to: the Marac's
    agencies, and its meetings of the last two years that have been held (and any still
    to come that agreed actions, run early)."""
    from openmarac.accounts.models import Agency

    # Only what the choices show and send (a meeting is chosen by its public id, shown
    # by its date): two years of meetings are a couple of hundred options, and each
    # whole meeting is a dozen columns, five of them times to read.
    agencies = Agency.objects.filter(marac_links__marac=marac).only("name").order_by("name")
    now = now or timezone.now()
    meetings = _filter_meetings(marac_id=marac.pk, since=now - timezone.timedelta(days=since_days), now=now)
    return agencies, meetings


def _filter_meetings(*, marac_id, since, now):
    # Every meeting held, by the index of the Marac's meetings, rather than asking of
    # each of a couple of hundred whether it agreed an action (through its agenda,
    # hearings and actions: most of the time the list's filter took to read). Only a
    # meeting still to come (run early) or cancelled is asked: every meeting that agreed
    # an action is offered, as before.
    agreed = Action.objects.filter(hearing__item__meeting=OuterRef("pk"))
    return (
        Meeting.objects.filter(marac_id=marac_id, starts_at__gte=since)
        .filter(Q(starts_at__lte=now, status=Meeting.Status.SCHEDULED) | Exists(agreed))
        .only("public_id", "starts_at")
        .order_by("-starts_at")
    )


def _meeting_options_read(*, marac, now, since_days=730):
    now = now or timezone.now()
    return _meeting_options, {"marac_id": marac.pk, "since": now - timezone.timedelta(days=since_days), "now": now}


def _meeting_options(*, marac_id, since, now):
    return _filter_meetings(marac_id=marac_id, since=since, now=now).annotate(day=TruncDate("starts_at")).values("public_id", "day")


def _earlier_actions(*, case_id, hearing_id):
    """The case's actions agreed anywhere but at the hearing, oldest meeting first: so a
    chair can see what was tried before and what became of it (`screen_reads`). Each
    with `agreed_at`, the start of its meeting: the one value of the meeting shown, read
    through the join the order needs rather than the meeting's, item's and hearing's
    every column."""
    return (
        Action.objects.filter(case_id=case_id)
        .exclude(hearing_id=hearing_id)
        .select_related("owner_agency")
        .annotate(agreed_at=F("hearing__item__meeting__starts_at"))
        .order_by("hearing__item__meeting__starts_at", "id")
    )


def expiring_flags(*, user, marac, within_days=30, today=None):
    if not policy.has_role(user, marac, Role.COORDINATOR):
        return Action.objects.none()
    today = today or timezone.localdate()
    return (
        Action.objects.filter(
            policy.visible_actions_q(user), case__marac=marac, kind=ActionKind.FLAG, flag_expires_on__gte=today, flag_expires_on__lte=today + timezone.timedelta(days=within_days),
            flag_removed_at__isnull=True,
        )
        .exclude(status=Action.Status.TRANSFERRED)
        .select_related(*_ACTION_DETAIL)
        .prefetch_related("joint_agencies", "children")
    )


def open_after_two_meetings(*, marac, now=None):
    """Actions still open after two further meetings: reported to governance as counts
    by agency (no personal data). Counted by the governance figures, so the home page
    and the dashboard agree."""
    from openmarac.governance import figures

    breakdown = figures.open_after_two_meetings(marac=marac, now=now)
    return {label: values[0] for label, values, _ in breakdown.rows}


def ended_by_transfer(*, user, marac):
    """The user's agency's actions agreed at this Marac's meetings that ended when
    their case moved to another Marac: what the transfer email points to. The case is
    no longer this Marac's, so only the action itself shows, never the people."""
    if user.agency_id is None or not policy.has_role(user, marac, Role.REPRESENTATIVE, Role.IDVA, Role.COORDINATOR):
        return Action.objects.none()
    return (
        Action.objects.filter(status=Action.Status.TRANSFERRED, owner_agency_id=user.agency_id, hearing__item__meeting__marac=marac)
        .select_related("hearing__item__meeting")
        .order_by("-updated_at", "id")
    )


FLAG_VIEWS = {
    "due": "Due to come off",
    "overdue": "Overdue: not confirmed removed",
    "confirmed": "Confirmed removed",
}


def flags_overview(*, user, marac, today=None):
    """For the coordinator: the Marac's flags due to come off agency files (from a month
    before their date), overdue (date passed, removal not confirmed) and confirmed. A
    dict of view name to queryset, or None for anyone else. The same rules as
    `flags.state`, written as filters so a page reads only the rows it shows."""
    if not policy.has_role(user, marac, Role.COORDINATOR):
        return None
    today = today or timezone.localdate()
    base = (
        Action.objects.filter(policy.visible_actions_q(user), case__marac=marac, kind=ActionKind.FLAG, flag_expires_on__isnull=False)
        .exclude(status=Action.Status.TRANSFERRED)
        .select_related("owner_agency", "case", "flag_removed_by")
    )
    waiting = base.filter(flag_removed_at__isnull=True)
    return {
        "due": waiting.filter(flag_expires_on__gte=today, flag_expires_on__lte=flags.due_horizon(today)).order_by("flag_expires_on", "id"),
        "overdue": waiting.filter(flag_expires_on__lt=today).order_by("flag_expires_on", "id"),
        "confirmed": base.filter(flag_removed_at__isnull=False).order_by("-flag_removed_at", "id"),
    }


def hearing_children(hearing):
    """The children named on the referral heard: those an action can be for."""
    return _children_named(referral_id=hearing.item.referral_id)


def _children_named(*, referral_id):
    from openmarac.people.models import Person
    from openmarac.referrals.models import ReferralPerson

    return (
        Person.objects.filter(referral_roles__referral_id=referral_id, referral_roles__role=ReferralPerson.Role.CHILD)
        .annotate(details_unreliable=F("referral_roles__details_unreliable"))
        .order_by("referral_roles__pk")
    )


def hearing_risks(hearing):
    """The risks recorded at the hearing, in the order recorded (`hearing.risks.all()`),
    read by a query compiled once (core/compiled.py): the case screen and its live part
    read them on every open and every poll."""
    return _of_hearing(compiled.objects(_hearing_risks, hearing_id=hearing.pk), hearing)


def _hearing_risks(*, hearing_id):
    from openmarac.meetings.models import Risk

    return Risk.objects.filter(hearing_id=hearing_id)


@dataclass
class ScreenReads:
    """What the chair's case screen reads of a hearing and its case (`screen_reads`)."""
    children: list
    risks: list
    assessment: object
    actions: list
    history: list
    entry: object  # the case as the case list shows it (`case_screen`)
    next_item: object  # the agenda item heard next, None after the last
    research: object  # the research returned, None when the user may not see it yet
    agencies: list  # the Marac's agencies, which the chair's forms offer
    open_decision_ids: list  # `open_repeat_decisions_read`'s rows


def screen_reads(hearing, *, user, meeting):
    """The hearing's children (`hearing_children`), risks (`hearing_risks`), plan
    (`hearing_plan`), its referral's risk assessment, the case's earlier actions
    (`_earlier_actions`), the case as the case list shows it (`case_screen`), the research
    returned, the Marac's agencies and whether repeat-alert decisions are open: fourteen
    queries compiled once (core/compiled.py) and sent to the database together, one
    round trip on PostgreSQL where there were five, on every open of the chair's case
    screen."""
    from openmarac.meetings import selectors as meeting_selectors

    item = hearing.item
    research_read = meeting_selectors.research_on_case_read(user=user, meeting=meeting, referral=item.referral)
    entry, next_item, read = meeting_selectors.case_screen(user=user, meeting=meeting, item=item, also=[
        (_children_named, {"referral_id": item.referral_id}),
        (_hearing_risks, {"hearing_id": hearing.pk}),
        (_referral_assessment, {"referral_id": item.referral_id}),
        (_plan_of_hearing, {"hearing_id": hearing.pk}),
        (_plan_joint_agencies, {"hearing_id": hearing.pk}),
        (_earlier_actions, {"case_id": item.referral.case_id, "hearing_id": hearing.pk}),
        (marac_agencies, {"marac_id": meeting.marac_id}),
        open_repeat_decisions_read(case_id=item.referral.case_id),
        research_read,
    ])
    children, risks, assessments, actions, links, history, agencies, decision_ids, research = read
    return ScreenReads(
        children=children, risks=_of_hearing(risks, hearing), assessment=assessments[0] if assessments else None,
        actions=_with_joint_agencies(_of_hearing(actions, hearing), links), history=history,
        entry=entry, next_item=next_item, research=research if research_read else None, agencies=agencies, open_decision_ids=decision_ids,
    )


def marac_agencies(*, marac_id):
    """The Marac's active agencies: those an action of its meetings may be given to."""
    from openmarac.accounts.models import Agency

    return Agency.objects.filter(marac_links__marac_id=marac_id, marac_links__is_active=True)


def _of_hearing(objects, hearing):
    # As `hearing.risks.all()` and `hearing.actions.all()` give them: each knows its hearing.
    for obj in objects:
        obj.hearing = hearing
    return objects


def hearing_plan(hearing):
    """The hearing's actions (`hearing.actions.all()`) with their owner, risk and joint
    agencies, as the case screen and its live part show them, by two queries compiled
    once (core/compiled.py): the ORM took longer to build them than the database takes
    to run them, on every open and every poll. The joint agencies are read for the
    whole hearing and kept as each action's prefetched `joint_agencies`, in the order
    `prefetch_related` gives (the agency's name)."""
    actions = _of_hearing(compiled.objects(_plan_of_hearing, hearing_id=hearing.pk), hearing)
    return _with_joint_agencies(actions, compiled.objects(_plan_joint_agencies, hearing_id=hearing.pk) if actions else [])


def _with_joint_agencies(actions, links):
    """`actions` with their joint agencies prefetched from `links` (`_plan_joint_agencies`),
    as `prefetch_related("joint_agencies")` leaves them."""
    joints = {}
    for link in links:
        joints.setdefault(link.action_id, []).append(link.agency)
    for action in actions:
        agencies = action.joint_agencies.all()
        agencies._result_cache, agencies._prefetch_done = joints.get(action.pk, []), True
        action._prefetched_objects_cache = {"joint_agencies": agencies}
    return actions


def _plan_of_hearing(*, hearing_id):
    return Action.objects.filter(hearing_id=hearing_id).select_related("owner_agency", "risk")


def _plan_joint_agencies(*, hearing_id):
    return Action.joint_agencies.through.objects.filter(action__hearing_id=hearing_id).select_related("agency").order_by("action_id", "agency__name")


def _referral_assessment(*, referral_id):
    # As `RiskAssessment.objects.filter(referral=...).first()`: the latest completed.
    from openmarac.risk.models import RiskAssessment

    return RiskAssessment.objects.filter(referral_id=referral_id)[:1]


def frontline_summary(*, user, meeting):
    """What the user's agency must pass to its frontline staff after the meeting:
    `own`, the actions it owns or shares; `household`, the other agencies' actions on the
    cases it works with (it referred the case, holds a referral or has an action in it),
    such as the school's action for a child its health visitor sees. Only cases the user
    may still open; a fixed number of queries however many actions."""
    from openmarac.meetings import selectors as meeting_selectors
    from openmarac.referrals.models import Case, CaseInvolvement

    agency_id = user.agency_id
    if agency_id is None:
        return Action.objects.none(), Action.objects.none()
    items = meeting_selectors.visible_items(user=user, meeting=meeting)
    base = Action.objects.filter(hearing__item__in=items).select_related(*_ACTION_DETAIL).prefetch_related("joint_agencies")
    mine = Q(owner_agency_id=agency_id) | Q(joint_agencies=agency_id)
    own = base.filter(mine).distinct().order_by("due_on")
    # Being sent the case list (an "agenda" involvement) is not working with the household.
    works_with = Q(pk__in=CaseInvolvement.objects.filter(agency_id=agency_id).exclude(reason=CaseInvolvement.Reason.AGENDA).values("case_id"))
    worked_with = Case.objects.filter(pk__in=items.values("referral__case_id")).filter(
        works_with | Q(actions__owner_agency_id=agency_id) | Q(actions__joint_agencies=agency_id)
    )
    household = (
        base.filter(case_id__in=worked_with.values("pk"))
        .exclude(pk__in=Action.objects.filter(mine, hearing__item__in=items).values("pk"))
        .distinct()
        .order_by("case__reference", "due_on")
    )
    return own, household


def referrer_outcome(*, referral):
    """The hearing of a referral, once closed for the meeting, for the referrer's page
    (the outcome written for them and the date heard); None before."""
    from openmarac.meetings.models import Hearing

    return Hearing.objects.filter(item__referral=referral, closed_at__isnull=False).select_related("item__meeting").order_by("-closed_at").first()


def hearings_to_tell_victim(*, user, referral):
    """The closed hearings of a referral on which the Idva (or coordinator) records
    whether the victim was told of the plan."""
    from openmarac.meetings.models import Hearing

    if not policy.has_role(user, referral.marac, Role.IDVA, Role.COORDINATOR):
        return Hearing.objects.none()
    return Hearing.objects.filter(item__referral=referral, closed_at__isnull=False).select_related("item__meeting").order_by("closed_at")
