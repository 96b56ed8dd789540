"""The criteria and the repeat window have edges: thresholds met exactly, windows of
exactly 12 months, leap days. Hypothesis explores them; the database tests pin the
boundaries end to end."""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, given
from hypothesis import strategies as st

from openmarac.referrals import services
from openmarac.referrals.criteria import age_on, criteria_met, repeat_window_end, within_repeat_window
from openmarac.referrals.models import MatchCandidate

scores = st.integers(min_value=0, max_value=27)
thresholds = st.integers(min_value=1, max_value=27)
incidents = st.one_of(st.none(), st.integers(min_value=0, max_value=50))
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
months = st.integers(min_value=1, max_value=36)


@given(score=scores, threshold=thresholds, pj=st.booleans(), count=incidents, escalation=st.integers(1, 10), repeat=st.booleans())
def test_each_criterion_is_its_own_rule(score, threshold, pj, count, escalation, repeat):
    result = criteria_met(score=score, threshold=threshold, professional_judgement=pj, incidents=count, escalation_threshold=escalation, repeat=repeat)
    assert result.visible_high_risk == (score >= threshold)
    assert result.escalation == (count is not None and count >= escalation)
    assert result.professional_judgement == pj and result.repeat == repeat
    assert result.any == (result.visible_high_risk or pj or result.escalation or repeat)


@given(threshold=thresholds)
def test_a_score_equal_to_the_threshold_is_visible_high_risk(threshold):
    at = criteria_met(score=threshold, threshold=threshold, professional_judgement=False, incidents=None, escalation_threshold=3, repeat=False)
    below = criteria_met(score=threshold - 1, threshold=threshold, professional_judgement=False, incidents=None, escalation_threshold=3, repeat=False)
    assert at.visible_high_risk and not below.visible_high_risk


def test_an_unknown_score_or_incident_count_meets_nothing():
    result = criteria_met(score=None, threshold=14, professional_judgement=False, incidents=None, escalation_threshold=3, repeat=False)
    assert not result.any


@given(last=dates, window=months)
def test_the_anniversary_is_inside_the_window_and_the_day_after_is_not(last, window):
    end = repeat_window_end(last, window)
    assert within_repeat_window(last, end, window)
    assert not within_repeat_window(last, end + timedelta(days=1), window)
    assert within_repeat_window(last, last, window)


@given(last=dates, window=months, offset=st.integers(min_value=-400, max_value=1200))
def test_window_membership_is_a_contiguous_range(last, window, offset):
    later = last + timedelta(days=offset)
    assert within_repeat_window(last, later, window) == (last <= later <= last + relativedelta(months=window))


@pytest.mark.parametrize(
    "last, end",
    [
        (date(2024, 2, 29), date(2025, 2, 28)),  # from a leap day, the anniversary is 28 February
        (date(2023, 2, 28), date(2024, 2, 28)),  # into a leap year: not the 29th
        (date(2023, 3, 1), date(2024, 3, 1)),
        (date(2024, 1, 31), date(2025, 1, 31)),
    ],
)
def test_twelve_month_window_ends(last, end):
    assert repeat_window_end(last, 12) == end


@given(dob=st.dates(min_value=date(1930, 1, 1), max_value=date(2024, 12, 31)), on=dates)
def test_age_has_a_birthday_edge(dob, on):
    assume(on >= dob)
    age = age_on(dob, on)
    assert dob + relativedelta(years=age) <= on < dob + relativedelta(years=age + 1)


@given(dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), on=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_age_is_counted_as_relativedelta_counts_it(dob, on):
    # Leap-day birthdays and a date of birth after the day included.
    assert age_on(dob, on) == relativedelta(on, dob).years


def _repeat_after(marac, intake, generator, first_on, second_on):
    referrer = intake["referrer"]
    first_data = generator.referral(marac=marac, referring_agency=referrer.agency, referred_on=first_on)
    services.referral_record(marac=marac, data=first_data, by=referrer)
    second_data = generator.referral(
        marac=marac, referring_agency=referrer.agency, referred_on=second_on, victim=first_data.victim, perpetrator=first_data.perpetrators[0].data
    )
    second = services.referral_record(marac=marac, data=second_data, by=referrer)
    for candidate in MatchCandidate.objects.filter(referral=second):
        services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=True)
    second.refresh_from_db()
    return second


@pytest.mark.parametrize(
    "first_on, second_on, repeat",
    [
        (date(2025, 3, 10), date(2026, 3, 10), True),  # exactly 12 months
        (date(2025, 3, 10), date(2026, 3, 11), False),  # a day more
        (date(2024, 2, 29), date(2025, 2, 28), True),  # leap day: anniversary on the 28th
        (date(2024, 2, 29), date(2025, 3, 1), False),
        (date(2026, 1, 5), date(2026, 1, 5), True),  # a further incident the same day
    ],
)
def test_repeat_window_end_to_end(marac, intake, generator, first_on, second_on, repeat):
    assert _repeat_after(marac, intake, generator, first_on, second_on).meets_repeat is repeat


def test_a_marac_with_a_longer_window_counts_further_back(marac, intake, generator):
    marac.repeat_window_months = 18
    marac.save()
    assert _repeat_after(marac, intake, generator, date(2024, 6, 1), date(2025, 11, 30)).meets_repeat
