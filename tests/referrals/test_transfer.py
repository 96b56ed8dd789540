import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit.models import AuditEvent
from openmarac.people.models import Person, PersonMatchKey
from openmarac.referrals import services, transfer
from openmarac.referrals.models import CaseRestriction

from ..conftest import sign_in
from ..factories import marac_with_core_agencies, member


@pytest.fixture
def moving(marac, other_marac, intake, generator):
    marac_with_core_agencies(other_marac)
    receiving = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=1)
    data.victim.address_sealed = True
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"])
    return referral.case, receiving


def test_a_case_moves_with_its_history_when_the_receiving_coordinator_accepts(django_capture_on_commit_callbacks, marac, other_marac, intake, moving):
    case, receiving = moving
    with django_capture_on_commit_callbacks(execute=True):
        request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Victim moved to Southvale")
    assert mail.outbox[-1].to == [receiving.email] and case.victim.family_name not in mail.outbox[-1].body
    assert sign_in(Client(), receiving).get(reverse("referrals:case", args=[case.public_id])).status_code == 404
    transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    case.refresh_from_db()
    assert case.marac == other_marac
    assert set(Person.objects.filter(referral_roles__referral__case=case).values_list("marac", flat=True)) == {other_marac.pk}
    assert not PersonMatchKey.objects.filter(person__referral_roles__referral__case=case, marac=marac).exists()
    assert sign_in(Client(), receiving).get(reverse("referrals:case", args=[case.public_id])).status_code == 200
    assert sign_in(Client(), intake["coordinator"]).get(reverse("referrals:case", args=[case.public_id])).status_code == 404


def test_declining_needs_a_reason_and_leaves_the_case(marac, other_marac, intake, moving):
    case, receiving = moving
    request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Moved")
    with pytest.raises(ValidationError):
        transfer.transfer_decide(by=receiving, transfer=request, accept=False)
    transfer.transfer_decide(by=receiving, transfer=request, accept=False, note="Victim is not resident here")
    case.refresh_from_db()
    assert case.marac == marac


def test_only_the_coordinators_involved_request_and_decide(marac, other_marac, intake, moving):
    case, receiving = moving
    with pytest.raises(PermissionDenied):
        transfer.transfer_request(by=intake["chair"], case=case, to_marac=other_marac, reason="Moved")
    request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Moved")
    with pytest.raises(PermissionDenied):
        transfer.transfer_decide(by=intake["coordinator"], transfer=request, accept=True)


def test_transfer_bundle_for_a_marac_elsewhere_keeps_sealed_values_marked(marac, intake, moving):
    case, _ = moving
    client = sign_in(Client(), intake["coordinator"])
    response = client.get(reverse("referrals:transfer-bundle", args=[case.public_id]))
    bundle = json.loads(response.content)
    assert bundle["format"] == transfer.BUNDLE_FORMAT and bundle["case_reference"] == case.reference
    coordinator = intake["coordinator"]
    assert bundle["produced_for"].startswith(f"Produced for {coordinator.full_name} ({coordinator.agency}) on ")
    assert AuditEvent.objects.filter(actor=coordinator, action="exported", summary="Transfer bundle", record_id=str(case.pk)).exists()
    victim = next(p for p in bundle["referrals"][0]["people"] if p["role"] == "victim")
    assert victim["addresses"][0]["sealed"] is True
    assert sign_in(Client(), intake["chair"]).get(reverse("referrals:transfer-bundle", args=[case.public_id])).status_code == 404


def test_a_restricted_case_moves_restricted_and_names_only_the_coordinator_who_accepts_it(marac, other_marac, intake, moving):
    from openmarac.referrals import restriction

    case, receiving = moving
    restriction.case_restrict(by=intake["coordinator"], case=case, reason="Victim's sister works at the council", named_users=[intake["idva"]])
    other_receiving_coordinator = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE)
    receiving_rep = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.HOUSING)
    request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Victim moved to Southvale")
    page = sign_in(Client(), receiving).get(reverse("referrals:transfer", args=[request.pk])).content.decode()
    assert "This case is restricted to named people" in page
    transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    case_page = reverse("referrals:case", args=[case.public_id])
    assert sign_in(Client(), receiving).get(case_page).status_code == 200
    for outsider in (other_receiving_coordinator, receiving_rep):
        assert sign_in(Client(), outsider).get(case_page).status_code == 404
    assert set(CaseRestriction.objects.get(case=case).named_users.all()) >= {receiving, intake["idva"]}
    assert AuditEvent.objects.filter(actor=receiving, marac=other_marac, summary__startswith="Restriction kept with the transfer").exists()


