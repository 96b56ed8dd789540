"""Edges of periods and of suppression."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from openmarac.governance import display, figures

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(days)
def test_a_day_lies_in_its_quarter_and_the_quarter_before_ends_the_day_before(day):
    quarter = figures.quarter_of(day)
    assert quarter.start <= day <= quarter.end
    assert quarter.is_quarter
    before = quarter.previous()
    assert before.is_quarter and before.end == quarter.start - timedelta(days=1)
    assert figures.quarter_of(before.start) == before


@given(days, st.integers(min_value=0, max_value=800))
def test_the_period_before_is_as_long_and_ends_the_day_before(start, length):
    period = figures.Period(start, start + timedelta(days=length))
    before = period.previous()
    assert before.end == period.start - timedelta(days=1)
    if not period.is_quarter:
        assert before.days == period.days


@given(days)
def test_the_default_period_is_the_last_whole_quarter_before_today(today):
    period = figures.last_complete_quarter(today)
    assert period.end < today
    assert figures.quarter_of(today).start == period.end + timedelta(days=1)


@given(st.integers(min_value=0, max_value=10**7))
def test_no_count_from_1_to_4_is_ever_shown(n):
    text = display.count_text(n)
    assert (text == "fewer than 5") == (1 <= n <= 4)
    if text != "fewer than 5":
        assert int(text.replace(",", "")) == n
