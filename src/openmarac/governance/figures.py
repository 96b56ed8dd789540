"""Every figure OpenMarac reports: the SafeLives Marac data return, the governance
dashboard and the outcome indicators.

This is the one module that counts. The data return's files, the command, the dashboard
and (later) the API only format what it returns, so they can never disagree (the
dashboard reads the return's counts, `_return_aggregates`, for each period as a whole
rather than by meeting date). Each function runs a fixed number of aggregate queries,
whatever the number of referrals, each compiled to SQL once per process, and the queries
of one reading are run together (`compiled.rows_together`: one round trip on
PostgreSQL).

The figures read what a referral recorded about its victim and perpetrators when it was
made (`Referral.victim_age`, `youngest_perpetrator_age`, `victim_gender`, the diversity
answers, `children_count`), never people's current records or dates of birth: a later
correction or the erasure of a date of birth does not rewrite a return already sent.
Definitions of every figure are in docs/data-return.md; `DEFINITIONS` below holds the
short form shown on the dashboard.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from statistics import median

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from openmarac.accounts.models import Agency, AgencyKind, Marac, MaracAgency, Membership, Role
from openmarac.actions.models import Action, ActionKind
from openmarac.core import compiled
from openmarac.meetings.models import Attendance, Meeting, RepeatDecision, ResearchReturn
from openmarac.referrals.criteria import CLOCK_START
from openmarac.referrals.models import IdvaReferral, QualityConcern, Referral

# The agency kinds the SafeLives return counts one by one; every other kind (and a
# referral with no kind recorded) is counted under `other`.
RETURN_AGENCY_KINDS = (
    AgencyKind.POLICE,
    AgencyKind.IDVA,
    AgencyKind.HOUSING,
    AgencyKind.CHILDRENS_SOCIAL_CARE,
    AgencyKind.PROBATION,
    AgencyKind.HEALTH,
    AgencyKind.MENTAL_HEALTH,
    AgencyKind.SUBSTANCE_MISUSE,
    AgencyKind.ADULT_SOCIAL_CARE,
    AgencyKind.EDUCATION,
)
OTHER_KIND = "other"
ALL_RETURN_KINDS = tuple(str(kind) for kind in RETURN_AGENCY_KINDS) + (OTHER_KIND,)

# A victim is counted as male when the gender recorded on the referral is one of these
# (compared ignoring case and surrounding spaces). The web form offers "Male"; imported
# files are free text.
MALE_GENDERS = ("male", "man", "m")
YES = "yes"

# DOMAIN.md, "Numbers at a glance": SafeLives, 12 months to September 2024.
NATIONAL = {
    "repeat_rate": 31.0,
    "not_police_share": 36.0,
    "cases_per_10000": 47.0,
    "victims_racially_minoritised": 14.0,
    "victims_lgbt": 1.6,
    "victims_disabled": 10.0,
    "victims_male": 6.4,
    "victims_aged_16_17": 1.3,
}
RECOMMENDED_CASES_PER_10000 = 40
IDVA_CASELOAD_LIMIT = 100
HEARING_TARGET_DAYS = 42  # six weeks
CASES_PER_ADMINISTRATOR = 400
DAYS_IN_YEAR = 365.25

DIVERSITY_KEYS = (
    "victims_racially_minoritised",
    "victims_lgbt",
    "victims_disabled",
    "victims_male",
    "victims_aged_16_17",
    "perpetrators_aged_17_or_under",
)


# --- Periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before; a whole quarter's is the quarter
        before, so quarters are compared with quarters."""
        if self.is_quarter:
            start = self.start - relativedelta(months=3)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def is_quarter(self) -> bool:
        return self.start.day == 1 and self.start.month in (1, 4, 7, 10) and self.end == self.start + relativedelta(months=3) - timedelta(days=1)

    def __str__(self):
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"


def quarter_of(day: date) -> Period:
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(start, start + relativedelta(months=3) - timedelta(days=1))


def last_complete_quarter(today: date | None = None) -> Period:
    """The default period: the return is sent after the quarter has ended."""
    today = today or timezone.localdate()
    return quarter_of(quarter_of(today).start - timedelta(days=1))


# --- The SafeLives data return --------------------------------------------------------


@dataclass(frozen=True)
class ReturnRow:
    """One meeting date of the return."""

    meeting_date: date
    cases: int
    repeats: int
    children: int
    referrals_by_agency_kind: dict  # every kind of ALL_RETURN_KINDS, zeros included
    victims_racially_minoritised: int
    victims_lgbt: int
    victims_disabled: int
    victims_male: int
    victims_aged_16_17: int
    perpetrators_aged_17_or_under: int


def heard_referrals(*, marac, period: Period):
    """Referrals heard in the period: heard at a meeting held in OpenMarac or imported
    with `heard_on`; both set `heard_on` to the meeting date."""
    return Referral.objects.filter(
        marac=marac, status=Referral.Status.HEARD, heard_on__gte=period.start, heard_on__lte=period.end
    )


def _kind_filters():
    filters = {kind: Q(referring_agency_kind=kind) for kind in ALL_RETURN_KINDS if kind != OTHER_KIND}
    filters[OTHER_KIND] = ~Q(referring_agency_kind__in=[k for k in ALL_RETURN_KINDS if k != OTHER_KIND])
    return filters


def _return_aggregates():
    aggregates = {
        "cases": Count("pk"),
        "repeats": Count("pk", filter=Q(meets_repeat=True)),
        "children": Sum("children_count"),
        "victims_racially_minoritised": Count("pk", filter=Q(victim_racially_minoritised=YES)),
        "victims_lgbt": Count("pk", filter=Q(victim_lgbt=YES)),
        "victims_disabled": Count("pk", filter=Q(victim_disabled=YES)),
        "victims_male": Count("pk", filter=Q(gender_normalised__in=MALE_GENDERS)),
        "victims_aged_16_17": Count("pk", filter=Q(victim_age__in=[16, 17])),
        "perpetrators_aged_17_or_under": Count("pk", filter=Q(youngest_perpetrator_age__lte=17)),
    }
    for kind, condition in _kind_filters().items():
        aggregates[f"kind_{kind}"] = Count("pk", filter=condition)
    return aggregates


