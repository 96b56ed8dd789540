"""Every error is JSON {"errors": [{"field", "message"}]}, never a page or a trace;
too many requests get 429 with Retry-After."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from openmarac.referrals.models import Referral

from .conftest import api_client, referral_body


def _shape(response):
    body = response.json()
    assert response["Content-Type"].startswith("application/json")
    assert set(body) == {"errors"} and body["errors"]
    assert all(set(e) == {"field", "message"} and isinstance(e["message"], str) and e["message"] for e in body["errors"])
    return body["errors"]


def _fields(response):
    assert response.status_code == 400, response.content
    return sorted(e["field"] for e in _shape(response))


def test_a_referral_with_gaps_names_every_field_at_once(world, db):
    """The fields' own problems and the referral service's rules in one answer, each
    named by its request field, nested fields dotted."""
    body = referral_body(
        professional_judgement=False,
        checklist_answers={"threatened_to_kill": {"answer": "perhaps"}, "very_frightened": {"answer": "yes", "sub_choices": "x"}},
        referrer_email="not an email",
    )
    del body["victim"]["family_name"]
    body["children"][0]["date_of_birth"] = "2001-01-01"  # over 17: the service's rule
    body["perpetrators"][0]["date_of_birth"] = "not a date"
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), body)
    assert _fields(response) == [
        "checklist_answers.threatened_to_kill", "checklist_answers.very_frightened", "children.0.date_of_birth", "criteria",
        "perpetrators.0.date_of_birth", "referrer_email", "victim.family_name",
    ]
    messages = {e["field"]: e["message"] for e in _shape(response)}
    assert "perhaps" in messages["checklist_answers.threatened_to_kill"] and "over 17" in messages["children.0.date_of_birth"]


def test_the_service_rules_answer_as_for_the_web_form(world, db):
    """Criteria and checklist answers are checked by the one referral service; each
    checklist question at fault is named."""
    body = referral_body(professional_judgement=False, checklist_answers={"threatened_to_kill": {"answer": "perhaps"}, "no_such_question": {"answer": "yes"}})
    body["perpetrators"].append({"given_name": "Sam", "family_name": "Lee", "date_of_birth": "2999-01-01"})
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), body)
    assert _fields(response) == [
        "checklist_answers.no_such_question", "checklist_answers.threatened_to_kill", "criteria", "perpetrators.1.date_of_birth",
    ]


def test_a_rule_reading_a_field_at_fault_is_left_to_that_field(world, db):
    """A check that reads a field that could not be read is not made: the field's own
    error says what to put right (no second, misleading message)."""
    body = referral_body(professional_judgement="perhaps", consent_given=False, sharing="none")
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), body)
    assert _fields(response) == ["professional_judgement", "sharing"]
    body = referral_body(referred_on="yesterday")
    body["victim"]["date_of_birth"] = "2999-01-01"
    assert _fields(api_client(world, "housing").post(reverse("api-v1:referrals"), body)) == ["referred_on"]


def test_research_saying_the_details_are_wrong_needs_the_corrections_as_on_the_web(world, db):
    url = reverse("api-v1:research", kwargs={"public_id": world["meeting"].public_id})
    body = {"referral_id": str(world["referral"].public_id), "submit": True, "details_correct": "corrected", "facts": "Tenancy since 2019"}
    response = api_client(world, "housing").post(url, body)
    assert response.status_code == 400
    assert [e["field"] for e in _shape(response)] == ["corrections"]
    assert api_client(world, "housing").post(url, {**body, "corrections": "Date of birth 3 May 1990"}).status_code == 200

def test_a_referral_is_recorded_with_its_checklist_and_matching(world, db):
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), referral_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["checklist_score"] == 3 and body["meets_professional_judgement"] and body["status"] == "awaiting_listing"
    assert body["case_reference"].startswith("NORT-")


def test_a_referral_without_consent_is_recorded_with_its_sharing_record(world, db):
    """The sharing record has the fields of the SafeLives form the service keeps."""
    sharing = {
        "who_at_risk": "The client and her son", "protocol_applies": False, "legal_grounds": ["prevention_detection_of_crime"],
        "balancing": ["pressing_need", "risk_of_not_disclosing"], "internal_consultations": "Team manager, 3 March",
        "review_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "caseworker_name": "PC Sam Patel", "caseworker_signed_on": timezone.localdate().isoformat(),
        "manager_name": "Insp. Jo Reid", "manager_signed_on": timezone.localdate().isoformat(),
    }
    response = api_client(world, "housing").post(reverse("api-v1:referrals"), referral_body(consent_given=False, sharing=sharing))
    assert response.status_code == 201, response.content
    decision = Referral.objects.get(public_id=response.json()["id"]).sharing_decision
    assert decision.legal_grounds == ["prevention_detection_of_crime"] and decision.balancing == ["pressing_need", "risk_of_not_disclosing"]
    assert decision.review_owner == world["coordinator"]


def test_404_for_an_unknown_endpoint(world, db):
    response = api_client(world, "housing").get("/api/v1/nothing-here/")
    assert response.status_code == 404
    _shape(response)


def test_404_for_a_record_that_does_not_exist(world, db):
    response = api_client(world, "housing").get(reverse("api-v1:action", kwargs={"pk": 10**12}))
    assert response.status_code == 404
    _shape(response)


def test_405_for_a_wrong_method(world, db):
    response = api_client(world, "housing").post(reverse("api-v1:cases"), {})
    assert response.status_code == 405
    assert _shape(response)[0]["message"] == 'Method "POST" not allowed.'


def test_415_for_a_body_that_is_not_json(world, db):
    client = api_client(world, "housing")
    response = client.client.post(reverse("api-v1:referrals"), "victim=x", content_type="text/plain", headers=client.headers)
    assert response.status_code == 415
    _shape(response)


def test_400_for_json_that_does_not_parse(world, db):
    client = api_client(world, "housing")
    response = client.client.post(reverse("api-v1:referrals"), "{not json", content_type="application/json", headers=client.headers)
    assert response.status_code == 400
    _shape(response)


def test_400_for_a_bad_filter(world, db):
    response = api_client(world, "housing").get(reverse("api-v1:cases"), created_after="yesterday")
    assert response.status_code == 400
    assert _shape(response)[0]["field"] == "created_after"


def test_500_is_json_without_a_trace(world, db):
    client = api_client(world, "housing")
    with mock.patch("openmarac.api.views.selectors.visible_cases", side_effect=RuntimeError("secret detail")):
        response = client.get(reverse("api-v1:cases"))
    assert response.status_code == 500
    errors = _shape(response)
    assert "secret" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert errors[0]["field"] is None


def test_401_is_json(world, db):
    response = api_client(world, "revoked").get(reverse("api-v1:cases"))
    assert response.status_code == 401
    assert _shape(response)[0]["message"].startswith("This credential is not valid")


@override_settings(OPENMARAC_API_RATE_PER_MINUTE=3)
def test_too_many_requests_get_429_with_retry_after(world, db):
    client = api_client(world, "housing")
    assert [client.get(reverse("api-v1:flags")).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(reverse("api-v1:flags"))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    _shape(response)
    # The limit is per credential: another agency's system is not held up.
    assert api_client(world, "probation").get(reverse("api-v1:flags")).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/referrals/"])
def test_answers_are_never_cached(world, db, path):
    response = api_client(world, "housing").get(path)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("path", "params", "count"),
    [
        ("/api/v1/cases/", {"created_after": "2000-01-01T00:00:00Z"}, 2),
        ("/api/v1/cases/", {"created_before": "2000-01-01T00:00:00Z"}, 0),
        ("/api/v1/actions/", {"status": "open"}, 2),
        ("/api/v1/actions/", {"status": "completed"}, 0),
        ("/api/v1/actions/", {"updated_after": "2999-01-01T00:00:00Z"}, 0),
        ("/api/v1/meetings/", {"starts_after": "2000-01-01T00:00:00Z"}, 1),
        ("/api/v1/meetings/", {"starts_before": "2000-01-01T00:00:00Z"}, 0),
    ],
)
def test_lists_filter_by_date_and_status(world, db, path, params, count):
    response = api_client(world, "housing").get(path, **params)
    assert response.status_code == 200 and response.json()["count"] == count


@pytest.mark.parametrize("page_size", ["0", "201", "x", ""])
def test_a_page_size_out_of_range_is_refused(world, db, page_size):
    response = api_client(world, "housing").get("/api/v1/cases/", page_size=page_size)
    assert response.status_code == 400 and _shape(response)[0]["field"] == "page_size"


def test_the_cursor_walks_every_row_once(world, db):
    client = api_client(world, "housing")
    seen, url = [], "/api/v1/cases/?page_size=1"
    while url:
        body = client.client.get(url, headers=client.headers).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 2
