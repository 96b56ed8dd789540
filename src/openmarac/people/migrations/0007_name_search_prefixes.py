"""Prefix indexes for the case search's short words on PostgreSQL.

A searched word of one or two letters matches the start of a given or family name
(`istartswith`: `UPPER(name) LIKE UPPER('sm%')`), which the trigram indexes of 0006
cannot answer (they need three letters, and read every name for fewer). A B-tree of the
Marac and the capitalised name, with `text_pattern_ops` so that LIKE's prefix is a
range of it whatever the database's collation, answers it for one Marac. PostgreSQL
only, as 0006: SQLite reads its people.
"""

from django.db import migrations

INDEXES = {
    "people_person_given_prefix": ("people_person", "given_name"),
    "people_person_family_prefix": ("people_person", "family_name"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        # The expression Django's istartswith compiles to, so the planner can use it.
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("marac_id", (UPPER("{column}"::text)) text_pattern_ops)'  # nosec B608 (constant names)
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')  # nosec B608 (constant names)


class Migration(migrations.Migration):
    dependencies = [("people", "0006_name_search_trigrams")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