def _data_return_query(*, marac_id, start, end):
    return (
        heard_referrals(marac=marac_id, period=Period(start, end))
        .annotate(gender_normalised=Lower(Trim("victim_gender")))
        .values("heard_on")
        .annotate(**_return_aggregates())
        .order_by("heard_on")
    )


def data_return(*, marac, period: Period) -> list[ReturnRow]:
    """The SafeLives Marac data return: one row per meeting date at which at least one
    referral was heard, in date order. One query, compiled once per process: its
    thirty-odd filtered counts take the ORM longer to compile than the database takes to
    run them on a quarter."""
    rows = compiled.rows(_data_return_query, marac_id=marac.pk, start=period.start, end=period.end)
    return [_return_row(row) for row in rows]


def _return_row(row) -> ReturnRow:
    return ReturnRow(
        meeting_date=row["heard_on"],
        cases=row["cases"],
        repeats=row["repeats"],
        children=row["children"] or 0,
        referrals_by_agency_kind={kind: row[f"kind_{kind}"] for kind in ALL_RETURN_KINDS},
        **{key: row[key] for key in DIVERSITY_KEYS},
    )


def _return_totals_query(*, marac_id, start, end, split=None):
    """The return's counts for each period as a whole (its index, as `_period_case`
    gives it), with the number of meeting dates: the sums of the return's rows, read as
    two rows instead of one per meeting date."""
    return (
        heard_referrals(marac=marac_id, period=Period(start, end))
        .annotate(gender_normalised=Lower(Trim("victim_gender")))
        .values(index=_period_case("heard_on", split))
        .annotate(meeting_dates=Count("heard_on", distinct=True), **_return_aggregates())
        .order_by()
    )


def _return_totals(*, periods, rows):
    """For each period, its totals (None when no case was heard) and its meetings held:
    the meeting dates of its return."""
    totals, meetings = [None] * len(periods), [0] * len(periods)
    for row in rows:
        # One period is one group with no GROUP BY, so it gives a row even when empty.
        if row["cases"]:
            totals[row["index"]] = _return_row({**row, "heard_on": None})
            meetings[row["index"]] = row["meeting_dates"]
    return totals, meetings


def return_as_json(rows: list[ReturnRow]) -> list[dict]:
    """The JSON form of the return: kinds with no referral are left out."""
    return [
        {
            "meeting_date": row.meeting_date.isoformat(),
            "cases": row.cases,
            "repeats": row.repeats,
            "children": row.children,
            "referrals_by_agency_kind": {kind: n for kind, n in row.referrals_by_agency_kind.items() if n},
            **{key: getattr(row, key) for key in DIVERSITY_KEYS},
        }
        for row in rows
    ]


# The columns of the CSV and XLSX forms, in order: (key, heading).
RETURN_COLUMNS = (
    [("meeting_date", "Meeting date"), ("cases", "Cases discussed"), ("repeats", "Repeat cases"), ("children", "Children in the households")]
    + [(f"referred_by_{kind}", f"Referred by {AgencyKind(kind).label if kind != OTHER_KIND else 'other agencies'}") for kind in ALL_RETURN_KINDS]
    + [
        ("victims_racially_minoritised", "Victims racially minoritised"),
        ("victims_lgbt", "Victims LGBT+"),
        ("victims_disabled", "Victims disabled"),
        ("victims_male", "Victims male"),
        ("victims_aged_16_17", "Victims aged 16 or 17"),
        ("perpetrators_aged_17_or_under", "Perpetrators aged 17 or under"),
    ]
)


def return_table(rows: list[ReturnRow]) -> list[list]:
    """The return as rows of values in RETURN_COLUMNS order (dates as dates, counts as
    numbers)."""
    table = []
    for row in rows:
        values = {
            "meeting_date": row.meeting_date,
            "cases": row.cases,
            "repeats": row.repeats,
            "children": row.children,
            **{f"referred_by_{kind}": n for kind, n in row.referrals_by_agency_kind.items()},
            **{key: getattr(row, key) for key in DIVERSITY_KEYS},
        }
        table.append([values[key] for key, _ in RETURN_COLUMNS])
    return table


# --- The dashboard --------------------------------------------------------------------


@dataclass
class Breakdown:
    """A table of counts (and its chart): one row per agency, kind or category."""

    key: str
    title: str
    columns: list  # headings of the value columns
    rows: list  # (label, [values], is_core)
    chart_column: int = 0  # the value column the chart draws
    percent_columns: tuple = ()  # (column holding a percentage, column of the count behind it)
    # Counts about cases are suppressed when small; counts about agencies' own work
    # (attendance, research) identify no one and are shown as they are.
    about_people: bool = True


@dataclass
class PeriodFigures:
    """Every dashboard figure for one period."""

    period: Period
    totals: ReturnRow | None
    meetings_held: int
    cases_per_meeting: float | None
    cases_per_10000_a_year: float | None
    repeat_rate: float | None
    not_police_share: float | None
    hearing_days_median: float | None
    hearing_within_target: int
    hearing_measured: int
    idva_contacts_due: int
    idva_contacts_within_48h: int
    idva_referrals: int
    idva_headcount: int
    referrals_per_idva_a_year: float | None
    coordinators: int
    cases_per_coordinator_a_year: float | None
    actions_agreed: int
    actions_completed: int
    actions_completed_on_time: int
    actions_overdue: int
    actions_not_possible: dict
    research_returned: int
    research_on_time: int
    quality_concerns: int
    hearing_days: list = field(default_factory=list, repr=False)  # each case's, sorted; the outcomes reuse them
    breakdowns: dict = field(default_factory=dict)

    # Shares (percentages, one decimal place), so that nothing outside this module
    # divides: None when there is nothing to divide by.
    @property
    def hearing_within_target_share(self):
        return share(self.hearing_within_target, self.hearing_measured)

    @property
    def idva_within_48h_share(self):
        return share(self.idva_contacts_within_48h, self.idva_contacts_due)

    @property
    def research_on_time_share(self):
        return share(self.research_on_time, self.research_returned)

    @property
    def diversity_shares(self):
        return {key: share(getattr(self.totals, key), self.totals.cases) if self.totals else None for key in DIVERSITY_KEYS}


def share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _a_year(count, period: Period):
    return count * DAYS_IN_YEAR / period.days


def period_figures(*, marac, period: Period, today: date | None = None) -> PeriodFigures:
    today = today or timezone.localdate()
    rows = _read(_periods_reads(marac=marac, periods=(period,), today=today))
    return _periods_figures_of(rows, marac=marac, periods=(period,))[0]


