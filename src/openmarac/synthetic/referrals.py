"""Synthetic referrals (Faker en_GB, seeded): realistic enough to exercise the
criteria, matching and every page, and never a real person."""

import random
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from django.utils import timezone
from faker import Faker

from openmarac.accounts.models import AgencyKind
from openmarac.people.models import YesNoUnknown
from openmarac.people.services import PersonData
from openmarac.referrals.services import LinkedPerson, ReferralData, SharingDecisionData, checklist_definition

# The perpetrator's relationship to the (female) victim; four, as the seeded draws expect.
PERPETRATOR_RELATIONSHIPS = ["Partner", "Ex-partner", "Husband", "Ex-husband"]


class ReferralGenerator:
    def __init__(self, seed=1):
        self.rng = random.Random(seed)
        self.faker = Faker("en_GB")
        self.faker.seed_instance(seed)

    def person(self, *, min_age, max_age, on, female=None):
        female = self.rng.random() < 0.94 if female is None else female
        given = self.faker.first_name_female() if female else self.faker.first_name_male()
        dob = on - timedelta(days=self.rng.randint(min_age * 365 + 1, max_age * 365 - 1))
        return PersonData(
            given_name=given,
            family_name=self.faker.last_name(),
            date_of_birth=dob,
            gender="Female" if female else "Male",
            racially_minoritised=self.rng.choices([YesNoUnknown.YES, YesNoUnknown.NO, YesNoUnknown.UNKNOWN], [14, 80, 6])[0],
            disabled=self.rng.choices([YesNoUnknown.YES, YesNoUnknown.NO, YesNoUnknown.UNKNOWN], [10, 84, 6])[0],
            lgbt=self.rng.choices([YesNoUnknown.YES, YesNoUnknown.NO, YesNoUnknown.UNKNOWN], [2, 90, 8])[0],
            address_line_1=self.faker.street_address().replace("\n", ", "),
            town=self.faker.city(),
            postcode=self.faker.postcode(),
            phone=self.faker.phone_number(),
        )

    def answers(self, definition, yes_count):
        keys = [q.key for q in definition.questions]
        yes = set(self.rng.sample(keys, yes_count))
        answers = {}
        # "Don't know" on the SafeLives checklist, "Not known" on the police DASH.
        unknown = next((v for v in definition.answer_values if v not in {definition.scored_answer, "no"}), "no")
        for question in definition.questions:
            answer = "yes" if question.key in yes else self.rng.choice(["no", "no", unknown])
            entry = {"answer": answer}
            if answer == "yes" and question.sub_choices:
                entry["sub_choices"] = [question.sub_choices.options[0].value]
            answers[question.key] = entry
        return answers

    def referral(self, *, marac, referring_agency, referred_on=None, children=None, consent=True, review_owner=None, victim=None, perpetrator=None):
        referred_on = referred_on or date.today() - timedelta(days=self.rng.randint(0, 20))
        definition = checklist_definition(marac, agency_kind=referring_agency.kind if referring_agency else "")
        score = self.rng.choice([15, 16, 18, 20, 9, 12])
        pj = score < marac.visible_high_risk_threshold
        n_children = self.rng.choice([0, 1, 2, 3]) if children is None else children
        victim = victim or self.person(min_age=18, max_age=60, on=referred_on, female=True)
        perpetrator = perpetrator or self.person(min_age=18, max_age=65, on=referred_on, female=False)
        data = ReferralData(
            victim=victim,
            referred_on=referred_on,
            referring_agency=referring_agency,
            referring_agency_kind=referring_agency.kind if referring_agency else AgencyKind.POLICE,
            referrer_name=self.faker.name(),
            referrer_phone=self.faker.phone_number(),
            referrer_email=self.faker.email(),
            reasons="Escalating controlling behaviour and a recent assault; victim fears for her children.",
            perpetrators=[LinkedPerson(perpetrator, relationship_to_victim=self.rng.choice(PERPETRATOR_RELATIONSHIPS))],
            children=[
                LinkedPerson(
                    self.person(min_age=1, max_age=16, on=referred_on, female=self.rng.random() < 0.5),
                    relationship_to_victim="Child",
                    relationship_to_perpetrator=self.rng.choice(["Child", "Stepchild"]),
                    school=f"{self.faker.city()} Primary School",
                )
                for _ in range(n_children)
            ],
            checklist_answers=self.answers(definition, score),
            professional_judgement=pj,
            professional_judgement_rationale="Recent strangulation disclosed and separation planned." if pj else "",
            police_incidents_last_12_months=self.rng.randint(0, 5),
            victim_aware=True,
            consent_given=consent,
            victim_afraid_of="The perpetrator and his brother",
            safe_to_talk_to="Her sister",
            unsafe_to_talk_to="The perpetrator’s mother",
        )
        if not consent:
            data.victim_aware = False
            data.victim_not_aware_reason = "Telling her could increase the risk."
            data.sharing = sharing_decision(referred_on=referred_on, owner=review_owner)
        return data


