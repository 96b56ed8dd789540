"""Inserting many rows of a model from plain dicts ({attname: value}), for bulk writes
such as the referral importer.

On PostgreSQL the rows go in with COPY and no model instances are made: building
instances and preparing every field for `bulk_create` was most of an import's time.
On SQLite they go in with one `executemany` of plain tuples. Primary keys, when the
caller needs them, are reserved from the table's own numbering (`reserve_ids`: the
sequence on PostgreSQL, sqlite_sequence on SQLite), so it stays ahead of every id
used and a row saved later gets a fresh one.

Either way a column the dict leaves out gets what Django would give it: the field's
default, or the time now for `auto_now`/`auto_now_add`. A field whose value the driver
cannot take as it is (a JSONField; on SQLite a date) is prepared by the field itself.
"""

import datetime
import queue
import threading
import uuid

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
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


class RowWriter:
    """Runs write jobs (functions), in the order given, on this thread's database
    connection from a thread of its own, so that the caller can make the next batch of
    rows while the database takes in the last: PostgreSQL works on one core while
    Python works on the other, where they took turns. One connection, so one
    transaction: all-or-nothing is kept. While jobs are pending the caller must not use
    the database itself. A job's error is raised in the caller, by the next `submit` or
    on leaving the block; after an error the jobs left are not run.

        with RowWriter() as writer:
            for batch in batches:
                writer.submit(make_rows(batch))  # make_rows returns the function that writes them
    """

    def __init__(self, *, waiting=1):
        self._connection = connections[DEFAULT_DB_ALIAS]
        # At most `waiting` jobs made and not yet started: bounds the memory held.
        self._jobs = queue.Queue(maxsize=waiting)
        self._error = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="row-writer", daemon=True)

    def __enter__(self):
        self._connection.inc_thread_sharing()
        self._thread.start()
        return self

    def submit(self, job):
        self._raise()
        self._jobs.put(job)

    def __exit__(self, exc_type, exc, traceback):
        self._stop = exc_type is not None  # the caller failed: write no more
        self._jobs.put(None)
        self._thread.join()
        self._connection.dec_thread_sharing()
        if exc_type is None:
            self._raise()
        return False

    def _raise(self):
        if self._error is not None:
            raise self._error

    def _run(self):
        # The ORM and cursors of this thread use the caller's connection (Django's
        # live-server thread shares a connection the same way).
        connections[DEFAULT_DB_ALIAS] = self._connection
        try:
            while (job := self._jobs.get()) is not None:
                if self._error is None and not self._stop:
                    try:
                        job()
                    except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
                        self._error = error
        finally:
            del connections[DEFAULT_DB_ALIAS]  # forgets it for this thread; the caller's stays open


def insert_rows(model, rows, *, ids=False):
    """Insert `rows`, each a dict of column values by attname, in one statement.
    With `ids`, each row's dict gets its primary key (and the keys come back as a
    list). Rows that already hold their primary key (from `reserve_ids`) keep it.
    Otherwise the database numbers the rows and nobody reads the numbers."""
    if not rows:
        return []
    pk = model._meta.pk.attname
    new_ids = []
    if ids:
        new_ids = reserve_ids(model, len(rows))
        for row, pk_value in zip(rows, new_ids):
            row[pk] = pk_value
    with_pk = pk in rows[0]
    if connection.vendor != "postgresql":
        _executemany(model, rows, with_pk, _AS_IS_SQLITE)
    elif len(rows) == 1:
        # One row (a page's audit record): an INSERT is one exchange with the server,
        # a COPY two.
        _executemany(model, rows, with_pk, _AS_IS_POSTGRESQL)
    else:
        _copy(model, rows, with_pk)
    return new_ids


def reserve_ids(model, count):
    """`count` new primary keys for `model`'s table, never handed out again: taken
    from PostgreSQL's sequence in one query, or on SQLite by moving the table's
    sqlite_sequence on (which takes SQLite's write lock until the transaction ends)."""
    if count <= 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count])
            return [pk_value for pk_value, in cursor.fetchall()]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}")
        start = max(found[0] if found else 0, cursor.fetchone()[0] or 0)
        if found:
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count, table])
        else:
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + count])
    return list(range(start + 1, start + count + 1))


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


def _copy(model, rows, with_pk):
    quote = connection.ops.quote_name
    fields, plain, called = _columns(model, with_pk, _AS_IS_POSTGRESQL)
    # Django's own errors (IntegrityError and the like) from the driver's COPY too, as
    # from any query.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        # COPY takes the columns in any order.
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for values in _values(rows, plain, called):
                write(values)


def _executemany(model, rows, with_pk, as_is):
    quote = connection.ops.quote_name
    fields, plain, called = _columns(model, with_pk, as_is)
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
