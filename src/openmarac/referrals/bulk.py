"""Recording many referrals at once, for the importer: the same rows `referral_record`
writes for each referral (people and their match keys, case, referral, checklist,
involvements, match candidates, sharing record, Idva referral, children's prompt,
audit), written in batches instead of one referral at a time.

Matching runs against an index of the Marac's people built once per file
(`PeopleIndex`), scored with the matcher's own functions (pairs that cannot be
labelled are left out first by `matching.may_reach`); people recorded by the import
join the index as they are made, so a row matches the rows before it exactly as
one-at-a-time recording would. The file's ids (from each table's own numbering) and
case references (from the ReferenceCounter, its row locked, so they stay unique) are
reserved before the first batch. Each table is written from plain dicts of column
values (`core.rows.insert_rows`: COPY on PostgreSQL), built by the functions the
one-at-a-time path uses, by a `core.rows.RowWriter` on the same connection while the
next batch is made. The caller holds the transaction (the importer's all-or-nothing).

The search for likely matches in other Maracs is left to the worker
(`tasks.search_other_maracs`, enqueued once the import is committed): in a deployment
of many Maracs each person shares a date of birth or a name key with hundreds of people
elsewhere, and reading them took most of an import's time.
"""

from collections import defaultdict
from datetime import timedelta
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from openmarac.accounts.models import AgencyKind, Marac
from openmarac.audit import services as audit
from openmarac.people import matching
from openmarac.people.models import Address, Alias, Person, PersonMatchKey, Phone
from openmarac.people import services as people_services
from openmarac.core.rows import RowWriter, insert_rows, reserve_ids
from openmarac.risk.models import RiskAssessment

from . import services, tasks
from .criteria import age_on
from .services import referral_problems
from .models import (
    Case,
    CaseInvolvement,
    ChildrenReferralPrompt,
    IdvaReferral,
    MatchCandidate,
    ReferenceCounter,
    Referral,
    ReferralPerson,
)

BATCH_SIZE = 500
CANDIDATE_LIMIT = 5  # as people.services.candidates_for
# Referrals searched for in other Maracs by one task of the worker, and the task's place
# in a queue that orders by priority (the database queue; RQ takes tasks in turn): behind
# emails and reminders, which a national history's search must not hold up.
ELSEWHERE_TASK_SIZE = 1000
ELSEWHERE_TASK_PRIORITY = -10


class PeopleIndex:
    """The Marac's people in memory: blocking key to person ids, and each person's
    facts (prepared for matching) and canonical id (the record a duplicate was linked
    to)."""

    def __init__(self, marac):
        self.by_key = defaultdict(set)
        self.canonical = {}
        people = Person.objects.filter(marac=marac)
        self.facts = {pk: matching.prepare(facts) for pk, facts in facts_of(people).items()}
        for person_id, same_as_id in people.values_list("pk", "same_as_id").iterator(chunk_size=10_000):
            self.canonical[person_id] = same_as_id or person_id
        for person_id, key in PersonMatchKey.objects.filter(marac=marac).values_list("person_id", "key").iterator(chunk_size=10_000):
            # The key table has no foreign keys (see PersonMatchKey): a key whose person
            # is gone is skipped, as candidates_for skips it.
            if person_id in self.facts:
                self.by_key[key].add(person_id)

    def add(self, person_id, facts, keys):
        self.facts[person_id] = matching.prepare(facts)
        self.canonical[person_id] = person_id
        for key in keys:
            self.by_key[key].add(person_id)

    def candidates(self, person_id, keys):
        """As people.services.candidates_for: [(canonical person id, Match)], best first."""
        query = self.facts[person_id]
        ids = set().union(*(self.by_key.get(key, ()) for key in keys))
        ids.discard(person_id)
        excluded_identity = self.canonical[person_id]
        best = {}
        for candidate_id in sorted(ids):
            candidate = self.facts[candidate_id]
            # Most people sharing a key cannot reach a label (a different date of
            # birth): those are left out before their names are compared.
            if not matching.may_reach(query, candidate):
                continue
            match = matching.score_candidate(query.facts, candidate.facts)
            canonical = self.canonical[candidate_id]
            if match.label is None or canonical == excluded_identity:
                continue
            if canonical not in best or match.score > best[canonical][1].score:
                best[canonical] = (candidate_id, match)
        ranked = sorted(best.values(), key=lambda pair: -pair[1].score)[:CANDIDATE_LIMIT]
        return [(self.canonical[candidate_id], match) for candidate_id, match in ranked]


