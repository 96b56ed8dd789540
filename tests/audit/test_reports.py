"""The confidentiality audit: views by user and agency, and the exceptions."""

from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit import reports, services
from openmarac.audit.models import AuditEvent, ExceptionReview
from openmarac.referrals.models import CaseInvolvement
from tests.conftest import sign_in
from tests.factories import member
from tests.records.conftest import old_case  # noqa: F401 (fixture)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 3, 2)  # a Monday in GMT
PERIOD = reports.Period(MONDAY - timedelta(days=7), MONDAY + timedelta(days=7))


def view(user, marac, obj_type, obj_id, at):
    """An audit view event at a chosen moment (the trail orders by id, not time)."""
    from unittest import mock

    with mock.patch("openmarac.audit.services.timezone.now", return_value=at):
        return services.record(action=AuditEvent.Action.VIEWED, actor=user, record_type=obj_type, record_id=str(obj_id), marac=marac)


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def test_views_by_user_and_agency(marac, staff, old_case):  # noqa: F811
    case = old_case.case
    chair, housing = staff["chair"], staff["housing_rep"]
    for hour in (9, 10, 11):
        view(chair, marac, "referrals.case", case.pk, at(MONDAY, hour))
    view(housing, marac, "referrals.case", case.pk, at(MONDAY, 12))
    view(housing, marac, "meetings.meeting", 1, at(MONDAY, 12))
    view(housing, marac, "referrals.case", case.pk, at(MONDAY + timedelta(days=30), 12))  # outside the period
    by_user = {row["actor_label"]: row for row in reports.views_by_user(marac=marac, period=PERIOD)}
    assert (by_user[chair.email]["views"], by_user[chair.email]["records"], by_user[chair.email]["cases"]) == (3, 1, 1)
    assert (by_user[housing.email]["views"], by_user[housing.email]["records"], by_user[housing.email]["cases"]) == (2, 2, 1)
    by_agency = {row["agency_label"]: row for row in reports.views_by_agency(marac=marac, period=PERIOD)}
    assert by_agency[str(housing.agency)]["views"] == 2 and by_agency[str(chair.agency)]["users"] == 1
    records = reports.records_viewed_by(marac=marac, period=PERIOD, user_id=housing.pk)
    assert {(r["record_type"], r["views"]) for r in records} == {("referrals.case", 1), ("meetings.meeting", 1)}


@given(hour=st.integers(0, 23), minute=st.integers(0, 59), weekday=st.integers(0, 6))
@settings(max_examples=40, deadline=None)
def test_out_of_hours_edges(hour, minute, weekday):
    day = MONDAY + timedelta(days=weekday)
    expected = hour < 7 or hour >= 19 or weekday >= 5
    assert reports.is_out_of_hours(at(day, hour, minute)) is expected


@pytest.mark.parametrize(
    "moment, expected",
    [
        (at(MONDAY, 6, 59), True),
        (at(MONDAY, 7, 0), False),
        (at(MONDAY, 18, 59), False),
        (at(MONDAY, 19, 0), True),
        (at(MONDAY + timedelta(days=5), 12), True),  # Saturday
        # British Summer Time: 06:30 in London is 05:30 UTC, out of hours either way;
        # 07:30 in London is 06:30 UTC, in hours in London.
        (at(date(2026, 7, 1), 7, 30), False),
        (at(date(2026, 7, 1), 6, 30), True),
    ],
)
def test_out_of_hours_exceptions_use_london_time(marac, staff, moment, expected):
    view(staff["chair"], marac, "referrals.case", 1, moment)
    period = reports.Period(moment.date(), moment.date())
    found = [r for r in reports.exceptions(marac=marac, period=period) if r.kind == "out_of_hours"]
    assert bool(found) is expected


