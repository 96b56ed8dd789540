"""A meeting held in OpenMarac, step by step through the services, and the figures it
gives: the same return as imported history, and the dashboard's engagement, action and
Idva figures, each counted by hand from the steps below."""

from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from openmarac.actions import services as actions
from openmarac.actions.models import Action
from openmarac.meetings import services as meetings
from openmarac.meetings.models import Attendance
from openmarac.referrals.models import IdvaReferral
from openmarac.referrals.services import referral_record
from openmarac.synthetic.referrals import ReferralGenerator

LONDON = ZoneInfo("Europe/London")
QUARTER = (date(2025, 4, 1), date(2025, 6, 30))


def _statements(queries):
    """The SQL statements run: on PostgreSQL a reading's statements are sent to the
    server together, as one (core.compiled.rows_together), between the two that turn
    parallel workers off and back, each after its PREPARE the first time it runs on the
    connection (those not counted: they read nothing)."""
    return sum(
        1 for query in queries for statement in query["sql"].split(";\n") if not statement.startswith(("SELECT set_config(", "PREPARE "))
    )


def _round_trips(statements, readings):
    """What `statements` cost in calls to the database: one each on SQLite, one a
    reading on PostgreSQL."""
    return statements if connection.vendor == "sqlite" else readings


@pytest.fixture
def held(staff, marac):
    from openmarac.governance import figures

    coordinator, police = staff["coordinator"], staff["chair"].agency
    generator = ReferralGenerator(seed=11)
    with freeze_time(datetime(2025, 4, 22, 9, 0, tzinfo=LONDON)):
        referrals = [
            referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=police, referred_on=date(2025, 4, 22), children=children), by=staff["referrer"], notify_agencies=False)
            for children in (2, 0)
        ]
        meeting = meetings.meeting_add(by=coordinator, marac=marac, starts_at=datetime(2025, 5, 13, 9, 30, tzinfo=LONDON))
        items = [meetings.referral_list(by=coordinator, referral=r, meeting=meeting) for r in referrals]
        meetings.meeting_publish(by=coordinator, meeting=meeting)
    # The Idva service reaches the first victim within a day; the second not within 48 hours.
    IdvaReferral.objects.filter(referral=referrals[0]).update(first_contact_at=datetime(2025, 4, 23, 10, 0, tzinfo=LONDON))
    IdvaReferral.objects.filter(referral=referrals[1]).update(first_contact_at=datetime(2025, 4, 28, 10, 0, tzinfo=LONDON))
    housing = staff["housing_rep"]
    with freeze_time(datetime(2025, 5, 9, 12, 0, tzinfo=LONDON)):  # before the research deadline
        meetings.research_save(by=housing, meeting=meeting, referral=referrals[0], data={"facts": "Tenancy"}, submit=True)
    with freeze_time(datetime(2025, 5, 13, 8, 0, tzinfo=LONDON)):  # after it
        meetings.research_save(by=housing, meeting=meeting, referral=referrals[1], data={"facts": "None"}, submit=True)
    with freeze_time(datetime(2025, 5, 13, 11, 0, tzinfo=LONDON)):
        meetings.attendance_save(by=coordinator, meeting=meeting, rows=[
            {"agency": police.pk, "status": Attendance.Status.PRESENT},
            {"agency": housing.agency.pk, "status": Attendance.Status.APOLOGIES},
        ])
        hearings = [actions.hearing_for(item) for item in items]
        made = [
            actions.action_add(by=coordinator, hearing=hearings[0], owner_agency=housing.agency, description=f"Action {i}", for_whom="victim", due_on=date(2025, 6, 1))
            for i in range(3)
        ]
        for hearing in hearings:
            actions.hearing_close(by=coordinator, hearing=hearing, reason="Idva not present", children_reason="Checked after")
    with freeze_time(datetime(2025, 5, 20, 12, 0, tzinfo=LONDON)):
        actions.action_report(by=coordinator, action=made[0], version=1, status=Action.Status.COMPLETED, completed_on=date(2025, 5, 20))
        actions.action_report(by=coordinator, action=made[1], version=1, status=Action.Status.NOT_POSSIBLE, not_possible_reason=Action.NotPossibleReason.AGENCY_NOT_DONE)
    return figures.Period(*QUARTER), referrals


