"""Query shapes that stay fast on national data."""

from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyOfArray:
    """`field__any_of=subquery`: `field IN (subquery)`, written on PostgreSQL as
    `field = ANY(ARRAY(subquery))`.

    PostgreSQL then runs the subquery once, before the scan, as a value, where an
    `IN (subquery)` is a subplan attached to the table it filters. Two plans it allows:
    an index on the field answers the test also as one arm of an OR (a BitmapOr of two
    index scans, where IN under OR scanned every action of every Marac to find one
    agency's); and the test costs nothing to repeat, so the planner still looks up a
    Marac's actions case by case through an index (with IN, it counted the subplan's
    cost on every look-up and read all ten million actions instead). Only for a
    subquery that returns few rows (it is held as one array). Other databases get the
    plain IN. Negated on a nullable field, Django adds its IS NOT NULL as for `in`."""

    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


@Field.register_lookup
class AnyOf(_AnyOfArray, In):
    pass


@ForeignObject.register_lookup
class RelatedAnyOf(_AnyOfArray, RelatedIn):
    """The same on a foreign key (`case_id__any_of`)."""
