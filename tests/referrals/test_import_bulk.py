"""The importer's batched recording (referrals.bulk) writes what recording the referrals
one at a time with services.referral_record writes, in a number of queries that does
not grow with the rows."""

import dataclasses
import os
import re
from datetime import date, timedelta

import django_rq
import pytest
import redis
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult
from django.test.utils import CaptureQueriesContext

from openmarac.accounts.models import Marac
from openmarac.audit import services as audit
from openmarac.audit.models import AuditEvent
from openmarac.core.rows import insert_rows, reserve_ids
from openmarac.people.models import Alias, Person, PersonMatchKey
from openmarac.people.services import PersonData
from openmarac.referrals import bulk, services
from openmarac.people.services import person_create
from openmarac.referrals.services import LinkedPerson, SharingDecisionData
from openmarac.notifications.tasks import send_email
from openmarac.referrals.tasks import search_other_maracs
from openmarac.referrals.models import (
    Case, CaseInvolvement, LegalGround, ChildrenReferralPrompt, IdvaReferral, MatchCandidate, OtherMaracMatch, ReferenceCounter, Referral,
    SharingDecision,
)
from openmarac.risk.models import RiskAssessment
from ..factories import MaracFactory

DAY = date.today() - timedelta(days=30)


def _describe(person):
    return (person.given_name, person.family_name, person.date_of_birth)


def _person_fields(person):
    """Every column of a person but its ids: a field one path forgets shows here."""
    return {f.name: getattr(person, f.attname) for f in Person._meta.concrete_fields if f.name not in {"id", "public_id", "same_as", "created_at", "updated_at"}}


def _columns(instance, *, leave_out=()):
    """Every column but ids and times (which differ between two runs), by name."""
    return sorted(
        (f.name, getattr(instance, f.attname)) for f in type(instance)._meta.concrete_fields
        if not (f.primary_key or f.is_relation or f.name in {"public_id", "created_at", "updated_at", "recorded_at", *leave_out})
    )


def _details(person):
    """A person's aliases, addresses and phones, every column."""
    return (
        sorted(_columns(alias) for alias in person.aliases.all()),
        sorted(_columns(address) for address in person.addresses.all()),
        sorted(_columns(phone) for phone in person.phones.all()),
    )


def _snapshot():
    """Everything recorded for the referrals with a source key, told by names rather than ids."""
    state = {}
    for referral in Referral.objects.exclude(source_key="").select_related("case__victim").order_by("source_key"):
        people = sorted(
            (rp.role, _describe(rp.person), rp.relationship_to_victim, rp.school, rp.gp, rp.details_unreliable,
             sorted(_person_fields(rp.person).items(), key=str), _details(rp.person), _columns(rp))
            for rp in referral.people.select_related("person")
        )
        candidates = sorted(
            (_describe(c.new_person), _describe(c.candidate), c.label, round(c.score, 6), tuple(c.reasons))
            for c in MatchCandidate.objects.filter(referral=referral).select_related("new_person", "candidate")
        )
        keys = sorted(
            (_describe(k.person), k.key) for k in PersonMatchKey.objects.filter(person__referral_roles__referral=referral).select_related("person")
        )
        fields = {
            f.name: getattr(referral, f.attname)
            for f in Referral._meta.concrete_fields
            if f.name not in {"id", "public_id", "case", "submitted_at", "created_at", "updated_at"}
        }
        state[referral.source_key] = {
            "fields": fields,
            "people": people,
            "candidates": candidates,
            "keys": keys,
            "victim": _describe(referral.case.victim),
            "last_heard_on": referral.case.last_heard_on,
            "risk": list(RiskAssessment.objects.filter(referral=referral).values_list("score", "answers", "definition_id", "case__reference")),
            "involvements": sorted(CaseInvolvement.objects.filter(case=referral.case).values_list("agency_id", "reason")),
            "idva": [(_columns(i, leave_out={"first_contact_due"}), i.idva_agency_id, i.first_contact_due - referral.submitted_at)
                     for i in IdvaReferral.objects.filter(referral=referral)],
            "children_prompt": [(_columns(p), p.agency_id) for p in ChildrenReferralPrompt.objects.filter(referral=referral)],
            "elsewhere": sorted(OtherMaracMatch.objects.filter(referral=referral).values_list("other_marac_id", "role")),
            "case": (_columns(referral.case, leave_out={"reference"}), referral.case.merged_into_id),
            "risk_columns": [_columns(r) for r in RiskAssessment.objects.filter(referral=referral)],
            "candidate_columns": sorted(_columns(c) for c in MatchCandidate.objects.filter(referral=referral)),
            "sharing": [_columns(d) for d in SharingDecision.objects.filter(referral=referral)],
        }
    return state


