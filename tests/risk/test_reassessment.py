"""Risk is dynamic: after a new incident the Idva, a referrer of the case or the
coordinator records a new checklist against the case; every earlier one is kept and the
case shows the score over time. The checklist follows the agency's kind."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openmarac.accounts.forms import MaracSettingsForm
from openmarac.referrals import services as referral_services
from openmarac.risk import selectors, services
from openmarac.risk.display import sparkline
from openmarac.risk.models import RiskAssessment
from openmarac.synthetic.referrals import ReferralGenerator

from ..conftest import sign_in
from ..factories import member


@pytest.fixture
def generator():
    return ReferralGenerator(seed=11)


@pytest.fixture
def referral(marac, staff, generator):
    referrer = staff["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer)
    return referral_services.referral_record(marac=marac, data=data, by=referrer)


def _all(definition, answer="no", yes=0):
    return {key: {"answer": "yes" if i < yes else answer} for i, key in enumerate(definition.question_keys)}


def _post(definition, yes):
    post = {"incident_on": (date.today() - timedelta(days=1)).isoformat(), "incident_summary": "Police attended after a 999 call; source: PC 123."}
    for i, key in enumerate(definition.question_keys):
        post[f"checklist-{key}__answer"] = "yes" if i < yes else "no"
    return post


def test_the_idva_records_a_new_checklist_and_every_earlier_one_is_kept(django_capture_on_commit_callbacks, referral, staff):
    idva, case = staff["idva"], referral.case
    definition = services.definition_for(marac=case.marac, user=idva)
    with django_capture_on_commit_callbacks(execute=True):
        services.risk_reassess(by=idva, case=case, answers=_all(definition, yes=20), incident_on=date.today(), incident_summary="Strangulation reported.")
    rows = selectors.score_history(case=case)
    assert [row.assessment.is_reassessment for row in rows] == [False, True]
    assert rows[0].assessment.score == referral.checklist_score
    assert rows[1].assessment.score == 20 and rows[1].at_or_above_threshold
    assert RiskAssessment.objects.filter(case=case).count() == 2
    # The coordinator is told, with a link and nothing of the case.
    (message,) = [m for m in mail.outbox if staff["coordinator"].email in m.to]
    assert str(case.public_id) in message.body
    assert case.reference not in message.body and "Strangulation" not in message.body
    assert case.victim.family_name not in message.body


def test_a_new_checklist_needs_every_answer_the_incident_and_its_date(referral, staff):
    idva, case = staff["idva"], referral.case
    definition = services.definition_for(marac=case.marac, user=idva)
    answers = _all(definition)
    del answers[definition.question_keys[0]]
    with pytest.raises(ValidationError) as error:
        services.risk_reassess(by=idva, case=case, answers=answers, incident_on=date.today() + timedelta(days=1), incident_summary=" ")
    assert set(error.value.message_dict) == {"checklist", "incident_on", "incident_summary"}
    assert RiskAssessment.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("who", ["housing_rep", "probation_rep", "chair", "governance"])
def test_others_cannot_record_one(referral, staff, who):
    case = referral.case
    definition = services.definition_for(marac=case.marac, user=staff[who])
    with pytest.raises(PermissionDenied):
        services.risk_reassess(by=staff[who], case=case, answers=_all(definition), incident_on=date.today(), incident_summary="x")


def test_the_referrer_records_one_from_their_referral_and_sees_nothing_of_the_case(referral, staff):
    client = sign_in(Client(), staff["referrer"])
    outcome = client.get(reverse("referrals:referral", args=[referral.public_id])).content.decode()
    url = reverse("risk:reassess", args=[referral.case.public_id])
    assert url in outcome
    page = client.get(url).content.decode()
    assert referral.case.victim.family_name not in page
    definition = services.definition_for(marac=referral.marac, user=staff["referrer"])
    response = client.post(url, _post(definition, yes=16))
    assert response.status_code == 302 and response.url == reverse("referrals:mine")
    latest = RiskAssessment.objects.filter(case=referral.case).latest("created_at")
    assert latest.score == 16 and latest.completed_by == staff["referrer"]


def test_a_mistake_keeps_what_was_typed(referral, staff):
    client = sign_in(Client(), staff["idva"])
    url = reverse("risk:reassess", args=[referral.case.public_id])
    definition = services.definition_for(marac=referral.marac, user=staff["idva"])
    post = _post(definition, yes=3)
    post.pop(f"checklist-{definition.question_keys[-1]}__answer")
    post["incident_on"] = ""
    body = client.post(url, post).content.decode()
    assert "There is a problem" in body and "Enter the date of the new incident" in body
    assert f"Answer question {definition.max_score}" in body
    assert "Police attended after a 999 call" in body
    assert RiskAssessment.objects.filter(case=referral.case).count() == 1


def test_a_refused_user_gets_not_found(referral, staff):
    client = sign_in(Client(), staff["housing_rep"])
    assert client.get(reverse("risk:reassess", args=[referral.case.public_id])).status_code == 404


def test_the_case_shows_the_score_over_time(referral, staff):
    case = referral.case
    idva = staff["idva"]
    definition = services.definition_for(marac=case.marac, user=idva)
    services.risk_reassess(by=idva, case=case, answers=_all(definition, yes=5), incident_on=date.today(), incident_summary="Calmer.")
    body = sign_in(Client(), staff["coordinator"]).get(reverse("referrals:case", args=[case.public_id])).content.decode()
    assert "Risk over time" in body and "New incident of" in body and "Calmer." in body
    assert "<polyline" in body and f"5 of {definition.max_score}" in body


def test_the_police_use_the_police_dash_when_the_marac_says_so(marac, staff, generator):
    marac.risk_checklists_by_agency_kind = {"police": "police-dash"}
    marac.save()
    officer = member(marac, "referrer", agency_kind="police")
    data = generator.referral(marac=marac, referring_agency=officer.agency, review_owner=officer)
    referral = referral_services.referral_record(marac=marac, data=data, by=officer)
    assessment = RiskAssessment.objects.get(referral=referral)
    assert (assessment.definition_id, len(assessment.answers)) == ("police-dash", 27)
    assert services.definition_for(marac=marac, user=officer).max_score == 27
    # Everyone else keeps the Marac's own checklist.
    assert services.definition_for(marac=marac, user=staff["idva"]).id == "safelives-dash"


def test_the_settings_form_keeps_a_checklist_per_agency_kind(marac, staff):
    form = MaracSettingsForm(instance=marac)
    assert "risk_checklist_for_police" in form.fields and "risk_checklist_for_housing" in form.fields
    data = {name: getattr(marac, name) or "" for name in MaracSettingsForm.Meta.fields}
    data.update({"risk_checklist_for_police": "police-dash", "risk_checklist_for_housing": ""})
    form = MaracSettingsForm(data, instance=marac)
    assert form.is_valid(), form.errors
    form.save()
    marac.refresh_from_db()
    assert marac.risk_checklists_by_agency_kind == {"police": "police-dash"}
    assert marac.checklist_id_for("police") == "police-dash" and marac.checklist_id_for("housing") == "safelives-dash"


def test_a_threshold_above_a_mapped_checklist_is_refused(marac):
    from django.core.exceptions import ValidationError as ModelError

    marac.visible_high_risk_threshold = 26
    marac.risk_checklists_by_agency_kind = {}
    with pytest.raises(ModelError):
        marac.full_clean()  # 26 > 24 questions of SafeLives
    marac.risk_checklist = "police-dash"
    marac.full_clean()
    marac.risk_checklists_by_agency_kind = {"health": "safelives-dash"}
    with pytest.raises(ModelError):
        marac.full_clean()


def test_the_sparkline_puts_higher_scores_higher():
    class Row:
        def __init__(self, score, max_score=24):
            self.assessment = type("A", (), {"score": score})()
            self.max_score = max_score

    assert sparkline([Row(3)], threshold=14) is None
    line = sparkline([Row(3), Row(20, 27)], threshold=14)
    (x1, y1), (x2, y2) = line.dots
    assert x2 > x1 and y2 < y1 and y2 < line.threshold_y < y1


def test_the_questions_name_the_perpetrator_and_the_score_counts_the_ticks(referral, staff):
    client = sign_in(Client(), staff["idva"])
    url = reverse("risk:reassess", args=[referral.case.public_id])
    perpetrator = referral.people.get(role="perpetrator").person
    page = client.get(url).content.decode()
    assert f"{perpetrator.given_name}" in page and "[name of abuser(s)]" not in page
    assert 'id="checklist-score"' in page and "<strong data-score>0</strong>" in page
    # Sent back with a problem, the score is that of the answers ticked.
    definition = services.definition_for(marac=referral.marac, user=staff["idva"])
    post = _post(definition, yes=5)
    post["incident_on"] = ""
    assert "<strong data-score>5</strong>" in client.post(url, post).content.decode()


def test_a_referrer_reads_only_the_perpetrators_of_their_own_referrals(referral, staff, generator):
    # A later referral of the same case by another agency names another perpetrator.
    from openmarac.referrals.models import ReferralPerson

    later = generator.referral(marac=referral.marac, referring_agency=staff["idva"].agency, review_owner=staff["idva"])
    other = referral_services.referral_record(marac=referral.marac, data=later, by=staff["idva"])
    ReferralPerson.objects.filter(referral=other, role="perpetrator").update(person=referral.people.get(role="victim").person)
    other.case, other.status = referral.case, referral.status
    other.save(update_fields=["case", "status"])
    own = referral.people.get(role="perpetrator").person.given_name
    victim_name = referral.people.get(role="victim").person.given_name
    assert selectors.perpetrator_names(user=staff["referrer"], case=referral.case) == own
    assert selectors.perpetrator_names(user=staff["coordinator"], case=referral.case) == f"{own} / {victim_name}"
