"""The action list's rows are written in Python as the templates would write them."""

from datetime import date, datetime, timezone as dt_timezone

from django.template import Context, Template
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from openmarac.core.display import day_text
from openmarac.core.display import url_pattern as _url_pattern

_AS_TEMPLATE = Template('{{ value|date:"j M Y" }}')


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_date_is_written_as_the_date_filter_writes_it(day):
    assert day_text(day) == _AS_TEMPLATE.render(Context({"value": day}))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(dt_timezone.utc)))
def test_a_time_is_written_as_its_local_date_as_the_date_filter_writes_it(moment):
    # Late in a summer evening in UTC is already the next day in London.
    assert day_text(moment) == _AS_TEMPLATE.render(Context({"value": moment}))


def test_no_date_is_written_as_nothing():
    assert day_text(None) == ""


def test_each_rows_links_are_the_urls_reverse_gives():
    for pk in (1, 42, 987_654_320):
        assert _url_pattern("actions:action").format(pk) == reverse("actions:action", args=[pk])
        assert _url_pattern("actions:agency-chase", "north-shire").format(pk) == reverse("actions:agency-chase", args=["north-shire", pk])
