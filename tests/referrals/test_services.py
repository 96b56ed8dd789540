from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from openmarac.referrals import services
from openmarac.referrals.models import CaseInvolvement, ChildrenReferralPrompt, IdvaReferral, MatchCandidate, Referral
from openmarac.risk.models import RiskAssessment


def _record(marac, intake, generator, **kwargs):
    referrer = intake["referrer"]
    data = generator.referral(marac=marac, referring_agency=referrer.agency, review_owner=referrer, **kwargs)
    return data, services.referral_record(marac=marac, data=data, by=referrer)


def test_recording_a_referral_sets_everything_in_motion(django_capture_on_commit_callbacks, marac, intake, generator):
    with django_capture_on_commit_callbacks(execute=True):
        data, referral = _record(marac, intake, generator, children=2, consent=False)
    assert referral.status == Referral.Status.AWAITING_LISTING
    assert referral.case.reference.startswith("AREA-") or referral.case.reference
    assert referral.children_count == 2
    idva = IdvaReferral.objects.get(referral=referral)
    assert idva.idva_agency.kind == "idva"
    assert idva.first_contact_due - referral.submitted_at == timedelta(hours=48)
    assert ChildrenReferralPrompt.objects.get(referral=referral).agency.kind == "childrens_social_care"
    kinds = set(CaseInvolvement.objects.filter(case=referral.case).values_list("reason", "agency__kind"))
    assert kinds == {("referred", "housing"), ("idva_referral", "idva"), ("children_referral", "childrens_social_care")}
    assert referral.sharing_decision.log.count() == 1
    assessment = RiskAssessment.objects.get(referral=referral)
    assert assessment.definition_id == "safelives-dash" and assessment.definition_version == "2015"
    assert assessment.score == referral.checklist_score
    recipients = {message.to[0] for message in mail.outbox}
    assert intake["coordinator"].email in recipients and intake["idva"].email in recipients
    assert intake["childrens_rep"].email in recipients


def test_notifications_carry_no_personal_data(django_capture_on_commit_callbacks, marac, intake, generator):
    with django_capture_on_commit_callbacks(execute=True):
        data, referral = _record(marac, intake, generator, children=1)
    secrets = [data.victim.given_name, data.victim.family_name, data.victim.postcode, data.victim.phone,
               data.perpetrators[0].data.family_name, data.children[0].data.given_name, referral.case.reference]
    assert mail.outbox
    for message in mail.outbox:
        for secret in secrets:
            assert secret not in message.subject and secret not in message.body


def test_nothing_ever_goes_to_a_perpetrator(django_capture_on_commit_callbacks, marac, intake, generator):
    with django_capture_on_commit_callbacks(execute=True):
        data, referral = _record(marac, intake, generator)
    user_emails = {u.email for u in intake.values()}
    assert all(set(message.to) <= user_emails for message in mail.outbox)


def test_a_low_score_without_another_criterion_asks_for_one_but_is_not_screened(marac, intake, generator):
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency)
    data.checklist_answers = generator.answers(services.checklist_definition(marac), 3)
    data.professional_judgement = False
    data.police_incidents_last_12_months = 0
    with pytest.raises(ValidationError) as error:
        services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert "refer on professional judgement" in error.value.message_dict["criteria"][0]
    assert Referral.objects.count() == 0
    data.professional_judgement = True
    data.professional_judgement_rationale = "She disclosed strangulation last night."
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert referral.criteria_labels == ["Professional judgement"]


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda d: setattr(d, "referred_on", date.today() + timedelta(days=1)), "referred_on"),
        (lambda d: setattr(d.victim, "date_of_birth", date.today() + timedelta(days=3)), "victim_date_of_birth"),
        (lambda d: setattr(d.children[0].data, "date_of_birth", date.today() - timedelta(days=365 * 19)), "child_1"),
        (lambda d: setattr(d.victim, "date_of_birth", date.today() - timedelta(days=365 * 15)), "victim_under_16_reason"),
        (lambda d: (setattr(d, "professional_judgement", True), setattr(d, "professional_judgement_rationale", "")), "professional_judgement_rationale"),
        (lambda d: (setattr(d, "consent_given", False), setattr(d, "sharing", None)), "sharing"),
    ],
)
def test_clear_messages_for_bad_input(marac, intake, generator, change, field):
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, children=1)
    change(data)
    with pytest.raises(ValidationError) as error:
        services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert field in error.value.message_dict


