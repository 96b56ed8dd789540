"""Retention must not rewrite history: the data return, the dashboard and the outcome
indicators for an old quarter are the same before and after its cases are anonymised."""

from dataclasses import asdict
from datetime import date

from openmarac.governance import figures
from openmarac.people.models import Person
from openmarac.records import retention
from openmarac.referrals.models import Case

from .conftest import EXPECTED, QUARTER

# Long enough after the quarter that every case heard in it is past six years.
LATER = date(2032, 6, 1)


def _everything(marac):
    period = figures.Period(date.fromisoformat(QUARTER[0]), date.fromisoformat(QUARTER[1]))
    return {
        "return": figures.return_as_json(figures.data_return(marac=marac, period=period)),
        "dashboard": asdict(figures.period_figures(marac=marac, period=period, today=LATER)),
        "outcomes": asdict(figures.outcomes(marac=marac, period=period, today=LATER)),
    }


def test_the_return_and_dashboard_are_identical_after_retention(quarter, marac, staff):
    before = _everything(marac)
    assert before["return"] == EXPECTED
    names = set(Person.objects.values_list("family_name", flat=True))

    anonymised = retention.retention_run(marac=marac, today=LATER)

    assert anonymised and not Case.objects.filter(anonymised__isnull=True).exists()
    assert not names & set(Person.objects.values_list("family_name", flat=True))
    assert _everything(marac) == before