def facts_of(people):
    """{person id: PersonFacts} for a queryset of people, as `facts_for` reads them, in
    four plain queries (no model instances: an index may hold a whole Marac)."""
    names, dobs, phones, postcodes = {}, {}, defaultdict(list), defaultdict(list)
    for pk, given, family, dob in people.values_list("pk", "given_name", "family_name", "date_of_birth").iterator(chunk_size=10_000):
        names[pk] = [(given, family)]
        dobs[pk] = dob
    for pk, given, family in Alias.objects.filter(person__in=people).order_by("id").values_list("person_id", "given_name", "family_name"):
        names[pk].append((given, family))
    for pk, number in Phone.objects.filter(person__in=people).order_by("id").values_list("person_id", "number"):
        phones[pk].append(number)
    for pk, postcode in Address.objects.filter(person__in=people).exclude(postcode="").order_by("id").values_list("person_id", "postcode"):
        postcodes[pk].append(postcode)
    return {
        pk: matching.PersonFacts(names=tuple(person_names), date_of_birth=dobs[pk], phones=tuple(phones[pk]), postcodes=tuple(postcodes[pk]))
        for pk, person_names in names.items()
    }


def references(marac, year, count):
    """`count` new case references for the Marac and year, as `services.next_reference`
    issues them one at a time: the counter row locked, numbers only going up, numbers a
    case already holds skipped."""
    prefix = services.reference_prefix(marac, year)
    counter, created = ReferenceCounter.objects.select_for_update().get_or_create(prefix=prefix)
    if created:
        counter.last_number = services._highest_number_in_use(prefix)
    in_use = set(Case.objects.filter(reference__startswith=prefix).values_list("reference", flat=True))
    issued, number = [], counter.last_number
    while len(issued) < count:
        number += 1
        reference = f"{prefix}{number:04d}"
        if reference not in in_use:
            issued.append(reference)
    counter.last_number = number
    counter.save(update_fields=["last_number"])
    return issued


class _Row:
    """One referral of a batch with the rows written for it, as dicts of column values,
    their ids taken from those reserved for the file (`_Numbers`)."""

    def __init__(self, line, data, marac, numbers):
        self.line = line
        self.data = data
        self.victim = _person(marac, data.victim, numbers)
        self.perpetrators = [_person(marac, linked.data, numbers) for linked in data.perpetrators]
        self.children = [_person(marac, linked.data, numbers) for linked in data.children]

    def people(self):
        """(person row, PersonData) in the order referral_record creates them."""
        yield self.victim, self.data.victim
        yield from zip(self.perpetrators, (linked.data for linked in self.data.perpetrators))
        yield from zip(self.children, (linked.data for linked in self.data.children))


def _person(marac, data, numbers):
    return {"id": next(numbers.person_ids), "marac_id": marac.pk, **people_services.person_fields(data)}


class _Numbers:
    """The ids and case references of a whole file, reserved before anything is written
    so that making the batches needs no query: they are handed out in the file's order,
    which is the order recording them one at a time would give."""

    def __init__(self, marac, rows):
        people = sum(1 + len(data.perpetrators) + len(data.children) for _, data in rows)
        self.person_ids = iter(reserve_ids(Person, people))
        self.case_ids = iter(reserve_ids(Case, len(rows)))
        self.referral_ids = iter(reserve_ids(Referral, len(rows)))
        years = defaultdict(int)
        for _, data in rows:
            years[data.referred_on.year] += 1
        # Issued in a block per year; within a year in the file's order.
        self._references = {year: iter(references(marac, year, count)) for year, count in sorted(years.items())}

    def reference(self, year):
        return next(self._references[year])


