"""core.rows.insert_rows writes what saving the model would (on PostgreSQL COPY, or an
INSERT for a single row; executemany elsewhere), and leaves the table's ids in step; RowWriter writes from a
thread of its own in the caller's transaction."""

import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from openmarac.core.rows import RowWriter, insert_rows, reserve_ids
from openmarac.people.models import Person
from openmarac.referrals.models import Case, Referral


def _columns(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields
            if f.attname not in {"id", "public_id", "created_at", "updated_at", "case_id", "reference", "source_key"}}


@pytest.mark.parametrize("count", [1, 3])
def test_rows_get_what_a_save_would_give_them(marac, count):
    victim = Person.objects.create(marac=marac, given_name="Ann", family_name="Reed")
    case = Case.objects.create(marac=marac, reference="NS-0001", victim=victim)
    saved = Referral.objects.create(marac=marac, case=case, source_key="saved", referred_on=timezone.localdate())
    before = timezone.now()
    rows = [{"marac_id": marac.pk, "case_id": case.pk, "source_key": f"row-{n}", "referred_on": timezone.localdate()} for n in range(count)]
    ids = insert_rows(Referral, rows, ids=True)

    assert ids == [row["id"] for row in rows] and len(set(ids)) == count and min(ids) > saved.pk
    written = Referral.objects.filter(pk__in=ids).order_by("pk")
    assert [r.source_key for r in written] == [f"row-{n}" for n in range(count)]
    for referral in written:
        # Defaults (a JSON default, a status), a new public id each, the times now.
        assert _columns(referral) == _columns(saved)
        assert isinstance(referral.public_id, uuid.UUID) and referral.public_id != saved.public_id
        assert referral.created_at >= before and referral.updated_at >= before
    assert len({r.public_id for r in written}) == count


def test_a_row_saved_after_an_insert_gets_a_fresh_id(marac):
    rows = [{"marac_id": marac.pk, "given_name": f"P{n}", "family_name": "Reed"} for n in range(5)]
    ids = insert_rows(Person, rows, ids=True)
    later = Person.objects.create(marac=marac, given_name="Later", family_name="Reed")
    assert later.pk > max(ids)
    # Without ids the database numbers the rows, after the ones before.
    assert insert_rows(Person, [{"marac_id": marac.pk, "given_name": "Q", "family_name": "Reed"}]) == []
    assert Person.objects.order_by("-pk").first().given_name == "Q"


def test_nothing_to_insert_writes_nothing(marac):
    assert insert_rows(Person, [], ids=True) == []
    assert not Person.objects.exists()


def test_a_writer_runs_the_jobs_in_order_in_the_callers_transaction(marac):
    written = []

    def job(name):
        def write():
            insert_rows(Person, [{"marac_id": marac.pk, "given_name": name, "family_name": "Reed"}])
            written.append(name)
        return write

    with pytest.raises(RuntimeError), transaction.atomic():
        with RowWriter() as writer:
            for name in ("A", "B", "C"):
                writer.submit(job(name))
        assert written == ["A", "B", "C"]
        assert list(Person.objects.order_by("pk").values_list("given_name", flat=True)) == ["A", "B", "C"]
        raise RuntimeError("roll back")
    # The writer's rows went with the caller's transaction.
    assert not Person.objects.exists()


def test_a_writers_error_is_raised_in_the_caller_and_the_jobs_after_it_are_not_run(marac):
    ids = reserve_ids(Person, 1)
    row = {"id": ids[0], "marac_id": marac.pk, "given_name": "Ann", "family_name": "Reed"}
    later = []
    with pytest.raises(IntegrityError), transaction.atomic():
        with RowWriter() as writer:
            writer.submit(lambda: insert_rows(Person, [dict(row)]))
            writer.submit(lambda: insert_rows(Person, [dict(row)]))  # the same id again
            writer.submit(lambda: later.append("ran"))
    assert later == []
    assert not Person.objects.exists()