def sharing_decision(*, referred_on, owner):
    return SharingDecisionData(
        legal_grounds=["prevention_detection_of_crime", "vital_interests", "right_to_life"],
        who_at_risk="The client and her children.",
        at_risk_from="Her ex-partner.",
        risk_concerns="Threats to kill and strangulation; he knows where she lives.",
        immediate_risks="He is due out on bail this week.",
        assessed_risk="High: see the risk checklist.",
        incident_details="Police called to the address after a 999 call; she had marks on her neck.",
        incident_source="Police officer attending",
        protocol_applies=False,
        balancing=["pressing_need", "risk_of_not_disclosing", "human_rights", "duty_of_confidentiality"],
        balancing_comments="The risk to her life outweighs the duty of confidentiality; sharing is limited to the Marac.",
        internal_consultations="Discussed with the team manager and the Idva service.",
        client_notified=False,
        client_not_notified_reason="Telling her could alert the perpetrator.",
        review_on=referred_on + timedelta(days=28),
        review_owner=owner,
        caseworker_name="Caseworker",
        caseworker_signed_on=referred_on,
        manager_name="Manager",
        manager_signed_on=referred_on,
        shared_with="Marac coordinator",
        shared_on=referred_on,
        shared_method="OpenMarac referral",
        shared_information="Referral form and risk checklist",
        shared_authority="Prevention and detection of crime; vital interests",
    )


def demo_referrals(*, marac, seed=2026):
    """A handful of referrals for the demo: new cases from several agencies, one with
    children and no consent, and a further referral of an earlier victim whose match
    awaits the coordinator's decision. Only added once."""
    from openmarac.accounts.models import AgencyKind, User
    from openmarac.referrals.models import Referral
    from openmarac.referrals.services import referral_record

    if Referral.objects.filter(marac=marac).exists():
        return []
    generator = ReferralGenerator(seed=seed)
    referrer = User.objects.filter(memberships__marac=marac, memberships__role="referrer").first()
    agencies = {link.agency.kind: link.agency for link in marac.agency_links.select_related("agency")}
    today = date.today()
    plans = [
        (AgencyKind.POLICE, 40, 2, True),
        (AgencyKind.HOUSING, 12, 1, False),
        (AgencyKind.HEALTH, 6, 0, True),
        (AgencyKind.POLICE, 3, 3, True),
    ]
    recorded = []
    for kind, days_ago, children, consent in plans:
        data = generator.referral(
            marac=marac, referring_agency=agencies.get(kind), referred_on=today - timedelta(days=days_ago),
            children=children, consent=consent, review_owner=referrer,
        )
        as_made_by(data, referrer)
        recorded.append(referral_record(marac=marac, data=data, by=referrer, notify_agencies=False))
        if len(recorded) == 1:
            first = data
    repeat = generator.referral(
        marac=marac, referring_agency=agencies.get(AgencyKind.POLICE), referred_on=today - timedelta(days=1),
        victim=first.victim, perpetrator=first.perpetrators[0].data, children=2,
    )
    as_made_by(repeat, referrer)
    recorded.append(referral_record(marac=marac, data=repeat, by=referrer, notify_agencies=False))
    for referral in recorded:
        dated_as_referred(referral)
    return recorded


