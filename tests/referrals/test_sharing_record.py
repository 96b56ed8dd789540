"""The information sharing without consent record follows the SafeLives form: the risk,
the incident with its source, a protocol or the nine legal grounds (right to life and
freedom from torture separate, with statute references), balancing ticks with "other"
and comments, internal and external consultations, and reviews with the feedback of the
agencies informed."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from openmarac.referrals import services
from openmarac.referrals.forms import SharingForm
from openmarac.referrals.models import BalancingConsideration, LegalGround

from ..conftest import sign_in
from ..factories import MaracFactory, UserFactory


def _valid_post(owner, **changes):
    today = date.today()
    post = {
        "who_at_risk": "The client and her children", "at_risk_from": "Ex-partner", "risk_concerns": "Threats to kill",
        "immediate_risks": "Released on bail on Friday", "assessed_risk": "High", "incident_details": "Assault on Saturday",
        "incident_source": "Police officer", "protocol_applies": "no", "legal_grounds": ["right_to_life", "freedom_from_torture"],
        "balancing": ["pressing_need", "other"], "balancing_other": "The children's safety", "balancing_comments": "Life at risk",
        "internal_consultations": "Team manager", "client_notified": "no", "client_not_notified_reason": "Could alert him",
        "review_on": (today + timedelta(days=28)).isoformat(), "review_owner": owner.pk, "caseworker_name": "Sam",
        "caseworker_signed_on": today.isoformat(), "manager_name": "Jo", "manager_signed_on": today.isoformat(),
        "shared_with": "The Marac coordinator", "shared_on": today.isoformat(), "shared_method": "OpenMarac",
        "shared_information": "Referral", "shared_authority": "Right to life",
    }
    post.update(changes)
    return post


def _form(staff, **changes):
    owner = staff["referrer"]
    return SharingForm(_valid_post(owner, **changes), owners=type(owner).objects.filter(pk=owner.pk))


def test_there_are_nine_legal_grounds_with_the_human_rights_ones_separate():
    assert len(LegalGround.choices) == 9
    labels = dict(LegalGround.choices)
    assert labels["right_to_life"] == "Right to life (Human Rights Act, art. 2 & 3)"
    assert labels["freedom_from_torture"].startswith("Right to be free from torture") and "Human Rights Act" in labels["freedom_from_torture"]
    assert "(DPA, s. 29)" in labels["prevention_detection_of_crime"]
    assert "Other" in dict(BalancingConsideration.choices).values()


def test_the_form_is_valid_as_the_seed_fills_it(staff):
    form = _form(staff)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"protocol_applies": "no", "legal_grounds": []}, "legal_grounds"),
        ({"protocol_applies": "yes", "protocol_detail": ""}, "protocol_detail"),
        ({"balancing_other": ""}, "balancing_other"),
        ({"incident_details": ""}, "incident_details"),
        ({"internal_consultations": ""}, "internal_consultations"),
    ],
)
def test_the_form_asks_for_what_the_seed_requires(staff, changes, field):
    form = _form(staff, **changes)
    assert not form.is_valid() and field in form.errors


def test_a_protocol_can_stand_instead_of_legal_grounds(staff):
    form = _form(staff, protocol_applies="yes", protocol_detail="Northshire information sharing protocol, section 4", legal_grounds=[])
    assert form.is_valid(), form.errors


def test_the_service_refuses_a_record_with_no_legal_authority(marac, staff, generator):
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, consent=False, review_owner=referrer)
    data.sharing.legal_grounds = []
    data.sharing.protocol_applies = False
    with pytest.raises(ValidationError) as error:
        services.referral_record(marac=marac, data=data, by=referrer)
    assert "sharing" in error.value.message_dict


def test_the_record_page_shows_every_part_and_the_reviews(marac, staff, generator):
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, consent=False, review_owner=referrer)
    decision = services.referral_record(marac=marac, data=data, by=referrer).sharing_decision
    client = sign_in(Client(), referrer)
    url = reverse("referrals:sharing", args=[decision.pk])
    response = client.post(url, {"action": "review", "feedback": ""})
    assert "Record the feedback from the agencies informed" in response.content.decode()
    client.post(url, {"action": "review", "feedback": "Housing moved her; the GP flagged the record.", "next_review_on": (date.today() + timedelta(days=14)).isoformat()})
    body = client.get(url).content.decode()
    for text in ("Who is at risk", "Police officer attending", "Right to life (Human Rights Act, art. 2 &amp; 3)", "Pressing need",
                 "Internal consultations", "External consultations", "Housing moved her; the GP flagged the record."):
        assert text in body
    decision.refresh_from_db()
    assert decision.reviewed_at is None and decision.review_on == date.today() + timedelta(days=14)


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_written_considerations_into_ticks_and_splits_the_human_rights_ground():
    executor = MigrationExecutor(connection)
    before = [("referrals", "0005_referral_disclosed_on")]
    after = [("referrals", "0006_sharing_record_as_the_safelives_form")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Referral = old.get_model("referrals", "Referral")
    SharingDecision = old.get_model("referrals", "SharingDecision")
    # Other apps' tables are current: made with today's factories.
    marac, owner = MaracFactory(), UserFactory()
    referral = Referral.objects.create(marac_id=marac.pk)
    SharingDecision.objects.create(
        referral=referral, legal_grounds=["vital_interests", "human_rights_articles_2_3"], pressing_need="Threats to kill",
        human_rights="Article 2", consultations="Team manager", review_on=date.today(), review_owner_id=owner.pk,
        caseworker_name="A", caseworker_signed_on=date.today(), manager_name="B", manager_signed_on=date.today(),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    decision = new.get_model("referrals", "SharingDecision").objects.get()
    assert decision.legal_grounds == ["vital_interests", "right_to_life", "freedom_from_torture"]
    assert decision.balancing == ["pressing_need", "human_rights"]
    assert "Pressing need: Threats to kill" in decision.balancing_comments and "Human rights: Article 2" in decision.balancing_comments
    assert decision.internal_consultations == "Team manager"
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
