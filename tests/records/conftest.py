"""A case heard long ago, with distinctive personal data everywhere the product keeps
it, so retention can be shown to leave none of it behind."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.people.services import PersonData
from openmarac.referrals import services as referral_services
from openmarac.referrals.models import ReferralPerson
from openmarac.synthetic.referrals import ReferralGenerator


@dataclass
class OldCase:
    referral: object
    case: object
    hearing: object
    action: object
    secrets: list  # strings that must not survive retention


VICTIM = PersonData(
    given_name="Zephyrine", family_name="Quillfeather", aliases=[("Zeffy", "Marchbanks")], date_of_birth=date(1979, 3, 14),
    gender="Female", ethnicity="White British", racially_minoritised="no", disabled="yes", lgbt="no",
    address_line_1="17 Wyvernholt Lane", town="Northshire Vale", postcode="ZZ9 9QQ", phone="07700 900461", phone_safe_times="Weekday mornings",
)
PERPETRATOR = PersonData(
    given_name="Balthazar", family_name="Ormondroyd", date_of_birth=date(1975, 11, 2), gender="Male",
    address_line_1="3 Cragsmoor Terrace", postcode="ZZ8 1XY", phone="07700 900777",
)
CHILD = PersonData(given_name="Peregrina", family_name="Quillfeather", date_of_birth=date(2012, 6, 30), gender="Female")


def secrets_of(*people):
    found = []
    for person in people:
        found += [person.given_name, person.family_name]
        found += [part for alias in person.aliases for part in alias]
        if person.date_of_birth:
            found += [person.date_of_birth.isoformat(), f"{person.date_of_birth:%-d %B %Y}"]
        for value in (person.address_line_1, person.postcode, person.phone, person.phone_safe_times):
            if value:
                found.append(value)
    return found


@pytest.fixture
def old_case(marac, staff):
    """A referral eight years ago, heard seven years ago, with research, a hearing, a
    risk, an action and its report, Idva contact and a quality concern."""
    coordinator, housing = staff["coordinator"], staff["housing_rep"]
    referrer = staff["referrer"]
    generator = ReferralGenerator(seed=21)
    referred_on = timezone.localdate() - timedelta(days=8 * 365)
    data = generator.referral(marac=marac, referring_agency=referrer.agency, referred_on=referred_on, children=1, victim=VICTIM, perpetrator=PERPETRATOR)
    data.children[0].data = CHILD
    data.children[0].school = "Thornwick Academy"
    data.reasons = "Zephyrine Quillfeather was assaulted by Balthazar Ormondroyd at 17 Wyvernholt Lane."
    data.victim_afraid_of = "Balthazar Ormondroyd"
    referral = referral_services.referral_record(marac=marac, data=data, by=referrer, notify_agencies=False)
    referral_services.quality_concern_raise(by=coordinator, referral=referral, category="incomplete", note="Phone 07700 900461 not checked")
    referral_services.idva_contact_record(
        by=coordinator, idva_referral=referral.idva_referral, attempted_at=timezone.now() - timedelta(days=8 * 365 - 1),
        method="phone", outcome="spoke", note="Spoke to Zephyrine on 07700 900461",
    )
    meeting = meeting_services.meeting_add(by=coordinator, marac=marac, starts_at=timezone.now() + timedelta(days=20))
    item = meeting_services.referral_list(by=coordinator, referral=referral, meeting=meeting)
    meeting_services.meeting_publish(by=coordinator, meeting=meeting)
    meeting_services.research_save(
        by=housing, meeting=meeting, referral=referral, submit=True,
        data={"last_contact": "Zephyrine Quillfeather rang from ZZ9 9QQ", "facts": "Balthazar Ormondroyd evicted", "details_correct": "yes"},
    )
    meeting.starts_at = timezone.now() - timedelta(days=7 * 365)
    meeting.save(update_fields=["starts_at"])
    hearing = action_services.hearing_for(item)
    hearing = action_services.hearing_save(
        by=coordinator, hearing=hearing, version=hearing.version,
        minutes="Zephyrine Quillfeather (born 14 March 1979) lives at 17 Wyvernholt Lane.", single_point_of_contact="Idva for Zephyrine",
    )
    risk = action_services.risk_add(by=coordinator, hearing=hearing, who_at_risk="Zephyrine", from_whom="Balthazar Ormondroyd", harm="Assault", likelihood="high")
    action = action_services.action_add(
        by=coordinator, hearing=hearing, owner_agency=housing.agency, description="Rehouse Zephyrine Quillfeather away from ZZ9 9QQ",
        for_whom="victim", due_on=timezone.localdate() - timedelta(days=7 * 365 - 14), risk=risk, owner_name="Ms Thornbury",
    )
    action = action_services.action_report(
        by=housing, action=action, version=action.version, status="completed", note="Zephyrine moved", completed_on=timezone.localdate() - timedelta(days=7 * 365 - 10),
    )
    action_services.hearing_close(by=coordinator, hearing=hearing, reason="Idva absent; Zephyrine safe", children_reason="Confirmed later")
    referral.refresh_from_db()
    secrets = secrets_of(VICTIM, PERPETRATOR, CHILD) + ["Thornwick Academy", "Ms Thornbury", data.referrer_name, data.referrer_phone]
    return OldCase(referral=referral, case=referral.case, hearing=hearing, action=action, secrets=secrets)


def people_of(referral, role):
    return [rp.person for rp in ReferralPerson.objects.filter(referral=referral, role=role).select_related("person")]