@dataclass
class Dashboard:
    """Everything the governance dashboard shows for a period."""

    now: PeriodFigures
    before: PeriodFigures  # the period just before, to compare with
    outcomes: Outcomes
    open_after_two: Breakdown
    worked_out_at: datetime | None = None


def kept_dashboard(*, marac, period: Period) -> Dashboard:
    """`dashboard`, worked out at most once every OPENMARAC_FIGURES_KEEP_SECONDS for a
    Marac and a period (0: every time). Its counts read six months of a Marac's
    referrals, actions, research and attendance, which at national size takes the
    database longer than the rest of the page together; governance figures need not be
    to the second, and the page says when they were worked out. The same figures for
    everyone who may see them (they are about no one), so one copy, in the shared
    cache, serves every viewer and every web process; `openmarac worker` keeps the
    default period's (`keep_default_dashboards`), so the first request of the day
    finds them too. The data return is never kept: it is worked out when it is asked
    for."""
    seconds = settings.OPENMARAC_FIGURES_KEEP_SECONDS
    today = timezone.localdate()
    if not seconds:
        return dashboard(marac=marac, period=period, today=today)
    shown = cache.get(_kept_key(marac.pk, period, today))
    if shown is None or shown.worked_out_at < timezone.now() - timedelta(seconds=seconds):
        shown = _keep_dashboard(marac=marac, period=period, today=today)
    return shown


def keep_default_dashboards() -> int:
    """Work out and keep every active Marac's dashboard for the period it opens at (the
    last complete quarter). Run by `openmarac worker` more often than the figures are
    kept (background/schedule.py), so a governance lead opening the dashboard finds
    them worked out. Returns the number of Maracs."""
    if not settings.OPENMARAC_FIGURES_KEEP_SECONDS:
        return 0
    today = timezone.localdate()
    period = last_complete_quarter(today)
    maracs = Marac.objects.filter(is_active=True)
    for marac in maracs:
        _keep_dashboard(marac=marac, period=period, today=today)
    return len(maracs)


def _keep_dashboard(*, marac, period, today) -> Dashboard:
    shown = dashboard(marac=marac, period=period, today=today)
    cache.set(_kept_key(marac.pk, period, today), shown, timeout=settings.OPENMARAC_FIGURES_KEEP_SECONDS)
    return shown


def _kept_key(marac_id, period, today):
    # The dashboard is kept pickled; the key carries the shape of its classes, so that
    # figures kept by an older release (the shared cache outlives a deployment) are
    # never read into a newer one's classes.
    return f"openmarac:dashboard:{_KEPT_SHAPE}:{marac_id}:{period.start}:{period.end}:{today}"


def dashboard(*, marac, period: Period, today: date | None = None) -> Dashboard:
    """The period's figures beside the period's before, with its outcome indicators.
    The two periods touch, so each figure is read for both in the same query and split
    by date here: the same counts as `period_figures` for each, in half the queries.
    Every query of the three is run together (one round trip on PostgreSQL), after the
    one that finds the meeting before last, whose date the actions query needs."""
    today = today or timezone.localdate()
    periods = (period.previous(), period)
    open_after_two = _open_after_two_read(marac=marac)
    rows = _read({
        **_periods_reads(marac=marac, periods=periods, today=today),
        **_outcomes_reads(marac=marac, period=period),
        **({"open_after_two": open_after_two} if open_after_two else {}),
    })
    before, now = _periods_figures_of(rows, marac=marac, periods=periods)
    return Dashboard(
        now=now,
        before=before,
        # The outcomes' median days from disclosure to hearing are the period's hearing days.
        outcomes=_outcomes_of(rows, marac=marac, today=today, days=now.hearing_days),
        open_after_two=_open_after_two_of(rows.get("open_after_two", []), _agencies_of(rows["agencies"])),
        worked_out_at=timezone.now(),
    )


def _read(reads: dict) -> dict:
    """{name: rows} for named queries {name: (build, values)}, run together, without
    parallel workers (each reads a Marac's rows of a period or two by index)."""
    return dict(zip(reads, compiled.rows_together(*reads.values(), serial=True)))


def _span(periods) -> Period:
    """The periods (in date order, each starting the day after the one before ends) as
    one period."""
    for earlier, later in zip(periods, periods[1:]):
        if later.start != earlier.end + timedelta(days=1):
            raise ValueError("The periods must follow one another")
    return Period(periods[0].start, periods[-1].end)


def _bounds(marac, periods) -> dict:
    """The values the dashboard's queries take: the Marac, the first and last days of
    the periods (one, or two that follow one another) and, for two, the first day of the
    second (`split`). Every query is compiled once per process (`core.compiled`), so
    its SQL may depend on which of these it is given, never on what they are."""
    span = _span(periods)
    if len(periods) > 2:
        raise ValueError("The figures are read for one period or two")
    split = {"split": periods[1].start} if len(periods) == 2 else {}
    return {"marac_id": marac.pk, "start": span.start, "end": span.end, **split}


def _period_case(lookup, split):
    """An SQL expression giving the index of the period a row falls in (1 from `split`,
    else 0), by `lookup`, for rows already limited to the periods' span; always 0 for
    one period. `lookup` is a date (`split` the second period's first day) or a
    meeting's start (`split` that day's first moment, `_day_start`): comparing the time
    itself spares the database reading each row's date in the time zone, which for the
    few thousand actions of a period cost a fifth of the query."""
    if split is None:
        return Value(0)
    return Case(When(**{f"{lookup}__gte": split}, then=Value(1)), default=Value(0))


def _periods_reads(*, marac, periods, today) -> dict:
    """The queries of the periods' figures, by name, for `_read`."""
    bounds = _bounds(marac, periods)
    span = {"marac_id": marac.pk, "start": bounds["start"], "end": bounds["end"]}
    # The queries by meeting split the periods at the first moment of the second.
    by_meeting = {**span, **({"split_at": _day_start(bounds["split"])} if "split" in bounds else {})}
    held = {**by_meeting, "today": today}
    held_split = {"split_at": by_meeting["split_at"]} if "split_at" in by_meeting else {}
    return {
        "totals": (_return_totals_query, bounds),
        "hearing_days": (_hearing_days_query, bounds),
        "staff": (_staff_query, {"marac_id": marac.pk}),
        "agencies": (_agency_query, {"marac_id": marac.pk}),
        "idva": (_idva_query, bounds),
        "actions": (_actions_query, {**_agreed_moments(marac.pk, _span(periods)), **held_split, "today": today}),
        "research": (_research_query, by_meeting),
        "quality_concerns": (_quality_concerns_query, _concern_moments(marac=marac, periods=periods)),
        "registers": (_registers_query, held),
        "attendance": (_attendance_query, held),
    }


