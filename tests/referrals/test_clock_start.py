"""Time to hearing counts from the disclosure (or incident) when it is known, otherwise
from the referral date: one rule, `referral_clock_start`, read by the case list's flag,
the listing proposal and the governance figures."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from openmarac.governance import figures
from openmarac.meetings import listing
from openmarac.meetings.selectors import awaiting_listing, listing_rows
from openmarac.referrals import services
from openmarac.referrals.criteria import CLOCK_START, clock_start, referral_clock_start
from openmarac.referrals.models import Referral

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(referred_on=days, disclosed_on=st.one_of(st.none(), days))
def test_the_clock_starts_at_disclosure_when_known_and_never_after_the_referral(referred_on, disclosed_on):
    start = clock_start(disclosed_on, referred_on)
    assert start <= referred_on
    if disclosed_on is None or disclosed_on > referred_on:
        assert start == referred_on
    else:
        assert start == disclosed_on


@given(referred_on=days, gap=st.integers(min_value=0, max_value=400), hearing_after=st.integers(min_value=0, max_value=400))
def test_an_earlier_disclosure_can_only_make_a_case_late_sooner(referred_on, gap, hearing_after):
    disclosed_on = referred_on - timedelta(days=gap)
    meeting_on = referred_on + timedelta(days=hearing_after)
    late_from_referral = listing.is_late(clock_start(None, referred_on), meeting_on)
    late_from_disclosure = listing.is_late(clock_start(disclosed_on, referred_on), meeting_on)
    assert late_from_disclosure >= late_from_referral
    assert late_from_disclosure == (meeting_on - disclosed_on > timedelta(weeks=6))


def test_the_referral_object_is_read_the_same_way():
    referral = SimpleNamespace(disclosed_on=date(2026, 1, 2), referred_on=date(2026, 1, 20))
    assert referral_clock_start(referral) == date(2026, 1, 2)
    referral.disclosed_on = None
    assert referral_clock_start(referral) == date(2026, 1, 20)


def test_a_disclosure_after_the_referral_is_refused(marac, staff, generator):
    data = generator.referral(marac=marac, referring_agency=staff["referrer"].agency, review_owner=staff["referrer"])
    data.disclosed_on = data.referred_on + timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.referral_record(marac=marac, data=data, by=staff["referrer"])
    assert "disclosed_on" in error.value.message_dict


def test_the_database_expression_agrees_with_the_function(marac, staff, generator):
    referrer = staff["referrer"]
    recorded = []
    for disclosed_gap in (None, 0, 10):
        data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer)
        data.disclosed_on = None if disclosed_gap is None else data.referred_on - timedelta(days=disclosed_gap)
        recorded.append(services.referral_record(marac=marac, data=data, by=referrer))
    in_db = dict(Referral.objects.annotate(start=CLOCK_START).values_list("pk", "start"))
    assert in_db == {r.pk: referral_clock_start(r) for r in recorded}


def test_figures_count_time_to_hearing_from_disclosure(marac, staff, generator):
    referrer = staff["referrer"]
    quarter = figures.Period(date(2025, 1, 1), date(2025, 3, 31))
    for disclosed_gap in (None, 30):
        data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer)
        data.referred_on = date(2025, 1, 10)
        data.heard_on = date(2025, 2, 7)  # 28 days after referral
        data.disclosed_on = None if disclosed_gap is None else data.referred_on - timedelta(days=disclosed_gap)
        services.referral_record(marac=marac, data=data, by=referrer)
    result = figures.period_figures(marac=marac, period=quarter, today=date(2025, 4, 1))
    assert result.hearing_measured == 2
    # 28 days from the referral date; 58 from the disclosure a month before it.
    assert result.hearing_within_target == 1
    assert result.hearing_days_median == (28 + 58) / 2
    assert figures.outcomes(marac=marac, period=quarter, today=date(2025, 4, 1)).referral_to_hearing_median == (28 + 58) / 2


def test_the_listing_page_counts_the_six_weeks_from_disclosure(marac, staff, generator):
    """The target the coordinator lists by is the one the case list flags against."""
    referrer, today = staff["referrer"], timezone.localdate()
    data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer)
    data.referred_on, data.disclosed_on, data.heard_on = today, today - timedelta(days=20), None
    referral = services.referral_record(marac=marac, data=data, by=referrer)
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.AWAITING_LISTING)
    page = Paginator(awaiting_listing(user=staff["coordinator"], marac=marac), 50).page(1)
    [row] = [row for row in listing_rows(marac=marac, page=page) if row.referral.pk == referral.pk]
    assert row.target.target_on == data.disclosed_on + timedelta(weeks=6)
    assert row.target.days_left == 22