def test_not_involved_exception_ignores_involved_agencies_and_coordinators(marac, staff, old_case):  # noqa: F811
    case = old_case.case
    CaseInvolvement.objects.filter(case=case, agency=staff["probation_rep"].agency).delete()
    assert CaseInvolvement.objects.filter(case=case, agency=staff["housing_rep"].agency).exists()
    view(staff["probation_rep"], marac, "referrals.case", case.pk, at(MONDAY, 10))
    view(staff["housing_rep"], marac, "referrals.case", case.pk, at(MONDAY, 10))
    view(staff["coordinator"], marac, "referrals.case", case.pk, at(MONDAY, 10))
    rows = [r for r in reports.exceptions(marac=marac, period=PERIOD) if r.kind == "not_involved"]
    assert [(r.user_id, r.case_reference) for r in rows] == [(staff["probation_rep"].pk, case.reference)]


def test_many_views_exception_above_the_threshold(marac, staff):
    for i in range(reports.MANY_VIEWS_THRESHOLD):
        view(staff["chair"], marac, "referrals.case", i, at(MONDAY, 10))
    view(staff["chair"], marac, "referrals.case", 0, at(MONDAY, 11))  # the same record again
    assert not [r for r in reports.exceptions(marac=marac, period=PERIOD) if r.kind == "many_views"]
    view(staff["chair"], marac, "referrals.case", 9999, at(MONDAY, 11))
    [row] = [r for r in reports.exceptions(marac=marac, period=PERIOD) if r.kind == "many_views"]
    assert row.count == reports.MANY_VIEWS_THRESHOLD + 1 and row.day == MONDAY


def test_reports_take_a_constant_number_of_queries(marac, staff):
    def count():
        with CaptureQueriesContext(connection) as queries:
            list(reports.views_by_user(marac=marac, period=PERIOD))
            list(reports.views_by_agency(marac=marac, period=PERIOD))
            reports.exceptions(marac=marac, period=PERIOD)
        return len(queries)

    view(staff["chair"], marac, "referrals.case", 1, at(MONDAY, 22))
    few = count()
    for i in range(60):
        view(staff["housing_rep"], marac, "referrals.case", i, at(MONDAY + timedelta(days=i % 6), 5))
    assert count() == few


def test_review_an_exception_once(marac, staff):
    view(staff["chair"], marac, "referrals.case", 1, at(MONDAY, 23))
    coordinator = staff["coordinator"]
    review = services.exception_review(by=coordinator, marac=marac, kind="out_of_hours", user_id=staff["chair"].pk, day=MONDAY, note="On call that night")
    [row] = [r for r in reports.exceptions(marac=marac, period=PERIOD) if r.kind == "out_of_hours"]
    assert row.review == review and row.review.reviewed_by == coordinator
    assert [r.kind for r in reports.exceptions(marac=marac, period=PERIOD, unreviewed_only=True)] == ["not_involved"]
    with pytest.raises(ValidationError, match="already been reviewed"):
        services.exception_review(by=coordinator, marac=marac, kind="out_of_hours", user_id=staff["chair"].pk, day=MONDAY, note="Again")
    with pytest.raises(ValidationError, match="no such exception"):
        services.exception_review(by=coordinator, marac=marac, kind="many_views", user_id=staff["chair"].pk, day=MONDAY, note="x")
    assert AuditEvent.objects.filter(record_type="audit.exceptionreview", summary="Exception reviewed: out_of_hours").count() == 1


@pytest.mark.parametrize("role", ["chair", "idva", "housing_rep", "governance", "referrer"])
def test_only_the_coordinator_reviews(marac, staff, role):
    view(staff["chair"], marac, "referrals.case", 1, at(MONDAY, 23))
    with pytest.raises(PermissionDenied):
        services.exception_review(by=staff[role], marac=marac, kind="out_of_hours", user_id=staff["chair"].pk, day=MONDAY, note="x")
    assert not ExceptionReview.objects.exists()


