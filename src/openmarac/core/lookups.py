"""Query shapes that stay fast on national data."""

from django.db.models.lookups import In


class AnyOf(In):
    """`field IN (subquery)`, written on PostgreSQL as `field = ANY(ARRAY(subquery))`.

    Used as an expression: `Q(AnyOf(F("pk"), queryset))`. PostgreSQL runs the
    subquery once, before the scan, and treats its result as a value, so an index on
    the field answers the test, also as one arm of an OR (a BitmapOr of two index
    scans). With `IN (subquery)` in an OR it tests every row of the table against the
    subquery instead: a sequential scan of ten million actions to find one agency's.
    Only for a subquery that returns few rows (it is held as one array). Other
    databases get the plain IN."""

    def as_postgresql(self, compiler, connection):
        if self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