def _agreed_moments(marac_id, period) -> dict:
    """The values of the queries of actions agreed in a period (`_agreed_between`)."""
    agreed_from, agreed_before = _moments(period)
    return {"marac_id": marac_id, "agreed_from": agreed_from, "agreed_before": agreed_before}


def _periods_figures_of(rows, *, marac, periods) -> list[PeriodFigures]:
    """The periods' figures from the rows of `_periods_reads`."""
    totals_by_period, meetings_by_period = _return_totals(periods=periods, rows=rows["totals"])
    days_by_period = _hearing_days_by_period(periods=periods, rows=rows["hearing_days"])
    staff = (rows["staff"] or [{"idvas": 0, "coordinators": 0}])[0]
    agencies = _agencies_of(rows["agencies"])
    _name_agencies_no_longer_active(agencies, rows["actions"], rows["research"], rows["attendance"])
    idva_by_period = _idva(periods=periods, rows=rows["idva"])
    actions_by_period = _actions(periods=periods, rows=rows["actions"], agencies=agencies)
    research_by_period = _research(periods=periods, rows=rows["research"], agencies=agencies)
    concerns_by_period = _quality_concerns(periods=periods, rows=rows["quality_concerns"])
    attendance_by_period = _attendance(periods=periods, registers=rows["registers"], rows=rows["attendance"], agencies=agencies)
    return [
        _figures(
            marac=marac, period=period, totals=totals_by_period[i], meetings_held=meetings_by_period[i], days=days_by_period[i],
            staff=staff, idva=idva_by_period[i], actions=actions_by_period[i], research=research_by_period[i],
            concerns=concerns_by_period[i], attendance=attendance_by_period[i],
        )
        for i, period in enumerate(periods)
    ]


def _figures(*, marac, period, totals, meetings_held, days, staff, idva, actions, research, concerns, attendance) -> PeriodFigures:
    cases = totals.cases if totals else 0
    police = totals.referrals_by_agency_kind[AgencyKind.POLICE] if totals else 0
    population = marac.adult_female_population
    idva_headcount = staff["idvas"]
    coordinators = staff["coordinators"]

    figures = PeriodFigures(
        period=period,
        totals=totals,
        meetings_held=meetings_held,
        cases_per_meeting=round(cases / meetings_held, 1) if meetings_held else None,
        cases_per_10000_a_year=round(_a_year(cases, period) * 10_000 / population, 1) if population else None,
        repeat_rate=share(totals.repeats, cases) if totals else None,
        not_police_share=share(cases - police, cases) if totals else None,
        hearing_days_median=median(days) if days else None,
        hearing_within_target=sum(1 for d in days if d <= HEARING_TARGET_DAYS),
        hearing_measured=len(days),
        idva_contacts_due=idva["due"],
        idva_contacts_within_48h=idva["within"],
        idva_referrals=idva["referrals"],
        idva_headcount=idva_headcount,
        # Not available for a period with referrals recorded as already heard: they had
        # no Idva referral here, so the count would be short of the service's caseload.
        referrals_per_idva_a_year=(
            round(_a_year(idva["referrals"], period) / idva_headcount, 1) if idva_headcount and not idva["recorded_as_heard"] else None
        ),
        coordinators=coordinators,
        cases_per_coordinator_a_year=round(_a_year(cases, period) / coordinators, 1) if coordinators else None,
        actions_agreed=sum(r[1][0] for r in actions.rows),
        actions_completed=sum(r[1][1] for r in actions.rows),
        actions_completed_on_time=sum(r[1][2] for r in actions.rows),
        actions_overdue=sum(r[1][3] for r in actions.rows),
        actions_not_possible={
            "circumstances_changed": sum(r[1][4] for r in actions.rows),
            "agency_not_done": sum(r[1][5] for r in actions.rows),
        },
        research_returned=sum(r[1][0] for r in research.rows),
        research_on_time=sum(r[1][1] for r in research.rows),
        quality_concerns=sum(r[1][0] for r in concerns.rows),
        hearing_days=days,
    )
    figures.breakdowns = {
        "referral_sources": _referral_sources(totals),
        "attendance": attendance,
        "research": research,
        "actions": actions,
        "quality_concerns": concerns,
    }
    return figures


class _Waited(ExpressionWrapper):
    """The time from a referral's clock start to its hearing, two dates, as a duration.
    On SQLite Django subtracts dates with a function written in Python, called for each
    row (`django_timestamp_diff`: 13 ms of the dashboard's CPU at 20,000 cases, half
    its time); SQLite's own `julianday` gives the same whole days, in the microseconds
    a duration is stored in. Elsewhere the ORM's subtraction, unchanged."""

    def as_sqlite(self, compiler, connection, **extra_context):
        lhs, lhs_params = compiler.compile(self.expression.lhs)
        rhs, rhs_params = compiler.compile(self.expression.rhs)
        # Dates are stored as text (YYYY-MM-DD): their julian days differ by whole days.
        return f"(CAST(julianday({lhs}) - julianday({rhs}) AS INTEGER) * 86400000000)", (*lhs_params, *rhs_params)

    def get_group_by_cols(self):
        # Grouped by this expression as selected, not by the subtraction it wraps (which
        # the ORM would compile again, with SQLite's Python function).
        return [self]


def _hearing_days_query(*, marac_id, start, end, split=None):
    return (
        heard_referrals(marac=marac_id, period=Period(start, end))
        .filter(referred_on__isnull=False)
        # Counted by the time waited, not by the pair of dates: a few hundred rows
        # rather than one for nearly every case, for the page to read and sort.
        .values(waited=_Waited(F("heard_on") - CLOCK_START, output_field=DurationField()), index=_period_case("heard_on", split))
        # Count(*), not of the id, which the referral index does not hold: PostgreSQL
        # then reads the index alone.
        .annotate(n=Count("*"))
        .order_by()
    )