@pytest.fixture
def file_rows(marac, intake, generator):
    """Referrals for a file: a victim already known to the Marac, a victim referred twice
    in the file (the second should match the first), and a few strangers."""
    police = intake["chair"].agency
    known = generator.referral(marac=marac, referring_agency=police, referred_on=DAY - timedelta(days=200))
    services.referral_record(marac=marac, data=known, by=intake["referrer"])
    twice = generator.referral(marac=marac, referring_agency=police, referred_on=DAY)
    datas = [
        generator.referral(marac=marac, referring_agency=police, referred_on=DAY, victim=known.victim),
        twice,
        *(generator.referral(marac=marac, referring_agency=police, referred_on=DAY) for _ in range(4)),
        generator.referral(marac=marac, referring_agency=police, referred_on=DAY, victim=twice.victim,
                           perpetrator=twice.perpetrators[0].data),
    ]
    datas[3] = dataclasses.replace(datas[3], heard_on=DAY + timedelta(days=5))
    # A disclosure date, an unborn child and a child's GP: fields a second path could forget.
    unborn = LinkedPerson(PersonData(given_name="Unborn", family_name="Marsh", expected_birth_on=DAY + timedelta(days=90)), relationship_to_victim="Child")
    school_child = LinkedPerson(PersonData(given_name="Alfie", family_name="Marsh"), relationship_to_victim="Child", school="Hill Primary", gp="Dr Rahman")
    datas[4] = dataclasses.replace(datas[4], disclosed_on=DAY - timedelta(days=3), children=[unborn, school_child])
    # Consent refused, so a sharing record; and a victim another Marac knows.
    datas[5] = dataclasses.replace(datas[5], consent_given=False, sharing=SharingDecisionData(
        legal_grounds=[LegalGround.values[0]], review_on=DAY + timedelta(days=28), review_owner=intake["coordinator"],
        caseworker_name="Sam Caseworker", caseworker_signed_on=DAY, manager_name="Alex Manager", manager_signed_on=DAY,
    ))
    person_create(marac=MaracFactory(name="Southshire Marac", slug="southshire"), data=datas[6].victim)
    return [(line, dataclasses.replace(data, source_key=f"SRC-{line}")) for line, data in enumerate(datas, start=2)]


def test_batched_recording_writes_what_one_at_a_time_recording_writes(marac, intake, file_rows, django_capture_on_commit_callbacks):
    with transaction.atomic():
        for _, data in file_rows:
            services.referral_record(marac=marac, data=data, by=None, recorded_by=intake["coordinator"], notify_agencies=False)
        one_at_a_time = _snapshot()
        transaction.set_rollback(True)
    assert not Referral.objects.exclude(source_key="").exists()

    # The search of other Maracs, left to the worker, runs once the import is committed.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        created, refused = bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"], batch_size=3)
    assert (created, refused) == (len(file_rows), [])
    assert _snapshot() == one_at_a_time
    # The matches the file was built to have are there.
    assert MatchCandidate.objects.filter(referral__source_key="SRC-2").exists()
    assert MatchCandidate.objects.filter(referral__source_key="SRC-8").exists()
    assert not MatchCandidate.objects.filter(referral__source_key="SRC-3").exists()  # it matches only later rows
    assert one_at_a_time["SRC-7"]["sharing"] and one_at_a_time["SRC-8"]["elsewhere"]


