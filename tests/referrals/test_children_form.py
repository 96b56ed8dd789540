"""The children page of the referral: a date of birth known, not known or expected
(an unborn child), GP and school, the "details may be unreliable" flag, and removing
a child; check-your-answers opens with the score, the criteria met and consent."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmarac.referrals.forms import ChildForm
from openmarac.referrals.models import Referral

from ..conftest import sign_in


@pytest.fixture
def referrer_client(intake):
    return sign_in(Client(), intake["referrer"])


def _start(client):
    client.post(reverse("referrals:start"))
    return Referral.objects.latest("created_at")


def _parts(prefix, value):
    return {f"{prefix}_day": str(value.day), f"{prefix}_month": str(value.month), f"{prefix}_year": str(value.year)} if value else {}


def _child(**fields):
    data = {"given_name": "Lily", "family_name": "Hartley", "relationship_to_victim": "Daughter", "relationship_to_perpetrator": "Daughter"}
    data.update(fields)
    return data


def test_a_child_whose_date_of_birth_is_not_known():
    form = ChildForm(_child(birth="unknown"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date_of_birth"] is None and form.cleaned_data["expected_birth_on"] is None


def test_a_known_date_of_birth_must_be_given():
    form = ChildForm(_child(birth="known"))
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == ["Enter the child’s date of birth, or choose “No, it is not known”"]


def test_an_unborn_child_needs_an_expected_date_but_not_a_name():
    today = timezone.localdate()
    form = ChildForm(_child(given_name="", birth="unborn", **_parts("expected_birth_on", today + timedelta(days=120))))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["given_name"] == "Unborn" and form.cleaned_data["date_of_birth"] is None
    assert not ChildForm(_child(given_name="", birth="unborn")).is_valid()


@pytest.mark.parametrize("days", [-60, 400])
def test_an_expected_date_far_from_today_is_refused(days):
    form = ChildForm(_child(birth="unborn", **_parts("expected_birth_on", timezone.localdate() + timedelta(days=days))))
    assert not form.is_valid() and "expected_birth_on" in form.errors


def test_a_date_typed_under_another_answer_is_not_kept():
    form = ChildForm(_child(birth="unknown", **_parts("date_of_birth", date(2019, 4, 3))))
    assert form.is_valid() and form.cleaned_data["date_of_birth"] is None


def test_a_name_is_needed_for_a_child_already_born():
    form = ChildForm(_child(given_name="", birth="unknown"))
    assert form.errors["given_name"] == ["Enter the child’s given name"]


def test_the_date_boxes_are_revealed_under_their_answer():
    from django.template.loader import render_to_string

    html = render_to_string("includes/form_fields.html", {"form": ChildForm(prefix="child-0")})
    assert 'data-reveals="id_child-0-birth_0-reveal"' in html
    assert 'id="id_child-0-birth_0-reveal"' in html and 'id="id_child-0-birth_2-reveal"' in html
    reveal = html.split('id="id_child-0-birth_2-reveal"')[1]
    assert "Expected date of birth" in reveal.split("govuk-radios__conditional")[0]
    assert html.count("Date of birth</legend>") == 1  # shown once, under "Yes"


def _children_post(children):
    post = {"child-TOTAL_FORMS": str(len(children)), "child-INITIAL_FORMS": "0"}
    for number, child in enumerate(children):
        post.update({f"child-{number}-{key}": value for key, value in child.items()})
    return post


def test_a_child_can_be_removed_and_the_others_keep_what_was_typed(referrer_client):
    referral = _start(referrer_client)
    url = reverse("referrals:step", args=[referral.public_id, "children"])
    children = [_child(given_name=name, birth="unknown", school=f"{name} school") for name in ("Amy", "Ben", "Cal")]
    response = referrer_client.post(url, {**_children_post(children), "action": "child-remove-1"})
    assert response.status_code == 302
    referral.refresh_from_db()
    stored = referral.draft["children"]
    assert stored["child-TOTAL_FORMS"] == "2"
    assert (stored["child-0-given_name"], stored["child-1-given_name"]) == ("Amy", "Cal")
    assert stored["child-1-school"] == "Cal school" and not any(key.startswith("child-2-") for key in stored)
    body = referrer_client.get(url).content.decode()
    assert "Remove child 2" in body and "Remove child 3" not in body


def test_the_only_perpetrator_cannot_be_removed_but_a_second_can(referrer_client):
    referral = _start(referrer_client)
    url = reverse("referrals:step", args=[referral.public_id, "perpetrators"])
    post = {"perpetrator-TOTAL_FORMS": "1", "perpetrator-INITIAL_FORMS": "0", "perpetrator-0-given_name": "Kyle",
            "perpetrator-0-family_name": "Osei", "perpetrator-0-relationship_to_victim": "Ex-partner", "action": "save"}
    referrer_client.post(url, post)
    assert "Remove perpetrator" not in referrer_client.get(url).content.decode()
    referrer_client.post(url, {**post, "action": "add-perpetrator"})
    assert "Remove perpetrator 2" in referrer_client.get(url).content.decode()
    referrer_client.post(url, {**post, "perpetrator-TOTAL_FORMS": "2", "action": "perpetrator-remove-1"})
    referral.refresh_from_db()
    assert referral.draft["perpetrators"]["perpetrator-TOTAL_FORMS"] == "1"


def test_a_remove_button_for_another_page_does_nothing(referrer_client):
    referral = _start(referrer_client)
    url = reverse("referrals:step", args=[referral.public_id, "perpetrators"])
    referrer_client.post(url, {"perpetrator-TOTAL_FORMS": "1", "perpetrator-INITIAL_FORMS": "0", "action": "child-remove-0"})
    referral.refresh_from_db()
    assert referral.draft["perpetrators"]["perpetrator-TOTAL_FORMS"] == "1"


def _recorded_with_unborn_and_unknown(marac, intake, generator):
    from openmarac.people.services import PersonData
    from openmarac.referrals import services

    referrer = intake["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer, children=0)
    expected = data.referred_on + timedelta(days=150)
    data.children = [
        services.LinkedPerson(PersonData(given_name="Unborn", family_name="Hartley", expected_birth_on=expected), relationship_to_victim="Unborn child"),
        services.LinkedPerson(
            PersonData(given_name="Noah", family_name="Hartley"), relationship_to_victim="Son", school="Hill Primary", gp="Park Surgery",
            details_unreliable=True,
        ),
    ]
    return services.referral_record(marac=marac, data=data, by=referrer), expected


def test_an_unborn_child_and_a_child_with_an_unknown_date_of_birth_are_recorded_and_shown(marac, intake, generator):
    referral, expected = _recorded_with_unborn_and_unknown(marac, intake, generator)
    unborn, noah = referral.people.filter(role="child").select_related("person")
    assert unborn.person.expected_birth_on == expected and unborn.person.date_of_birth is None
    assert unborn.person.birth_text == f"unborn, expected {expected:%m/%Y}"
    assert noah.person.birth_text == "date of birth unknown"
    assert (noah.gp, noah.school, noah.details_unreliable) == ("Park Surgery", "Hill Primary", True)
    assert referral.children_count == 2
    body = sign_in(Client(), intake["coordinator"]).get(reverse("referrals:case", args=[referral.case.public_id])).content.decode()
    assert f"Unborn, expected {expected:%m/%Y}" in body and "GP: Park Surgery" in body and "Details may be unreliable" in body


def test_an_expected_date_far_from_the_referral_is_a_problem(marac, intake, generator):
    from django.core.exceptions import ValidationError

    from openmarac.people.services import PersonData
    from openmarac.referrals import services

    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, review_owner=intake["referrer"], children=0)
    data.children = [services.LinkedPerson(PersonData(given_name="Unborn", family_name="Hartley", expected_birth_on=data.referred_on + timedelta(days=400)))]
    with pytest.raises(ValidationError) as error:
        services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert "within 10 months" in error.value.message_dict["child_1"][0]


def test_the_headline_gives_the_score_the_criteria_and_consent(marac, intake, generator):
    from openmarac.referrals import services

    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, review_owner=intake["referrer"], consent=False)
    data.professional_judgement, data.professional_judgement_rationale = True, "Strangulation last week"
    headline = services.referral_headline(marac=marac, data=data)
    assert headline.score == services._score(marac, data) and headline.threshold == marac.visible_high_risk_threshold
    assert "Professional judgement" in headline.criteria and headline.consent_given is False


def test_the_perpetrators_name_replaces_every_placeholder():
    from openmarac.referrals.forms import ABUSER_PLACEHOLDER, ChecklistForm
    from openmarac.risk.definitions import default_definition

    definition = default_definition()
    form = ChecklistForm(definition=definition, questions=definition.questions, abuser_name="Darren")
    texts = []
    for field in form.fields.values():
        texts += [str(field.label), str(field.help_text), *(str(label) for _, label in getattr(field, "choices", []))]
    assert not any(ABUSER_PLACEHOLDER in text for text in texts)
    assert any("Darren" in str(field.help_text) for field in form.fields.values())