def test_a_meeting_held_in_openmarac_is_in_the_return_like_imported_history(held, marac):
    from openmarac.governance import figures

    period, referrals = held
    rows = figures.return_as_json(figures.data_return(marac=marac, period=period))
    assert rows == [{
        "meeting_date": "2025-05-13", "cases": 2, "repeats": 0, "children": 2,
        "referrals_by_agency_kind": {"police": 2},
        "victims_racially_minoritised": sum(r.victim_racially_minoritised == "yes" for r in referrals),
        "victims_lgbt": sum(r.victim_lgbt == "yes" for r in referrals),
        "victims_disabled": sum(r.victim_disabled == "yes" for r in referrals),
        "victims_male": 0, "victims_aged_16_17": 0, "perpetrators_aged_17_or_under": 0,
    }]


def test_engagement_actions_and_idva_figures(held, marac, staff):
    from openmarac.governance import figures

    period, _ = held
    now = figures.period_figures(marac=marac, period=period, today=date(2025, 7, 1))
    assert (now.actions_agreed, now.actions_completed, now.actions_completed_on_time, now.actions_overdue) == (3, 1, 1, 1)
    assert now.actions_not_possible == {"circumstances_changed": 0, "agency_not_done": 1}
    assert (now.research_returned, now.research_on_time) == (2, 1)
    assert (now.idva_contacts_due, now.idva_contacts_within_48h) == (2, 1)
    assert now.hearing_days_median == 21  # 22 April to 13 May
    assert now.referrals_per_idva_a_year == round(2 * 365.25 / 91 / 1, 1)  # two referrals in 91 days, one Idva
    assert (now.hearing_within_target_share, now.idva_within_48h_share, now.research_on_time_share) == (100.0, 50.0, 50.0)
    assert now.diversity_shares["victims_male"] == 0.0
    attendance = {label: values for label, values, _ in now.breakdowns["attendance"].rows}
    assert attendance[staff["chair"].agency.name][:3] == [1, 0, 0]
    assert attendance[staff["housing_rep"].agency.name][:3] == [0, 1, 0]
    assert attendance[staff["chair"].agency.name][3] == 100.0
    outcomes = figures.outcomes(marac=marac, period=period, today=date(2025, 7, 1))
    assert outcomes.actions_per_case == 1.0  # one completed action, agreed for one case


def test_referrals_a_year_per_idva_are_not_available_for_a_period_with_a_referral_recorded_as_heard(held, marac, staff):
    """A referral recorded as already heard (imported history) was never referred to
    the Idva service here: with one in the period, the Idva count falls short, so the
    figure is not given rather than given too low."""
    from openmarac.governance import display, figures

    period, _ = held
    data = replace(ReferralGenerator(seed=12).referral(marac=marac, referring_agency=staff["chair"].agency, referred_on=date(2025, 4, 23)), heard_on=date(2025, 5, 13))
    with freeze_time(datetime(2025, 6, 2, 9, 0, tzinfo=LONDON)):
        referral_record(marac=marac, data=data, by=staff["coordinator"], notify_agencies=False)
    now = figures.period_figures(marac=marac, period=period, today=date(2025, 7, 1))
    assert (now.idva_referrals, now.referrals_per_idva_a_year) == (2, None)
    assert display.number_text(now.referrals_per_idva_a_year, basis=now.idva_referrals) == "Not available"
    # The quarter before has no referral at all: nothing is short, the rate is 0.
    before = figures.period_figures(marac=marac, period=period.previous(), today=date(2025, 7, 1))
    assert before.referrals_per_idva_a_year == 0


def test_figures_queries_do_not_grow_with_meetings(held, marac):
    from openmarac.governance import figures

    period, _ = held
    with CaptureQueriesContext(connection) as queries:
        figures.period_figures(marac=marac, period=period, today=date(2025, 7, 1))
        figures.outcomes(marac=marac, period=period, today=date(2025, 7, 1))
    # A fixed number, whatever the rows: 10 for the period's figures and 4 for outcomes
    # (two more, for the decisions, when a case reached the repeat-alert threshold).
    assert _statements(queries) == 14, [q["sql"][:80] for q in queries]
    assert len(queries) == _round_trips(14, readings=2)


