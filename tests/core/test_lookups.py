"""`any_of`: `IN (subquery)` that PostgreSQL reads once, as an array, so indexes still
answer the query around it (the agency's actions: owned, or shared through the joint
agencies; every filter that leaves out the restricted cases)."""

import pytest
from django.db.models import Q

from openmarac.access import policy
from openmarac.accounts.models import Agency, User
from openmarac.actions.models import Action

from ..factories import AgencyFactory, UserFactory


@pytest.fixture
def agencies(db):
    return [AgencyFactory(name=name) for name in ("Police", "Housing", "Probation")]


def test_any_of_finds_what_in_finds_alone_in_an_or_and_negated(agencies):
    police, housing, probation = agencies
    named_housing = Agency.objects.filter(name="Housing").values("pk")
    nothing = Agency.objects.filter(name="Nobody").values("pk")
    assert set(Agency.objects.filter(pk__any_of=named_housing)) == {housing}
    assert set(Agency.objects.filter(Q(name="Police") | Q(pk__any_of=named_housing))) == {police, housing}
    assert set(Agency.objects.exclude(pk__any_of=named_housing)) == {police, probation}
    assert not Agency.objects.filter(pk__any_of=nothing).exists()
    assert set(Agency.objects.exclude(pk__any_of=nothing)) == set(agencies)


def test_negated_on_a_nullable_field_it_keeps_the_rows_without_a_value(agencies):
    """As `exclude(field__in=…)` does: a user of no agency is not of the housing agency."""
    police, housing, _ = agencies
    in_housing, in_police, in_none = UserFactory(agency=housing), UserFactory(agency=police), UserFactory(agency=None)
    named_housing = Agency.objects.filter(name="Housing").values("pk")
    people = User.objects.filter(pk__in=[in_housing.pk, in_police.pk, in_none.pk])
    assert set(people.exclude(agency__any_of=named_housing)) == {in_police, in_none}
    assert set(people.exclude(agency__in=named_housing)) == {in_police, in_none}
    assert set(people.filter(agency__any_of=named_housing)) == {in_housing}


@pytest.mark.postgresql
def test_the_agency_and_restriction_filters_on_actions_are_arrays_on_postgresql(agencies):
    """A plain `id IN (subquery)` beside `owner_agency_id = …` under OR made PostgreSQL
    scan every action of every Marac (1.6 to 2.5 s per agency home page at 1.2 million
    cases); and the restricted cases' `case_id IN (subquery)` made it read every action
    rather than a Marac's open ones case by case (the overdue count, 1.8 s)."""
    user = UserFactory(agency=agencies[0])
    sql = str(Action.objects.filter(policy.owned_or_shared_actions_q(agencies[0].pk)).query)
    assert '"actions_action"."id" = ANY(ARRAY(SELECT' in sql and " IN (SELECT" not in sql
    sql = str(Action.objects.exclude(policy.hidden_case_q(user, "case_id")).query)
    assert '"actions_action"."case_id" = ANY(ARRAY(SELECT' in sql and '"actions_action"."case_id" IN (SELECT' not in sql
