"""ORM queries compiled to SQL once per process.

Some queries are the same shape on every request and differ only in a few values (the
Marac, the user, the time). For those with many subqueries or filtered counts, Django
takes longer to build and compile the query than the database takes to run it: a home
page's next meeting with its four counts cost the ORM about 4 ms a request, the
database a fraction of a millisecond.

`PreparedQuery` compiles such a query once, from the ORM definition itself (so the
ORM stays the one definition), with stand-in values for the parameters that change,
and then only swaps in the real values. The stand-ins are found among the compiled
query's parameters; compiling fails loudly if one is missing, so a definition that
stops using a parameter cannot silently run with a stale value.

The definition must take every value that changes as an argument: anything it reads
for itself (the time now, a setting) is frozen into the SQL at the first call.
"""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from functools import lru_cache

from django.db import connection
from django.db.models.expressions import RawSQL

# Values no real row or argument ever holds, one per kind of parameter.
_STAND_IN_ID = -7_311_960
_STAND_IN_DATE = date(1900, 1, 2)
_STAND_IN_DATETIME = datetime(1900, 1, 2, 3, 4, 5, tzinfo=dt_timezone.utc)


class PreparedQuery:
    """`define(**values)` returns a QuerySet; `kinds` names each value's kind ("id",
    "date" or "datetime"). `sql(**values)` gives the compiled SQL and its parameters."""

    def __init__(self, define, **kinds):
        self.define = define
        self.kinds = kinds

    def sql(self, **values):
        if values.keys() != self.kinds.keys():
            raise TypeError(f"{self.define.__name__} takes {sorted(self.kinds)}, not {sorted(values)}")
        sql, params, slots = self._compiled(connection.vendor)
        adapted = {name: _adapt(self.kinds[name], value) for name, value in values.items()}
        return sql, [adapted[slot] if slot else param for param, slot in zip(params, slots)]

    def rows(self, **values):
        """The rows as dicts of column name to value."""
        with connection.cursor() as cursor:
            cursor.execute(*self.sql(**values))
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def raw(self, model, **values):
        """The rows as `model` instances (extra columns become attributes)."""
        return model.objects.raw(*self.sql(**values))

    def subquery(self, **values):
        """The query as SQL to use inside another, e.g. `Q(pk__in=...)`."""
        # Every value is a bound parameter: nothing is written into the SQL.
        return RawSQL(*self.sql(**values))  # nosec B611

    @lru_cache(maxsize=None)  # noqa: B019 (one per definition, which lives as long as the process)
    def _compiled(self, vendor):
        stand_ins = {}
        for index, (name, kind) in enumerate(self.kinds.items()):
            stand_ins[name] = _stand_in(kind, index)
        sql, params = self.define(**stand_ins).query.sql_with_params()
        by_value = {_key(_adapt(self.kinds[name], value)): name for name, value in stand_ins.items()}
        slots = tuple(by_value.get(_key(param)) for param in params)
        missing = set(self.kinds) - set(slots)
        if missing:
            raise AssertionError(f"{self.define.__name__} did not compile with its parameters {sorted(missing)}")
        return sql, tuple(params), slots


def _stand_in(kind, index):
    # Distinct stand-ins for distinct parameters, so each is told apart in the SQL.
    if kind == "id":
        return _STAND_IN_ID - index
    if kind == "date":
        return date(_STAND_IN_DATE.year, _STAND_IN_DATE.month, _STAND_IN_DATE.day + index)
    if kind == "datetime":
        return _STAND_IN_DATETIME.replace(minute=index)
    raise ValueError(f"Unknown kind of parameter: {kind}")


def _adapt(kind, value):
    if kind == "date":
        return connection.ops.adapt_datefield_value(value)
    if kind == "datetime":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _key(param):
    return (type(param), param)
