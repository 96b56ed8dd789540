"""The case search's names are found through trigram indexes on PostgreSQL
(people/0006); SQLite has none and reads its people."""

import pytest
from django.db import connection

from openmarac.people.models import Person

INDEXES = {"people_person_given_trgm", "people_person_family_trgm", "people_alias_given_trgm", "people_alias_family_trgm"}


def _index_names():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('people_person', 'people_alias')")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('people_person', 'people_alias')")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_the_names_trigram_indexes_exist_on_postgresql_only():
    assert INDEXES <= _index_names() if connection.vendor == "postgresql" else not INDEXES & _index_names()


@pytest.mark.django_db
def test_a_search_for_part_of_a_name_can_use_them_on_postgresql():
    # The index is on the very expression `icontains` compiles to.
    sql, params = Person.objects.filter(family_name__icontains="newt").values("pk").query.sql_with_params()
    expression = 'UPPER("people_person"."family_name"::text)' if connection.vendor == "postgresql" else '"people_person"."family_name"'
    assert expression in sql
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show it can
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "people_person_family_trgm" in plan


PREFIX_INDEXES = {"people_person_given_prefix", "people_person_family_prefix"}


@pytest.mark.django_db
def test_the_names_prefix_indexes_exist_on_postgresql_only():
    assert PREFIX_INDEXES <= _index_names() if connection.vendor == "postgresql" else not PREFIX_INDEXES & _index_names()


@pytest.mark.django_db
@pytest.mark.postgresql
def test_a_search_for_the_start_of_a_name_in_a_marac_can_use_them_on_postgresql(marac):
    # A word of one or two letters (`referrals.selectors.name_word_q`): the start of a
    # name. Enough people of the Marac, with statistics, that reading them all through
    # the Marac's own index is not the cheaper way.
    Person.objects.bulk_create(Person(marac=marac, given_name="Ann", family_name=f"Name{i}") for i in range(2000))
    sql, params = Person.objects.filter(marac=marac, family_name__istartswith="sm").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_person")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "people_person_family_prefix" in plan
