"""The quarter's SafeLives data return from governance/figures.py against one
hand-written SQL query of the same figures, in the same run (benchmark 4 of
docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.data_return_bench --marac m01 --repeat 41

Runs against any database holding heard referrals (bench.national_gen makes one). The
two are timed in turn, A B A B ..., after a warm-up each; the table gives each one's
median and the median of the pairwise ratios. The hand-written query's rows are checked
to be the same figures as the data return's before timing.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from openmarac.accounts.models import Marac  # noqa: E402
from openmarac.governance import figures  # noqa: E402
from openmarac.referrals.models import Case, Referral  # noqa: E402


def hand_written(marac, period):
    """The same figures as figures.data_return, in one SQL query written by hand."""
    named = [k for k in figures.ALL_RETURN_KINDS if k != figures.OTHER_KIND]
    kinds = ", ".join(f"COUNT(*) FILTER (WHERE referring_agency_kind = '{kind}')" for kind in named)
    sql = f"""
        SELECT heard_on, COUNT(*), COUNT(*) FILTER (WHERE meets_repeat), COALESCE(SUM(children_count), 0),
               COUNT(*) FILTER (WHERE victim_racially_minoritised = 'yes'), COUNT(*) FILTER (WHERE victim_lgbt = 'yes'),
               COUNT(*) FILTER (WHERE victim_disabled = 'yes'),
               COUNT(*) FILTER (WHERE LOWER(TRIM(victim_gender)) IN ('male', 'man', 'm')),
               COUNT(*) FILTER (WHERE victim_age IN (16, 17)), COUNT(*) FILTER (WHERE youngest_perpetrator_age <= 17),
               {kinds}, COUNT(*) FILTER (WHERE NOT referring_agency_kind = ANY(%s))
        FROM {Referral._meta.db_table}
        WHERE marac_id = %s AND status = 'heard' AND heard_on >= %s AND heard_on <= %s
        GROUP BY heard_on ORDER BY heard_on
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [named, marac.pk, period.start, period.end])
        return cursor.fetchall()


def as_tuples(rows):
    keys = list(figures.DIVERSITY_KEYS)
    return [
        (r.meeting_date, r.cases, r.repeats, r.children, *(getattr(r, key) for key in keys),
         *(r.referrals_by_agency_kind[k] for k in figures.ALL_RETURN_KINDS))
        for r in rows
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marac", default="m01")
    parser.add_argument("--repeat", type=int, default=41)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("The hand-written query is PostgreSQL's: set DATABASE_URL.")
    marac = Marac.objects.get(slug=args.marac)
    period = figures.last_complete_quarter()
    orm = figures.data_return(marac=marac, period=period)
    assert figures.DIVERSITY_KEYS == ("victims_racially_minoritised", "victims_lgbt", "victims_disabled", "victims_male",
                                      "victims_aged_16_17", "perpetrators_aged_17_or_under"), figures.DIVERSITY_KEYS
    assert as_tuples(orm) == [tuple(row) for row in hand_written(marac, period)], "the two disagree"
    with CaptureQueriesContext(connection) as queries:
        figures.data_return(marac=marac, period=period)
    orm_times, sql_times, ratios = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        figures.data_return(marac=marac, period=period)
        t1 = time.perf_counter()
        hand_written(marac, period)
        t2 = time.perf_counter()
        orm_times.append(t1 - t0)
        sql_times.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    print(f"Data return for {marac.slug}, {period} ({sum(r.cases for r in orm):,} referrals heard at {len(orm)} meetings); "
          f"{Case.objects.count():,} cases in the database; {args.repeat} timed pairs")
    print()
    print("| | Queries | Median ms | Min ms | Max ms |")
    print("|---|---:|---:|---:|---:|")
    print(f"| figures.data_return (ORM) | {len(queries)} | {statistics.median(orm_times) * 1000:.2f} | {min(orm_times) * 1000:.2f} "
          f"| {max(orm_times) * 1000:.2f} |")
    print(f"| one hand-written SQL query | 1 | {statistics.median(sql_times) * 1000:.2f} | {min(sql_times) * 1000:.2f} "
          f"| {max(sql_times) * 1000:.2f} |")
    print(f"| **ratio ORM / SQL (median of pairs)** | | **{statistics.median(ratios):.2f}×** | {min(ratios):.2f}× | {max(ratios):.2f}× |")


if __name__ == "__main__":
    main()
