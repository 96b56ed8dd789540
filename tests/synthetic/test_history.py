"""synthetic/history.py: years of imported history in bulk hold together (one case,
victim and referral each, referred inside the span, heard three weeks later), and the
governance figures count a heard imported referral exactly as one heard at a meeting
held in OpenMarac."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmarac.governance import figures
from openmarac.referrals.models import Case, Referral, ReferralPerson
from openmarac.synthetic.accounts import demo_deployment
from openmarac.synthetic.history import bulk_referrals
from openmarac.synthetic.meetings import demo_meetings


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(1, 30), span_days=st.integers(1, 4000), seed=st.integers(0, 1000))
@pytest.mark.django_db
def test_each_imported_referral_has_its_own_case_and_victim_inside_the_span(marac, count, span_days, seed):
    first_on = date(2015, 1, 1)
    with transaction.atomic():  # each example starts from an empty Marac
        referrals = bulk_referrals(marac=marac, count=count, first_on=first_on, span_days=span_days, seed=seed)
        assert len(referrals) == count
        rows = Referral.objects.filter(pk__in=[r.pk for r in referrals]).select_related("case")
        assert len({r.case_id for r in rows}) == count
        for referral in rows:
            assert first_on <= referral.referred_on < first_on + timedelta(days=span_days)
            assert referral.status == Referral.Status.HEARD
            assert referral.heard_on == referral.referred_on + timedelta(days=21) == referral.case.last_heard_on
            (victim,) = ReferralPerson.objects.filter(referral=referral, role=ReferralPerson.Role.VICTIM)
            assert victim.person_id == referral.case.victim_id
        references = list(Case.objects.filter(pk__in=[r.case_id for r in rows]).values_list("reference", flat=True))
        assert len(set(references)) == count
        transaction.set_rollback(True)


def test_referrals_not_yet_heard_carry_no_hearing(marac):
    referrals = bulk_referrals(marac=marac, count=5, status=Referral.Status.AWAITING_LISTING, first_on=date(2026, 1, 1), span_days=30)
    for referral in Referral.objects.filter(pk__in=[r.pk for r in referrals]).select_related("case"):
        assert referral.heard_on is None and referral.case.last_heard_on is None


def test_the_same_seed_makes_the_same_history(marac):
    first = bulk_referrals(marac=marac, count=8, first_on=date(2020, 1, 1), span_days=365, seed=3, prefix="A")
    second = bulk_referrals(marac=marac, count=8, first_on=date(2020, 1, 1), span_days=365, seed=3, prefix="B")
    assert [r.referred_on for r in first] == [r.referred_on for r in second]


@pytest.mark.django_db
def test_governance_counts_an_imported_hearing_as_one_held_in_openmarac():
    marac, _ = demo_deployment()
    held = demo_meetings(marac=marac)
    day = timezone.localtime(held.starts_at).date()
    (live,) = Referral.objects.filter(marac=marac, heard_on=day)
    # One imported referral heard the same day, as the importer records history.
    (imported,) = bulk_referrals(marac=marac, count=1, first_on=day - timedelta(days=21), span_days=1)
    period = figures.Period(day, day)

    assert set(figures.heard_referrals(marac=marac, period=period)) == {live, imported}
    (row,) = figures.data_return(marac=marac, period=period)
    assert (row.meeting_date, row.cases) == (day, 2)
    assert row.children == live.children_count + Referral.objects.get(pk=imported.pk).children_count
    assert figures.period_figures(marac=marac, period=period).totals.cases == 2
