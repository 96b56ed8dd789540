"""Queries compiled to SQL once per process, then run with new values.

Some pages run queries whose shape never changes, only a few values (a Marac, some
dates). For a grouped count with a dozen filtered aggregates, the ORM spends longer
building and compiling the query (0.5 to 2 ms of CPU) than the database spends running
it. `rows` builds such a query once, from its ORM definition, with stand-in values;
notes which of the SQL's parameters each stand-in became; and from then on runs that SQL
with the real values bound in their place. The ORM stays the one definition of the
query, and every value is a bound parameter: nothing is written into the SQL.

It is compiled twice, with two different sets of stand-ins, and must give the same SQL
with only the stand-ins' parameters changed. So a query whose SQL depends on the values
themselves (a list whose length varies, a branch on a date, a value derived from one
given) is refused when it is first run, instead of being run with a stale value.

`rows_together` runs several such queries at once: on PostgreSQL their statements go to
the server in one round trip, so a page that reads a dozen figures waits for the
database once rather than a dozen times (on a busy machine each wait is also a wait for
the server's process to get a core).

On PostgreSQL each query is also prepared on the connection the first time it runs there
(`PREPARE`, then `EXECUTE` with the values): the server parses and plans it once per
connection instead of on every request. Planning the chair's case screen's queries took
the server 6 ms a request, three times as long as running them (docs/performance.md).
`OPENMARAC_PREPARED_STATEMENTS = False` turns this off, for a connection pooler that
hands a session's statements to different server connections (PgBouncer in transaction
mode).
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache
from operator import itemgetter

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple  # for each parameter: the name of the value bound there, or None (part of the query)
    names: tuple  # the columns, as `values()` names them
    converters: tuple  # (column, converters, expression): what the ORM applies to a column read
    # The compiler that gave the SQL: where each model's columns are (`objects`).
    compiler: object = field(default=None, compare=False, repr=False)
    # Whether the queryset gives model instances (not a `values()` one).
    of_models: bool = False
    # Whether PostgreSQL joins its tables in the order the SQL writes them (`joined_as_written`).
    as_written: bool = False
    # The SQL with each parameter numbered ($1, $2…), as `PREPARE` takes it, and a name
    # for the prepared statement that only this SQL has.
    to_prepare: str = field(default="", compare=False, repr=False)
    digest: str = field(default="", compare=False, repr=False)


def rows(build, **values) -> list[dict]:
    """The rows of `build(**values)`, a `values()` queryset, as the ORM would give them
    (a dict per row, dates as dates). `build` must be a module-level function whose SQL
    depends only on which values it is given (ints, dates, aware datetimes or UUIDs), never on
    the values themselves."""
    compiled = _compiled(build, values)
    (fetched,) = _fetched_together([(compiled, values)], False)
    return _converted(compiled, fetched)


def rows_under_lock(lock_id, build, **values) -> list[dict]:
    """`rows(build, **values)` once this transaction holds PostgreSQL's advisory lock
    `lock_id` (`pg_advisory_xact_lock`), in one round trip: the lock is taken by the
    first statement, and the query, the second, gets its snapshot only once the first
    has finished (under READ COMMITTED each statement of a query string takes its own),
    so it sees all that the lock's last holder committed. Elsewhere no lock is taken:
    SQLite lets one transaction write at a time."""
    compiled = _compiled(build, values)
    (fetched,) = _fetched_together([(compiled, values)], False, lock_id=lock_id)
    return _converted(compiled, fetched)


def rows_together(*queries, serial=False) -> list[list[dict]]:
    """The rows of each of `queries`, pairs (build, values) as `rows` takes them, in
    order. On PostgreSQL, with the driver binding the values (Django's default), the
    statements are sent as one: the server runs them one after another, in one
    transaction, and returns each one's rows. Elsewhere (SQLite runs in this process,
    with no round trip to save) they are run one by one.

    `serial`: PostgreSQL runs the statements without parallel workers. For queries
    that each read a few thousand rows by index, starting a worker costs more than it
    saves (a worker is a new process, which on a busy machine also waits for a core):
    the governance dashboard's batch took 14% less time without them."""
    compiled = [(_compiled(build, values), values) for build, values in queries]
    return [_converted(query, fetched) for (query, _), fetched in zip(compiled, _fetched_together(compiled, serial))]