def test_a_victim_under_16_with_an_explanation_is_accepted(marac, intake, generator):
    data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency)
    data.victim.date_of_birth = date.today() - timedelta(days=365 * 15 + 30)
    data.victim_under_16_reason = "In a relationship with an adult; children's services are also involved."
    referral = services.referral_record(marac=marac, data=data, by=intake["referrer"])
    assert referral.victim_age == 15


def test_confirmed_victim_and_perpetrator_make_a_repeat_linked_to_the_earlier_case(marac, intake, generator):
    first_data, first = _record(marac, intake, generator, referred_on=date.today() - timedelta(days=200))
    second_data = generator.referral(
        marac=marac, referring_agency=intake["referrer"].agency, referred_on=date.today(),
        victim=first_data.victim, perpetrator=first_data.perpetrators[0].data,
    )
    second = services.referral_record(marac=marac, data=second_data, by=intake["referrer"])
    assert not second.meets_repeat or second.repeat_declared
    candidates = list(MatchCandidate.objects.filter(referral=second))
    assert {c.label for c in candidates} == {"likely"} and len(candidates) == 2
    for candidate in candidates:
        services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=True)
    second.refresh_from_db()
    assert second.meets_repeat and second.repeat_of == first
    assert second.case == first.case
    assert list(first.case.referrals.order_by("referred_on")) == [first, second]


def test_confirmed_victim_outside_the_window_is_not_a_repeat(marac, intake, generator):
    first_data, first = _record(marac, intake, generator, referred_on=date.today() - timedelta(days=400))
    second_data = generator.referral(
        marac=marac, referring_agency=intake["referrer"].agency, referred_on=date.today(),
        victim=first_data.victim, perpetrator=first_data.perpetrators[0].data,
    )
    second = services.referral_record(marac=marac, data=second_data, by=intake["referrer"])
    for candidate in MatchCandidate.objects.filter(referral=second):
        services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=True)
    second.refresh_from_db()
    assert second.case == first.case and not second.meets_repeat


def test_a_different_perpetrator_is_not_a_repeat(marac, intake, generator):
    first_data, first = _record(marac, intake, generator, referred_on=date.today() - timedelta(days=30))
    second_data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, referred_on=date.today(), victim=first_data.victim)
    second = services.referral_record(marac=marac, data=second_data, by=intake["referrer"])
    victim_candidate = MatchCandidate.objects.get(referral=second, new_person=second.case.victim)
    services.match_decide(by=intake["coordinator"], candidate=victim_candidate, same_person=True)
    second.refresh_from_db()
    assert not second.meets_repeat


def test_rejected_match_changes_nothing(marac, intake, generator):
    first_data, first = _record(marac, intake, generator, referred_on=date.today() - timedelta(days=30))
    second_data = generator.referral(marac=marac, referring_agency=intake["referrer"].agency, victim=first_data.victim)
    second = services.referral_record(marac=marac, data=second_data, by=intake["referrer"])
    candidate = MatchCandidate.objects.get(referral=second, new_person=second.case.victim)
    services.match_decide(by=intake["coordinator"], candidate=candidate, same_person=False)
    second.refresh_from_db()
    assert second.case != first.case and second.case.victim.same_as is None


@pytest.mark.parametrize("role", ["chair", "idva", "housing_rep", "referrer", "governance"])
def test_only_the_coordinator_decides_matches_and_raises_concerns(marac, intake, generator, role):
    first_data, _ = _record(marac, intake, generator)
    second = services.referral_record(
        marac=marac, data=generator.referral(marac=marac, referring_agency=intake["referrer"].agency, victim=first_data.victim), by=intake["referrer"]
    )
    candidate = MatchCandidate.objects.filter(referral=second).first()
    with pytest.raises(PermissionDenied):
        services.match_decide(by=intake[role], candidate=candidate, same_person=True)
    with pytest.raises(PermissionDenied):
        services.quality_concern_raise(by=intake[role], referral=second, category="other", note="x")


