"""A transfer carries the safety work (issue 15): open actions, the Idva referral and
its contact log, the children's social care confirmation and the sharing record each
move or are handed over, and the sending Marac keeps nothing that says where the
victim lives now."""

import subprocess

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, MaracAgency, Role
from openmarac.actions import selectors as action_selectors
from openmarac.actions import services as action_services
from openmarac.actions.models import Action, ActionKind
from openmarac.meetings import services as meeting_services
from openmarac.people.selectors import MOVED_TEXT
from openmarac.referrals import services, transfer
from openmarac.referrals.models import CaseInvolvement, ContactAttempt, IdvaReferral

from ..conftest import sign_in
from ..factories import marac_with_core_agencies, member


@pytest.fixture
def heard_case(marac, other_marac, intake, generator):
    """A case heard at a published meeting of `marac`, with two open actions: one for
    Housing (which takes no part in `other_marac`) and one for the police force, which
    takes part in both. The Idva has logged a contact attempt."""
    marac_with_core_agencies(other_marac)
    police = intake["police_rep"].agency
    MaracAgency.objects.get_or_create(marac=other_marac, agency=police)
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=1)
    data.referred_on = timezone.localdate() - timezone.timedelta(days=20)
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"], notify_agencies=False)
    meeting = meeting_services.meeting_add(by=intake["coordinator"], marac=marac, starts_at=timezone.now() + timezone.timedelta(days=20))
    meeting.starts_at = timezone.now() - timezone.timedelta(days=2)
    meeting.save()
    item = meeting_services.referral_list(by=intake["coordinator"], referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=intake["coordinator"], meeting=meeting)
    hearing = action_services.hearing_for(item)
    due = timezone.localdate() + timezone.timedelta(days=10)
    housing_flag = action_services.action_add(
        by=intake["coordinator"], hearing=hearing, owner_agency=intake["housing_rep"].agency, kind=ActionKind.FLAG,
        description="Flag the tenancy file", for_whom="victim", due_on=due,
    )
    police_action = action_services.action_add(
        by=intake["coordinator"], hearing=hearing, owner_agency=police, description="Marker on the address", for_whom="household", due_on=due,
    )
    ContactAttempt.objects.create(
        idva_referral=referral.idva_referral, attempted_at=timezone.now(), method="phone", outcome="no_answer", recorded_by=intake["idva"]
    )
    receiving = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    mail.outbox.clear()
    return {"referral": referral, "meeting": meeting, "flag": housing_flag, "police": police_action, "receiving": receiving}


def _request(intake, case, other_marac):
    return transfer.transfer_request(by=intake["coordinator"], case=case, to_marac=other_marac, reason="Victim moved to Southvale")


def test_an_action_whose_agency_is_not_in_the_receiving_marac_needs_a_new_owner_and_nothing_moves_until_then(intake, other_marac, heard_case):
    case = heard_case["referral"].case
    pending = _request(intake, case, other_marac)
    with pytest.raises(ValidationError) as raised:
        transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True)
    assert list(raised.value.message_dict) == [f"action_{heard_case['flag'].pk}"]
    case.refresh_from_db()
    pending.refresh_from_db()
    assert case.marac_id != other_marac.pk and pending.status == pending.Status.PENDING
    assert Action.objects.get(pk=heard_case["flag"].pk).status == Action.Status.OPEN


