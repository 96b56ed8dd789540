"""Corrections to a person's details: who, when, why, old and new values, in the case history."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openmarac.audit.models import AuditEvent
from openmarac.people.models import PersonMatchKey
from openmarac.records import services
from openmarac.records.models import Correction
from tests.conftest import sign_in


def test_correction_records_old_and_new_values_who_and_why(marac, staff, old_case):
    victim = old_case.case.victim
    keys_before = set(PersonMatchKey.objects.filter(person=victim).values_list("key", flat=True))
    corrections = services.person_correct(
        by=staff["coordinator"], person=victim, changes={"date_of_birth": date(1979, 4, 14), "given_name": "Zephyrine"}, reason="Idva checked her passport"
    )
    assert [(c.field, c.old_value, c.new_value) for c in corrections] == [("date_of_birth", "1979-03-14", "1979-04-14")]
    correction = Correction.objects.get()
    assert correction.corrected_by == staff["coordinator"] and correction.reason == "Idva checked her passport"
    victim.refresh_from_db()
    assert victim.date_of_birth == date(1979, 4, 14)
    # Matching follows the corrected details.
    assert set(PersonMatchKey.objects.filter(person=victim).values_list("key", flat=True)) != keys_before
    event = AuditEvent.objects.get(record_type="people.person", record_id=str(victim.pk), action="changed")
    assert event.summary == "Corrected: date_of_birth"


def test_a_reason_and_a_change_are_required(marac, staff, old_case):
    victim = old_case.case.victim
    with pytest.raises(ValidationError):
        services.person_correct(by=staff["coordinator"], person=victim, changes={"gender": "Woman"}, reason=" ")
    with pytest.raises(ValidationError, match="Nothing was changed"):
        services.person_correct(by=staff["coordinator"], person=victim, changes={"gender": victim.gender}, reason="Checked")
    assert not Correction.objects.exists()


@pytest.mark.parametrize("role", ["chair", "idva", "housing_rep", "governance"])
def test_only_the_coordinator_corrects(marac, staff, old_case, role):
    with pytest.raises(PermissionDenied):
        services.person_correct(by=staff[role], person=old_case.case.victim, changes={"gender": "Woman"}, reason="x")
    assert not Correction.objects.exists()


def test_correction_page_shows_in_the_case_history(client, marac, staff, old_case):
    victim = old_case.case.victim
    sign_in(client, staff["coordinator"])
    url = reverse("records:person-correct", args=[old_case.case.public_id, victim.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'value="Zephyrine"' in page.content
    form = {"given_name": "Zephyrine", "family_name": "Quillfeather-Hart", "date_of_birth": "1979-03-14", "gender": "Female", "ethnicity": "White British", "language": "", "reason": "Married name"}
    assert client.post(url, form).status_code == 302
    case_page = client.get(reverse("referrals:case", args=[old_case.case.public_id])).content.decode()
    assert "Corrections to people’s details" in case_page
    assert "Last name “Quillfeather” to “Quillfeather-Hart”" in case_page and "Married name" in case_page
    # The chair sees the history too (the values are those the case page shows them).
    client.logout()
    sign_in(client, staff["chair"])
    assert "Married name" in client.get(reverse("referrals:case", args=[old_case.case.public_id])).content.decode()


def test_bad_input_keeps_what_was_typed(client, marac, staff, old_case):
    sign_in(client, staff["coordinator"])
    url = reverse("records:person-correct", args=[old_case.case.public_id, old_case.case.victim.pk])
    response = client.post(url, {"given_name": "Zephyrine", "family_name": "Typed Name", "date_of_birth": "2999-01-01", "reason": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert "The date of birth must be in the past" in content and "Typed Name" in content
    assert not Correction.objects.exists()


def test_a_person_not_on_the_case_is_not_found(client, marac, staff, old_case, other_marac):
    from tests.factories import member
    from openmarac.accounts.models import Role

    sign_in(client, staff["coordinator"])
    stranger = member(other_marac, Role.COORDINATOR)
    assert client.get(reverse("records:person-correct", args=[old_case.case.public_id, 999999])).status_code == 404
    client.logout()
    sign_in(client, stranger)
    assert client.get(reverse("records:person-correct", args=[old_case.case.public_id, old_case.case.victim.pk])).status_code == 404
