"""Edges of the access rules: each would otherwise show a person to someone who may not
see them, or fail with a server error."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts.models import Role
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import DeclarationSignature
from openmarac.referrals import services, transfer
from openmarac.referrals.models import IdvaReferral, MatchCandidate, Referral
from openmarac.synthetic.referrals import ReferralGenerator

from .conftest import sign_in
from .factories import marac_with_core_agencies, member

SEALED = "Refuge 3, Quiet Lane"


def _repeat_pair(marac, staff):
    generator = ReferralGenerator(seed=31)
    referrer = staff["referrer"]
    first = generator.referral(marac=marac, referring_agency=referrer.agency)
    first.victim.address_line_1, first.victim.address_sealed = SEALED, True
    services.referral_record(marac=marac, data=first, by=referrer)
    second = services.referral_record(marac=marac, data=generator.referral(marac=marac, referring_agency=referrer.agency, victim=first.victim), by=referrer)
    return second


def test_match_candidates_are_shown_only_to_the_coordinator(marac, staff):
    second = _repeat_pair(marac, staff)
    url = reverse("referrals:case", args=[second.case.public_id])
    assert "Possible matches" in sign_in(Client(), staff["coordinator"]).get(url).content.decode()
    body = sign_in(Client(), staff["housing_rep"]).get(url).content.decode()  # housing referred both
    assert "Possible matches" not in body


def test_a_transferred_case_brings_no_links_into_the_sending_marac(marac, other_marac, staff):
    second = _repeat_pair(marac, staff)
    marac_with_core_agencies(other_marac)
    receiving = member(other_marac, Role.COORDINATOR)
    request = transfer.transfer_request(by=staff["coordinator"], case=second.case, to_marac=other_marac, reason="Moved")
    transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    assert not MatchCandidate.objects.filter(referral=second).exists()
    body = sign_in(Client(), receiving).get(reverse("referrals:case", args=[second.case.public_id])).content.decode()
    assert "Possible matches" not in body and second.case.reference in body
    assert not second.case.involvements.filter(agency__marac_links__marac=marac).exclude(agency__marac_links__marac=other_marac).exists()


def test_an_old_case_list_lapses_with_the_case(marac, staff):
    referrer = staff["referrer"]
    referral = services.referral_record(marac=marac, data=ReferralGenerator(seed=32).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    meeting = meeting_services.meeting_add(by=staff["coordinator"], marac=marac, starts_at=timezone.now() + timedelta(days=20))
    meeting_services.referral_list(by=staff["coordinator"], referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=staff["coordinator"], meeting=meeting)
    DeclarationSignature.objects.create(meeting=meeting, user=staff["probation_rep"], statement="x")
    client = sign_in(Client(), staff["probation_rep"])
    url = reverse("meetings:meeting", args=[meeting.public_id])
    assert referral.case.reference in client.get(url).content.decode()
    referral.case.last_heard_on = timezone.localdate() - timedelta(days=500)
    referral.case.save()
    assert referral.case.reference not in client.get(url).content.decode()
    assert client.get(reverse("meetings:research-case", args=[meeting.public_id, referral.public_id])).status_code == 404


def test_a_referrer_whose_role_ends_cannot_finish_a_draft(marac, staff):
    referrer = staff["referrer"]
    draft = Referral.objects.create(marac=marac, referrer=referrer)
    client = sign_in(Client(), referrer)
    assert client.get(reverse("referrals:step", args=[draft.public_id, "victim"])).status_code == 200
    referrer.memberships.update(role=Role.GOVERNANCE)
    assert client.get(reverse("referrals:step", args=[draft.public_id, "victim"])).status_code == 404


def test_a_malformed_form_count_is_not_a_server_error(marac, staff):
    draft = Referral.objects.create(marac=marac, referrer=staff["referrer"])
    client = sign_in(Client(), staff["referrer"])
    response = client.post(reverse("referrals:step", args=[draft.public_id, "perpetrators"]), {"perpetrator-TOTAL_FORMS": "x", "action": "add-perpetrator"})
    assert response.status_code == 302


def test_an_idva_without_an_agency_cannot_work_unassigned_idva_referrals(marac, staff):
    referrer = staff["referrer"]
    referral = services.referral_record(marac=marac, data=ReferralGenerator(seed=33).referral(marac=marac, referring_agency=referrer.agency), by=referrer)
    IdvaReferral.objects.filter(referral=referral).update(idva_agency=None)
    idva = member(marac, Role.IDVA)
    idva.agency = None
    idva.save()
    assert sign_in(Client(), idva).get(reverse("referrals:idva-referral", args=[referral.idva_referral.pk])).status_code == 404