def test_accepting_reowns_ends_and_tells_the_old_owner_without_case_details(django_capture_on_commit_callbacks, marac, intake, other_marac, heard_case):
    case, receiving = heard_case["referral"].case, heard_case["receiving"]
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, case, other_marac)
    with django_capture_on_commit_callbacks(execute=True):
        transfer.transfer_decide(by=receiving, transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})

    ended = Action.objects.get(pk=heard_case["flag"].pk)
    assert ended.status == Action.Status.TRANSFERRED and ended.outcome_note == f"Transferred to {other_marac.name}"
    taken_on = Action.objects.get(case=case, owner_agency=new_housing)
    assert taken_on.status == Action.Status.OPEN and taken_on.due_on == ended.due_on and taken_on.flag_expires_on == ended.flag_expires_on
    assert taken_on.kind == ActionKind.FLAG and "Taken on from" in taken_on.updates.get().note
    kept = Action.objects.get(pk=heard_case["police"].pk)
    assert kept.status == Action.Status.OPEN and kept.owner_agency == heard_case["police"].owner_agency
    assert kept.updates.last().note == f"Carried to {other_marac.name} with the transfer"
    assert CaseInvolvement.objects.filter(case=case, agency=new_housing, reason=CaseInvolvement.Reason.ACTION).exists()

    housing_rep, police_rep = intake["housing_rep"], intake["police_rep"]
    told = [m for m in mail.outbox if housing_rep.email in m.to]
    assert len(told) == 1 and "ended with the transfer" in told[0].body
    assert reverse("actions:mine", args=[marac.slug]) in told[0].body
    victim = case.victim
    for message in mail.outbox:
        assert victim.family_name not in message.body and victim.family_name not in message.subject
        assert case.reference not in message.body
    assert not [m for m in mail.outbox if police_rep.email in m.to and "ended" in m.subject]

    # The link shows the old owner which action ended, and nothing of the people.
    page = sign_in(Client(), housing_rep).get(reverse("actions:mine", args=[marac.slug])).content.decode()
    assert "Flag the tenancy file" in page and f"Transferred to {other_marac.name}" in page and victim.family_name not in page


def test_the_idva_referral_its_log_and_the_childrens_confirmation_pass_to_the_receiving_agencies(django_capture_on_commit_callbacks, intake, other_marac, heard_case):
    referral, receiving = heard_case["referral"], heard_case["receiving"]
    new_idva = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.IDVA).agency
    new_csc = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.CHILDRENS_SOCIAL_CARE).agency
    receiving_idva = member(other_marac, Role.IDVA, agency_kind=AgencyKind.IDVA)
    receiving_csc = member(other_marac, Role.REPRESENTATIVE, agency_kind=AgencyKind.CHILDRENS_SOCIAL_CARE)
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, referral.case, other_marac)
    with django_capture_on_commit_callbacks(execute=True):
        transfer.transfer_decide(by=receiving, transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})
    idva_referral = IdvaReferral.objects.get(referral=referral)
    assert idva_referral.idva_agency == new_idva and idva_referral.attempts.count() == 1
    referral.children_prompt.refresh_from_db()
    assert referral.children_prompt.agency == new_csc
    assert any(receiving_idva.email in m.to for m in mail.outbox) and any(receiving_csc.email in m.to for m in mail.outbox)
    # The receiving Idva can open the referral and its log; the sending one no longer can.
    assert sign_in(Client(), receiving_idva).get(reverse("referrals:idva-referral", args=[idva_referral.pk])).status_code == 200
    assert sign_in(Client(), intake["idva"]).get(reverse("referrals:idva-referral", args=[idva_referral.pk])).status_code == 404
    assert sign_in(Client(), receiving_csc).get(reverse("referrals:children-prompt", args=[referral.children_prompt.pk])).status_code == 200


def test_the_sending_marac_keeps_its_minutes_and_case_list_but_never_the_current_address(marac, intake, other_marac, heard_case):
    referral, meeting = heard_case["referral"], heard_case["meeting"]
    coordinator = intake["coordinator"]
    address = str(referral.case.victim.addresses.filter(is_current=True).first())
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    meeting_services.declaration_sign(by=coordinator, meeting=meeting)
    client = sign_in(Client(), coordinator)
    before = client.get(reverse("meetings:meeting", args=[meeting.public_id])).content.decode()
    assert address in before
    pending = _request(intake, referral.case, other_marac)
    transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})

    case_list = client.get(reverse("meetings:meeting", args=[meeting.public_id])).content.decode()
    assert str(referral.case.victim) in case_list and MOVED_TEXT in case_list and address not in case_list
    minutes = client.get(reverse("actions:minutes", args=[meeting.public_id])).content.decode()
    assert referral.case.reference in minutes and address not in minutes
    for url, expected in (
        (reverse("meetings:case-list-pdf", args=[meeting.public_id]), "moved to another Marac"),
        (reverse("actions:minutes", args=[meeting.public_id]) + "?format=pdf", referral.case.reference),
    ):
        response = client.get(url)
        assert response.status_code == 200
        text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout.decode().split())
        assert expected in text and address not in text


