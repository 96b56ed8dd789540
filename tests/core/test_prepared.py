"""PreparedQuery: compiled once, run with each call's own values."""

from datetime import date, timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from openmarac.accounts.models import Marac
from openmarac.core.prepared import PreparedQuery
from tests.factories import MaracFactory


def _maracs_named_since(marac_id, since, on):
    # A date, a time and an id, each used once.
    return Marac.objects.filter(pk__gte=marac_id, created_at__gte=since, created_at__date__lte=on).annotate(n=Count("memberships")).order_by("pk")


MARACS_SINCE = PreparedQuery(_maracs_named_since, marac_id="id", since="datetime", on="date")


@pytest.mark.django_db
def test_each_call_runs_with_its_own_values_and_gives_what_the_orm_gives():
    first, second, third = MaracFactory(), MaracFactory(), MaracFactory()
    now = timezone.now()
    for marac_id, since, on in (
        (first.pk, now - timedelta(days=1), date.today() + timedelta(days=1)),
        (second.pk, now - timedelta(days=1), date.today() + timedelta(days=1)),
        (third.pk, now + timedelta(days=1), date.today() + timedelta(days=1)),
        (first.pk, now - timedelta(days=1), date.today() - timedelta(days=2)),
    ):
        expected = [(m.pk, m.n) for m in _maracs_named_since(marac_id, since, on)]
        got = [(m.pk, m.n) for m in MARACS_SINCE.raw(Marac, marac_id=marac_id, since=since, on=on)]
        assert got == expected
    assert [m.pk for m in MARACS_SINCE.raw(Marac, marac_id=second.pk, since=now - timedelta(days=1), on=date.today())] == [second.pk, third.pk]


MARACS_FROM = PreparedQuery(lambda marac_id: Marac.objects.filter(pk__gte=marac_id).values("pk"), marac_id="id")


@pytest.mark.django_db
def test_a_subquery_filters_as_the_orm_does_with_every_value_bound():
    first, second = MaracFactory(), MaracFactory()
    ids = MARACS_FROM.subquery(marac_id=second.pk)
    assert list(Marac.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [second.pk]
    assert list(Marac.objects.filter(pk__in=MARACS_FROM.subquery(marac_id=first.pk)).order_by("pk").values_list("pk", flat=True)) == [first.pk, second.pk]
    assert second.pk in ids.params and str(second.pk) not in ids.sql


@pytest.mark.django_db
def test_a_definition_that_drops_a_parameter_fails_loudly_rather_than_run_stale():
    ignores_since = PreparedQuery(lambda marac_id, since: Marac.objects.filter(pk=marac_id), marac_id="id", since="datetime")
    with pytest.raises(AssertionError, match="since"):
        ignores_since.sql(marac_id=1, since=timezone.now())


def test_every_value_must_be_given():
    with pytest.raises(TypeError, match="since"):
        MARACS_SINCE.sql(marac_id=1, on=date.today())
