"""Queries compiled once per process (core.compiled): the same rows as the ORM, and a
query whose SQL would not follow its values is refused."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from openmarac.core import compiled
from openmarac.meetings.models import Meeting
from openmarac.referrals.models import Referral

LONDON = ZoneInfo("Europe/London")


def _referrals_query(*, marac_id, start, end):
    return (
        Referral.objects.filter(marac=marac_id, referred_on__gte=start, referred_on__lte=end)
        .values("referred_on")
        .annotate(n=Count("pk"), urgent=Count("pk", filter=Q(meets_repeat=True)))
        .order_by("referred_on")
    )


def _meetings_query(*, marac_id, before):
    return Meeting.objects.filter(marac=marac_id, starts_at__lt=before).values("starts_at", "status").order_by("starts_at")


@pytest.fixture
def history(marac, other_marac):
    for i, (who, day, repeat) in enumerate([(marac, date(2025, 1, 6), True), (marac, date(2025, 1, 6), False), (marac, date(2025, 2, 3), False), (other_marac, date(2025, 1, 6), True), (marac, date(2025, 5, 1), True)]):
        Referral.objects.create(marac=who, referred_on=day, meets_repeat=repeat, source_key=f"c-{i}")
    for day in (3, 10):
        starts_at = datetime(2025, 3, day, 9, 30, tzinfo=LONDON)
        Meeting.objects.create(marac=marac, starts_at=starts_at, research_deadline=starts_at - timedelta(days=2))


@pytest.mark.parametrize("start, end", [(date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 2, 1), date(2025, 12, 31)), (date(2020, 1, 1), date(2020, 1, 2))])
def test_rows_are_the_orm_rows_for_any_values(history, marac, start, end):
    rows = compiled.rows(_referrals_query, marac_id=marac.pk, start=start, end=end)
    assert rows == list(_referrals_query(marac_id=marac.pk, start=start, end=end))
    assert all(isinstance(row["referred_on"], date) for row in rows)  # dates as dates on SQLite too


def test_first_quarter_counted_by_hand(history, marac):
    rows = compiled.rows(_referrals_query, marac_id=marac.pk, start=date(2025, 1, 1), end=date(2025, 3, 31))
    assert rows == [{"referred_on": date(2025, 1, 6), "n": 2, "urgent": 1}, {"referred_on": date(2025, 2, 3), "n": 1, "urgent": 0}]


def test_datetimes_are_bound_like_the_orm_binds_them(history, marac):
    before = datetime(2025, 3, 10, 9, 30, tzinfo=LONDON)  # the second meeting's start: not before itself
    rows = compiled.rows(_meetings_query, marac_id=marac.pk, before=before)
    assert rows == list(_meetings_query(marac_id=marac.pk, before=before))
    assert [row["starts_at"] for row in rows] == [datetime(2025, 3, 3, 9, 30, tzinfo=LONDON)]


def _meetings_on_or_after_query(*, marac_id, day):
    return Meeting.objects.filter(marac=marac_id, starts_at__date__gte=day).values("starts_at").order_by("starts_at")


def test_a_time_s_date_is_read_in_the_current_time_zone(db, marac):
    # 8 pm on 10 March in London is 9 am on 11 March in Auckland.
    starts_at = datetime(2025, 3, 10, 20, 0, tzinfo=LONDON)
    Meeting.objects.create(marac=marac, starts_at=starts_at, research_deadline=starts_at - timedelta(days=2))
    for zone, expected in (("Europe/London", []), ("Pacific/Auckland", [starts_at])):
        with timezone.override(ZoneInfo(zone)):
            rows = compiled.rows(_meetings_on_or_after_query, marac_id=marac.pk, day=date(2025, 3, 11))
            assert rows == list(_meetings_on_or_after_query(marac_id=marac.pk, day=date(2025, 3, 11)))
            assert [row["starts_at"] for row in rows] == expected


def _derives_a_value(*, marac_id, start):
    return Referral.objects.filter(marac=marac_id, referred_on__gte=start - timedelta(days=1)).values("pk")


def _ignores_a_value(*, marac_id, start):
    return Referral.objects.filter(marac=marac_id).values("pk")


def _shape_follows_a_value(*, marac_id, start):
    return Referral.objects.filter(marac=marac_id, pk__in=range(start.day)).values("pk")


@pytest.mark.parametrize("build", [_derives_a_value, _ignores_a_value, _shape_follows_a_value])
def test_a_query_whose_sql_does_not_follow_its_values_is_refused(db, marac, build):
    with pytest.raises(AssertionError, match=build.__name__):
        compiled.rows(build, marac_id=marac.pk, start=date(2025, 1, 6))


def _referral_ids_query(*, marac_id, start):
    return Referral.objects.filter(marac=marac_id, referred_on__gte=start).values("pk")


def _meetings_before_query(*, marac_id, before):
    return Meeting.objects.filter(marac=marac_id, starts_at__lt=before).annotate(n=Count("items")).order_by("starts_at")


@pytest.mark.django_db
@pytest.mark.parametrize("start", [date(2025, 1, 1), date(2025, 2, 1), date(2026, 1, 1)])
def test_sql_as_a_subquery_filters_as_the_orm_does(history, marac, start):
    from django.db.models.expressions import RawSQL

    sql, params = compiled.sql(_referral_ids_query, marac_id=marac.pk, start=start)
    got = set(Referral.objects.filter(pk__in=RawSQL(sql, params)).values_list("pk", flat=True))
    assert got == set(_referral_ids_query(marac_id=marac.pk, start=start).values_list("pk", flat=True))
    assert marac.pk in params  # bound, not written into the SQL


@pytest.mark.django_db
@pytest.mark.parametrize("before", [datetime(2025, 3, 5, tzinfo=LONDON), datetime(2025, 4, 1, tzinfo=LONDON), datetime(2024, 1, 1, tzinfo=LONDON)])
def test_sql_reads_model_instances_with_their_annotations(history, marac, before):
    got = list(Meeting.objects.raw(*compiled.sql(_meetings_before_query, marac_id=marac.pk, before=before)))
    expected = list(_meetings_before_query(marac_id=marac.pk, before=before))
    assert [(m.pk, m.starts_at, m.n) for m in got] == [(m.pk, m.starts_at, m.n) for m in expected]


def _empty_query(*, marac_id):
    return Referral.objects.filter(marac=marac_id, referred_on__isnull=True).values("pk")  # every referral of `history` has a date


@pytest.mark.parametrize("start, end", [(date(2025, 1, 1), date(2025, 3, 31)), (date(2020, 1, 1), date(2020, 1, 2))])
def test_rows_together_are_each_query_s_rows(history, marac, start, end):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = datetime(2025, 3, 10, 9, 30, tzinfo=LONDON)
    queries = [
        (_referrals_query, {"marac_id": marac.pk, "start": start, "end": end}),
        (_empty_query, {"marac_id": marac.pk}),  # a query with no row does not shift the others
        (_meetings_query, {"marac_id": marac.pk, "before": before}),
        (_referrals_query, {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}),
    ]
    with CaptureQueriesContext(connection) as captured:
        together = compiled.rows_together(*queries)
    assert together == [compiled.rows(build, **values) for build, values in queries]
    assert together[0] == list(_referrals_query(marac_id=marac.pk, start=start, end=end))
    assert together[2] == list(_meetings_query(marac_id=marac.pk, before=before))
    assert all(isinstance(row["referred_on"], date) for row in together[3])
    # One call to PostgreSQL for all four; SQLite, in this process, runs them one by one.
    assert len(captured) == (4 if connection.vendor == "sqlite" else 1)


def test_rows_together_without_parallel_workers_are_the_same_rows_and_put_the_setting_back(history, marac):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    def workers():
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_parallel_workers_per_gather")
            return cursor.fetchone()[0]

    queries = [
        (_referrals_query, {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}),
        (_empty_query, {"marac_id": marac.pk}),
        (_meetings_query, {"marac_id": marac.pk, "before": datetime(2025, 3, 10, 9, 30, tzinfo=LONDON)}),
    ]
    # Inside a transaction (as every request's is not, but a test's is), where a
    # setting made for the transaction would otherwise last to its end.
    with transaction.atomic():
        before = workers()
        with CaptureQueriesContext(connection) as captured:
            serial = compiled.rows_together(*queries, serial=True)
        assert workers() == before
    assert serial == compiled.rows_together(*queries)
    assert serial[0] and serial[2]
    # Still one call to PostgreSQL: the setting travels with the statements.
    assert len(captured) == (3 if connection.vendor == "sqlite" else 1)


def test_rows_together_refuses_a_query_whose_sql_does_not_follow_its_values(db, marac):
    with pytest.raises(AssertionError, match="_derives_a_value"):
        compiled.rows_together((_empty_query, {"marac_id": marac.pk}), (_derives_a_value, {"marac_id": marac.pk, "start": date(2025, 1, 6)}))


def _referral_by_public_id(*, public_id):
    return Referral.objects.filter(public_id=public_id).values(*compiled.columns(Referral))


def test_a_uuid_is_bound_as_the_orm_binds_it_and_rows_become_instances(history, marac):
    """A UUID (a case's public id) is bound as UUIDField binds it on each database, and
    `instance` gives back what the ORM reads."""
    import uuid

    for referral in Referral.objects.order_by("pk"):
        rows = compiled.rows(_referral_by_public_id, public_id=referral.public_id)
        assert len(rows) == 1
        made = compiled.instance(Referral, rows[0])
        assert made.pk == referral.pk and made.public_id == referral.public_id and made.marac_id == referral.marac_id
        assert made.referred_on == referral.referred_on and not made._state.adding
    assert compiled.rows(_referral_by_public_id, public_id=uuid.uuid4()) == []


def _meetings_with_marac_query(*, marac_id, before):
    return Meeting.objects.filter(marac=marac_id, starts_at__lt=before).select_related("marac").annotate(items_listed=Count("items")).order_by("starts_at")


def _described(meeting):
    return (meeting.pk, meeting.starts_at, meeting.research_deadline, meeting.status, meeting.marac.slug, meeting.items_listed)


@pytest.mark.parametrize("day", [3, 10, 11])
def test_objects_are_the_orm_instances(history, marac, day, django_assert_num_queries):
    before = datetime(2025, 3, day, 9, 31, tzinfo=LONDON)
    with django_assert_num_queries(1):
        meetings = compiled.objects(_meetings_with_marac_query, marac_id=marac.pk, before=before)
        # The related object and the annotation are read with them: nothing more is read.
        described = [_described(meeting) for meeting in meetings]
    assert described == [_described(meeting) for meeting in _meetings_with_marac_query(marac_id=marac.pk, before=before)]
    assert len(described) == (1 if day == 3 else 2)
    assert all(isinstance(meeting, Meeting) and meeting._state.adding is False for meeting in meetings)


def test_read_together_gives_instances_and_rows(history, marac):
    before = datetime(2025, 3, 31, tzinfo=LONDON)
    meetings, rows = compiled.read_together(
        (_meetings_with_marac_query, {"marac_id": marac.pk, "before": before}),
        (_referrals_query, {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 3, 31)}),
    )
    assert [_described(meeting) for meeting in meetings] == [_described(meeting) for meeting in _meetings_with_marac_query(marac_id=marac.pk, before=before)]
    assert rows == list(_referrals_query(marac_id=marac.pk, start=date(2025, 1, 1), end=date(2025, 3, 31)))


def _made(obj):
    # An instance as the page sees it: its columns and its state.
    return type(obj), {k: v for k, v in vars(obj).items() if k != "_state"}, obj._state.adding, obj._state.db, dict(obj._state.fields_cache)


def test_instances_are_what_from_db_makes(history, marac):
    """`instances` makes a model's instances without `Model.__init__` where nothing but
    `__init__` would run: the same columns and state as `from_db` gives, in order, None
    for an empty key."""
    rows = list(Referral.objects.order_by("pk").values(*compiled.columns(Referral)))
    rows.append({**rows[0], "id": None})
    names = compiled.columns(Referral)
    assert compiled._plainly_made(Referral)  # made without `__init__`
    made = compiled.instances(Referral, rows)
    assert made[-1] is None
    assert [_made(obj) for obj in made[:-1]] == [
        _made(Referral.from_db("default", names, [row[name] for name in names])) for row in rows[:-1]
    ]
    assert [_made(obj) for obj in made[:-1]] == [_made(obj) for obj in Referral.objects.order_by("pk")]
    assert _made(compiled.instance(Referral, rows[1])) == _made(made[1])


def test_instances_run_init_s_signals_when_a_receiver_listens(history, marac):
    """A model whose instances something watches as they are made (a `post_init`
    receiver) is made by `from_db`, so the receiver still runs."""
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    rows = list(Referral.objects.order_by("pk").values(*compiled.columns(Referral)))
    post_init.connect(receiver, sender=Referral)
    try:
        made = compiled.instances(Referral, rows)
    finally:
        post_init.disconnect(receiver, sender=Referral)
    assert seen == [row["id"] for row in rows] == [obj.pk for obj in made]


def _referrals_with_related(*, marac_id):
    # Deferred columns and a nullable relation, as the case list reads its items.
    return (
        Referral.objects.filter(marac=marac_id).select_related("marac", "repeat_of").only("marac__slug", "referred_on", "repeat_of__referred_on", "meets_repeat")
        .order_by("pk")
    )


def _described_tree(referral):
    repeat = referral.repeat_of
    return (
        _made(referral), referral.get_deferred_fields(), _made(referral.marac), referral.marac.get_deferred_fields(),
        None if repeat is None else (_made(repeat), repeat.get_deferred_fields()),
    )


def test_objects_with_deferred_columns_and_related_objects_are_the_orm_s(history, marac, django_assert_num_queries):
    """`objects` of a `select_related` read with deferred columns, made without
    `__init__`: the same columns, deferred fields, related objects (or None) and state
    as the ORM's."""
    first, second = Referral.objects.filter(marac=marac).order_by("pk")[:2]
    Referral.objects.filter(pk=second.pk).update(repeat_of=first)
    with django_assert_num_queries(1):
        made = compiled.objects(_referrals_with_related, marac_id=marac.pk)
        described = [_described_tree(referral) for referral in made]
    assert described == [_described_tree(referral) for referral in _referrals_with_related(marac_id=marac.pk)]
    assert [referral.repeat_of_id for referral in made][:2] == [None, first.pk]


@compiled.joined_as_written
def _referral_dates_as_written(*, marac_id):
    return Referral.objects.filter(marac=marac_id).select_related("repeat_of").values("pk", "referred_on", "repeat_of__referred_on").order_by("pk")


def _setting_read(*, marac_id):
    from django.db.models.expressions import RawSQL

    return Meeting.objects.filter(marac=marac_id).annotate(limit=RawSQL("current_setting('join_collapse_limit')", [])).values("limit")


_setting_read_as_written = compiled.joined_as_written(lambda *, marac_id: _setting_read(marac_id=marac_id))
_setting_read_as_written.__qualname__ = "_setting_read_as_written"


def test_a_query_joined_as_written_gives_the_orm_s_rows(history, marac):
    """A query marked `joined_as_written` gives the rows the ORM gives, sent alone or
    with others (anywhere: on SQLite the mark changes nothing)."""
    first, second = Referral.objects.filter(marac=marac).order_by("pk")[:2]
    Referral.objects.filter(pk=second.pk).update(repeat_of=first)
    expected = list(_referral_dates_as_written(marac_id=marac.pk))
    before = datetime(2025, 3, 31, tzinfo=LONDON)
    rows, meetings, again = compiled.rows_together(
        (_referral_dates_as_written, {"marac_id": marac.pk}), (_meetings_query, {"marac_id": marac.pk, "before": before}),
        (_referral_dates_as_written, {"marac_id": marac.pk}),
    )
    assert rows == again == expected and expected[1]["repeat_of__referred_on"] == first.referred_on
    assert meetings == list(_meetings_query(marac_id=marac.pk, before=before))
    assert compiled.rows(_referral_dates_as_written, marac_id=marac.pk) == expected
    for serial in (False, True):
        assert compiled.rows_together((_referral_dates_as_written, {"marac_id": marac.pk}), (_referral_dates_as_written, {"marac_id": marac.pk}), serial=serial) == [expected, expected]


def test_joined_as_written_is_set_for_its_statement_alone(history, marac):
    """On PostgreSQL the planner keeps the written join order for the marked statement
    only: the statements around it, and the connection after, keep the setting they had."""
    from django.db import connection

    if connection.vendor != "postgresql":
        # SQLite has no such setting; the rows are the same (the test above).
        assert compiled.rows_together((_meetings_query, {"marac_id": marac.pk, "before": datetime(2025, 3, 31, tzinfo=LONDON)}))
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        (usual,) = cursor.fetchone()
    assert usual != "1"
    before, marked, after = compiled.rows_together(
        (_setting_read, {"marac_id": marac.pk}), (_setting_read_as_written, {"marac_id": marac.pk}), (_setting_read, {"marac_id": marac.pk}),
        serial=True,
    )
    assert [row["limit"] for row in before] == [usual, usual] and [row["limit"] for row in marked] == ["1", "1"]
    assert [row["limit"] for row in after] == [usual, usual]
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone() == (usual,)


def _prepared_on_connection():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'openmarac%%'")
        return dict(cursor.fetchall())


@pytest.mark.postgresql
def test_on_postgresql_a_query_is_prepared_on_its_first_run_and_then_only_executed(history, marac):
    """The server plans a compiled query once per connection: its first run prepares it
    in the same round trip as it executes it, later runs only execute it, with their
    own values, and the rows are the ORM's each time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    compiled.forget_prepared()
    runs = [{"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}, {"marac_id": marac.pk, "start": date(2025, 2, 1), "end": date(2025, 6, 30)}]
    with CaptureQueriesContext(connection) as captured:
        got = [compiled.rows(_referrals_query, **values) for values in runs]
    assert got == [list(_referrals_query(**values)) for values in runs] and got[0] != got[1]
    first, second = (query["sql"] for query in captured)
    assert first.startswith("PREPARE ") and "EXECUTE " in first
    assert second.startswith("EXECUTE ") and "PREPARE" not in second and '"referrals_referral"' not in second
    (statement,) = [text for name, text in _prepared_on_connection().items() if name in second]
    assert '"referrals_referral"' in statement and "$1" in statement and "%s" not in statement


@pytest.mark.postgresql
def test_on_postgresql_a_literal_percent_in_a_prepared_query_stays_a_percent(history, marac):
    """`%%` in the ORM's SQL is a literal % (here in a LIKE pattern), not a value."""
    assert compiled.rows(_source_key_like, marac_id=marac.pk) == list(_source_key_like(marac_id=marac.pk))
    assert len(compiled.rows(_source_key_like, marac_id=marac.pk)) == 4


def _source_key_like(*, marac_id):
    from django.db.models.expressions import RawSQL

    return Referral.objects.filter(marac=marac_id).annotate(
        coded=RawSQL("source_key LIKE 'c-%%'", []),
    ).filter(coded=True).values("source_key").order_by("source_key")


def _divides_by_zero(*, marac_id):
    from django.db.models import F, Value

    return Referral.objects.filter(marac=marac_id).annotate(x=F("pk") / Value(0)).values("x")


@pytest.mark.postgresql
def test_on_postgresql_after_a_round_trip_fails_its_queries_are_prepared_again(history, marac):
    """A round trip that fails may have prepared some of its statements before the one
    that failed: the next run must neither take them for unprepared (PREPARE of a name
    that exists fails) nor for prepared (the failure may have come first)."""
    from django.db import DataError, transaction

    compiled.forget_prepared()
    values = {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    before = {"marac_id": marac.pk, "before": datetime(2025, 3, 31, tzinfo=LONDON)}
    # The failure before a statement was prepared, then after one was.
    for batch in [((_divides_by_zero, {"marac_id": marac.pk}), (_referrals_query, values)), ((_meetings_query, before), (_divides_by_zero, {"marac_id": marac.pk}))]:
        with pytest.raises(DataError, match="division by zero"), transaction.atomic():
            compiled.rows_together(*batch)
    assert compiled.rows(_referrals_query, **values) == list(_referrals_query(**values))
    assert compiled.rows(_meetings_query, **before) == list(_meetings_query(**before))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_new_connection_prepares_its_queries_again(history, marac):
    from django.db import connection

    values = {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    expected = list(_referrals_query(**values))
    assert compiled.rows(_referrals_query, **values) == expected
    connection.close()
    assert compiled.rows(_referrals_query, **values) == expected
    assert len(_prepared_on_connection()) == 1


@pytest.mark.postgresql
def test_on_postgresql_nothing_is_prepared_when_the_setting_is_off(history, marac, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.OPENMARAC_PREPARED_STATEMENTS = False
    values = {"marac_id": marac.pk, "start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    with CaptureQueriesContext(connection) as captured:
        assert compiled.rows(_referrals_query, **values) == list(_referrals_query(**values))
    assert [query["sql"] for query in captured][0].startswith("SELECT ")
