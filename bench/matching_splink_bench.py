"""National benchmark 6 (issue 10): candidate matching at a million people, OpenMarac's
matcher beside splink (the Ministry of Justice's record-linkage library, on DuckDB), on
the same records and the same queries.

The population and the queries are bench.matching_bench's (same seed, same counts as
bench.matching_db_bench, so the database lookup times there are for these very queries).
splink is a bench-only tool, never a dependency of OpenMarac: run this in a separate
virtualenv, offline once installed:

    python3.11 -m venv /tmp/splink-venv
    /tmp/splink-venv/bin/pip install splink==5.0.0 Faker==40.54.0 jellyfish==1.3.0 RapidFuzz==3.14.6
    PYTHONPATH=src /tmp/splink-venv/bin/python -m bench.matching_splink_bench --people 1000000 --queries 500 --seed 1

What splink is given: one row per person (main name only: splink's standard model has no
aliases), first name, surname, date of birth, the first phone and the first postcode,
phones and postcodes normalised with OpenMarac's own functions (splink does not know UK
formats). Its model is splink's usual one for people (name, date-of-birth, exact phone
and postcode comparisons), trained with random sampling for u and expectation
maximisation for m on a sample of the population with re-referrals of some of it (made
with another seed than the measured queries), then used to score the queries against
everyone through five blocking rules.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

try:
    import openmarac  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench.matching_bench import KINDS, Generator, corrupt, make_queries, percentile
from openmarac.people.matching import LIKELY, BlockingIndex, normalise_postcode, normalise_uk_phone, rank

QUERY_ID_OFFSET = 100_000_000
SPLINK_LIKELY = 0.99  # match probability taken as splink's "likely"
SPLINK_SHOWN = 0.01  # below this a pair is not worth a coordinator's look


def row(unique_id, facts):
    given, family = facts.names[0]
    phones = [p for p in map(normalise_uk_phone, facts.phones) if p]
    postcodes = [p for p in map(normalise_postcode, facts.postcodes) if p]
    return {
        "unique_id": unique_id,
        "first_name": given.strip().lower() or None,
        "surname": family.strip().lower() or None,
        "dob": facts.date_of_birth.isoformat() if facts.date_of_birth else None,
        "phone": phones[0] if phones else None,
        "postcode": postcodes[0] if postcodes else None,
    }


def training_rows(people, sample_size, seed):
    """A sample of the population with one in ten of it referred again with a slip (as a
    live Marac's records hold re-referrals): without duplicates, expectation maximisation
    has no matches to learn from. Drawn with another seed than the measured queries."""
    gen = Generator(seed + 1, len(people))
    ids = gen.rng.sample(range(len(people)), min(sample_size, len(people)))
    rows = [row(i, people[i]) for i in ids]
    for n, i in enumerate(ids[: len(ids) // 10]):
        facts = corrupt(gen, people[i], KINDS[n % len(KINDS)])
        if facts is not None:
            rows.append(row(2 * QUERY_ID_OFFSET + n, facts))
    return rows


def quality(queries, ranked, likely):
    """ranked[i]: candidate ids best first (at most five); likely[i]: ids labelled likely."""
    present = [i for i, q in enumerate(queries) if q.truth is not None]
    absent = [i for i, q in enumerate(queries) if q.truth is None]
    labelled = [(i, pid) for i in range(len(queries)) for pid in likely[i]]
    return {
        "top1_recall": sum(1 for i in present if ranked[i][:1] == [queries[i].truth]) / len(present),
        "top5_recall": sum(1 for i in present if queries[i].truth in ranked[i][:5]) / len(present),
        "likely_precision": sum(1 for i, pid in labelled if pid == queries[i].truth) / len(labelled) if labelled else 0.0,
        "likely_recall": sum(1 for i in present if queries[i].truth in likely[i]) / len(present),
        "absent_likely": sum(1 for i in absent if likely[i]) / len(absent) if absent else 0.0,
    }


def run_openmarac(people, queries):
    started = time.perf_counter()
    index = BlockingIndex()
    for person_id, facts in enumerate(people):
        index.add(person_id, facts)
    build = time.perf_counter() - started
    timings, ranked, likely = [], [], []
    for query in queries:
        t0 = time.perf_counter()
        found = rank(query.facts, ((i, people[i]) for i in index.candidates(query.facts)), limit=5)
        timings.append(time.perf_counter() - t0)
        ranked.append([pid for pid, _ in found])
        likely.append({pid for pid, m in found if m.label == LIKELY})
    return {"build_s": build, "timings": timings, **quality(queries, ranked, likely)}


def run_splink(people, queries, sample_size, seed, single_lookups):
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    db_api = DuckDBAPI()
    started = time.perf_counter()
    population = db_api.register(pa.Table.from_pylist([row(i, f) for i, f in enumerate(people)]), table_name="population")
    sample = db_api.register(pa.Table.from_pylist(training_rows(people, sample_size, seed)), table_name="training_sample")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("phone"),
            cl.ExactMatch("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("phone"),
            block_on("postcode", "substr(first_name, 1, 1)"),
        ],
    )
    linker = Linker(sample, settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match([block_on("first_name", "surname", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    train_s = time.perf_counter() - started

    query_rows = [row(QUERY_ID_OFFSET + i, q.facts) for i, q in enumerate(queries)]
    requests = db_api.register(pa.Table.from_pylist(query_rows), table_name="queries")
    started = time.perf_counter()
    pairs = linker.inference.predict_between(population, requests, warning_mode="never").as_record_list()
    batch_s = time.perf_counter() - started

    by_query = {}
    for pair in pairs:
        left, right = pair["unique_id_l"], pair["unique_id_r"]
        query_id, person_id = (right, left) if right >= QUERY_ID_OFFSET else (left, right)
        by_query.setdefault(query_id - QUERY_ID_OFFSET, []).append((pair["match_probability"], person_id))
    ranked, likely = [], []
    for i in range(len(queries)):
        found = sorted(by_query.get(i, []), key=lambda pair: -pair[0])
        ranked.append([pid for p, pid in found if p >= SPLINK_SHOWN][:5])
        likely.append({pid for p, pid in found[:5] if p >= SPLINK_LIKELY})

    # One referral at a time, as a coordinator would look someone up.
    timings = []
    for i, query_row in enumerate(query_rows[:single_lookups]):
        one = db_api.register(pa.Table.from_pylist([query_row]), table_name=f"one_query_{i}")
        t0 = time.perf_counter()
        linker.inference.predict_between(population, one, warning_mode="never").as_record_list()
        timings.append(time.perf_counter() - t0)
    return {"train_s": train_s, "batch_s": batch_s, "timings": timings, **quality(queries, ranked, likely)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--training-sample", type=int, default=200_000)
    parser.add_argument("--single-lookups", type=int, default=30, help="splink lookups timed one referral at a time")
    args = parser.parse_args(argv)

    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    gen = Generator(args.seed, args.people)
    people = gen.population(args.people)
    queries = make_queries(gen, people, args.queries)
    log(f"generated {len(people):,} people and {len(queries)} queries")
    ours = run_openmarac(people, queries)
    log("OpenMarac done")
    theirs = run_splink(people, queries, args.training_sample, args.seed, args.single_lookups)
    log("splink done")

    import splink

    present = sum(1 for q in queries if q.truth is not None)
    print(f"{args.people:,} people; {present} queries about someone in the Marac, {len(queries) - present} about someone who is not")
    print()
    print("| Matcher | Top-1 recall | Top-5 recall | \"Likely\" precision | \"Likely\" recall | Absent: \"likely\" shown "
          "| Lookup median (one referral) | Lookup p95 | Preparation |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r, prep in (
        ("OpenMarac (in memory)", ours, f"index {ours['build_s']:.0f} s"),
        (f"splink {splink.__version__} (DuckDB)", theirs,
         f"training {theirs['train_s']:.0f} s; all {len(queries)} queries in one batch {theirs['batch_s']:.1f} s"),
    ):
        print(
            f"| {name} | {r['top1_recall']:.3f} | {r['top5_recall']:.3f} | {r['likely_precision']:.3f} | {r['likely_recall']:.3f} "
            f"| {r['absent_likely']:.3f} | {statistics.median(r['timings']) * 1000:.1f} ms | {percentile(r['timings'], 95) * 1000:.1f} ms "
            f"| {prep} |"
        )
    print()
    print(f"seed {args.seed}; splink trained on {min(args.training_sample, args.people):,} people; "
          f"splink \"likely\" = match probability >= {SPLINK_LIKELY}, shown = >= {SPLINK_SHOWN}; "
          f"splink lookup times from {len(theirs['timings'])} single-referral lookups; "
          f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