def as_made_by(data, referrer):
    """The referral's contact is the account that makes it, so the referral and its risk
    checklist name the same person (the generator draws a stranger otherwise)."""
    if referrer is not None:
        data.referrer_name, data.referrer_email = referrer.full_name, referrer.email
    return data


def dated_as_referred(referral):
    """Started and sent on the day it was referred, not on the day the demo was loaded
    ("Your referrals" lists when each was started, the referral when it was sent).

    Its Idva referral goes with it: the 48-hour target runs from the sending (every one
    read "due by" two days after loading, even for a case referred six weeks earlier),
    and once those 48 hours have passed the demo's Idva has spoken to the victim, the
    day after the referral, as a working Idva service would have."""
    from openmarac.accounts.models import Membership, Role
    from openmarac.referrals.models import ContactAttempt, IdvaReferral, Referral
    from openmarac.referrals.services import idva_contact_record

    # In UTC, so the 48 hours are 48 hours of elapsed time when the clocks change between
    # (aware London times add by the wall clock).
    sent = timezone.make_aware(datetime.combine(referral.referred_on, time(9, 30))).astimezone(dt_timezone.utc)
    Referral.objects.filter(pk=referral.pk).update(created_at=sent, submitted_at=sent)
    referral.refresh_from_db()
    due = sent + timedelta(hours=IdvaReferral.FIRST_CONTACT_TARGET_HOURS)
    IdvaReferral.objects.filter(referral=referral).update(created_at=sent, first_contact_due=due)
    idva_referral = IdvaReferral.objects.filter(referral=referral, first_contact_at__isnull=True).first()
    membership = Membership.objects.filter(marac=referral.marac, role=Role.IDVA, is_active=True).select_related("user").first()
    if idva_referral is not None and membership is not None and due < timezone.now():
        idva_contact_record(
            by=membership.user, idva_referral=idva_referral, attempted_at=sent + timedelta(days=1),
            method=ContactAttempt.Method.PHONE, outcome=ContactAttempt.Outcome.SPOKE, note="First contact: safety planning begun.",
        )


# Who referred the demo's past cases: the police most, as nationally (about two in
# three), then the partner agencies.
HISTORY_SOURCES = [AgencyKind.POLICE] * 6 + [
    AgencyKind.IDVA, AgencyKind.HOUSING, AgencyKind.CHILDRENS_SOCIAL_CARE, AgencyKind.HEALTH, AgencyKind.MENTAL_HEALTH,
]


def demo_history(*, marac, seed=2025, today=None):
    """Cases heard fortnightly over the last two complete quarters, recorded as a Marac
    migrating its history would (with the date heard and whether it was a repeat), so
    the data return and the governance dashboard have figures at `make run`. Only added
    once."""
    from openmarac.accounts.models import User
    from openmarac.referrals.models import Referral
    from openmarac.referrals.services import referral_record

    if Referral.objects.filter(marac=marac, heard_on__isnull=False).exists():
        return []
    rng = random.Random(seed)
    generator = ReferralGenerator(seed=seed)
    coordinator = User.objects.filter(memberships__marac=marac, memberships__role="coordinator").first()
    agencies = {link.agency.kind: link.agency for link in marac.agency_links.select_related("agency")}
    today = today or date.today()
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    start = date(this_quarter.year - (this_quarter.month <= 6), (this_quarter.month - 7) % 12 + 1, 1)
    recorded = []
    heard_on = start + timedelta(days=(1 - start.weekday()) % 7)  # Tuesdays
    while heard_on < this_quarter:
        for _ in range(rng.randint(6, 14)):
            kind = rng.choice(HISTORY_SOURCES)
            data = generator.referral(
                marac=marac, referring_agency=agencies.get(kind), referred_on=heard_on - timedelta(days=rng.randint(8, 40))
            )
            data.heard_on = heard_on
            # About three in ten, near the national 31%, as the migrating Marac recorded it.
            data.repeat_declared = rng.random() < 0.3
            recorded.append(referral_record(marac=marac, data=data, by=None, recorded_by=coordinator, notify_agencies=False))
        heard_on += timedelta(days=14)
    return recorded
