"""Prefix indexes for the case search's short words on SQLite, as 0007 made them on
PostgreSQL.

A searched word of one or two letters matches the start of a given or family name
(`istartswith`, which Django compiles on SQLite to `name LIKE 'sm%' ESCAPE '\\'`).
SQLite answers such a LIKE from an index only when the index compares the column
without regard to capitals (NOCASE), as LIKE does: with none, the search read every
person of the database (6 ms of the housing representative's search for "sm" at 20,000
cases; 0.1 ms with these, read as a range of each index for the Marac). SQLite only:
PostgreSQL has 0007's.
"""

from django.db import migrations

INDEXES = {
    "people_person_given_nocase": ("people_person", "given_name"),
    "people_person_family_nocase": ("people_person", "family_name"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("marac_id", "{column}" COLLATE NOCASE)')  # nosec B608 (constant names)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')  # nosec B608 (constant names)


class Migration(migrations.Migration):
    dependencies = [("people", "0007_name_search_prefixes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