def _hearing_days_by_period(*, periods, rows):
    """Days from disclosure (or referral, when the disclosure date is not known; see
    referrals.criteria.referral_clock_start) to hearing for each case heard, sorted,
    for each period, from one grouped query over their span."""
    days = [[] for _ in periods]
    for row in rows:
        days[row["index"]] += [row["waited"].days] * row["n"]
    return [sorted(d) for d in days]


def _staff_query(*, marac_id):
    """The Marac's Idvas and coordinators (active members and users): one row, or none
    when the Marac has no member."""
    return (
        Membership.objects.filter(marac_id=marac_id, is_active=True, user__is_active=True)
        .values("marac_id")
        .annotate(idvas=Count("pk", filter=Q(role=Role.IDVA)), coordinators=Count("pk", filter=Q(role=Role.COORDINATOR)))
        .order_by()
    )


def _idva_query(*, marac_id, start, end, split=None):
    """The referrals made in the periods, with their Idva referrals. A referral recorded
    as already heard (imported history) was never referred to the Idva service here, so
    it has none (`recorded_as_heard`)."""
    made = Referral.objects.filter(marac=marac_id, referred_on__gte=start, referred_on__lte=end)
    return (
        made.values(index=_period_case("referred_on", split))
        .annotate(
            referrals=Count("idva_referral"),
            recorded_as_heard=Count("pk", filter=Q(idva_referral__isnull=True)),
            due=Count("idva_referral", filter=Q(source_key="")),
            within=Count("idva_referral", filter=Q(source_key="", idva_referral__first_contact_at__lte=F("idva_referral__first_contact_due"))),
        )
        .order_by()
    )


def _idva(*, periods, rows):
    """Idva referrals of referrals made in the period. First contact is measured only
    for referrals made in OpenMarac: imported history carries no contact record."""
    counts = {row["index"]: row for row in rows}
    return [counts.get(i, {"referrals": 0, "recorded_as_heard": 0, "due": 0, "within": 0}) for i in range(len(periods))]


def _meetings_in(marac_id, start, end):
    return Meeting.objects.filter(
        marac=marac_id, status=Meeting.Status.SCHEDULED, starts_at__date__gte=start, starts_at__date__lte=end
    )


def _agency_query(*, marac_id):
    """The Marac's active agencies with whether each is core there, in name order."""
    return MaracAgency.objects.filter(marac=marac_id, is_active=True).values("agency_id", "agency__name", "is_core").order_by("agency__name")


def _agencies_of(rows):
    """The rows of `_agency_query` as (id, name, is core), as `_by_agency` takes them."""
    return [(row["agency_id"], row["agency__name"], row["is_core"]) for row in rows]


def _name_agencies_no_longer_active(agencies, *rows_by_agency):
    """Give the rows of an agency not among the Marac's active ones (`agencies`) the
    agency's name (`agency_name`), which `_by_agency` shows. The counts by agency are
    read by the agency's id alone: joining every action of a period to its agency's name
    cost the database a quarter of the query, for names the active agencies' list
    already holds. One query, only when an agency has left the Marac (or never
    belonged to it) with work still counted."""
    active = {agency_id for agency_id, _, _ in agencies}
    others = [row for rows in rows_by_agency for row in rows if row["agency_id"] not in active]
    if others:
        names = dict(Agency.objects.filter(pk__in={row["agency_id"] for row in others}).values_list("pk", "name"))
        for row in others:
            row["agency_name"] = names[row["agency_id"]]


def _by_agency(agencies, counts, values_of, *, include_idle):
    """Rows for the Marac's active agencies (`_agency_query`'s, as (id, name, is core))
    in name order (with zeros when `include_idle`), then any agency no longer active
    whose work is still counted, so no count is lost when an agency leaves."""
    counts = dict(counts)
    rows = []
    for agency_id, name, is_core in agencies:
        row = counts.pop(agency_id, None)
        if row or include_idle:
            rows.append((name, values_of(row or {}), is_core))
    for row in sorted(counts.values(), key=lambda r: r["agency_name"]):
        rows.append((row["agency_name"], values_of(row), False))
    return rows


def _by_period_and_agency(periods, rows, key):
    """{agency id: row} for each period, from rows carrying their period's index."""
    split = [{} for _ in periods]
    for row in rows:
        split[row["index"]][row[key]] = row
    return split


def _held(marac_id, start, end, today):
    return _meetings_in(marac_id, start, end).filter(starts_at__date__lte=today)


def _registers_query(*, marac_id, start, end, today, split_at=None):
    """Meetings held with an attendance register, by period."""
    return (
        _held(marac_id, start, end, today).filter(attendance__isnull=False)
        .values(index=_period_case("starts_at", split_at))
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )


def _attendance_query(*, marac_id, start, end, today, split_at=None):
    return (
        Attendance.objects.filter(meeting__in=_held(marac_id, start, end, today), agency__isnull=False, is_observer=False)
        .values("agency_id", index=_period_case("meeting__starts_at", split_at))
        .annotate(
            present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
            apologies=Count("pk", filter=Q(status=Attendance.Status.APOLOGIES)),
            absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
        )
        .order_by()
    )


def _attendance(*, periods, registers, rows, agencies):
    """`registers`: the rows of `_registers_query`; `rows`: those of `_attendance_query`."""
    registers_by_period = [0] * len(periods)
    for row in registers:
        registers_by_period[row["index"]] = row["n"]
    counts = _by_period_and_agency(periods, rows, "agency_id")
    breakdowns = []
    for i, registers_held in enumerate(registers_by_period):
        rows = _by_agency(
            agencies, counts[i],
            lambda row, n=registers_held: [row.get("present", 0), row.get("apologies", 0), row.get("absent", 0), share(row.get("present", 0), n)],
            include_idle=True,
        )
        breakdowns.append(Breakdown(
            key="attendance",
            title=f"Attendance by agency ({registers_held} meeting{'s' if registers_held != 1 else ''} with a register)",
            columns=["Present", "Apologies", "Absent", "Present at (%) of meetings"],
            rows=rows,
            percent_columns=((3, 0),),
            about_people=False,
        ))
    return breakdowns


