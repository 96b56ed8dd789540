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


def test_the_case_page_reads_what_most_cases_lack_only_when_the_case_has_it(intake, marac, generator):
    """Quality concerns, matches in other Maracs and the referral a repeat follows are
    shown although the page reads them only when the case has some (case_parts)."""
    from openmarac.accounts.models import Marac
    from openmarac.referrals.models import OtherMaracMatch, QualityConcern

    referrer = intake["referrer"]
    first = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    later = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    Referral.objects.filter(pk=later.pk).update(case=first.case, repeat_of=first)
    coordinator = sign_in(Client(), intake["coordinator"])
    path = reverse("referrals:case", args=[first.case.public_id])
    page = coordinator.get(path).content.decode()
    assert f"Repeat of the referral of {first.referred_on.day} {first.referred_on:%B %Y}" in page
    assert "Quality concern:" not in page and "A possible match for the" not in page
    elsewhere = Marac.objects.create(name="Elsewhere & Co", slug="elsewhere")
    OtherMaracMatch.objects.create(referral=later, other_marac=elsewhere, role="victim")
    QualityConcern.objects.create(referral=later, category=QualityConcern.Category.OTHER, note="Checklist <unclear>", raised_by=intake["coordinator"])
    page = coordinator.get(path).content.decode()
    assert "A possible match for the victim exists in Elsewhere &amp; Co; contact its coordinator." in page
    assert "Quality concern: <strong>Other</strong>. Checklist &lt;unclear&gt;" in page
