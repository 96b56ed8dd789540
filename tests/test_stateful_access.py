"""Random sequences of the things that change who may read a case (issue 14): refer,
list, publish, research, add an action, transfer between two Maracs, seal an
address, lapse (the last hearing over 12 months ago), deactivate a user and change a
role, restrict a case. After every step, every user is checked against every case through the case
selector, and the case page is opened by a drawn user.

What each user should see is worked out here from the model's own simple rules,
written from ARCHITECTURE.md ("Access"), never by asking the access policy:

- Maracs are separate: a user sees only cases of a Marac they hold a role in;
- coordinator and chair: every case of their Marac;
- representative and Idva: cases their agency is involved in (it referred the case,
  the Idva referral or the children's referral went to it, or the case is on a
  published case list of the Marac), until 12 months after the last hearing;
- referrer and governance: no case page; a deactivated user: nothing;
- a sealed value shows only to the coordinator and the Idva of the case's Marac;
- a restricted case: only the coordinator who restricted it (named nobody else) and each
  coordinator who accepted it by transfer since, while it is in their Marac; nobody else,
  whatever their role.

To add a rule (a restricted case, say), give `ModelCase` the new fact, add a `@rule`
that changes the real system and the model together, and state its effect in
`Model.may_read` or `Model.may_see_sealed`; the invariant needs no change."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from openmarac.accounts import services as account_services
from openmarac.accounts.models import AgencyKind, Membership, Role, User
from openmarac.actions import services as action_services
from openmarac.meetings import services as meeting_services
from openmarac.meetings.models import AgendaItem, DeclarationSignature
from openmarac.people.models import Address
from openmarac.people.selectors import present_person
from openmarac.referrals import selectors as referral_selectors
from openmarac.referrals import services as referral_services
from openmarac.referrals import restriction, transfer
from openmarac.referrals.models import Case, Referral
from openmarac.synthetic.referrals import ReferralGenerator

from .conftest import sign_in
from .factories import MaracFactory, marac_with_core_agencies, member

# Everyone in the world: (Marac, role, agency kind). The two coordinators run things
# and are never deactivated or moved; everyone else may be.
PEOPLE = {
    "coordinator_a": ("a", Role.COORDINATOR, AgencyKind.IDVA),
    "chair_a": ("a", Role.CHAIR, AgencyKind.POLICE),
    "idva_a": ("a", Role.IDVA, AgencyKind.IDVA),
    "housing_a": ("a", Role.REPRESENTATIVE, AgencyKind.HOUSING),
    "probation_a": ("a", Role.REPRESENTATIVE, AgencyKind.PROBATION),
    "csc_a": ("a", Role.REPRESENTATIVE, AgencyKind.CHILDRENS_SOCIAL_CARE),
    "referrer_a": ("a", Role.REFERRER, AgencyKind.HOUSING),
    "governance_a": ("a", Role.GOVERNANCE, AgencyKind.POLICE),
    "coordinator_b": ("b", Role.COORDINATOR, AgencyKind.IDVA),
    "housing_b": ("b", Role.REPRESENTATIVE, AgencyKind.HOUSING),
    "idva_b": ("b", Role.IDVA, AgencyKind.IDVA),
}
RUNNERS = {"a": "coordinator_a", "b": "coordinator_b"}
CHANGEABLE = sorted(set(PEOPLE) - set(RUNNERS.values()))
ROLES = [Role.COORDINATOR, Role.CHAIR, Role.IDVA, Role.REPRESENTATIVE, Role.REFERRER, Role.GOVERNANCE]
OTHER = {"a": "b", "b": "a"}


@dataclass
class ModelUser:
    marac: str
    role: str
    agency: object  # the agency's kind and Marac: ("a", "housing")
    active: bool = True


@dataclass
class ModelCase:
    public_id: object
    marac: str
    involved: set = field(default_factory=set)  # agencies, as (marac, kind)
    children: bool = False
    listed: bool = False
    lapsed: bool = False
    transfers: int = 0
    sealed: list = field(default_factory=list)  # the sealed words on its victim
    # The ModelUsers a restriction names: the coordinator who restricted it (naming nobody
    # else), and each coordinator who accepted it by transfer since. Empty: not restricted.
    restricted_to: list = field(default_factory=list)


class Model:
    """The rules, in plain words turned into plain Python."""

    @staticmethod
    def may_read(user: ModelUser, case: ModelCase) -> bool:
        if not user.active or user.marac != case.marac:
            return False
        if case.restricted_to:
            return any(user is named for named in case.restricted_to)
        if user.role in (Role.COORDINATOR, Role.CHAIR):
            return True
        if user.role in (Role.REPRESENTATIVE, Role.IDVA):
            return user.agency in case.involved and not case.lapsed
        return False

    @staticmethod
    def may_see_sealed(user: ModelUser, case: ModelCase) -> bool:
        return Model.may_read(user, case) and user.role in (Role.COORDINATOR, Role.IDVA)

    @staticmethod
    def may_research(user: ModelUser, case: ModelCase, published: bool) -> bool:
        return (
            user.active and published and user.marac == case.marac and user.role in (Role.REPRESENTATIVE, Role.IDVA)
            and not case.restricted_to
        )


class AccessMachine(RuleBasedStateMachine):
    world = None  # set by the test: the Maracs, agencies and users, built once

    cases = Bundle("cases")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint rolled back at its end, so every example
        # starts from the same world.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.users = {key: ModelUser(marac, role, (marac, kind)) for key, (marac, role, kind) in PEOPLE.items()}
        self.models = {}
        self.meetings = {}  # marac -> (meeting, published)
        self.seed = 100
        self.words = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------

    def _user(self, key):
        # Fresh from the database each time: the policy caches roles on the object.
        return User.objects.get(pk=self.world["users"][key].pk)

    def _marac(self, name):
        return self.world["maracs"][name]

    def _agency_keys(self, marac_name):
        marac = self._marac(marac_name)
        return {(marac_name, link.agency.kind) for link in marac.agency_links.filter(is_active=True).select_related("agency")}

    def _meeting(self, marac_name):
        if marac_name not in self.meetings:
            marac = self._marac(marac_name)
            meeting = meeting_services.meeting_add(
                by=self._user(RUNNERS[marac_name]), marac=marac, starts_at=timezone.now() + timedelta(days=20)
            )
            DeclarationSignature.objects.bulk_create(
                DeclarationSignature(meeting=meeting, user=u, statement="x") for u in self.world["users"].values()
            )
            self.meetings[marac_name] = [meeting, False]
        return self.meetings[marac_name]

    def _case(self, model):
        return Case.objects.get(public_id=model.public_id)

    # --- rules --------------------------------------------------------------------

    @rule(target=cases, marac_name=st.sampled_from(["a", "b"]), children=st.integers(0, 1))
    def refer(self, marac_name, children):
        marac = self._marac(marac_name)
        referring = self.world["agencies"][(marac_name, AgencyKind.HOUSING)]
        self.seed += 1
        data = ReferralGenerator(seed=self.seed).referral(marac=marac, referring_agency=referring, children=children)
        referral = referral_services.referral_record(marac=marac, data=data, by=self._user(RUNNERS[marac_name]), notify_agencies=False)
        model = ModelCase(public_id=referral.case.public_id, marac=marac_name, children=bool(children))
        model.involved = {(marac_name, AgencyKind.HOUSING), (marac_name, AgencyKind.IDVA)}
        if children:
            model.involved.add((marac_name, AgencyKind.CHILDRENS_SOCIAL_CARE))
        self.models[model.public_id] = model
        return model

    @rule(case=cases)
    def list_for_meeting(self, case):
        if case.listed:
            return
        meeting, published = self._meeting(case.marac)
        referral = Referral.objects.get(case__public_id=case.public_id)
        meeting_services.referral_list(by=self._user(RUNNERS[case.marac]), referral=referral, meeting=meeting)
        case.listed = True
        if published:
            case.involved |= self._agency_keys(case.marac)

    @rule(marac_name=st.sampled_from(["a", "b"]))
    def publish(self, marac_name):
        meeting, published = self._meeting(marac_name)
        if published:
            return
        meeting_services.meeting_publish(by=self._user(RUNNERS[marac_name]), meeting=meeting)
        self.meetings[marac_name][1] = True
        for model in self.models.values():
            if model.listed and model.marac == marac_name:
                model.involved |= self._agency_keys(marac_name)

    def _on_published_agenda(self, case):
        entry = self.meetings.get(case.marac)
        return entry is not None and entry[1] and AgendaItem.objects.filter(meeting=entry[0], referral__case__public_id=case.public_id).exists()

    @rule(case=cases, key=st.sampled_from(sorted(PEOPLE)))
    def research(self, case, key):
        if not case.listed or case.marac not in self.meetings:
            return
        meeting, published = self.meetings[case.marac]
        item = AgendaItem.objects.filter(meeting=meeting, referral__case__public_id=case.public_id).select_related("referral").first()
        if item is None:
            return
        allowed = Model.may_research(self.users[key], case, published)
        try:
            meeting_services.research_save(by=self._user(key), meeting=meeting, referral=item.referral, data={"no_trace": True}, submit=True)
        except PermissionDenied:
            assert not allowed, f"{key} was refused research on a case on their published case list"
        else:
            assert allowed, f"{key} could record research on a case they should not reach"

    @rule(case=cases, kind=st.sampled_from([AgencyKind.HOUSING, AgencyKind.PROBATION, AgencyKind.POLICE]))
    def add_action(self, case, kind):
        # An action is agreed at the meeting, so on a published case list.
        if not self._on_published_agenda(case):
            return
        meeting, _ = self.meetings[case.marac]
        item = AgendaItem.objects.get(meeting=meeting, referral__case__public_id=case.public_id)
        action_services.action_add(
            by=self._user(RUNNERS[case.marac]), hearing=action_services.hearing_for(item),
            owner_agency=self.world["agencies"][(case.marac, kind)], description="Target hardening", for_whom="victim",
            due_on=timezone.localdate() + timedelta(days=40),
        )

    @rule(case=cases)
    def transfer(self, case):
        # A case waiting to be listed moves to the other Marac, which accepts it.
        if case.listed:
            return
        to = OTHER[case.marac]
        pending = transfer.transfer_request(by=self._user(RUNNERS[case.marac]), case=self._case(case), to_marac=self._marac(to), reason="Moved")
        transfer.transfer_decide(by=self._user(RUNNERS[to]), transfer=pending, accept=True)
        # Nothing of the sending Marac follows the case: not its agencies' involvement.
        # The safety work does: the receiving Idva service takes on the Idva referral,
        # and its children's social care the children's referral.
        case.marac, case.transfers = to, case.transfers + 1
        if case.restricted_to:
            # The restriction moves with the case, naming the coordinator who accepted it.
            case.restricted_to.append(self.users[RUNNERS[to]])
        case.involved = {(to, AgencyKind.IDVA)} | ({(to, AgencyKind.CHILDRENS_SOCIAL_CARE)} if case.children else set())

    @rule(case=cases)
    def restrict(self, case):
        """The Marac's coordinator restricts the case to themselves (a party works for a
        member agency). The restriction travels with the case if it moves."""
        if case.restricted_to:
            return
        runner = RUNNERS[case.marac]
        restriction.case_restrict(by=self._user(runner), case=self._case(case), reason="A party works for a member agency", named_users=[])
        case.restricted_to = [self.users[runner]]

    @rule(case=cases)
    def seal(self, case):
        self.words += 1
        word = "Sealwortqz" + "".join(chr(97 + int(d)) for d in str(self.words))
        Address.objects.create(person=self._case(case).victim, line_1=f"{word} Refuge", town="Nowhere", is_sealed=True)
        case.sealed.append(word)

    @rule(case=cases)
    def lapse(self, case):
        """The last hearing was more than 12 months ago."""
        Case.objects.filter(public_id=case.public_id).update(last_heard_on=timezone.localdate() - relativedelta(months=13))
        case.lapsed = True

    @rule(key=st.sampled_from(CHANGEABLE))
    def deactivate(self, key):
        user = self.users[key]
        if not user.active:
            return
        membership = Membership.objects.get(user_id=self.world["users"][key].pk, is_active=True)
        account_services.membership_deactivate(by=self._user(RUNNERS[user.marac]), membership=membership, reason="Left the agency")
        user.active = False

    @rule(key=st.sampled_from(CHANGEABLE), role=st.sampled_from(ROLES))
    def change_role(self, key, role):
        user = self.users[key]
        if not user.active or user.role == role:
            return
        membership = Membership.objects.get(user_id=self.world["users"][key].pk, is_active=True)
        account_services.membership_change_role(by=self._user(RUNNERS[user.marac]), membership=membership, role=role)
        user.role = role

    @rule(case=cases, key=st.sampled_from(sorted(PEOPLE)))
    def open_case_page(self, case, key):
        user = self.users[key]
        response = sign_in(Client(), self.world["users"][key]).get(reverse("referrals:case", args=[case.public_id]))
        if Model.may_read(user, case):
            assert response.status_code == 200, f"{key} cannot open a case they should"
            shown = response.content.decode()
            for word in case.sealed:
                assert (word in shown) == Model.may_see_sealed(user, case), f"{key}: sealed {word} wrongly shown or hidden"
        else:
            # 404 for a signed-in user; the sign-in page for a deactivated one.
            assert response.status_code in (302, 404), f"{key} opened a case they should not ({response.status_code})"

    # --- the invariant -------------------------------------------------------------

    @invariant()
    def nobody_reads_a_case_they_should_not(self):
        for key, user in self.users.items():
            real_user = self._user(key)
            for model in self.models.values():
                case = referral_selectors.case_for(user=real_user, public_id=model.public_id)
                assert (case is not None) == Model.may_read(user, model), (
                    f"{key} ({user.role}, {'active' if user.active else 'deactivated'}) "
                    f"{'reads' if case else 'cannot read'} a case of Marac {model.marac}: {model}"
                )
                if case is not None and model.sealed:
                    shown = present_person(case.victim, user=real_user, marac=case.marac)
                    texts = " ".join(a.text for a in shown.addresses)
                    for word in model.sealed:
                        assert (word in texts) == Model.may_see_sealed(user, model), f"{key}: sealed {word} wrongly shown or hidden"


@pytest.fixture
def world(db):
    maracs = {"a": marac_with_core_agencies(MaracFactory(name="Northshire Marac", slug="northshire"))}
    maracs["b"] = marac_with_core_agencies(MaracFactory(name="Southvale Marac", slug="southvale"))
    users = {key: member(maracs[m], role, agency_kind=kind) for key, (m, role, kind) in PEOPLE.items()}
    agencies = {
        (name, link.agency.kind): link.agency for name, marac in maracs.items() for link in marac.agency_links.select_related("agency")
    }
    return {"maracs": maracs, "users": users, "agencies": agencies}


def test_nobody_reads_a_case_they_should_not(world):
    AccessMachine.world = world
    try:
        run_state_machine_as_test(
            AccessMachine,
            settings=settings(
                max_examples=25, stateful_step_count=12, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
    finally:
        AccessMachine.world = None
