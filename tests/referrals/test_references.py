"""A case reference belongs to one case for ever (issue 15): unique across the
deployment, never reused after a transfer, an import, a merge or a deletion."""

import importlib
import tempfile
import threading
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps as current_apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmarac.accounts.models import AgencyKind, Role
from openmarac.audit import services as audit
from openmarac.audit.models import AuditEvent
from openmarac.audit.services import verify_chain
from openmarac.referrals import importer, services, transfer
from openmarac.referrals.models import Case, ReferenceCounter
from openmarac.synthetic.referrals import ReferralGenerator

from ..factories import MaracFactory, marac_with_core_agencies, member
from .test_import import _row, _write

YEAR = date.today().year


def _refer(marac, referrer, generator):
    data = generator.referral(marac=marac, referring_agency=referrer.agency, referred_on=date(YEAR, 1, 15))
    return services.referral_record(marac=marac, data=data, by=referrer).case


def _import(marac, coordinator, generator, directory, key):
    police = coordinator.agency
    data = generator.referral(marac=marac, referring_agency=police, referred_on=date(YEAR, 1, 15))
    path = _write(Path(directory), [_row(marac, data, key)], name=f"{key}.csv")
    report = importer.import_file(path, marac=marac, by=coordinator)
    assert (report.created, report.rejects) == (1, []), report.rejects
    return Case.objects.get(referrals__source_key=key)


def _transfer(case, *, sending, receiving):
    request = transfer.transfer_request(by=sending, case=case, to_marac=receiving.memberships.get().marac, reason="Victim moved")
    transfer.transfer_decide(by=receiving, transfer=request, accept=True)
    case.refresh_from_db()


@pytest.fixture
def two_maracs(marac, other_marac, intake):
    marac_with_core_agencies(other_marac)
    return {
        "referrer": intake["referrer"],
        "coordinator": intake["coordinator"],
        "receiving": member(other_marac, Role.COORDINATOR, agency_kind=AgencyKind.IDVA),
    }


def test_after_the_newest_case_transfers_out_the_next_referral_gets_a_new_number(marac, two_maracs, generator):
    cases = [_refer(marac, two_maracs["referrer"], generator) for _ in range(3)]
    newest = cases[-1]
    _transfer(newest, sending=two_maracs["coordinator"], receiving=two_maracs["receiving"])
    assert newest.reference == f"NORT-{YEAR}-0003"  # it keeps its reference in the new Marac
    following = _refer(marac, two_maracs["referrer"], generator)
    assert following.reference == f"NORT-{YEAR}-0004"
    assert Case.objects.filter(reference=newest.reference).count() == 1


def test_after_an_older_case_transfers_out_the_sending_marac_still_takes_referrals_by_form_and_import(
    tmp_path, marac, two_maracs, generator
):
    cases = [_refer(marac, two_maracs["referrer"], generator) for _ in range(3)]
    _transfer(cases[0], sending=two_maracs["coordinator"], receiving=two_maracs["receiving"])
    by_form = _refer(marac, two_maracs["referrer"], generator)
    by_import = _import(marac, two_maracs["coordinator"], generator, tmp_path, "POL-77")
    assert [by_form.reference, by_import.reference] == [f"NORT-{YEAR}-0004", f"NORT-{YEAR}-0005"]
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 5


def test_a_number_freed_by_a_deletion_is_not_issued_again(marac, intake, generator):
    first = _refer(marac, intake["referrer"], generator)
    second = _refer(marac, intake["referrer"], generator)
    Case.objects.filter(pk=second.pk).update(reference="GONE")  # as if deleted or merged away
    assert _refer(marac, intake["referrer"], generator).reference == f"NORT-{YEAR}-0003"
    assert first.reference == f"NORT-{YEAR}-0001"


def test_a_number_already_held_by_an_arriving_case_is_skipped(marac, other_marac, intake, generator):
    """Another Marac whose slug starts alike shares the prefix; a case arriving with one
    of its numbers is never given that number again."""
    northdale = MaracFactory(name="Northdale Marac", slug="northdale")
    marac_with_core_agencies(northdale)
    northdale_referrer = member(northdale, Role.REFERRER)
    assert _refer(marac, intake["referrer"], generator).reference == f"NORT-{YEAR}-0001"
    assert _refer(northdale, northdale_referrer, generator).reference == f"NORT-{YEAR}-0002"
    ReferenceCounter.objects.filter(prefix=f"NORT-{YEAR}-").update(last_number=0)  # a counter reset by mistake
    assert _refer(marac, intake["referrer"], generator).reference == f"NORT-{YEAR}-0003"


def test_the_database_refuses_a_second_case_with_a_reference(marac, other_marac, intake, generator):
    case = _refer(marac, intake["referrer"], generator)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(marac=other_marac, reference=case.reference, victim=case.victim)


# --- Any sequence of referrals, transfers and imports --------------------------------

STEPS = st.lists(
    st.tuples(st.sampled_from(["refer", "import", "transfer"]), st.integers(min_value=0, max_value=1), st.integers(min_value=0, max_value=50)),
    min_size=1,
    max_size=8,
)


