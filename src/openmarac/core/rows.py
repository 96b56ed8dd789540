"""Inserting many rows of a model from plain dicts ({attname: value}), for bulk writes
such as the referral importer.

On PostgreSQL the rows go in with COPY and no model instances are made: building
instances and preparing every field for `bulk_create` was most of an import's time.
Primary keys, when the caller needs them, are taken from the table's own sequence in
one query, so the sequence stays ahead of every id used. On SQLite rows whose ids are
needed become instances and go through `bulk_create`, which fills the ids in; the
others go in with one `executemany` of plain tuples.

Either way a column the dict leaves out gets what Django would give it: the field's
default, or the time now for `auto_now`/`auto_now_add`. A field whose value the driver
cannot take as it is (a JSONField; on SQLite a date) is prepared by the field itself.
"""

import datetime
import uuid

from django.db import connection, models
from django.utils import timezone

# Fields whose Python values the driver takes as they are: for these Django's
# get_db_prep_save returns the value unchanged. Exact types, so a subclass that
# changes the value (an encrypted field, say) is prepared by the field.
_AS_IS_SQLITE = {
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.BigIntegerField, models.BooleanField,
    models.CharField, models.EmailField, models.FloatField, models.IntegerField, models.PositiveBigIntegerField,
    models.PositiveIntegerField, models.PositiveSmallIntegerField, models.SlugField, models.SmallIntegerField, models.TextField,
}
_AS_IS_POSTGRESQL = _AS_IS_SQLITE | {models.DateField, models.DateTimeField, models.UUIDField}
# Values the driver adapts itself, for a column left to its default.
_PLAIN = (str, int, float, bool, datetime.date, uuid.UUID, type(None))


def insert_rows(model, rows, *, ids=False):
    """Insert `rows`, each a dict of column values by attname, in one statement.
    With `ids`, each row's dict gets its primary key (and the keys come back as a
    list); without, the database numbers the rows and nobody reads the numbers."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(model, rows, ids)
    if not ids:
        _executemany(model, rows)
        return []
    made = model.objects.bulk_create([model(**row) for row in rows])
    pk = model._meta.pk.attname
    for row, instance in zip(rows, made):
        row[pk] = instance.pk
    return [instance.pk for instance in made]


def _columns(model, ids, as_is):
    """(fields, plain, called): the columns in the order the values are made, those
    read straight from the dict (or a fixed default) first, in one tight loop, then
    those needing a call per row."""
    pk = model._meta.pk
    now = timezone.now()
    plain, called = [], []
    for field in model._meta.concrete_fields:
        if field is pk and not ids:
            continue
        cell = _cell(field, now, pk, as_is)
        (plain if isinstance(cell, tuple) else called).append((field, cell))
    return [field for field, _ in plain + called], [cell for _, cell in plain], [cell for _, cell in called]


def _values(rows, plain, called):
    for row in rows:
        get = row.get
        yield [get(name, default) for name, default in plain] + [cell(row) for cell in called]


def _copy(model, rows, ids):
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    fields, plain, called = _columns(model, ids, _AS_IS_POSTGRESQL)
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            new_ids = [pk_value for pk_value, in cursor.fetchall()]
            for row, pk_value in zip(rows, new_ids):
                row[pk.attname] = pk_value
        # COPY takes the columns in any order.
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for values in _values(rows, plain, called):
                write(values)
    return new_ids if ids else []


def _executemany(model, rows):
    quote = connection.ops.quote_name
    fields, plain, called = _columns(model, False, _AS_IS_SQLITE)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",
            list(_values(rows, plain, called)),
        )


def _cell(field, now, pk, as_is):
    """(attname, default) for a value the dict gives or a fixed default stands in for,
    or else a function giving the field's database value from a row's dict."""
    name = field.attname
    target = field.target_field if field.is_relation else field
    if type(target) in as_is:
        prepare = None
    else:
        def prepare(value):
            return field.get_db_prep_save(value, connection)
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        # pre_save sets these whatever the row says, as Django's save would.
        stamp = prepare(now) if prepare else now
        return lambda row: stamp
    if field is pk:
        return (name, None)
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
