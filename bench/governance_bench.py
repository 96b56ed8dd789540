"""The governance figures at scale: the data return, the dashboard's figures for a period
and the previous one, and the outcome indicators, over N heard referrals, against a
floor measured in the same run (one hand-written grouped SQL query over the same rows).

    PYTHONPATH=src .venv/bin/python -m bench.governance_bench --referrals 20000

DATABASE_URL chooses the database (default: SQLite at var/bench/governance.sqlite3, made
afresh). Referrals are written with bulk_create with the columns the figures read (as
the importer records them), spread over two years of weekly meetings; 30% repeats, a
case per victim with one in five victims referred again.
"""

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")
BENCH_DB = Path(__file__).resolve().parents[1] / "var" / "bench" / "governance.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DB}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from openmarac.accounts.models import AgencyKind, Marac  # noqa: E402
from openmarac.governance import figures  # noqa: E402
from openmarac.people.models import Person  # noqa: E402
from openmarac.referrals.models import Case, Referral  # noqa: E402

START = date(2024, 1, 2)  # a Tuesday
KINDS = [k.value for k in AgencyKind]


def populate(n, seed):
    rng = random.Random(seed)
    marac, _ = Marac.objects.get_or_create(slug="bench", defaults={"name": "Bench Marac", "adult_female_population": 200_000})
    victims = Person.objects.bulk_create(Person(marac=marac, given_name="V", family_name=str(i)) for i in range(int(n * 0.8)))
    cases = Case.objects.bulk_create(Case(marac=marac, reference=f"B-{i}", victim=v) for i, v in enumerate(victims))
    referrals = []
    for i in range(n):
        heard_on = START + timedelta(weeks=rng.randrange(104))
        referrals.append(
            Referral(
                marac=marac, case=rng.choice(cases), status=Referral.Status.HEARD, source_key=f"bench-{i}",
                referring_agency_kind=rng.choice(KINDS), referred_on=heard_on - timedelta(days=rng.randrange(5, 60)),
                heard_on=heard_on, meets_repeat=rng.random() < 0.3, children_count=rng.choice([0, 0, 1, 2, 3]),
                victim_age=rng.randrange(16, 80), victim_gender=rng.choice(["Female"] * 15 + ["Male"]),
                victim_racially_minoritised=rng.choice(["yes", "no", "no", "no", "unknown"]),
                victim_disabled=rng.choice(["yes", "no", "no", "unknown"]), victim_lgbt=rng.choice(["yes"] + ["no"] * 30),
                youngest_perpetrator_age=rng.randrange(15, 70),
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=5000)
    return marac


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    if connection.vendor == "sqlite":
        BENCH_DB.parent.mkdir(parents=True, exist_ok=True)
        connection.close()
        BENCH_DB.unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    marac = populate(args.referrals, args.seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"{args.referrals} heard referrals loaded in {time.perf_counter() - began:.1f} s ({connection.vendor})")

    year = figures.Period(date(2025, 1, 1), date(2025, 12, 31))
    quarter = figures.Period(date(2025, 1, 1), date(2025, 3, 31))
    table = Referral._meta.db_table
    floor_sql = (
        f"SELECT heard_on, COUNT(*), SUM(children_count) FROM {table} "
        "WHERE marac_id = %s AND status = 'heard' AND heard_on BETWEEN %s AND %s GROUP BY heard_on ORDER BY heard_on"
    )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(floor_sql, [marac.pk, year.start, year.end])
            cursor.fetchall()

    cases = {}
    for name, fn in [
        ("floor: one grouped SQL query (a year)", floor),
        ("data return (a year)", lambda: figures.data_return(marac=marac, period=year)),
        ("dashboard figures (a quarter and the one before)", lambda: [figures.period_figures(marac=marac, period=p) for p in (quarter, quarter.previous())]),
        ("outcome indicators (a quarter)", lambda: figures.outcomes(marac=marac, period=quarter)),
        ("the dashboard page's: figures.dashboard (all three)", lambda: figures.dashboard(marac=marac, period=quarter)),
    ]:
        with CaptureQueriesContext(connection) as queries:
            fn()
        cases[name] = (timed(fn, args.repeat), len(queries))
    base = cases["floor: one grouped SQL query (a year)"][0]
    for name, (seconds, queries) in cases.items():
        print(f"{name:<52} {seconds * 1000:8.1f} ms  {queries:3d} queries  {seconds / base:6.1f} x floor")


if __name__ == "__main__":
    main()