def _research_query(*, marac_id, start, end, split_at=None):
    return (
        ResearchReturn.objects.filter(meeting__in=_meetings_in(marac_id, start, end), returned_at__isnull=False)
        .values("agency_id", index=_period_case("meeting__starts_at", split_at))
        .annotate(returned=Count("pk"), on_time=Count("pk", filter=Q(returned_at__lte=F("meeting__research_deadline"))))
        .order_by()
    )


def _research(*, periods, rows, agencies):
    counts = _by_period_and_agency(periods, rows, "agency_id")
    return [
        Breakdown(
            key="research", title="Research returned by agency", columns=["Returned", "On time", "On time (%)"],
            rows=_by_agency(
                agencies, counts[i],
                lambda row: [row.get("returned", 0), row.get("on_time", 0), share(row.get("on_time", 0), row.get("returned", 0))],
                include_idle=True,
            ),
            chart_column=1, percent_columns=((2, 1),), about_people=False,
        )
        for i in range(len(periods))
    ]


def _actions_in(marac, period):
    """Actions agreed at hearings of this Marac's meetings held in the period (`marac` a
    Marac or its id): `_agreed_between` the period's first moment and the next day's."""
    return _agreed_between(marac, *_moments(period))


def _moments(period):
    """The first moment of a period and of the day after it: the meetings starting
    between them are those held on the period's days (in the current time zone)."""
    return _day_start(period.start), _day_start(period.end + timedelta(days=1))


def _agreed_between(marac, agreed_from, agreed_before):
    """Actions agreed at hearings of this Marac's meetings starting from `agreed_from`
    and before `agreed_before` (`marac` a Marac or its id). Records updates are made for
    every agency at the close of a case, not agreed, so they are not counted. An action
    ended by a transfer is left out: the copy the receiving agency took on is the same
    agreed action, counted once.

    By the meeting's Marac and start, which each action keeps (`agreed_marac`,
    `agreed_meeting_at`), not the case's Marac: an action belongs to the Marac whose
    meeting agreed it, so a case that later moves to another Marac (a transfer) leaves
    its actions in the figures of the Marac that agreed them, and the receiving Marac
    does not count another Marac's meetings. One range of the index action_agreed,
    which holds every column the figures read: found through the meetings, agenda items
    and hearings they were thousands of probes of the hearings' actions, about seven
    pages each at national size."""
    return Action.objects.filter(
        agreed_marac=marac, agreed_meeting_at__gte=agreed_from, agreed_meeting_at__lt=agreed_before
    ).exclude(kind=ActionKind.UPDATE_RECORDS).exclude(status=Action.Status.TRANSFERRED)


def _actions_query(*, marac_id, agreed_from, agreed_before, today, split_at=None):
    return (
        _agreed_between(marac_id, agreed_from, agreed_before)
        .values(agency_id=F("owner_agency_id"), index=_period_case("agreed_meeting_at", split_at))
        .annotate(
            agreed=Count("pk"),
            completed=Count("pk", filter=Q(status=Action.Status.COMPLETED)),
            on_time=Count("pk", filter=Q(status=Action.Status.COMPLETED, completed_on__lte=F("due_on"))),
            overdue=Count("pk", filter=Q(status=Action.Status.OPEN, due_on__lt=today)),
            changed=Count(
                "pk",
                filter=Q(status=Action.Status.NOT_POSSIBLE) & ~Q(not_possible_reason=Action.NotPossibleReason.AGENCY_NOT_DONE),
            ),
            not_done=Count("pk", filter=Q(status=Action.Status.NOT_POSSIBLE, not_possible_reason=Action.NotPossibleReason.AGENCY_NOT_DONE)),
        )
        .order_by()
    )


def _actions(*, periods, rows, agencies):
    counts = _by_period_and_agency(periods, rows, "agency_id")
    return [
        Breakdown(
            key="actions",
            title="Actions agreed in the period, by owning agency",
            columns=["Agreed", "Completed", "Completed on time", "Overdue", "Not possible: circumstances changed", "Not possible: agency has not done it"],
            rows=_by_agency(
                agencies, counts[i], lambda row: [row[key] for key in ("agreed", "completed", "on_time", "overdue", "changed", "not_done")],
                include_idle=False,
            ),
        )
        for i in range(len(periods))
    ]


def _second_last_held_query(*, marac_id, now):
    return Meeting.objects.filter(marac=marac_id, status=Meeting.Status.SCHEDULED, starts_at__lt=now).order_by("-starts_at").values("starts_at")[1:2]


def _open_after_two_query(*, marac_id, agreed_before):
    # Agreed before `agreed_before`: the Marac's open actions (the action's own Marac,
    # always its case's) whose meeting started before it, by the start each action
    # keeps (`agreed_meeting_at`), all read from the index action_open_by_marac. Found
    # through the hearings of every meeting since, it read every agenda item of them.
    return (
        Action.objects.filter(marac=marac_id, status=Action.Status.OPEN, agreed_meeting_at__lt=agreed_before)
        # By the agency's id, named from the Marac's agencies (`_open_after_two_of`):
        # joining each of the Marac's open actions to its agency to count them by name
        # was 40% of the query (1.1 of 2.6 ms at national size).
        .values(agency_id=F("owner_agency_id"))
        # Count(*), not of the id: with the agency and the meeting's start in the index
        # of open actions, PostgreSQL reads the index alone.
        .annotate(n=Count("*"))
        .order_by()
    )


def open_after_two_meetings(*, marac, now=None) -> Breakdown:
    """Actions open now although two meetings have been held since they were agreed:
    what goes to governance as persistent non-completion. None with fewer than two
    meetings held."""
    read = _open_after_two_read(marac=marac, now=now)
    if not read:
        return _open_after_two_of([], [])
    counts, agencies = compiled.rows_together(read, (_agency_query, {"marac_id": marac.pk}))
    return _open_after_two_of(counts, _agencies_of(agencies))


def _open_after_two_read(*, marac, now=None):
    """The query of the actions open after two meetings, or None with fewer than two
    meetings held. The second most recent meeting held is read first so that the
    planner knows its date: given as a subquery, it guessed a third of every meeting
    since, and read every hearing."""
    held = compiled.rows(_second_last_held_query, marac_id=marac.pk, now=now or timezone.now())
    return (_open_after_two_query, {"marac_id": marac.pk, "agreed_before": held[0]["starts_at"]}) if held else None


