"""The days from clock start to hearing as the database counts them (figures'
`_Waited`: SQLite's julianday rather than Django's Python function) against the same
days counted in Python from each referral (`referral_clock_start`)."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection

from openmarac.governance import figures
from openmarac.referrals.criteria import referral_clock_start
from openmarac.referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_days_waited_are_those_counted_from_each_referral(quarter, marac):
    heard = list(figures.heard_referrals(marac=marac, period=figures.Period(*quarter)).filter(referred_on__isnull=False))
    # Waits across a leap day, a year's end and a disclosure before the referral.
    for referral, (disclosed, referred) in zip(heard, [(None, date(2024, 2, 27)), (date(2023, 12, 30), date(2024, 1, 2)), (None, date(2023, 3, 1))]):
        Referral.objects.filter(pk=referral.pk).update(disclosed_on=disclosed, referred_on=referred)
    heard = list(figures.heard_referrals(marac=marac, period=figures.Period(*quarter)).filter(referred_on__isnull=False))
    expected = Counter((r.heard_on - referral_clock_start(r)).days for r in heard)
    rows = figures._hearing_days_query(marac_id=marac.pk, start=quarter[0], end=quarter[1])
    assert Counter({row["waited"].days: row["n"] for row in rows}) == expected
    assert all(isinstance(row["waited"], timedelta) for row in rows)
    assert len(expected) > 5


def test_days_waited_without_a_python_function(marac):
    """SQLite's Python function for a date subtraction was half the dashboard's time."""
    sql = str(figures._hearing_days_query(marac_id=marac.pk, start=date(2024, 1, 1), end=date(2024, 3, 31)).query)
    assert "django_timestamp_diff" not in sql
    assert ("julianday" in sql) == (connection.vendor == "sqlite")