def record_referrals(*, marac, rows, recorded_by, index=None, batch_size=None, progress=None):
    """Record [(line, ReferralData)] as `services.referral_record` would with by=None and
    notify_agencies=False. Returns (created, [(line, source key, problems)]): a row whose
    data no longer passes `referral_problems` (the day changed since parsing) is left
    out. `progress(n)`, if given, is called after each batch. Call inside a transaction.

    Each batch is made in Python (people, keys, matching, the referral's rows) and then
    written by a RowWriter on this connection from a thread of its own, while the next
    batch is made: PostgreSQL takes in one batch on one core as Python makes the next on
    the other. Nothing else touches the database meanwhile, so the ids and references
    are reserved first. Once the transaction commits, the search for likely matches in
    other Maracs is enqueued for the worker, when there are other Maracs."""
    batch_size = batch_size or BATCH_SIZE
    marac = Marac.objects.select_for_update(no_key=True).get(pk=marac.pk)  # NO KEY: see services.referral_record
    index = index or PeopleIndex(marac)
    agencies = {kind: services.agency_of_kind(marac, kind) for kind in (AgencyKind.IDVA, AgencyKind.CHILDRENS_SOCIAL_CARE)}
    good, rejected = [], []
    today = timezone.localdate()  # once: see referral_problems
    for line, data in rows:
        problems = referral_problems(marac=marac, data=data, today=today)
        if problems:
            rejected.append((line, data.source_key, ValidationError(problems).messages))
        else:
            good.append((line, data))
    numbers = _Numbers(marac, good)
    _check_foreign_keys_per_statement(True)
    referral_ids = []
    with RowWriter() as writer:
        for start in range(0, len(good), batch_size):
            batch = [_Row(line, data, marac, numbers) for line, data in good[start:start + batch_size]]
            writer.submit(_record_batch(marac, batch, recorded_by, index, agencies, numbers))
            referral_ids += [row.referral["id"] for row in batch]
            if progress:
                progress(len(batch))
    _check_foreign_keys_per_statement(False)
    if referral_ids and Marac.objects.exclude(pk=marac.pk).exists():
        transaction.on_commit(lambda: _search_other_maracs_later(referral_ids))
    return len(good), rejected


def _search_other_maracs_later(referral_ids):
    task = tasks.search_other_maracs
    if task.get_backend().supports_priority:
        task = task.using(priority=ELSEWHERE_TASK_PRIORITY)
    for start in range(0, len(referral_ids), ELSEWHERE_TASK_SIZE):
        task.enqueue(referral_ids=referral_ids[start:start + ELSEWHERE_TASK_SIZE])