def test_other_maracs_are_searched_by_the_worker_once_the_import_is_committed(
    marac, intake, file_rows, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # the default queue, as deployed
    monkeypatch.setattr(bulk, "ELSEWHERE_TASK_SIZE", 3)
    with django_capture_on_commit_callbacks() as committed, transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    assert not DBTaskResult.objects.exists()  # nothing queued while the import is open

    for callback in committed:
        callback()
    # An email queued after the import is taken first: the search waits behind it.
    send_email.enqueue(subject="A reminder", body="An action is due.", to=["rep@example.invalid"])
    queued = list(DBTaskResult.objects.ready())  # in the order the worker takes them
    assert [result.task_path for result in queued] == [send_email.module_path] + [search_other_maracs.module_path] * 3
    ids = list(Referral.objects.filter(source_key__startswith="SRC-").order_by("id").values_list("id", flat=True))
    assert [result.args_kwargs["kwargs"] for result in queued[1:]] == [
        {"referral_ids": ids[0:3]}, {"referral_ids": ids[3:6]}, {"referral_ids": ids[6:7]}
    ]
    assert not OtherMaracMatch.objects.exists()

    for result in queued[1:]:
        result.task.call(**result.args_kwargs["kwargs"])
    southshire = Marac.objects.get(slug="southshire")
    # The victim of SRC-3, and of SRC-8, referred again, is known in Southshire.
    matches = sorted(OtherMaracMatch.objects.values_list("referral__source_key", "other_marac", "role"))
    assert matches == [("SRC-3", southshire.pk, "victim"), ("SRC-8", southshire.pk, "victim")]
    # A task run again (a retry) adds nothing.
    assert services.other_marac_matches_record(referral_ids=ids) == 2
    assert OtherMaracMatch.objects.count() == 2


def test_on_redis_the_search_is_queued_in_turn(marac, intake, file_rows, django_capture_on_commit_callbacks, monkeypatch, settings):
    """RQ has no priorities (django-tasks refuses a task that asks for one): there the
    tasks are queued as they are."""
    redis_url = os.environ.get("OPENMARAC_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    redis.Redis.from_url(redis_url).flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    monkeypatch.setattr(bulk, "ELSEWHERE_TASK_SIZE", 3)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    assert django_rq.get_queue("default").count == 3


def test_an_import_rolled_back_leaves_nothing_for_the_worker(marac, intake, file_rows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as committed, transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
        transaction.set_rollback(True)
    assert committed == []


def test_with_no_other_marac_nothing_is_left_for_the_worker(marac, intake, file_rows, django_capture_on_commit_callbacks):
    Person.objects.filter(marac__slug="southshire").delete()
    PersonMatchKey.objects.exclude(marac=marac).delete()
    Marac.objects.filter(slug="southshire").delete()
    with django_capture_on_commit_callbacks() as committed, transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    assert committed == []


def test_every_referral_is_audited_and_the_chain_holds(marac, intake, file_rows):
    with transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    events = AuditEvent.objects.filter(record_type="referrals.referral", summary="Referral recorded", actor=intake["coordinator"])
    assert sorted(int(e.record_id) for e in events) == sorted(Referral.objects.exclude(source_key="").values_list("pk", flat=True))
    assert audit.verify_chain().first_break_id is None


def test_references_come_in_a_block_skipping_numbers_in_use(marac, intake, file_rows):
    prefix = services.reference_prefix(marac, DAY.year)
    counter = ReferenceCounter.objects.get_or_create(prefix=prefix)[0]
    start = counter.last_number
    # A case that arrived with a reference of its own, two numbers on.
    Case.objects.create(marac=marac, reference=f"{prefix}{start + 2:04d}", victim=Person.objects.first())
    with transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    issued = sorted(Referral.objects.exclude(source_key="").values_list("case__reference", flat=True))
    expected = [f"{prefix}{n:04d}" for n in range(start + 1, start + len(file_rows) + 2) if n != start + 2]
    assert issued == expected
    counter.refresh_from_db()
    assert counter.last_number == start + len(file_rows) + 1
    # The next referral recorded one at a time carries on from the block.
    assert services.next_reference(marac, DAY.year) == f"{prefix}{start + len(file_rows) + 2:04d}"


def test_a_row_refused_when_recording_is_left_out_and_reported(marac, intake, file_rows, monkeypatch):
    check = services.referral_problems

    def refuse_one(*, data, **kwargs):
        return {"referred_on": "The referral date cannot be in the future"} if data.source_key == "SRC-4" else check(data=data, **kwargs)

    monkeypatch.setattr(bulk, "referral_problems", refuse_one)
    with transaction.atomic():
        created, refused = bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
    assert created == len(file_rows) - 1
    assert refused == [(4, "SRC-4", ["The referral date cannot be in the future"])]
    assert not Referral.objects.filter(source_key="SRC-4").exists()


def test_queries_do_not_grow_with_the_rows(marac, intake, generator):
    police = intake["chair"].agency

    def rows(n, first):
        return [
            (line, dataclasses.replace(generator.referral(marac=marac, referring_agency=police, referred_on=DAY, children=1),
                                       source_key=f"Q-{line}"))
            for line in range(first, first + n)
        ]

    counts = []
    # The first import of a year also makes its reference counter: not measured.
    for n, first in ((1, 1), (20, 2), (60, 100)):
        index = bulk.PeopleIndex(marac)
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            bulk.record_referrals(marac=marac, rows=rows(n, first), recorded_by=intake["coordinator"], index=index)
        counts.append(len(_statements(queries)))
    assert counts[1] == counts[2]


def _statements(queries):
    """The statements run, with a bulk insert split into several (SQLite's limit on
    parameters) counted once: what grows with the rows would be a query per row."""
    shapes = [re.sub(r'"s\d+_x\d+"', "SAVEPOINT", q["sql"]).split(" VALUES")[0].split(" SELECT * FROM UNNEST")[0]
              for q in queries.captured_queries]
    return [shape for i, shape in enumerate(shapes) if i == 0 or shape != shapes[i - 1]]


@pytest.mark.postgresql
def test_foreign_keys_are_checked_at_commit_again_after_an_import(marac, intake, file_rows):
    # The import checks them as each COPY ends; what follows in the same transaction
    # gets Django's deferred checks back, so a child may be written before its parent.
    with transaction.atomic():
        bulk.record_referrals(marac=marac, rows=file_rows, recorded_by=intake["coordinator"])
        person_id = reserve_ids(Person, 1)[0]
        insert_rows(Alias, [{"person_id": person_id, "given_name": "Sal", "family_name": "Reed"}])
        insert_rows(Person, [{"id": person_id, "marac_id": marac.pk, "given_name": "Sally", "family_name": "Reed"}])
    assert Person.objects.get(pk=person_id).aliases.get().given_name == "Sal"
