"""Trigram indexes for the case search on PostgreSQL.

The search finds any part of a name (`icontains`: `UPPER(name) LIKE UPPER('%word%')`),
which no B-tree index can answer: every search read every person of the Marac. A GIN
index of the names' trigrams (pg_trgm) answers it, and gives the planner an estimate of
how many people match. PostgreSQL only: SQLite has no such index, and reads its people.

pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may
create it. Where the account may not, the search still works without the indexes, so
the migration goes on rather than stop a deployment.
"""

from django.db import migrations, transaction

INDEXES = {
    "people_person_given_trgm": ("people_person", "given_name"),
    "people_person_family_trgm": ("people_person", "family_name"),
    "people_alias_given_trgm": ("people_alias", "given_name"),
    "people_alias_family_trgm": ("people_alias", "family_name"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 (no privilege: the search reads every name, as before)
        return
    for name, (table, column) in INDEXES.items():
        # The expression Django's icontains compiles to, so the planner can use it.
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')  # nosec B608 (constant names)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')  # nosec B608 (constant names)


class Migration(migrations.Migration):
    dependencies = [("people", "0005_match_keys_without_constraints")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