def _check_foreign_keys_per_statement(per_statement):
    """On PostgreSQL, check the foreign keys as each statement ends (each COPY, in the
    writer's thread while the next batch is made) rather than all at COMMIT, after the
    last batch, with nothing else to do meanwhile; then back to Django's way (its
    foreign keys are DEFERRABLE INITIALLY DEFERRED, and no other constraint here is
    deferrable). Each batch writes parents before children."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS ALL {'IMMEDIATE' if per_statement else 'DEFERRED'}")


def _record_batch(marac, rows, recorded_by, index, agencies, numbers):
    """Make a batch's rows (no query) and return the function that writes them."""
    now = timezone.now()
    # People, their details and match keys.
    people = [person for row in rows for person, _ in row.people()]
    aliases, addresses, phones, keys_rows = [], [], [], []
    keys_of = {}
    for row in rows:
        for person, data in row.people():
            pk = person["id"]
            more_aliases, more_addresses, more_phones = people_services.person_details_fields(data)
            for detail in (*more_aliases, *more_addresses, *more_phones):
                detail["person_id"] = pk
            aliases += more_aliases
            addresses += more_addresses
            phones += more_phones
            # Read from the rows about to be written, as facts_for reads them back.
            facts = people_services.person_facts(
                person["given_name"], person["family_name"], person["date_of_birth"],
                aliases=[(alias["given_name"], alias["family_name"]) for alias in more_aliases],
                phones=[phone["number"] for phone in more_phones],
                postcodes=[address["postcode"] for address in more_addresses],
            )
            keys = matching.blocking_keys(facts)
            keys_of[pk] = (facts, keys)
            keys_rows += [{"person_id": pk, "marac_id": marac.pk, "key": key} for key in keys]

    # Cases and referrals, fields as referral_record sets them.
    for row in rows:
        row.case = {"id": next(numbers.case_ids), "marac_id": marac.pk, "reference": numbers.reference(row.data.referred_on.year),
                    "victim_id": row.victim["id"], "last_heard_on": row.data.heard_on}
        row.referral = {"id": next(numbers.referral_ids), **_referral(marac, row.data, row.case["id"], now)}

    referral_people, assessments, involvements, candidates = [], [], set(), []
    idva_referrals, prompts, sharing = [], [], []
    for row in rows:
        data, referral, case_id = row.data, row.referral, row.case["id"]
        referral_id, victim_id = referral["id"], row.victim["id"]
        referral_people.append(dict(referral_id=referral_id, person_id=victim_id, role=ReferralPerson.Role.VICTIM,
                                    note=data.victim_under_16_reason))
        for person, linked in zip(row.perpetrators, data.perpetrators):
            referral_people.append(dict(referral_id=referral_id, person_id=person["id"], role=ReferralPerson.Role.PERPETRATOR,
                                        relationship_to_victim=linked.relationship_to_victim))
        for person, linked in zip(row.children, data.children):
            referral_people.append(dict(
                referral_id=referral_id, person_id=person["id"], role=ReferralPerson.Role.CHILD,
                relationship_to_victim=linked.relationship_to_victim, relationship_to_perpetrator=linked.relationship_to_perpetrator,
                school=linked.school, gp=linked.gp, details_unreliable=linked.details_unreliable,
            ))
        definition = services.checklist_definition(marac, data)
        assessments.append(dict(
            person_id=victim_id, case_id=case_id, referral_id=referral_id, definition_id=definition.id,
            definition_version=definition.version, answers=data.checklist_answers or {},
            professional_judgement=data.checklist_professional_judgement, score=referral["checklist_score"] or 0,
            completed_on=data.referred_on, completed_by_id=None,
        ))
        if data.referring_agency:
            involvements.add((case_id, data.referring_agency.pk, CaseInvolvement.Reason.REFERRED))
        # A row's people join the index just before its matching, as each referral's
        # people are in the database before its matching runs: a row never matches a
        # later one.
        for person, _ in row.people():
            index.add(person["id"], *keys_of[person["id"]])
        for person in [row.victim, *row.perpetrators]:
            pk = person["id"]
            for candidate_id, match in index.candidates(pk, keys_of[pk][1]):
                candidates.append(dict(referral_id=referral_id, new_person_id=pk, candidate_id=candidate_id, score=match.score,
                                       label=match.label, reasons=match.reasons))
        if data.sharing is not None and data.consent_given is False:
            sharing.append((referral_id, data.sharing))
        if data.heard_on:
            continue
        idva_referrals.append(dict(
            referral_id=referral_id, idva_agency_id=_pk(agencies[AgencyKind.IDVA]),
            first_contact_due=now + timedelta(hours=IdvaReferral.FIRST_CONTACT_TARGET_HOURS),
        ))
        if agencies[AgencyKind.IDVA]:
            involvements.add((case_id, agencies[AgencyKind.IDVA].pk, CaseInvolvement.Reason.IDVA_REFERRAL))
        if data.children:
            csc = agencies[AgencyKind.CHILDRENS_SOCIAL_CARE]
            prompts.append(dict(referral_id=referral_id, agency_id=_pk(csc)))
            if csc:
                involvements.add((case_id, csc.pk, CaseInvolvement.Reason.CHILDREN_REFERRAL))
    audit_events = [
        dict(action=audit.Action.CREATED, actor=recorded_by, record_type=Referral._meta.label_lower, record_id=str(row.referral["id"]),
             marac=marac, summary="Referral recorded")
        for row in rows
    ]

    def write():
        # Parents before children, as the foreign keys need at COMMIT.
        insert_rows(Person, people)
        insert_rows(Alias, aliases)
        insert_rows(Address, addresses)
        insert_rows(Phone, phones)
        # In key order: PostgreSQL then adds to its key index page after page.
        insert_rows(PersonMatchKey, sorted(keys_rows, key=itemgetter("key")))
        insert_rows(Case, [row.case for row in rows])
        insert_rows(Referral, [row.referral for row in rows])
        insert_rows(ReferralPerson, referral_people)
        insert_rows(RiskAssessment, assessments)
        insert_rows(CaseInvolvement, [
            dict(case_id=case_id, agency_id=agency_id, reason=reason) for case_id, agency_id, reason in sorted(involvements)
        ])
        insert_rows(MatchCandidate, candidates)
        insert_rows(IdvaReferral, idva_referrals)
        insert_rows(ChildrenReferralPrompt, prompts)
        if sharing:
            # Rare in a history file (consent refused): through the service, one at a time.
            referrals = Referral.objects.in_bulk([referral_id for referral_id, _ in sharing])
            for referral_id, decision in sharing:
                services._record_sharing_decision(referrals[referral_id], decision, by=None)
        audit.record_many(audit_events)

    return write


