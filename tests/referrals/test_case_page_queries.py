"""The case page's queries do not grow with the case's referrals (benchmark 2 of
docs/performance.md found one query per referral for its Idva service)."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openmarac.referrals import services
from openmarac.referrals.models import Referral

from ..conftest import sign_in


def _case_page_queries(client, case):
    path = reverse("referrals:case", args=[case.public_id])
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_case_page_makes_the_same_queries_for_one_referral_or_four(intake, marac, generator):
    referrer = intake["referrer"]
    first = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, children=1), by=referrer)
    assert first.idva_referral.idva_agency is not None
    coordinator = sign_in(Client(), intake["coordinator"])
    one = _case_page_queries(coordinator, first.case)
    for _ in range(3):
        later = services.referral_record(
            marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, children=1), by=referrer
        )
        Referral.objects.filter(pk=later.pk).update(case=first.case)  # episodes of one case
    assert first.case.referrals.count() == 4
    assert _case_page_queries(coordinator, first.case) == one
