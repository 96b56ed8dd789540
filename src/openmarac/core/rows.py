"""Inserting many rows of a model from plain dicts ({attname: value}), for bulk writes
such as the referral importer.

On PostgreSQL the rows go in with COPY and no model instances are made: building
instances and preparing every field for `bulk_create` was most of an import's time.
Primary keys, when the caller needs them, are taken from the table's own sequence in
one query, so the sequence stays ahead of every id used. Elsewhere (SQLite) the rows
become instances and go through `bulk_create`, which fills the ids in.

Either way a column the dict leaves out gets what Django would give it: the field's
default, or the time now for `auto_now`/`auto_now_add`. A field whose value psycopg
cannot take as it is (a JSONField, say) is prepared by the field itself.
"""

import datetime
import uuid

from django.db import connection, models
from django.utils import timezone

# Fields whose Python values PostgreSQL takes as they are: for these Django's
# get_db_prep_save returns the value unchanged. Exact types, so a subclass that
# changes the value (an encrypted field, say) is prepared by the field.
_AS_IS = {
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.BigIntegerField, models.BooleanField,
    models.CharField, models.DateField, models.DateTimeField, models.EmailField, models.FloatField, models.IntegerField,
    models.PositiveBigIntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField, models.SlugField,
    models.SmallIntegerField, models.TextField, models.UUIDField,
}
# Values psycopg adapts itself, for a column left to its default.
_PLAIN = (str, int, float, bool, datetime.date, uuid.UUID, type(None))


def insert_rows(model, rows, *, ids=False):
    """Insert `rows`, each a dict of column values by attname, in one statement.
    With `ids`, each row's dict gets its primary key (and the keys come back as a
    list); without, the database numbers the rows and nobody reads the numbers."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        made = model.objects.bulk_create([model(**row) for row in rows])
        if not ids:
            return []
        pk = model._meta.pk.attname
        for row, instance in zip(rows, made):
            row[pk] = instance.pk
        return [instance.pk for instance in made]
    return _copy(model, rows, ids)


def _copy(model, rows, ids):
    meta = model._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    pk = meta.pk
    # COPY takes the columns in any order: those read straight from the dict (or a
    # fixed default) first, in one tight loop, then those needing a call per row.
    plain, called = [], []
    for field in meta.concrete_fields:
        if field is pk and not ids:
            continue
        cell = _cell(field, now, pk)
        (plain if isinstance(cell, tuple) else called).append((field, cell))
    fields = [field for field, _ in plain + called]
    plain = [cell for _, cell in plain]
    called = [cell for _, cell in called]
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            new_ids = [pk_value for pk_value, in cursor.fetchall()]
            for row, pk_value in zip(rows, new_ids):
                row[pk.attname] = pk_value
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                get = row.get
                write([get(name, default) for name, default in plain] + [cell(row) for cell in called])
    return new_ids if ids else []


def _cell(field, now, pk):
    """(attname, default) for a value the dict gives or a fixed default stands in for,
    or else a function giving the field's database value from a row's dict."""
    name = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save sets these whatever the row says, as Django's save would.
        return lambda row: now
    if field is pk:
        return (name, None)
    target = field.target_field if field.is_relation else field
    if type(target) in _AS_IS:
        prepare = None
    else:
        def prepare(value):
            return field.get_db_prep_save(value, connection)
    if field.has_default() and callable(field.default):
        default = field.default
        if prepare:
            return lambda row: prepare(row[name] if name in row else default())
        return lambda row: row[name] if name in row else default()
    default = field.get_default()
    if prepare:
        fixed = prepare(default)
        return lambda row: prepare(row[name]) if name in row else fixed
    if not isinstance(default, _PLAIN):
        default = field.get_db_prep_save(default, connection)
    return (name, default)