def test_review_through_the_pages(marac, staff):
    view(staff["chair"], marac, "referrals.case", 1, at(MONDAY, 23))
    client = sign_in(Client(), staff["coordinator"])
    listing = client.get(reverse("audit:exceptions", args=[marac.slug]), {"start": PERIOD.start.isoformat(), "end": PERIOD.end.isoformat()})
    # Case 1 does not involve the chair's agency either: two exceptions.
    assert b"Showing 1 to 2 of 2 exceptions" in listing.content and b"Views outside working hours" in listing.content
    url = reverse("audit:exception-review", args=[marac.slug, "out_of_hours", staff["chair"].pk, MONDAY.isoformat()])
    assert client.get(url).status_code == 200
    empty = client.post(url, {"note": ""})
    assert empty.status_code == 200 and b"Enter what you found" in empty.content
    assert client.post(url, {"note": "On call"}).status_code == 302
    assert ExceptionReview.objects.get().note == "On call"
    assert client.get(reverse("audit:exception-review", args=[marac.slug, "many_views", staff["chair"].pk, MONDAY.isoformat()])).status_code == 404
    assert client.get(reverse("audit:exception-review", args=[marac.slug, "out_of_hours", staff["chair"].pk, "not-a-day"])).status_code == 404
    # A "not involved" exception names its case.
    not_involved = reverse("audit:exception-review", args=[marac.slug, "not_involved", staff["chair"].pk, MONDAY.isoformat()])
    assert client.get(not_involved).status_code == 404
    assert client.get(not_involved, {"record": "1"}).status_code == 200


def test_period_errors_are_explained_and_the_default_is_shown(marac, staff):
    client = sign_in(Client(), staff["coordinator"])
    response = client.get(reverse("audit:views-by-user", args=[marac.slug]), {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 200 and "The ‘from’ date must be on or before the ‘to’ date" in response.content.decode()
    response = client.get(reverse("audit:views-by-agency", args=[marac.slug]), {"start": "not a date"})
    assert b"must be a real date" in response.content


def test_another_maracs_coordinator_is_refused(marac, other_marac, staff):
    stranger = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE)
    client = sign_in(Client(), stranger)
    for name in ("audit:views-by-user", "audit:views-by-agency", "audit:exceptions"):
        assert client.get(reverse(name, args=[marac.slug])).status_code == 404
    assert client.get(reverse("audit:user-records", args=[marac.slug, staff["chair"].pk])).status_code == 404


def test_an_api_credential_is_reported_like_a_person_with_no_false_exceptions(marac, other_marac, staff, old_case):  # noqa: F811
    """An agency system's views: its records open from the report (its account has no
    membership row), and its case list, a view of no one case, is no "not involved"."""
    from openmarac.api import services as api_services

    case = old_case.case
    housing = staff["housing_rep"].agency
    assert CaseInvolvement.objects.filter(case=case, agency=housing).exists()
    issued = api_services.credential_create(
        by=staff["coordinator"], marac=marac, agency=housing, name="Housing system", expires_on=date.today() + timedelta(days=30)
    )
    api = Client(headers={"Authorization": f"Bearer {issued.token}"})
    with mock.patch("openmarac.audit.services.timezone.now", return_value=at(MONDAY, 11)):  # in working hours
        assert api.get(reverse("api-v1:cases")).status_code == 200
    view(issued.credential.user, marac, "referrals.case", case.pk, at(MONDAY, 10))
    today = reports.Period(MONDAY, date.today())
    assert reports.exceptions(marac=marac, period=today) == []
    [row] = reports.views_by_user(marac=marac, period=today)
    assert (row["actor_id"], row["views"], row["records"], row["cases"]) == (issued.credential.user_id, 2, 1, 1)

    client = sign_in(Client(), staff["coordinator"])
    query = {"start": today.start.isoformat(), "end": today.end.isoformat()}
    listing = client.get(reverse("audit:views-by-user", args=[marac.slug]), query).content.decode()
    url = reverse("audit:user-records", args=[marac.slug, issued.credential.user_id])
    assert f'href="{url}?' in listing
    page = client.get(url, query)
    assert page.status_code == 200
    content = page.content.decode()
    assert f"om_{issued.credential.prefix}_" in content and case.reference in content and "@api-credentials" not in content
    # Another Marac's coordinator still gets a 404 for it.
    stranger = sign_in(Client(), member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE))
    assert stranger.get(url, query).status_code == 404