def test_the_acceptance_page_lists_the_open_work_and_what_the_sending_marac_keeps(intake, other_marac, heard_case):
    case, receiving = heard_case["referral"].case, heard_case["receiving"]
    pending = _request(intake, case, other_marac)
    client = sign_in(Client(), receiving)
    page = client.get(reverse("referrals:transfer", args=[pending.pk])).content.decode()
    assert "Flag the tenancy file" in page and "Marker on the address" in page
    assert "published minutes" in page and "audit trail" in page and "1 contact attempt logged" in page
    # Accepting without an owner for the housing flag: a clear message, the decision kept.
    response = client.post(reverse("referrals:transfer", args=[pending.pk]), {"decision": "accept"})
    body = response.content.decode()
    assert response.status_code == 200 and "takes on this action" in body and 'value="accept" checked' in body
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    response = client.post(reverse("referrals:transfer", args=[pending.pk]), {"decision": "accept", f"action_{heard_case['flag'].pk}": new_housing.pk})
    assert response.status_code == 302
    assert Action.objects.filter(case=case, owner_agency=new_housing, status=Action.Status.OPEN).exists()


def test_an_action_taken_on_by_another_agency_is_counted_once_in_the_figures(intake, other_marac, heard_case):
    from openmarac.governance import figures

    case = heard_case["referral"].case
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, case, other_marac)
    transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})
    assert Action.objects.filter(case=case).count() == 3  # the ended one, its copy, the police action
    assert Action.objects.filter(case=case).exclude(status=Action.Status.TRANSFERRED).count() == 2
    # The copy the receiving agency took on is still agreed by the sending Marac's meeting.
    meeting = heard_case["meeting"]
    meeting.refresh_from_db()
    carried = Action.objects.get(case=case, owner_agency=new_housing)
    assert (carried.marac_id, carried.agreed_marac_id, carried.agreed_meeting_at) == (other_marac.pk, meeting.marac_id, meeting.starts_at)
    meeting_on = timezone.localtime(heard_case["meeting"].starts_at).date()
    day = figures.Period(meeting_on, meeting_on)
    # Counted by the Marac whose meeting agreed them, before and after the case moved:
    # the receiving Marac did not agree them at any of its meetings.
    assert figures._actions_in(heard_case["meeting"].marac, day).count() == 2
    assert figures._actions_in(other_marac, day).count() == 0


def test_the_moved_case_s_open_actions_are_chased_by_the_receiving_marac_and_no_longer_by_the_sending_one(intake, other_marac, heard_case):
    case, receiving, sending = heard_case["referral"].case, heard_case["receiving"], intake["coordinator"]
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, case, other_marac)
    transfer.transfer_decide(by=receiving, transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})

    open_now = set(Action.objects.filter(case=case, status=Action.Status.OPEN).values_list("pk", flat=True))
    assert len(open_now) == 2  # the police action carried, housing's taken on by the new housing agency
    for view in action_selectors.OPEN_VIEWS:
        counts, _ = action_selectors.marac_action_summary(user=receiving, marac=other_marac, views=(view,))
        listed = set(action_selectors.marac_actions(user=receiving, marac=other_marac, view=view).values_list("pk", flat=True))
        assert listed == (open_now if view == "due_soon" else set()) and counts[view] == len(listed)
        assert not action_selectors.marac_actions(user=sending, marac=heard_case["meeting"].marac, view=view).filter(case=case).exists()
    all_listed = set(action_selectors.marac_actions(user=receiving, marac=other_marac, view="all").values_list("pk", flat=True))
    assert all_listed == set(Action.objects.filter(case=case).values_list("pk", flat=True))