@pytest.mark.parametrize(
    "start, end",
    [
        QUARTER,  # the meeting in the period shown
        (date(2025, 7, 1), date(2025, 9, 30)),  # the meeting in the period before
        (date(2025, 5, 13), date(2025, 6, 11)),  # the meeting on the period's first day
        (date(2025, 4, 14), date(2025, 5, 13)),  # the meeting on the period's last day
    ],
)
def test_dashboard_gives_each_period_its_own_figures(held, marac, start, end):
    """The dashboard reads both periods in the same queries and splits them by date:
    the figures must be those of each period on its own."""
    from openmarac.governance import figures

    period, today = figures.Period(start, end), date(2025, 10, 1)
    with CaptureQueriesContext(connection) as queries:
        shown = figures.dashboard(marac=marac, period=period, today=today)
    assert asdict(shown.now) == asdict(figures.period_figures(marac=marac, period=period, today=today))
    assert asdict(shown.before) == asdict(figures.period_figures(marac=marac, period=period.previous(), today=today))
    assert shown.outcomes == figures.outcomes(marac=marac, period=period, today=today)
    assert shown.now.totals or shown.before.totals  # the meeting is in one of them
    # Both periods in the queries of one (10) and the outcomes reusing the hearing days
    # (3), all read together, after the search for the meeting before last (1), which
    # finds none here: with one meeting held, no action is open after two.
    assert _statements(queries) == 14, [q["sql"][:80] for q in queries]
    assert len(queries) == _round_trips(14, readings=2)


def test_work_of_an_agency_that_has_left_the_marac_is_still_counted(held, marac, staff):
    from openmarac.accounts.models import MaracAgency
    from openmarac.governance import figures

    period, _ = held
    housing = staff["housing_rep"].agency
    MaracAgency.objects.filter(marac=marac, agency=housing).update(is_active=False)
    now = figures.period_figures(marac=marac, period=period, today=date(2025, 7, 1))
    assert now.actions_agreed == 3 and now.research_returned == 2
    attendance = {label: values for label, values, _ in now.breakdowns["attendance"].rows}
    assert attendance[housing.name][:3] == [0, 1, 0]
    # The counts are read by agency id; the agency no longer active is named all the same,
    # with the same counts as while it was active.
    MaracAgency.objects.filter(marac=marac, agency=housing).update(is_active=True)
    active = figures.period_figures(marac=marac, period=period, today=date(2025, 7, 1))
    for key in ("actions", "research", "attendance"):
        left = {label: values for label, values, _ in now.breakdowns[key].rows}
        assert left[housing.name] == {label: values for label, values, _ in active.breakdowns[key].rows}[housing.name]
        assert [row for row in now.breakdowns[key].rows if row[0] == housing.name][0][2] is False


def test_actions_count_as_open_after_two_meetings_only_once_two_more_are_held(held, marac, staff):
    from openmarac.accounts.models import MaracAgency
    from openmarac.governance import figures

    coordinator, housing = staff["coordinator"], staff["housing_rep"].agency.name
    # One action of the three agreed on 13 May is still open (one completed, one not possible).
    june, july = (datetime(2025, 6, 10, 9, 30, tzinfo=LONDON), datetime(2025, 7, 8, 9, 30, tzinfo=LONDON))
    with freeze_time(datetime(2025, 5, 20, 12, 0, tzinfo=LONDON)):
        for starts_at in (june, july):
            meetings.meeting_add(by=coordinator, marac=marac, starts_at=starts_at)

    def open_after_two(now):
        return {label: values for label, values, _ in figures.open_after_two_meetings(marac=marac, now=now).rows}

    assert open_after_two(june) == {}  # only the meeting that agreed it has been held
    assert open_after_two(july) == {}  # one held since: June
    # June and July held since: the open action, and the housing records updates asked for
    # when the two cases were closed.
    still_open = Action.objects.filter(owner_agency__name=housing, status=Action.Status.OPEN)
    assert sorted(still_open.values_list("kind", flat=True)) == ["other", "update_records", "update_records"]
    assert open_after_two(july + timedelta(minutes=1)) == {housing: [3]}
    # Counted by the agency's id and named from the Marac's agencies: an agency that has
    # left the Marac is still counted, by its name, and never marked core.
    MaracAgency.objects.filter(marac=marac, agency__name=housing).update(is_active=False)
    assert open_after_two(july + timedelta(minutes=1)) == {housing: [3]}
    MaracAgency.objects.filter(marac=marac, agency__name=housing).update(is_active=True, is_core=True)
    assert figures.open_after_two_meetings(marac=marac, now=july + timedelta(minutes=1)).rows == [(housing, [3], False)]