def read_together(*queries) -> list[list]:
    """What each of `queries`, pairs (build, values), gives, in order: model instances
    as `objects` gives them, or for a `values()` queryset dicts as `rows` gives them;
    sent to the database together as `rows_together` sends them (one round trip on
    PostgreSQL). A query given as None (nothing to read, such as a panel the user's
    roles do not open) gives no rows and is not sent."""
    compiled = [(_compiled(build, values), values) for build, values in filter(None, queries)]
    found = iter(
        _instances(query, fetched) if query.of_models else _converted(query, fetched)
        for (query, _), fetched in zip(compiled, _fetched_together(compiled, False))
    )
    return [next(found) if query else [] for query in queries]


def _fetched_together(compiled, serial, lock_id=None) -> list[list]:
    """The rows each of `compiled` (pairs of a compiled query and its values) fetched,
    as the driver gives them, sent as one where the database allows (`rows_together`),
    each prepared on the connection the first time (`_Prepared`); after taking the
    advisory lock `lock_id` on PostgreSQL, if given (`rows_under_lock`)."""
    with connection.cursor() as cursor:
        if not _sends_statements_together(cursor):
            if lock_id is not None and connection.vendor == "postgresql":
                cursor.execute(_LOCK, [lock_id])
            results = []
            for query, values in compiled:
                cursor.execute(query.sql, _bound(query, values))
                results.append(cursor.fetchall())
            return results
        prepared = _Prepared.on_connection() if settings.OPENMARAC_PREPARED_STATEMENTS else None
        preparing = set()  # the names of the statements this round trip prepares
        # (SQL, its parameters, whether its rows are one of the results)
        statements = []
        for query, values in compiled:
            if query.as_written:
                statements.append((_AS_WRITTEN, [], False))
            if prepared is None:
                statements.append((query.sql, _bound(query, values), True))
            else:
                statements += prepared.statements(query, _bound(query, values), preparing)
            if query.as_written:
                statements.append((_AS_WRITTEN_BACK, [], False))
        if serial:
            # Set for this transaction only, and put back as it was after the last
            # statement, so that a caller's own transaction goes on as before.
            statements = [(_NO_WORKERS, [], False), *statements, (_WORKERS_BACK, [], False)]
        if lock_id is not None:
            statements.insert(0, (_LOCK, [lock_id], False))
        try:
            cursor.execute(";\n".join(sql for sql, _, _ in statements), [param for _, params, _ in statements for param in params])
        except Exception:
            if prepared is not None:
                prepared.lost()
            raise
        if prepared is not None:
            prepared.names |= preparing
        results = []
        for i, (_, _, rows) in enumerate(statements):
            if i:
                cursor.nextset()
            if rows:
                results.append(cursor.fetchall())
        return results


