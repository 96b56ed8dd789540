"""The confidentiality audit: who viewed which records, by user and by agency, and the
exceptions a coordinator should look at. Every report is an aggregate query over the
audit trail: the number of queries does not grow with the number of events.

Exceptions (documented in docs/governance.md):
- not involved: a user other than the Marac's coordinators opened a case on which their
  agency has no involvement (it did not refer it, hold its Idva or children's referral,
  own an action, or receive it on a case list);
- out of hours: views before 07:00 or from 19:00 (Europe/London), or at a weekend;
- many views: more than MANY_VIEWS_THRESHOLD distinct records viewed in one day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Count, Exists, Max, Min, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat, ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from openmarac.accounts.models import Membership, Role
from openmarac.referrals.models import Case, CaseInvolvement

from .models import AuditEvent, ExceptionReview

LONDON = ZoneInfo("Europe/London")
WORKING_DAY_STARTS = 7  # 07:00
WORKING_DAY_ENDS = 19  # 19:00: a view at 19:00 or later is out of hours
MANY_VIEWS_THRESHOLD = 50  # distinct records in one day
VIEW_ACTIONS = (AuditEvent.Action.VIEWED, AuditEvent.Action.EXPORTED)
Kind = ExceptionReview.Kind
# The audit's own reports are audited under this type, and left out of the reports.
REPORT_RECORD_TYPE = "audit.report"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def default(cls, today=None):
        today = today or timezone.localdate()
        return cls(today - timedelta(days=27), today)

    @property
    def bounds(self):
        """The period as aware datetimes, from the first day's midnight to the midnight
        after the last day, London time."""
        return (
            datetime.combine(self.start, time.min, tzinfo=LONDON),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=LONDON),
        )


def _views(marac, period, user_id=None):
    start, end = period.bounds
    events = AuditEvent.objects.filter(
        marac=marac, action__in=VIEW_ACTIONS, actor__isnull=False, occurred_at__gte=start, occurred_at__lt=end
    ).exclude(record_type=REPORT_RECORD_TYPE).order_by()
    return events if user_id is None else events.filter(actor_id=user_id)


_RECORD_KEY = Concat("record_type", Value(":"), "record_id", output_field=CharField())
# A list or a search (the web's case search, the API's case list) is audited under the
# type of what it lists with no record id: it is a view, but of no one record.
_WITH_RECORD = Q(record_id__gt="")
_CASE = Q(record_type="referrals.case") & _WITH_RECORD


def views_by_user(*, marac, period):
    """One row per user: views, distinct records and cases, first and last view."""
    return (
        _views(marac, period)
        .values("actor_id", "actor_label", "agency_label")
        .annotate(
            views=Count("id"),
            records=Count(_RECORD_KEY, filter=_WITH_RECORD, distinct=True),
            cases=Count("record_id", filter=_CASE, distinct=True),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
        )
        .order_by("-views", "actor_label")
    )


def views_by_agency(*, marac, period):
    return (
        _views(marac, period)
        .values("agency_label")
        .annotate(
            views=Count("id"),
            users=Count("actor_id", distinct=True),
            records=Count(_RECORD_KEY, filter=_WITH_RECORD, distinct=True),
            cases=Count("record_id", filter=_CASE, distinct=True),
        )
        .order_by("-views", "agency_label")
    )


def records_viewed_by(*, marac, period, user_id):
    """Which records one user viewed: one row per record, with case references."""
    return list(
        _views(marac, period, user_id)
        .values("record_type", "record_id")
        .annotate(views=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("-last", "record_type", "record_id")
    )


def case_references(rows):
    """Case references for the rows that are cases, in one query."""
    ids = [int(r["record_id"]) for r in rows if r["record_type"] == "referrals.case" and str(r["record_id"]).isdigit()]
    return {str(pk): ref for pk, ref in Case.objects.filter(pk__in=ids).values_list("pk", "reference")}


@dataclass
class ExceptionRow:
    kind: str
    user_id: int
    actor_label: str
    agency_label: str
    day: date
    record_id: str
    count: int
    case_reference: str = ""
    review: ExceptionReview | None = None

    @property
    def kind_label(self):
        return Kind(self.kind).label

    @property
    def key(self):
        return (self.kind, self.user_id, self.day, self.record_id)


def is_out_of_hours(moment) -> bool:
    """The rule the out-of-hours query applies, for one moment: before 07:00, from
    19:00, or a Saturday or Sunday, in Europe/London time."""
    local = moment.astimezone(LONDON)
    return local.hour < WORKING_DAY_STARTS or local.hour >= WORKING_DAY_ENDS or local.isoweekday() >= 6


def _day():
    return TruncDate("occurred_at", tzinfo=LONDON)


def _not_involved(marac, period, user_id=None):
    coordinators = Membership.objects.filter(marac=marac, role=Role.COORDINATOR, is_active=True).values("user_id")
    involved = CaseInvolvement.objects.annotate(case_key=Cast("case_id", CharField())).filter(
        case_key=OuterRef("record_id"), agency_id=OuterRef("actor__agency_id")
    )
    events = _views(marac, period, user_id).filter(_CASE, action=AuditEvent.Action.VIEWED).exclude(actor_id__in=coordinators)
    rows = (
        events.annotate(involved=Exists(involved))
        .filter(involved=False)
        .values("actor_id", "actor_label", "agency_label", "record_id", day=_day())
        .annotate(count=Count("id"))
    )
    return [ExceptionRow(Kind.NOT_INVOLVED, r["actor_id"], r["actor_label"], r["agency_label"], r["day"], r["record_id"], r["count"]) for r in rows]


def _out_of_hours(marac, period, user_id=None):
    events = _views(marac, period, user_id).annotate(
        hour=ExtractHour("occurred_at", tzinfo=LONDON), weekday=ExtractIsoWeekDay("occurred_at", tzinfo=LONDON)
    )
    rows = (
        events.filter(Q(hour__lt=WORKING_DAY_STARTS) | Q(hour__gte=WORKING_DAY_ENDS) | Q(weekday__gte=6))
        .values("actor_id", "actor_label", "agency_label", day=_day())
        .annotate(count=Count("id"))
    )
    return [ExceptionRow(Kind.OUT_OF_HOURS, r["actor_id"], r["actor_label"], r["agency_label"], r["day"], "", r["count"]) for r in rows]


def _many_views(marac, period, user_id=None):
    events = _views(marac, period, user_id).filter(_WITH_RECORD)
    rows = (
        events.values("actor_id", "actor_label", "agency_label", day=_day())
        .annotate(count=Count(_RECORD_KEY, distinct=True))
        .filter(count__gt=MANY_VIEWS_THRESHOLD)
    )
    return [ExceptionRow(Kind.MANY_VIEWS, r["actor_id"], r["actor_label"], r["agency_label"], r["day"], "", r["count"]) for r in rows]


def exceptions(*, marac, period, unreviewed_only=False, user_id=None):
    """Every exception in the period, newest day first, each with its review if any.
    Four aggregate queries and two look-ups, whatever the number of events."""
    rows = _not_involved(marac, period, user_id) + _out_of_hours(marac, period, user_id) + _many_views(marac, period, user_id)
    reviews = {
        (r.kind, r.user_id, r.day, r.record_id): r
        for r in ExceptionReview.objects.filter(marac=marac, day__gte=period.start, day__lte=period.end).select_related("reviewed_by")
    }
    references = case_references([{"record_type": "referrals.case", "record_id": r.record_id} for r in rows if r.record_id])
    for row in rows:
        row.review = reviews.get(row.key)
        row.case_reference = references.get(row.record_id, "")
    if unreviewed_only:
        rows = [r for r in rows if r.review is None]
    order = list(Kind.values)
    return sorted(rows, key=lambda r: (-r.day.toordinal(), order.index(r.kind), r.actor_label, r.record_id))


def exception_find(*, marac, kind, user_id, day, record_id=""):
    """The exception with this key, if the audit trail shows one."""
    rows = exceptions(marac=marac, period=Period(day, day), user_id=user_id)
    return next((r for r in rows if r.key == (kind, user_id, day, record_id)), None)
