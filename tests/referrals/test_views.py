from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from openmarac.audit.models import AuditEvent
from openmarac.referrals.models import Referral

from ..conftest import sign_in

TEST_DEFINITIONS = Path(__file__).resolve().parents[1] / "risk" / "data"


@pytest.fixture
def referrer_client(intake):
    return sign_in(Client(), intake["referrer"])


def _start(client):
    response = client.post(reverse("referrals:start"))
    assert response.status_code == 302
    return Referral.objects.latest("created_at")


def _step(referral, slug):
    return reverse("referrals:step", args=[referral.public_id, slug])


def test_typed_answers_survive_a_mistake_and_save_for_later(referrer_client, intake):
    referral = _start(referrer_client)
    answers = {"given_name": "Mira", "family_name": "Osei", "date_of_birth": "2099-01-01", "postcode": "NS2 7QT",
               "racially_minoritised": "yes", "disabled": "unknown", "lgbt": "unknown", "action": "continue"}
    response = referrer_client.post(_step(referral, "victim"), answers)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The date of birth cannot be in the future" in body
    assert 'value="Osei"' in body and 'value="NS2 7QT"' in body

    response = referrer_client.post(_step(referral, "victim"), {**answers, "action": "save"})
    assert response.url == reverse("referrals:mine")
    # Coming back later: the page shows what was typed, and what still needs fixing.
    body = referrer_client.get(_step(referral, "victim")).content.decode()
    assert 'value="Osei"' in body and "cannot be in the future" in body
    mine = referrer_client.get(reverse("referrals:mine")).content.decode()
    assert "Draft: continue" in mine and "Most recently changed first" in mine


def test_check_page_lists_what_is_missing_and_refuses_to_send(referrer_client):
    referral = _start(referrer_client)
    body = referrer_client.get(reverse("referrals:check", args=[referral.public_id])).content.decode()
    assert "Not started" in body and "Complete every section before sending" in body
    referrer_client.post(reverse("referrals:check", args=[referral.public_id]))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT


def test_add_another_perpetrator_keeps_the_first(referrer_client):
    referral = _start(referrer_client)
    post = {"perpetrator-TOTAL_FORMS": "1", "perpetrator-INITIAL_FORMS": "0", "perpetrator-0-given_name": "Kyle",
            "perpetrator-0-family_name": "Brand", "perpetrator-0-relationship_to_victim": "Ex-partner", "action": "add-perpetrator"}
    referrer_client.post(_step(referral, "perpetrators"), post)
    body = referrer_client.get(_step(referral, "perpetrators")).content.decode()
    assert 'value="Kyle"' in body and "Perpetrator 2" in body


def test_sharing_page_appears_only_without_consent(referrer_client):
    referral = _start(referrer_client)
    consent = {"victim_aware": "yes", "consent_given": "yes", "action": "continue"}
    referrer_client.post(_step(referral, "consent"), consent)
    assert referrer_client.get(_step(referral, "sharing")).status_code == 404
    referrer_client.post(_step(referral, "consent"), {**consent, "consent_given": "no"})
    assert referrer_client.get(_step(referral, "sharing")).status_code == 200


def test_another_users_draft_is_not_found(intake, referrer_client):
    referral = _start(referrer_client)
    other = sign_in(Client(), intake["housing_rep"])
    assert other.get(_step(referral, "victim")).status_code == 404
    assert AuditEvent.objects.filter(action="denied", record_id=str(referral.public_id)).exists()


def test_a_marac_can_use_another_checklist_without_code_changes(settings, marac, referrer_client):
    settings.OPENMARAC_CHECKLIST_DIRS = [str(TEST_DEFINITIONS)]
    marac.risk_checklist = "acpo-dash"
    marac.save()
    referral = _start(referrer_client)
    body = referrer_client.get(_step(referral, "checklist-4")).content.decode()
    assert "questions 25 to 27" in body
    assert "27. Test question 27" in body


def test_viewing_a_case_is_audited_and_listed_for_the_coordinator(intake, marac, generator):
    from openmarac.referrals import services

    referrer = intake["referrer"]
    referral = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    chair = sign_in(Client(), intake["chair"])
    chair.get(reverse("referrals:case", args=[referral.case.public_id]))
    assert AuditEvent.objects.filter(actor=intake["chair"], action="viewed", record_type="referrals.case").exists()
    coordinator = sign_in(Client(), intake["coordinator"])
    body = coordinator.get(reverse("referrals:case", args=[referral.case.public_id])).content.decode()
    assert "Who has viewed this record" in body and intake["chair"].email in body


def test_the_views_of_an_often_opened_case_come_a_page_at_a_time_with_their_total(intake, marac, generator):
    """A case opened every day for years: its views are listed 25 at a time, with how
    many there are, not all of them (nor the last 200) on every opening of the case."""
    from openmarac.referrals import services

    referrer = intake["referrer"]
    referral = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    url = reverse("referrals:case", args=[referral.case.public_id])
    chair = sign_in(Client(), intake["chair"])
    for _ in range(29):
        chair.get(url)
    coordinator = sign_in(Client(), intake["coordinator"])
    body = coordinator.get(url).content.decode()
    viewed = body[body.index("Who has viewed this record"):]
    assert "Showing 1 to 25 of 30 views and exports" in viewed
    assert viewed.count('<td class="govuk-table__cell">Viewed</td>') == 25
    second = coordinator.get(url, {"views": 2}).content.decode()
    assert "Showing 26 to 31 of 31 views and exports" in second and '<details class="govuk-details" open>' in second