def test_the_transfer_page_reads_the_same_number_of_queries_for_few_or_many_actions(intake, other_marac, heard_case):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case, receiving = heard_case["referral"].case, heard_case["receiving"]
    pending = _request(intake, case, other_marac)
    client = sign_in(Client(), receiving)
    url = reverse("referrals:transfer", args=[pending.pk])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    hearing = heard_case["flag"].hearing
    for number in range(4):
        action_services.action_add(
            by=intake["coordinator"], hearing=hearing, owner_agency=intake["housing_rep"].agency, description=f"Extra action {number}",
            for_whom="victim", due_on=heard_case["flag"].due_on,
        )
    assert queries() == few


def test_no_action_is_added_for_a_case_after_it_moved_away(intake, other_marac, heard_case):
    case = heard_case["referral"].case
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, case, other_marac)
    transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})
    from openmarac.meetings.models import Hearing

    with pytest.raises(ValidationError, match="moved to another Marac"):
        action_services.action_add(
            by=intake["coordinator"], hearing=Hearing.objects.get(pk=heard_case["flag"].hearing_id), owner_agency=intake["housing_rep"].agency,
            description="Late idea", for_whom="victim", due_on=heard_case["flag"].due_on,
        )


def test_the_sharing_review_passes_to_the_accepting_coordinator_when_its_owner_stays_behind(marac, other_marac, intake, generator):
    marac_with_core_agencies(other_marac)
    receiving = member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA)
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, consent=False, review_owner=intake["referrer"], children=0)
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"], notify_agencies=False)
    assert referral.sharing_decision.review_owner == intake["referrer"]
    pending = _request(intake, referral.case, other_marac)
    page = sign_in(Client(), receiving).get(reverse("referrals:transfer", args=[pending.pk])).content.decode()
    assert "Information sharing record" in page
    transfer.transfer_decide(by=receiving, transfer=pending, accept=True)
    referral.sharing_decision.refresh_from_db()
    assert referral.sharing_decision.review_owner == receiving
    assert sign_in(Client(), receiving).get(reverse("referrals:sharing", args=[referral.sharing_decision.pk])).status_code == 200
    assert sign_in(Client(), intake["referrer"]).get(reverse("referrals:sharing", args=[referral.sharing_decision.pk])).status_code == 404


def test_the_sending_minutes_show_what_the_meeting_agreed_not_the_receiving_agency_s_copy(marac, intake, other_marac, heard_case):
    meeting, coordinator = heard_case["meeting"], intake["coordinator"]
    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    assert new_housing != intake["housing_rep"].agency
    meeting_services.declaration_sign(by=coordinator, meeting=meeting)
    pending = _request(intake, heard_case["referral"].case, other_marac)
    transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})
    copy = Action.objects.get(taken_on_from=heard_case["flag"])
    assert copy.owner_agency == new_housing and copy.hearing_id == heard_case["flag"].hearing_id

    client = sign_in(Client(), coordinator)
    page = client.get(reverse("actions:minutes", args=[meeting.public_id])).content.decode()
    pdf = client.get(reverse("actions:minutes", args=[meeting.public_id]) + "?format=pdf").content
    pdf_text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split())
    for minutes in (page, pdf_text):
        assert minutes.count("Flag the tenancy file") == 1 and "Ended with the transfer" in minutes
        assert new_housing.name not in minutes


def test_the_migration_links_copies_that_transfers_made_before_the_column(intake, other_marac, heard_case):
    from importlib import import_module

    from django.apps import apps

    new_housing = MaracAgency.objects.get(marac=other_marac, agency__kind=AgencyKind.HOUSING).agency
    pending = _request(intake, heard_case["referral"].case, other_marac)
    transfer.transfer_decide(by=heard_case["receiving"], transfer=pending, accept=True, owners={heard_case["flag"].pk: new_housing})
    Action.objects.update(taken_on_from=None)
    import_module("openmarac.actions.migrations.0014_taken_on_from").link_taken_on(apps, None)
    assert list(Action.objects.filter(taken_on_from__isnull=False).values_list("taken_on_from", "owner_agency")) == [(heard_case["flag"].pk, new_housing.pk)]