class _Prepared:
    """The statements prepared on one database connection (a PostgreSQL session keeps
    them until it ends; `PREPARE` is not undone by a rollback). A query is prepared in
    the same round trip as its first `EXECUTE`, and counted as prepared once that round
    trip has succeeded. When one fails, which of its statements were prepared is not
    known: the names start again with a new generation, and any left over are never used
    again (they go with the connection)."""

    def __init__(self, raw):
        self.raw = raw
        self.names = set()
        self.generation = 0

    @classmethod
    def on_connection(cls):
        """The statements prepared on the current connection (PostgreSQL, with the
        driver binding the values: with a server-side binding cursor psycopg prepares
        its own)."""
        state = getattr(connection, "_openmarac_prepared", None)
        # A connection closed and opened again is a new session, with nothing prepared.
        if state is None or state.raw is not connection.connection:
            state = connection._openmarac_prepared = cls(connection.connection)
        return state

    def statements(self, query, params, preparing) -> list:
        """The statements that run `query` with `params`: its `EXECUTE`, after its
        `PREPARE` unless it is prepared already or by an earlier statement of the round
        trip (whose names are `preparing`, which this adds to)."""
        name = f"openmarac_{self.generation}_{query.digest}"
        statements = []
        if name not in self.names and name not in preparing:
            preparing.add(name)
            statements.append((f"PREPARE {name} AS {query.to_prepare}", [], False))
        placeholders = ", ".join(["%s"] * len(params))
        statements.append((f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}", params, True))
        return statements

    def lost(self):
        self.names = set()
        self.generation += 1


def _numbered(sql) -> str:
    """The SQL as `PREPARE` takes it: each `%s` the driver would fill in becomes $1, $2…
    A `%%` (a literal %) is left as it is: the driver turns it into % when it sends the
    statement."""
    numbers = itertools.count(1)
    return re.sub(r"%%|%s", lambda match: match.group() if match.group() == "%%" else f"${next(numbers)}", sql)


def forget_prepared():
    """Prepare every query again on this connection, under new names, before it next
    runs: after its tables changed under it, when a statement prepared before might give
    rows of another shape (and in tests, to see a query prepared)."""
    state = getattr(connection, "_openmarac_prepared", None)
    if state is not None:
        state.lost()


_LOCK = "SELECT pg_advisory_xact_lock(%s)"
_NO_WORKERS = (
    "SELECT set_config('openmarac.parallel_workers', current_setting('max_parallel_workers_per_gather'), true), "
    "set_config('max_parallel_workers_per_gather', '0', true)"
)
_WORKERS_BACK = "SELECT set_config('max_parallel_workers_per_gather', current_setting('openmarac.parallel_workers'), true)"
_AS_WRITTEN = (
    "SELECT set_config('openmarac.join_collapse_limit', current_setting('join_collapse_limit'), true), "
    "set_config('join_collapse_limit', '1', true)"
)
_AS_WRITTEN_BACK = "SELECT set_config('join_collapse_limit', current_setting('openmarac.join_collapse_limit'), true)"


def joined_as_written(build):
    """Mark `build` (a query for any reader here) as one whose tables PostgreSQL joins
    in the order its SQL writes them, instead of weighing every order. For a read of a few rows by an index
    followed by many `select_related` objects, each found by its key: the order
    written is the best one, and weighing the others took longer than running the
    query (the case page's referrals, ten tables: 2.5 ms planned, 0.3 ms run, and
    0.7 ms planned in the written order). Set for that statement alone and put back
    after it."""
    build.joined_as_written = True
    return build


def _sends_statements_together(cursor) -> bool:
    """Whether the cursor can run several statements with values in one call and give
    each one's rows: psycopg 3's client-side binding cursor can; a server-side binding
    one (the `server_side_binding` option) or psycopg 2 cannot."""
    if connection.vendor != "postgresql":
        return False
    try:
        from psycopg import ClientCursor
    except ImportError:
        return False
    return isinstance(cursor.cursor, ClientCursor)


def _converted(compiled, fetched) -> list[dict]:
    names, converters = compiled.names, compiled.converters
    if not converters:
        return [dict(zip(names, row)) for row in fetched]
    result = []
    for row in map(list, fetched):
        for column, functions, expression in converters:
            value = row[column]
            for function in functions:
                value = function(value, expression, connection)
            row[column] = value
        result.append(dict(zip(names, row)))
    return result


def objects(build, **values) -> list:
    """The model instances of `build(**values)`, a queryset of a model, as iterating it
    gives them (its `select_related` objects and annotations set), compiled once as for
    `rows`, with the same rules for `build`. What a relation's own manager would set
    (`meeting.items.all()` gives each item its meeting) is not: the caller sets it."""
    compiled = _compiled(build, values)
    if not compiled.of_models:
        raise TypeError(f"{build.__qualname__} gives no model instances: read it with `rows`")
    (fetched,) = _fetched_together([(compiled, values)], False)
    return _instances(compiled, fetched)


def _instances(compiled, fetched) -> list:
    """Model instances from the rows of a compiled model queryset, as `ModelIterable`
    makes them (with `_maker`'s instances)."""
    from django.db.models.query import get_related_populators

    compiler = compiled.compiler
    select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model, columns = klass_info["model"], klass_info["select_fields"]
    start, end = columns[0], columns[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    alias = connection.alias
    populators = get_related_populators(klass_info, select, alias)
    makers = _Makers(alias)
    make = makers[model]
    result = []
    for row in _converted_lists(compiled, fetched):
        obj = make(init_list, row[start:end])
        for populator in populators:
            _populate(populator, row, obj, makers)
        for name, column in (annotations or {}).items():
            setattr(obj, name, row[column])
        result.append(obj)
    return result


def _populate(populator, row, from_obj, makers):
    """What `RelatedPopulator.populate` does (a `select_related` object of `from_obj`
    from `row`), with `_maker`'s instances."""
    data = populator.reorder_for_init(row) if populator.reorder_for_init else row[populator.cols_start : populator.cols_end]
    if data[populator.pk_idx] is None:
        obj = None
    else:
        obj = makers[populator.model_cls](populator.init_list, data)
        for inner in populator.related_populators:
            _populate(inner, row, obj, makers)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


class _Makers(dict):
    """`_maker(model, alias)` of each model asked for, made once per read."""

    def __init__(self, alias):
        super().__init__()
        self.alias = alias

    def __missing__(self, model):
        made = self[model] = _maker(model, self.alias)
        return made


def _maker(model, alias):
    """A function (names, values) that makes an instance of `model` as
    `model.from_db(alias, names, values)` does. For a model made by `Model.__init__`
    alone, each column a plain attribute, and no init signal receiver (`_plainly_made`),
    without `__init__`: it sets every field one at a time, given or deferred (a referral
    has 44), and on a 40-case agenda, whose items are read with their referral, case,
    agency and repeat and whose people are some 350 rows, it was a sixth of the page's
    CPU. The columns not given are deferred, as `from_db` leaves them."""
    if not _plainly_made(model) or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return lambda names, values: model.from_db(alias, names, values)
    new = model.__new__

    def make(names, values):
        obj = new(model)
        obj.__dict__.update(zip(names, values))
        state = obj._state = ModelState()
        state.adding, state.db = False, alias
        return obj

    return make


def _converted_lists(compiled, fetched) -> list[list]:
    rows = list(map(list, fetched))
    for row in rows:
        for column, functions, expression in compiled.converters:
            value = row[column]
            for function in functions:
                value = function(value, expression, connection)
            row[column] = value
    return rows


def sql(build, **values) -> tuple[str, list]:
    """The SQL of `build(**values)` (any queryset) and its parameters, compiled once as
    for `rows`: to use as a subquery (`RawSQL`) or to read model instances
    (`Model.objects.raw`)."""
    compiled = _compiled(build, values)
    return compiled.sql, _bound(compiled, values)


def _compiled(build, values) -> _Compiled:
    signature = tuple((name, type(value)) for name, value in values.items())
    return _compile(build, connection.vendor, timezone.get_current_timezone_name(), signature)


def _bound(compiled, values) -> list:
    bound = {name: _adapt(value) for name, value in values.items()}
    return [bound[slot] if slot else param for param, slot in zip(compiled.params, compiled.slots)]


@lru_cache(maxsize=None)
def _compile(build, vendor, zone, signature) -> _Compiled:
    """`build`'s query compiled for this database, with the slot of each value. The
    vendor and the current time zone are part of the key: a process may use more than
    one database, and SQLite's SQL names the zone in which a time's date is read."""
    first = {name: _stand_in(kind, i) for i, (name, kind) in enumerate(signature)}
    second = {name: _stand_in(kind, i + len(signature)) for i, (name, kind) in enumerate(signature)}
    queryset = build(**first)
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    again, params_again = build(**second).query.get_compiler(connection=connection).as_sql()
    slots = tuple(_slot(param, first) for param in params)
    expected = [_key(_adapt(second[slot])) if slot else _key(param) for param, slot in zip(params, slots)]
    if again != sql or expected != [_key(param) for param in params_again] or set(filter(None, slots)) != set(first):
        raise AssertionError(f"{build.__qualname__}'s SQL depends on its values, or does not use them all")
    query = queryset.query
    names = tuple(query.selected or (*query.extra_select, *query.values_select, *query.annotation_select))
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple((i, tuple(convs), expression) for i, (convs, expression) in compiler.get_converters(columns).items())
    of_models = queryset._iterable_class is ModelIterable
    return _Compiled(
        sql=sql, params=tuple(params), slots=slots, names=names, converters=converters, compiler=compiler, of_models=of_models,
        as_written=getattr(build, "joined_as_written", False),
        to_prepare=_numbered(sql), digest=hashlib.sha256(sql.encode()).hexdigest()[:16],
    )


def _stand_in(kind, n):
    """A value of the kind that no real query holds (a day of 1900, a negative id),
    different for each n."""
    if issubclass(kind, datetime):
        return datetime(1900, 1, 1, tzinfo=dt_timezone.utc) + timedelta(days=37 * n, seconds=n)
    if issubclass(kind, date):
        return date(1900, 1, 1) + timedelta(days=37 * n)
    if issubclass(kind, int) and not issubclass(kind, bool):
        return -7_311_900 - n
    if issubclass(kind, uuid.UUID):
        return uuid.UUID(int=7_311_900 + n)
    raise TypeError(f"No stand-in for a {kind.__name__}")


def _adapt(value):
    """A value as the ORM binds it for a field of its type."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    if isinstance(value, uuid.UUID):
        # As UUIDField binds it: the UUID where the database has the type, its hex elsewhere.
        return value if connection.features.has_native_uuid_field else value.hex
    return value


def _key(param):
    # 1 and True are equal in Python; a parameter's type tells them apart.
    return (type(param), param)


def _slot(param, stand_ins):
    for name, value in stand_ins.items():
        if _key(_adapt(value)) == _key(param):
            return name
    return None


@lru_cache(maxsize=None)
def columns(model) -> tuple:
    """The names of the model's columns (attnames: `person_id`, not `person`), to list
    in a `values()` query whose rows `instance` turns back into the model's instances."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model, row, prefix=""):
    """The instance of `model` whose columns are `row`'s `prefix` + `columns(model)`
    (`prefix` "completed_by__" for a related row read in the same query), made as the
    ORM makes one it reads; None when its key is empty (a nullable relation unset)."""
    return instances(model, [row], prefix)[0]


def instances(model, rows, prefix="", names=None) -> list:
    """`instance` for each of `rows`, in order (made by `_maker`). `names`: the columns
    the rows hold, when not all of `columns(model)`; the others are deferred, as `from_db`
    leaves them."""
    names = names or columns(model)
    pk = names.index(model._meta.pk.attname)
    make = _maker(model, connection.alias)
    # Each row's values in the columns' order (a model has two columns or more, so a
    # tuple), by one getter in C: a list comprehension took three times as long, and a
    # 40-case agenda makes some 300 people and their details this way.
    values_of = itemgetter(*(prefix + name for name in names))
    made = []
    for row in rows:
        values = values_of(row)
        made.append(None if values[pk] is None else make(names, values))
    return made


@lru_cache(maxsize=None)
def _plainly_made(model) -> bool:
    """Whether `from_db` makes the model's instances by `Model.__init__` alone, each column
    set as a plain attribute (no descriptor of its own that does more when set)."""
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and all(
            type(inspect.getattr_static(model, field.attname)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
            for field in model._meta.concrete_fields
        )
    )