def test_coordinator_records_a_match_decision_through_the_page(intake, marac, generator):
    from openmarac.referrals import services
    from openmarac.referrals.models import MatchCandidate

    referrer = intake["referrer"]
    first = generator.referral(marac=marac, referring_agency=referrer.agency, referred_on=date(2026, 1, 10))
    services.referral_record(marac=marac, data=first, by=referrer)
    second = services.referral_record(
        marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, victim=first.victim), by=referrer
    )
    candidate = MatchCandidate.objects.get(referral=second, new_person=second.case.victim)
    coordinator = sign_in(Client(), intake["coordinator"])
    response = coordinator.post(reverse("referrals:match-decision", args=[second.case.public_id, candidate.pk]), {"same_person": "yes"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.decision == "confirmed"
    # The second referral's provisional case now leads to the victim's existing case.
    followed = coordinator.get(reverse("referrals:case", args=[second.case.public_id]))
    assert followed.status_code == 302


def test_confirming_a_match_says_the_referral_moved_to_the_known_case(intake, marac, generator):
    """The walk-through confirmed a match and landed on another case's page with only
    "Decision recorded.": the message says where the referral went."""
    from openmarac.referrals import services
    from openmarac.referrals.models import MatchCandidate

    referrer = intake["referrer"]
    first = generator.referral(marac=marac, referring_agency=referrer.agency, referred_on=date(2026, 1, 10))
    known = services.referral_record(marac=marac, data=first, by=referrer)
    second = services.referral_record(
        marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, victim=first.victim, referred_on=date(2026, 2, 3)), by=referrer
    )
    candidate = MatchCandidate.objects.get(referral=second, new_person=second.case.victim)
    coordinator = sign_in(Client(), intake["coordinator"])
    page = coordinator.post(reverse("referrals:match-decision", args=[second.case.public_id, candidate.pk]), {"same_person": "yes"}, follow=True).content.decode()
    assert f"Decision recorded. The referral of 3 February 2026 is now part of case {known.case.reference}, with this person’s earlier referrals." in page


@pytest.mark.parametrize("actor", ["chair", "idva", "housing_rep", "referrer", "governance"])
def test_only_the_coordinator_can_post_a_match_decision(intake, marac, generator, actor):
    from openmarac.referrals import services
    from openmarac.referrals.models import MatchCandidate

    referrer = intake["referrer"]
    first = generator.referral(marac=marac, referring_agency=referrer.agency)
    services.referral_record(marac=marac, data=first, by=referrer)
    second = services.referral_record(
        marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, victim=first.victim), by=referrer
    )
    candidate = MatchCandidate.objects.filter(referral=second).first()
    client = sign_in(Client(), intake[actor])
    response = client.post(reverse("referrals:match-decision", args=[second.case.public_id, candidate.pk]), {"same_person": "yes"})
    assert response.status_code == 404
    candidate.refresh_from_db()
    assert candidate.decision == "pending"


def test_the_idva_reaches_the_idva_referral_from_the_case_page_after_first_contact(intake, marac, generator):
    # The walk-through: once the Idva recorded the first contact the Idva referral left
    # the home page, and nothing else led back to it.
    from django.utils import timezone

    from openmarac.referrals import services

    referrer = intake["referrer"]
    referral = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    item = referral.idva_referral
    services.idva_contact_record(by=intake["idva"], idva_referral=item, attempted_at=timezone.now(), method="phone", outcome="spoke")
    case_url, link = reverse("referrals:case", args=[referral.case.public_id]), f'href="{reverse("referrals:idva-referral", args=[item.pk])}"'
    for actor in ("idva", "coordinator"):
        assert link in sign_in(Client(), intake[actor]).get(case_url).content.decode(), actor
    # The chair reads the case but may not open the Idva referral: no link to a 404.
    chair = sign_in(Client(), intake["chair"])
    assert "In contact" in (body := chair.get(case_url).content.decode()) and link not in body
    assert chair.get(reverse("referrals:idva-referral", args=[item.pk])).status_code == 404


def test_the_idva_services_open_idva_referrals_are_listed_a_page_at_a_time_with_their_total(intake, marac, generator):
    # The walk-through: /idva-referrals/ was "Page not found", and an Idva referral in
    # contact was on no list. Closed ones are left out; another Idva service sees none.
    from django.utils import timezone

    from openmarac.accounts.models import Role
    from openmarac.referrals import services
    from openmarac.referrals.models import IdvaReferral

    from ..factories import member

    referrer = intake["referrer"]
    items = [
        services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency), by=referrer).idva_referral
        for _ in range(27)
    ]
    services.idva_contact_record(by=intake["idva"], idva_referral=items[0], attempted_at=timezone.now(), method="phone", outcome="spoke")
    IdvaReferral.objects.filter(pk=items[1].pk).update(status=IdvaReferral.Status.CLOSED)
    url = reverse("referrals:idva-referrals", args=[marac.slug])
    idva = sign_in(Client(), intake["idva"])
    home = idva.get(reverse("core:home")).content.decode()
    assert f'href="{url}"' in home
    first, second = idva.get(url).content.decode(), idva.get(url, {"page": 2}).content.decode()
    assert "Showing 1 to 25 of 26 open Idva referrals" in first and "Showing 26 to 26 of 26 open Idva referrals" in second
    listed = first + second
    assert f'href="{reverse("referrals:idva-referral", args=[items[0].pk])}"' in listed and "In contact" in listed
    assert f'href="{reverse("referrals:idva-referral", args=[items[1].pk])}"' not in listed
    # An Idva working for another agency of the Marac: the list, empty.
    other = member(marac, Role.IDVA)
    assert "No open Idva referrals" in sign_in(Client(), other).get(url).content.decode()