def _agreed_through_the_hearings(marac, period):
    """The actions agreed in a period as the figures found them before each action kept
    its meeting's Marac and start: through its hearing, agenda item and meeting."""
    return set(
        Action.objects.exclude(kind="update_records").exclude(status=Action.Status.TRANSFERRED).filter(
            hearing__item__meeting__marac=marac,
            hearing__item__meeting__starts_at__date__gte=period.start,
            hearing__item__meeting__starts_at__date__lte=period.end,
        ).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    "start, end",
    [
        QUARTER,
        (date(2025, 5, 13), date(2025, 5, 13)),  # the meeting's own day
        (date(2025, 5, 14), date(2025, 6, 30)),  # from the day after
        (date(2025, 4, 1), date(2025, 5, 12)),  # to the day before
        (date(2025, 7, 1), date(2025, 9, 30)),
    ],
)
def test_the_actions_agreed_in_a_period_are_those_found_through_the_hearings(held, marac, other_marac, start, end):
    """The Marac and start each action keeps select the same actions, on the meeting's
    day in the local time zone, as the join through hearings, items and meetings did."""
    from openmarac.governance import figures

    period = figures.Period(start, end)
    assert set(figures._actions_in(marac, period).values_list("pk", flat=True)) == _agreed_through_the_hearings(marac, period)
    assert not figures._actions_in(other_marac, period).exists()


def test_open_after_two_meetings_are_those_found_through_the_hearings(held, marac, staff):
    from openmarac.governance import figures

    coordinator = staff["coordinator"]
    with freeze_time(datetime(2025, 5, 20, 12, 0, tzinfo=LONDON)):
        for starts_at in (datetime(2025, 6, 10, 9, 30, tzinfo=LONDON), datetime(2025, 7, 8, 9, 30, tzinfo=LONDON)):
            meetings.meeting_add(by=coordinator, marac=marac, starts_at=starts_at)
    counted = []
    for now in (datetime(2025, 7, 8, 9, 31, tzinfo=LONDON), datetime(2025, 5, 13, 9, 31, tzinfo=LONDON)):
        read = figures._open_after_two_read(marac=marac, now=now)
        before = read[1]["agreed_before"] if read else None
        expected = {}
        if before:
            agreed_since = Action.objects.filter(hearing__item__meeting__starts_at__gte=before).values("pk")
            for name in Action.objects.filter(marac=marac, status=Action.Status.OPEN).exclude(pk__in=agreed_since).values_list("owner_agency__name", flat=True):
                expected[name] = [expected.get(name, [0])[0] + 1]
        assert {label: values for label, values, _ in figures.open_after_two_meetings(marac=marac, now=now).rows} == expected
        counted.append(sum(n for n, in expected.values()))
    assert counted == [3, 0]  # after two meetings since, the open action and two records updates


def test_the_action_figures_read_no_hearing_agenda_item_or_meeting(marac):
    """Query shape: the actions agreed, completed and open after two meetings come from
    the actions' own columns (one index on PostgreSQL), never joined or matched by a
    subquery to the hearings, agenda items or meetings."""
    from openmarac.governance import figures
    from openmarac.meetings.models import AgendaItem, Hearing, Meeting

    moments = figures._agreed_moments(marac.pk, figures.Period(*QUARTER))
    queries = [
        figures._actions_query(**moments, today=QUARTER[1], split_at=figures._day_start(date(2025, 2, 1))),
        figures._completed_actions_query(**moments),
        figures._open_after_two_query(marac_id=marac.pk, agreed_before=moments["agreed_before"]),
    ]
    for query in queries:
        sql = str(query.query)
        assert not any(model._meta.db_table in sql for model in (Hearing, AgendaItem, Meeting)), sql
        assert " OR " not in sql and "SELECT" not in sql.split("FROM", 1)[1], sql