def test_likely_match_in_another_marac_is_reported_without_details(marac, other_marac, intake, generator):
    from openmarac.accounts.models import Role

    from ..factories import marac_with_core_agencies, member

    marac_with_core_agencies(other_marac)
    elsewhere_referrer = member(other_marac, Role.REFERRER)
    data, _ = _record(marac, intake, generator)
    again = generator.referral(marac=other_marac, referring_agency=elsewhere_referrer.agency, victim=data.victim)
    referral = services.referral_record(marac=other_marac, data=again, by=elsewhere_referrer)
    assert list(referral.other_marac_matches.values_list("other_marac__name", "role")) == [(marac.name, "victim")]
    assert not MatchCandidate.objects.filter(referral=referral).exists()


def test_quality_concern_is_fed_back_and_the_case_goes_forward(django_capture_on_commit_callbacks, marac, intake, generator):
    _, referral = _record(marac, intake, generator)
    with django_capture_on_commit_callbacks(execute=True):
        services.quality_concern_raise(by=intake["coordinator"], referral=referral, category="incomplete", note="No children's details.")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.AWAITING_LISTING
    assert mail.outbox[-1].to == [intake["referrer"].email]


def test_idva_contact_attempts_are_logged_and_first_contact_recorded(marac, intake, generator):
    from django.utils import timezone

    _, referral = _record(marac, intake, generator)
    item = referral.idva_referral
    services.idva_contact_record(by=intake["idva"], idva_referral=item, attempted_at=timezone.now(), method="phone", outcome="no_answer")
    assert item.first_contact_at is None
    services.idva_contact_record(by=intake["idva"], idva_referral=item, attempted_at=timezone.now(), method="phone", outcome="spoke")
    item.refresh_from_db()
    assert item.first_contact_at and item.status == "in_contact" and item.attempts.count() == 2
    with pytest.raises(PermissionDenied):
        services.idva_contact_record(by=intake["housing_rep"], idva_referral=item, attempted_at=timezone.now(), method="phone", outcome="spoke")


def test_children_prompt_confirmed_only_by_childrens_social_care(marac, intake, generator):
    _, referral = _record(marac, intake, generator, children=1)
    prompt = referral.children_prompt
    with pytest.raises(PermissionDenied):
        services.children_prompt_confirm(by=intake["housing_rep"], prompt=prompt, outcome="referral_received")
    with pytest.raises(ValidationError):
        services.children_prompt_confirm(by=intake["childrens_rep"], prompt=prompt, outcome="not_needed", note="")
    services.children_prompt_confirm(by=intake["childrens_rep"], prompt=prompt, outcome="referral_received")
    assert prompt.confirmed_by == intake["childrens_rep"]


def test_sharing_review_due_then_completed(marac, intake, generator):
    from freezegun import freeze_time

    from openmarac.referrals import selectors

    _, referral = _record(marac, intake, generator, consent=False)
    decision = referral.sharing_decision
    assert not selectors.sharing_reviews_due(user=intake["referrer"]).exists()
    with freeze_time(decision.review_on):
        assert list(selectors.sharing_reviews_due(user=intake["referrer"])) == [decision]
        with pytest.raises(ValidationError) as error:
            services.sharing_review_complete(by=intake["referrer"], decision=decision, feedback=" ")
        assert "feedback" in error.value.message_dict
        services.sharing_review_complete(
            by=intake["referrer"], decision=decision, feedback="The GP flagged the record; housing moved her to a safe property."
        )
        assert not selectors.sharing_reviews_due(user=intake["referrer"]).exists()
    (review,) = decision.reviews.all()
    assert review.reviewed_by == intake["referrer"] and "GP flagged" in review.feedback
