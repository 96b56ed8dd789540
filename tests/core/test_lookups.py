"""AnyOf: `IN (subquery)` that PostgreSQL can answer from an index, also inside an OR
(the agency's actions: owned, or shared through the joint agencies)."""

import pytest
from django.db.models import F, Q

from openmarac.access import policy
from openmarac.accounts.models import Agency
from openmarac.actions.models import Action
from openmarac.core.lookups import AnyOf

from ..factories import AgencyFactory


@pytest.fixture
def agencies(db):
    return [AgencyFactory(name=name) for name in ("Police", "Housing", "Probation")]


def test_any_of_finds_what_in_finds_alone_in_an_or_and_negated(agencies):
    police, housing, probation = agencies
    named_housing = Agency.objects.filter(name="Housing").values("pk")
    nothing = Agency.objects.filter(name="Nobody").values("pk")
    assert set(Agency.objects.filter(AnyOf(F("pk"), named_housing))) == {housing}
    assert set(Agency.objects.filter(Q(name="Police") | Q(AnyOf(F("pk"), named_housing)))) == {police, housing}
    assert set(Agency.objects.exclude(AnyOf(F("pk"), named_housing))) == {police, probation}
    assert not Agency.objects.filter(AnyOf(F("pk"), nothing)).exists()
    assert set(Agency.objects.exclude(AnyOf(F("pk"), nothing))) == set(agencies)


@pytest.mark.postgresql
def test_the_agency_filter_on_actions_is_an_array_postgresql_can_look_up_by_index(agencies):
    """A plain `id IN (subquery)` beside `owner_agency_id = …` under OR made PostgreSQL
    scan every action of every Marac (1.6 to 2.5 s per agency home page at 1.2 million
    cases); `= ANY(ARRAY(…))` lets it combine two index scans."""
    sql = str(Action.objects.filter(policy.owned_or_shared_actions_q(agencies[0].pk)).query)
    assert '"actions_action"."id" = ANY(ARRAY(SELECT' in sql
    assert " IN (SELECT" not in sql