def _pk(instance):
    return instance.pk if instance else None


def _referral(marac, data, case_id, now):
    """The referral's columns, as referral_record sets them."""
    score = services._score(marac, data)
    criteria = services._criteria(marac, data, score)
    perpetrator_ages = [age_on(p.data.date_of_birth, data.referred_on) for p in data.perpetrators]
    return dict(
        case_id=case_id, marac_id=marac.pk, status=Referral.Status.HEARD if data.heard_on else Referral.Status.AWAITING_LISTING, draft={},
        source_key=data.source_key, referrer_id=None, referring_agency_id=_pk(data.referring_agency),
        referring_agency_kind=data.referring_agency_kind or (data.referring_agency.kind if data.referring_agency else ""),
        referrer_name=data.referrer_name, referrer_phone=data.referrer_phone, referrer_email=data.referrer_email,
        referred_on=data.referred_on, disclosed_on=data.disclosed_on, submitted_at=now, reasons=data.reasons,
        meets_visible_high_risk=criteria.visible_high_risk, meets_professional_judgement=criteria.professional_judgement,
        meets_escalation=criteria.escalation, meets_repeat=criteria.repeat, repeat_declared=data.repeat_declared,
        professional_judgement_rationale=data.professional_judgement_rationale,
        police_incidents_last_12_months=data.police_incidents_last_12_months, checklist_score=score,
        previous_marac_reference=data.previous_marac_reference, previous_other_marac=data.previous_other_marac,
        victim_aware=data.victim_aware, victim_not_aware_reason=data.victim_not_aware_reason, consent_given=data.consent_given,
        victim_afraid_of=data.victim_afraid_of, safe_to_talk_to=data.safe_to_talk_to, unsafe_to_talk_to=data.unsafe_to_talk_to,
        victim_age=age_on(data.victim.date_of_birth, data.referred_on), victim_gender=data.victim.gender,
        victim_racially_minoritised=data.victim.racially_minoritised, victim_disabled=data.victim.disabled,
        victim_lgbt=data.victim.lgbt,
        youngest_perpetrator_age=min((a for a in perpetrator_ages if a is not None), default=None),
        children_count=len(data.children), heard_on=data.heard_on,
    )