def _open_after_two_of(counts, agencies) -> Breakdown:
    """The breakdown from the counts by agency id and the Marac's active agencies (as
    `_by_agency` takes them): in the agencies' order, then any agency no longer active,
    none marked core."""
    _name_agencies_no_longer_active(agencies, counts)
    by_agency = _by_agency(agencies, {row["agency_id"]: row for row in counts}, lambda row: [row["n"]], include_idle=False)
    rows = [(name, values, False) for name, values, _ in by_agency]
    return Breakdown(key="open_after_two_meetings", title="Actions still open after two meetings, by agency", columns=["Open actions"], rows=rows)


def _quality_concerns_query(*, marac_id, raised_from, raised_before, split_at=None):
    return (
        QualityConcern.objects.filter(referral__marac=marac_id, raised_at__gte=raised_from, raised_at__lt=raised_before)
        .values("referral__referring_agency__name", "referral__referring_agency_kind", "category", index=_period_case("raised_at", split_at))
        .annotate(n=Count("pk"))
        .order_by()
    )


def _day_start(day):
    """The first moment of a day in the current time zone, the zone in which
    `raised_at__date` would read a time's date."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _concern_moments(*, marac, periods):
    """The values of `_quality_concerns_query` for the periods' days: the days as a
    range of times, which the index on `raised_at` can read."""
    span = _span(periods)
    moments = {"marac_id": marac.pk, "raised_from": _day_start(span.start), "raised_before": _day_start(span.end + timedelta(days=1))}
    if len(periods) == 2:
        moments["split_at"] = _day_start(periods[1].start)
    return moments


def _quality_concerns(*, periods, rows):
    """Concerns raised on the periods' days, by referring agency and category."""
    categories = list(QualityConcern.Category)
    by_agency = [defaultdict(lambda: [0] * len(categories)) for _ in periods]
    for row in rows:
        name = row["referral__referring_agency__name"] or _kind_label(row["referral__referring_agency_kind"])
        by_agency[row["index"]][name][categories.index(row["category"])] += row["n"]
    return [
        Breakdown(
            key="quality_concerns", title="Quality concerns by referring agency and category",
            columns=["All concerns"] + [c.label for c in categories],
            rows=[(name, [sum(values)] + values, False) for name, values in sorted(period_by_agency.items())],
        )
        for period_by_agency in by_agency
    ]


def _kind_label(kind):
    try:
        return str(AgencyKind(kind).label)
    except ValueError:
        return "Agency not recorded"


def _referral_sources(totals):
    rows = []
    if totals:
        cases = totals.cases
        for kind in ALL_RETURN_KINDS:
            n = totals.referrals_by_agency_kind[kind]
            label = "Other agencies" if kind == OTHER_KIND else str(AgencyKind(kind).label)
            rows.append((label, [n, share(n, cases)], False))
    return Breakdown(key="referral_sources", title="Cases heard by referring agency", columns=["Cases", "Share (%)"], rows=rows, percent_columns=((1, 0),))


# --- Outcome indicators --------------------------------------------------------------


@dataclass
class Outcomes:
    heard: int
    re_referred_within_window: int
    window_complete: int  # hearings whose whole follow-up window has passed
    re_referred_of_complete: int
    alert_cases: int
    alert_decisions: list  # (action kind label, count)
    # Of the alert cases, those where the chair recorded a decision (a multi-agency risk
    # management meeting, say), and of those the decisions carried out.
    alert_decided: int
    alert_decisions_done: int
    actions_per_case: float | None
    referral_to_hearing_median: float | None


def _heard_cases_query(*, marac_id, start, end):
    return heard_referrals(marac=marac_id, period=Period(start, end)).filter(case__isnull=False).values("pk", "case_id", "referred_on", "heard_on")


def _repeats_query(*, marac_id, start, end):
    """The repeat referrals of the cases heard from `start` to `end`."""
    return Referral.objects.filter(
        case_id__in=heard_referrals(marac=marac_id, period=Period(start, end)).values("case_id"), meets_repeat=True, referred_on__isnull=False
    ).values("case_id", "referred_on")


def _completed_actions_query(*, marac_id, agreed_from, agreed_before):
    """Completed actions and the cases with an action, of the actions agreed at
    meetings starting from `agreed_from` and before `agreed_before`: one row, or none
    when no action was agreed."""
    return (
        _agreed_between(marac_id, agreed_from, agreed_before)
        .values("agreed_marac_id")
        .annotate(completed=Count("pk", filter=Q(status=Action.Status.COMPLETED)), cases=Count("case_id", distinct=True))
        .order_by()
    )


def outcomes(*, marac, period: Period, today: date | None = None) -> Outcomes:
    today = today or timezone.localdate()
    bounds = {"marac_id": marac.pk, "start": period.start, "end": period.end}
    rows = _read({**_outcomes_reads(marac=marac, period=period), "hearing_days": (_hearing_days_query, bounds)})
    days = _hearing_days_by_period(periods=(period,), rows=rows["hearing_days"])[0]
    return _outcomes_of(rows, marac=marac, today=today, days=days)


def _outcomes_reads(*, marac, period) -> dict:
    """The queries of the outcome indicators, by name, for `_read` (their median days
    from disclosure to hearing are the period's hearing days, read with its figures)."""
    bounds = {"marac_id": marac.pk, "start": period.start, "end": period.end}
    return {
        "heard_cases": (_heard_cases_query, bounds),
        # The repeat referrals of those cases, for re-referral and the repeat alert.
        "repeats": (_repeats_query, bounds),
        "completed_actions": (_completed_actions_query, _agreed_moments(marac.pk, period)),
    }