def test_the_case_page_shows_a_pending_transfer(marac, other_marac, intake, moving):
    case, _ = moving
    transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Victim moved to Southvale")
    page = sign_in(Client(), intake["coordinator"]).get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert other_marac.name in page


def test_moving_a_case_that_moved_to_another_marac_is_a_message_not_an_error(marac, other_marac, intake, moving):
    from django.utils import timezone

    from openmarac.meetings import services as meeting_services
    from openmarac.meetings.models import AgendaItem

    case, receiving = moving
    starts_at = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    first = meeting_services.meeting_add(by=intake["coordinator"], marac=marac, starts_at=starts_at + timezone.timedelta(days=14))
    second = meeting_services.meeting_add(by=intake["coordinator"], marac=marac, starts_at=starts_at + timezone.timedelta(days=28))
    item = AgendaItem.objects.create(meeting=first, referral=case.referrals.get())
    request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Moved")
    transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    client = sign_in(Client(), intake["coordinator"])
    agenda = client.get(reverse("meetings:meeting", args=[first.public_id])).content.decode()
    assert reverse("meetings:item-move", args=[first.public_id, item.pk]) not in agenda
    assert reverse("referrals:case", args=[case.public_id]) not in agenda
    response = client.post(reverse("meetings:item-move", args=[first.public_id, item.pk]), {"meeting": second.pk}, follow=True)
    assert response.status_code == 200 and "moved to another Marac" in response.content.decode()
    item.refresh_from_db()
    assert item.meeting == first


def test_a_case_listed_but_not_yet_heard_awaits_listing_in_the_receiving_marac(django_capture_on_commit_callbacks, marac, other_marac, intake, moving):
    from django.utils import timezone

    from openmarac.meetings import selectors as meeting_selectors
    from openmarac.meetings import services as meeting_services
    from openmarac.referrals.models import Referral

    case, receiving = moving
    referral = case.referrals.get()
    starts_at = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + timezone.timedelta(days=14)
    sending_meeting = meeting_services.meeting_add(by=intake["coordinator"], marac=marac, starts_at=starts_at)
    meeting_services.referral_list(by=intake["coordinator"], referral=referral, meeting=sending_meeting)
    request = transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Moved")
    page = sign_in(Client(), receiving).get(reverse("referrals:transfer", args=[request.pk])).content.decode()
    assert "Listed, not yet heard" in page and f"{marac.name}’s meeting of {timezone.localtime(starts_at):%-d %B %Y}" in page

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    told = [m for m in mail.outbox if intake["coordinator"].email in m.to]
    assert len(told) == 1 and f"come off the agenda of your meeting of {timezone.localtime(starts_at):%-d %B %Y}" in told[0].body
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_LISTING
    assert list(meeting_selectors.awaiting_listing(user=receiving, marac=other_marac)) == [referral]
    assert AuditEvent.objects.filter(actor=receiving, summary__startswith=f"Awaiting listing in {other_marac.name}").exists()
    # Off the sending agenda, so its agencies are not chased for research on it.
    assert not sending_meeting.items.exists() and meeting_services.agencies_missing_research(sending_meeting) == []
    assert AuditEvent.objects.filter(marac=marac, record_id=str(sending_meeting.pk), summary=f"A case taken off the agenda: moved to {other_marac.name}").exists()
    receiving_meeting = meeting_services.meeting_add(by=receiving, marac=other_marac, starts_at=starts_at + timezone.timedelta(days=7))
    item = meeting_services.referral_list(by=receiving, referral=referral, meeting=receiving_meeting)
    assert item.meeting == receiving_meeting


def test_a_case_already_heard_is_not_listed_again_by_a_transfer(marac, other_marac, intake, moving):
    from django.utils import timezone

    from openmarac.actions import services as action_services
    from openmarac.meetings import services as meeting_services
    from openmarac.referrals.models import Referral

    case, receiving = moving
    referral = case.referrals.get()
    meeting = meeting_services.meeting_add(by=intake["coordinator"], marac=marac, starts_at=timezone.now() + timezone.timedelta(days=14))
    item = meeting_services.referral_list(by=intake["coordinator"], referral=referral, meeting=meeting)
    type(meeting).objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timezone.timedelta(days=2))
    action_services.hearing_for(item)
    transfer.transfer_decide(by=receiving, accept=True, transfer=transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Moved"))
    referral.refresh_from_db()
    assert referral.status != Referral.Status.AWAITING_LISTING
