import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from openmarac.accounts.models import Role
from openmarac.audit import services as audit
from openmarac.audit.models import AppendOnlyError, AuditEvent


@pytest.fixture
def events(make_member):
    user = make_member(Role.COORDINATOR)
    for i in range(5):
        audit.record(action=audit.Action.VIEWED, actor=user, obj=user, summary=f"view {i}")
    return list(AuditEvent.objects.order_by("id"))


def test_each_row_links_to_the_one_before(events):
    for before, after in zip(events, events[1:]):
        assert after.previous_hash == before.row_hash
    assert audit.verify_chain().whole


def test_events_record_who_what_and_when(events, make_member):
    event = events[-1]
    assert event.actor_label.endswith("@agency.example")
    assert event.role_label == "coordinator"
    assert event.agency_label
    assert event.occurred_at.tzinfo is not None


def test_the_application_cannot_change_or_delete_events(events):
    with pytest.raises(AppendOnlyError):
        events[0].save()
    with pytest.raises(AppendOnlyError):
        events[0].delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=events[0].pk).update(summary="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def _tamper(sql, params):
    """Change a row behind the application's back (on PostgreSQL, with the trigger
    bypassed, as only a database superuser could)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_verify_audit_reports_a_changed_row(events, capsys):
    call_command("verify_audit")
    assert "Audit chain is whole: 5 events checked" in capsys.readouterr().out
    _tamper("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["nothing to see", events[2].pk])
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")
    assert f"broken at event {events[2].pk}" in str(error.value)
    assert "content does not match" in str(error.value)


def test_verify_audit_reports_a_removed_row(events):
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = audit.verify_chain()
    assert report.first_break_id == events[2].pk
    assert report.checked == 1


@pytest.mark.postgresql
@pytest.mark.parametrize("sql", ["UPDATE audit_auditevent SET summary = 'x'", "DELETE FROM audit_auditevent"])
def test_postgresql_refuses_update_and_delete(events, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 5


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_requests_appending_at_once_keep_one_unbroken_chain(make_member):
    """Appends take turns by a lock, taken in the round trip that reads the last row:
    each sees the row the one before it committed, so no two link to the same row."""
    import threading

    user = make_member(Role.COORDINATOR)
    barrier = threading.Barrier(4)
    errors = []

    def append(worker):
        try:
            barrier.wait(timeout=30)
            for i in range(25):
                audit.record(action=audit.Action.VIEWED, actor=user, obj=user, summary=f"worker {worker}, view {i}")
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) == 100
    assert len({event.previous_hash for event in events}) == 100
    assert audit.verify_chain().whole