def _outcomes_of(rows, *, marac, today, days) -> Outcomes:
    """The outcome indicators from the rows of `_outcomes_reads` and the period's
    hearing days."""
    window = relativedelta(months=marac.repeat_window_months)
    alert_months = relativedelta(months=marac.repeat_alert_months)
    heard = [(row["pk"], row["case_id"], row["referred_on"], row["heard_on"]) for row in rows["heard_cases"]]
    repeats = defaultdict(list)
    for row in rows["repeats"]:
        repeats[row["case_id"]].append(row["referred_on"])

    # Calendar-month arithmetic is slow and the dates repeat (meeting days), so each
    # date's is worked out once.
    window_ends, alert_starts = {}, {}
    re_referred = complete = re_referred_complete = 0
    alert_ids = []
    for pk, case_id, referred_on, heard_on in heard:
        case_repeats = repeats.get(case_id, ())
        if heard_on not in window_ends:
            window_ends[heard_on] = heard_on + window
        window_end = window_ends[heard_on]
        again = any(heard_on < later <= window_end for later in case_repeats)
        re_referred += again
        if window_end <= today:
            complete += 1
            re_referred_complete += again
        if referred_on is not None and len(case_repeats) >= marac.repeat_alert_count:
            if referred_on not in alert_starts:
                alert_starts[referred_on] = referred_on - alert_months
            since = alert_starts[referred_on]
            if sum(1 for r in case_repeats if since <= r <= referred_on) >= marac.repeat_alert_count:
                alert_ids.append(pk)

    decisions = (
        Action.objects.filter(hearing__item__referral_id__in=alert_ids).exclude(status=Action.Status.TRANSFERRED).values("kind").annotate(n=Count("pk")).order_by("-n", "kind")
        if alert_ids
        else []
    )
    chair_decisions = (
        RepeatDecision.objects.filter(hearing__item__referral_id__in=alert_ids).aggregate(
            decided=Count("hearing__item__referral_id", distinct=True), done=Count("pk", filter=Q(done_on__isnull=False))
        )
        if alert_ids
        else {"decided": 0, "done": 0}
    )
    actions = (rows["completed_actions"] or [{"completed": 0, "cases": 0}])[0]
    return Outcomes(
        heard=len(heard),
        re_referred_within_window=re_referred,
        window_complete=complete,
        re_referred_of_complete=re_referred_complete,
        alert_cases=len(alert_ids),
        alert_decisions=[(str(ActionKind(row["kind"]).label), row["n"]) for row in decisions],
        alert_decided=chair_decisions["decided"],
        alert_decisions_done=chair_decisions["done"],
        actions_per_case=round(actions["completed"] / actions["cases"], 1) if actions["cases"] else None,
        referral_to_hearing_median=median(days) if days else None,
    )


# --- Definitions ------------------------------------------------------------------------

# Short definitions shown on the dashboard (key: title, text); docs/data-return.md has
# the full text. Keys are the anchors the dashboard's figures link to.
DEFINITIONS = {
    "cases": ("Cases heard", "Referrals heard at a meeting in the period (at a meeting held in OpenMarac, or imported with the date heard). A case heard again for its 12-month review is not counted again."),
    "repeats": ("Repeat cases", "Cases heard whose referral met the repeat criterion: a further incident within the Marac's repeat window of the last referral, found by matching or declared by the referrer."),
    "repeat_rate": ("Repeat rate", "Repeat cases as a share of cases heard. National: 31%."),
    "children": ("Children in the households", "Children listed on the referrals of the cases heard."),
    "referral_sources": ("Cases heard by referring agency", "Cases heard, by the kind of agency that referred them. Kinds the SafeLives return does not name are counted as other agencies."),
    "not_police_share": ("Share not referred by the police", "Cases heard that were referred by any agency other than the police, as a share of cases heard. National: 36%."),
    "meetings_held": ("Meetings held", "Meeting dates in the period at which at least one case was heard."),
    "cases_per_meeting": ("Cases per meeting", "Cases heard divided by meetings held."),
    "cases_per_10000": ("Cases a year per 10,000 adult women", "Cases heard, scaled to a year, per 10,000 women aged 16 and over in the Marac's area. Recommended: 40; national: 47."),
    "hearing_time": ("Time from disclosure to hearing", "Days from the date of disclosure (or of the incident; the referral date when not known) to the meeting date, for cases heard in the period: the median, and the share heard within 6 weeks (42 days)."),
    "idva_contact": ("Idva first contact within 48 hours", "Idva referrals made in OpenMarac in the period where first contact was recorded within 48 hours of the referral. Imported history has no contact record and is left out."),
    "idva_caseload": ("Referrals a year per Idva", "Idva referrals in the period, scaled to a year, divided by the number of users with the Idva role in the Marac. Guidance: no more than 100 a year each. Not available for a period with referrals recorded as already heard (imported history), which were never referred to the Idva service in OpenMarac."),
    "attendance": ("Attendance by agency", "For each agency of the Marac, the meetings held in the period where its attendance was recorded as present, apologies or absent. Core agencies are marked."),
    "research": ("Research returned on time", "Research returns for meetings in the period, and how many were returned by the meeting's research deadline."),
    "actions": ("Actions by agency", "Actions agreed at meetings in the period, by owning agency: completed, completed by the due date, open past the due date (overdue) and not possible by reason."),
    "open_after_two_meetings": ("Actions still open after two meetings", "Actions open today although at least two meetings have been held since the meeting that agreed them."),
    "diversity": ("Diversity", "Victims of the cases heard who were recorded on the referral as racially minoritised, LGBT+, disabled, male, or aged 16 or 17 on the referral date; perpetrators aged 17 or under on the referral date. Shares are of cases heard."),
    "quality_concerns": ("Quality concerns", "Quality concerns the coordinator raised in the period, by the agency that made the referral and by category."),
    "cases_per_coordinator": ("Cases a year per coordinator", "Cases heard, scaled to a year, divided by the number of users with the coordinator role. Guidance: about 400 cases a year per full-time administrator."),
    "re_referral": ("Re-referral within 12 months of a hearing", "Of cases heard in the period, how many came back with a repeat referral within the Marac's repeat window of the hearing. Hearings whose window has not yet ended may still come back."),
    "repeat_alert": ("Cases at the repeat-alert threshold", "Cases heard in the period whose referral reached the Marac's repeat-alert threshold; how many had the chair's decision on a different approach recorded (for example a multi-agency risk management meeting) and how many of those decisions were carried out; and the actions agreed for them, by kind."),
    "actions_per_case": ("Completed actions per case", "Completed actions agreed at meetings in the period, divided by the cases they were agreed for."),
    "disclosure_to_hearing": ("Time from disclosure to hearing", "The median number of days from the date of disclosure (or of the incident) to the hearing. Where the referrer did not know the date of disclosure, the referral date is used."),
}

# The fields of every class a kept dashboard holds (`_kept_key`).
_KEPT_SHAPE = zlib.crc32(
    " ".join(f"{cls.__name__}.{f.name}" for cls in (Dashboard, PeriodFigures, Outcomes, Breakdown, ReturnRow, Period) for f in fields(cls)).encode()
)