@pytest.fixture
def shared_prefix_world(db):
    """Two Maracs whose references share a prefix (NORT-), each with a referrer and a
    coordinator, so a transfer either way and an import in either are possible."""
    world = []
    for name, slug in [("Northshire Marac", "northshire"), ("Northdale Marac", "northdale")]:
        marac = marac_with_core_agencies(MaracFactory(name=name, slug=slug))
        world.append(
            {
                "marac": marac,
                "referrer": member(marac, Role.REFERRER),
                "coordinator": member(marac, Role.COORDINATOR, agency_kind=AgencyKind.POLICE),
            }
        )
    return world


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_any_sequence_of_referrals_transfers_and_imports_keeps_references_unique(shared_prefix_world, steps):
    generator = ReferralGenerator(seed=len(steps))
    issued = set()
    with tempfile.TemporaryDirectory() as directory, transaction.atomic():
        for index, (step, side, pick) in enumerate(steps):
            here, there = shared_prefix_world[side], shared_prefix_world[1 - side]
            if step == "refer":
                case = _refer(here["marac"], here["referrer"], generator)
            elif step == "import":
                case = _import(here["marac"], here["coordinator"], generator, directory, f"ROW-{index}")
            else:
                movable = list(Case.objects.filter(marac=here["marac"]).order_by("pk"))
                if not movable:
                    continue
                case = movable[pick % len(movable)]
                before = case.reference
                _transfer(case, sending=here["coordinator"], receiving=there["coordinator"])
                assert case.reference == before
                continue
            assert case.reference not in issued  # never a number issued before
            issued.add(case.reference)
            references = list(Case.objects.values_list("reference", flat=True))
            assert len(references) == len(set(references))
        transaction.set_rollback(True)


# --- Two referrals at once (PostgreSQL: SQLite serialises every write) ---------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_referrals_at_once_get_different_references(marac, intake):
    datas = [ReferralGenerator(seed=seed).referral(marac=marac, referring_agency=intake["referrer"].agency, referred_on=date(YEAR, 2, 1)) for seed in (1, 2)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def refer(data):
        try:
            barrier.wait(timeout=30)
            results.append(services.referral_record(marac=marac, data=data, by=intake["referrer"]).case.reference)
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refer, args=(data,)) for data in datas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [f"NORT-{YEAR}-0001", f"NORT-{YEAR}-0002"]



@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_audited_read_of_the_marac_goes_on_while_a_referral_is_recorded(marac, intake, generator, monkeypatch):
    """Recording a referral locks its Marac row; another request's audit event (which
    refers to the Marac, under the audit chain's lock) must not wait for it: with a
    plain FOR UPDATE the two deadlocked under the load test (bench/load_bench.py)."""
    outcome = []

    def another_request_audits():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '10s'")  # a bound, so a regression fails rather than hangs
                audit.record(action=audit.Action.VIEWED, actor=intake["coordinator"], marac=marac, summary="Case list")
            outcome.append("recorded")
        except Exception as error:  # reported below; a thread cannot fail the test itself
            outcome.append(error)
        finally:
            connection.close()

    numbered = services.next_reference

    def next_reference(*args, **kwargs):  # called with the Marac row locked
        thread = threading.Thread(target=another_request_audits)
        thread.start()
        thread.join()
        return numbered(*args, **kwargs)

    monkeypatch.setattr(services, "next_reference", next_reference)
    _refer(marac, intake["referrer"], generator)
    assert outcome == ["recorded"]
    assert verify_chain().whole

# --- Repairing duplicates left by the old numbering ----------------------------------

MIGRATION = importlib.import_module("openmarac.referrals.migrations.0003_case_reference_unique")


@pytest.mark.django_db(transaction=True)
def test_the_migration_renumbers_the_later_of_two_cases_sharing_a_reference_and_audits_it(marac, other_marac, intake, generator):
    first = _refer(marac, intake["referrer"], generator)
    second = _refer(marac, intake["referrer"], generator)
    executor = MigrationExecutor(connection)
    before = [("referrals", "0002_casetransfer")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldCase = old_apps.get_model("referrals", "Case")
    try:
        # What the old numbering did: the second case moved away and a later referral
        # took its number.
        OldCase.objects.filter(pk=second.pk).update(marac_id=other_marac.pk)
        third = OldCase.objects.create(marac_id=marac.pk, reference=second.reference, victim_id=first.victim_id)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    references = dict(Case.objects.values_list("pk", "reference"))
    assert references[first.pk] == f"NORT-{YEAR}-0001"
    assert references[second.pk] == f"NORT-{YEAR}-0002"  # the earlier case keeps its number
    assert references[third.pk] == f"NORT-{YEAR}-0003"
    event = AuditEvent.objects.get(record_type="referrals.case", record_id=str(third.pk), action=AuditEvent.Action.CHANGED)
    assert f"NORT-{YEAR}-0002" in event.summary and f"NORT-{YEAR}-0003" in event.summary
    assert verify_chain().whole
    call_command("verify_audit")
    # The counter starts above every number in use, so the next referral is new.
    assert _refer(marac, intake["referrer"], generator).reference == f"NORT-{YEAR}-0004"


@pytest.mark.django_db
def test_the_repair_leaves_unique_references_alone(marac, intake, generator):
    _refer(marac, intake["referrer"], generator)
    assert MIGRATION.repair_duplicate_references(current_apps) == []
