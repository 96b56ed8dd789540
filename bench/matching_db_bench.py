"""Person matching through the database, as the web app does it: blocking keys in the
indexed `people_personmatchkey` table, candidates fetched with `key IN (...)`, scored
by openmarac.people.matching. Reports lookup time (and queries per lookup) at each size.

    PYTHONPATH=src .venv/bin/python -m bench.matching_db_bench --people 100000 1000000 --queries 500

DATABASE_URL chooses the database (default: SQLite at var/bench/matching.sqlite3, made
afresh). The population and queries come from bench.matching_bench's generator.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")
BENCH_DB = Path(__file__).resolve().parents[1] / "var" / "bench" / "matching.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DB}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.matching_bench import Generator, make_queries, percentile  # noqa: E402
from openmarac.accounts.models import Marac  # noqa: E402
from openmarac.people import matching  # noqa: E402
from openmarac.people.models import Address, Alias, Person, PersonMatchKey, Phone  # noqa: E402
from openmarac.people.services import candidates_for_facts  # noqa: E402

BATCH = 5000


def load(marac, people):
    """Insert the population and its blocking keys; returns person ids in order."""
    if connection.vendor == "postgresql":
        return copy_load(marac, people)
    ids = []
    for start in range(0, len(people), BATCH):
        chunk = people[start : start + BATCH]
        rows = Person.objects.bulk_create(
            Person(marac=marac, given_name=f.names[0][0], family_name=f.names[0][1], date_of_birth=f.date_of_birth) for f in chunk
        )
        aliases, phones, addresses, keys = [], [], [], []
        for person, facts in zip(rows, chunk):
            aliases += [Alias(person=person, given_name=g, family_name=fam) for g, fam in facts.names[1:]]
            phones += [Phone(person=person, number=n) for n in facts.phones]
            addresses += [Address(person=person, line_1="-", postcode=p) for p in facts.postcodes]
            keys += [PersonMatchKey(person=person, marac=marac, key=k) for k in matching.blocking_keys(facts)]
        for model, objects in ((Alias, aliases), (Phone, phones), (Address, addresses), (PersonMatchKey, keys)):
            model.objects.bulk_create(objects, batch_size=BATCH)
        ids += [row.pk for row in rows]
    return ids


def copy_load(marac, people):
    """PostgreSQL: the same rows written with COPY (a million people in minutes rather
    than the best part of an hour with bulk_create), ids reserved from each sequence."""
    now = timezone.now()

    def reserve(model, count):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [model._meta.db_table, count]
            )
            return [row[0] for row in cursor.fetchall()]

    def copy(model, objects):
        fields = model._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as out:
            for obj in objects:
                out.write_row([getattr(obj, f.attname) for f in fields])

    ids = reserve(Person, len(people))
    with transaction.atomic():
        copy(
            Person,
            (
                Person(pk=pk, marac=marac, given_name=f.names[0][0], family_name=f.names[0][1], date_of_birth=f.date_of_birth, created_at=now)
                for pk, f in zip(ids, people)
            ),
        )
        aliases = [(pk, g, fam) for pk, f in zip(ids, people) for g, fam in f.names[1:]]
        copy(Alias, (Alias(pk=a, person_id=pk, given_name=g, family_name=fam) for a, (pk, g, fam) in zip(reserve(Alias, len(aliases)), aliases)))
        phones = [(pk, n) for pk, f in zip(ids, people) for n in f.phones]
        copy(Phone, (Phone(pk=i, person_id=pk, number=n, recorded_at=now) for i, (pk, n) in zip(reserve(Phone, len(phones)), phones)))
        postcodes = [(pk, c) for pk, f in zip(ids, people) for c in f.postcodes]
        copy(
            Address,
            (Address(pk=i, person_id=pk, line_1="-", postcode=c, recorded_at=now) for i, (pk, c) in zip(reserve(Address, len(postcodes)), postcodes)),
        )
        keys = [(pk, k) for pk, f in zip(ids, people) for k in matching.blocking_keys(f)]
        copy(PersonMatchKey, (PersonMatchKey(pk=i, person_id=pk, marac_id=marac.pk, key=k) for i, (pk, k) in zip(reserve(PersonMatchKey, len(keys)), keys)))
    return ids


def run(size, n_queries, seed, reuse=False):
    marac, _ = Marac.objects.get_or_create(slug=f"bench-{size}", defaults={"name": f"Bench {size}"})
    gen = Generator(seed, size)
    people = gen.population(size)
    started = time.perf_counter()
    existing = list(Person.objects.filter(marac=marac).order_by("pk").values_list("pk", flat=True)) if reuse else []
    # The seeded generator makes the same people again, in insertion (pk) order.
    ids = existing if len(existing) == size else load(marac, people)
    if connection.vendor == "postgresql":
        # Fresh statistics and visibility map, as autovacuum would give a live database
        # after a bulk load: without statistics the planner scans whole tables, and
        # without the visibility map the key lookup cannot read the index alone.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    load_seconds = time.perf_counter() - started
    queries = [q for q in make_queries(gen, people, n_queries) if q.truth is not None]
    timings, query_counts, top1, top5 = [], [], 0, 0
    for query in queries:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            found = candidates_for_facts(query.facts, marac_id=marac.pk)
            timings.append((time.perf_counter() - started) * 1000)
        query_counts.append(len(captured))
        found_ids = [person.pk for person, _ in found]
        top1 += bool(found_ids) and found_ids[0] == ids[query.truth]
        top5 += ids[query.truth] in found_ids
    return {
        "people": size,
        "queries": len(queries),
        "load_s": load_seconds,
        "mean_ms": statistics.fmean(timings),
        "median_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 95),
        "sql_per_lookup": max(query_counts),
        "top1_recall": top1 / len(queries),
        "top5_recall": top5 / len(queries),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Keep a population loaded by an earlier run with the same seed")
    args = parser.parse_args(argv)
    if connection.vendor == "sqlite" and not args.reuse:
        BENCH_DB.parent.mkdir(parents=True, exist_ok=True)
        BENCH_DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    print(f"Database: {connection.vendor}")
    print("| People | Lookups | Lookup median | Lookup mean | Lookup p95 | SQL queries per lookup | Top-1 recall | Top-5 recall | Load time |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.people:
        r = run(size, args.queries, args.seed, reuse=args.reuse)
        print(
            f"| {r['people']:,} | {r['queries']} | {r['median_ms']:.1f} ms | {r['mean_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['sql_per_lookup']} "
            f"| {r['top1_recall']:.3f} | {r['top5_recall']:.3f} | {r['load_s']:.0f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
