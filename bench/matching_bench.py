"""Benchmark for person matching: quality on a synthetic Marac, and lookup time.

A seeded synthetic population (names, dates of birth, phones and postcodes
drawn from Faker's en_GB data) is filed in a BlockingIndex, exactly as the web
app files people under blocking keys. Queries are then made by corrupting
known people the way referrals get them wrong (nickname, misspelt or
sound-alike surname; a date of birth with a wrong digit, day and month
swapped, a day or two out, the year one or ten out, two digits transposed, or
missing; names written surname first; one half of a double-barrelled surname;
a changed surname; a new phone; an alias), plus queries for people who are not
in the Marac at all. Each lookup is a blocking-key fetch followed by
scoring, timed together.

Run from the repository root:

    PYTHONPATH=src python -m bench.matching_bench --people 100000 1000000 --queries 2800 --seed 1

It prints Markdown tables; docs/performance.md holds the figures.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

try:
    import openmarac  # noqa: F401
except ImportError:  # run straight from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from faker import Faker
from faker.providers.person.en_GB import Provider as PersonProvider

from openmarac.people.matching import (
    LIKELY,
    BlockingIndex,
    PersonFacts,
    given_name_equivalents,
    rank,
)

TODAY = date(2025, 1, 1)  # fixed so the generated ages do not depend on the day it runs
KINDS = (
    "nickname",
    "surname_sounds_alike",
    "surname_misspelt",
    "dob_one_digit",
    "dob_day_month_swapped",
    "dob_days_apart",
    "dob_year_out",
    "dob_digits_transposed",
    "dob_missing",
    "surname_first",
    "double_barrelled",
    "surname_changed",
    "phone_changed",
    "alias",
)
ABSENT = "absent"


# --- Synthetic population -----------------------------------------------------


class Generator:
    """Makes realistic-looking people from Faker's en_GB name and postcode data.

    Names are drawn with Faker's own frequencies (Smith and Jones are common,
    as in real life), so common-name collisions happen at a realistic rate.
    Draws go through one seeded random.Random for speed and repeatability.
    """

    def __init__(self, seed: int, population: int) -> None:
        self.rng = random.Random(seed)
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        surnames = PersonProvider.last_names
        self.surnames = list(surnames)
        self.surname_cum = list(accumulate(surnames.values()))
        self.female = list(PersonProvider.first_names_female)
        self.male = list(PersonProvider.first_names_male)
        # About eight people per postcode: real postcodes cover ~15 addresses,
        # and sharing makes the postcode evidence realistically weak.
        self.postcodes = [fake.postcode() for _ in range(max(1000, population // 8))]

    def surname(self) -> str:
        return self.rng.choices(self.surnames, cum_weights=self.surname_cum)[0]

    def given(self, female: bool) -> str:
        return self.rng.choice(self.female if female else self.male)

    def dob(self) -> date:
        # Ages 16 to 85.
        return TODAY - timedelta(days=self.rng.randint(16 * 365, 85 * 365))

    def mobile(self) -> str:
        # Our own 07 numbers: Faker's en_GB numbers come from Ofcom's small
        # drama ranges, which would give thousands of people the same phone.
        return "07" + "".join(self.rng.choices("0123456789", k=9))

    def format_phone(self, national: str) -> str:
        """The same number written the ways agencies write it."""
        n = national
        return self.rng.choice(
            (
                n,
                f"{n[:5]} {n[5:]}",
                f"{n[:5]} {n[5:8]} {n[8:]}",
                f"+44 {n[1:5]} {n[5:]}",
                f"+44(0){n[1:5]} {n[5:]}",
                f"0044{n[1:]}",
                f"+44{n[1:]}",
            )
        )

    def format_postcode(self, postcode: str) -> str:
        return self.rng.choice((postcode, postcode.replace(" ", ""), postcode.lower()))

    def person(self, household: PersonFacts | None = None) -> PersonFacts:
        rng = self.rng
        female = rng.random() < 0.5
        given = self.given(female)
        family = self.surname()
        if rng.random() < 0.03:
            family = f"{family}-{self.surname()}"  # double-barrelled
        dob = self.dob() if rng.random() < 0.95 else None  # DOB often unknown for perpetrators
        postcodes = (rng.choice(self.postcodes),) if rng.random() < 0.95 else ()
        if household is not None:
            # Someone living with an earlier person: same address, usually the
            # same surname, sometimes a twin. These are the hard negatives.
            postcodes = household.postcodes
            if rng.random() < 0.6:
                family = household.names[0][1]
                if rng.random() < 0.03 and household.date_of_birth:
                    dob = household.date_of_birth
        phones = (self.format_phone(self.mobile()),) if rng.random() < 0.9 else ()
        names = ((given, family),)
        if rng.random() < 0.08:
            if female and rng.random() < 0.6:
                names += ((given, self.surname()),)  # previous surname
            else:
                names += ((self.given(female), family),)  # "known as"
        return PersonFacts(names=names, date_of_birth=dob, phones=phones, postcodes=postcodes)

    def population(self, n: int) -> list[PersonFacts]:
        people: list[PersonFacts] = []
        for _ in range(n):
            household = people[self.rng.randrange(len(people))] if people and self.rng.random() < 0.25 else None
            people.append(self.person(household))
        return people


# --- Corruptions ----------------------------------------------------------------

# Respellings that sound the same in British English. They are deliberately
# not derived from the matcher's own phonetic code, so the benchmark measures
# it rather than agreeing with itself.
SOUND_ALIKE = (
    ("mps", "ms"), ("ms", "mps"), ("y", "i"), ("i", "y"), ("ph", "f"), ("f", "ph"),
    ("ck", "k"), ("ll", "l"), ("tt", "t"), ("nn", "n"), ("ss", "s"), ("rr", "r"),
    ("ey", "y"), ("ie", "y"), ("son", "sen"), ("ou", "ow"), ("ai", "ay"),
    ("ei", "ie"), ("mac", "mc"), ("mc", "mac"), ("ar", "er"), ("s", "z"), ("c", "k"),
    ("w", "wh"), ("ce", "se"),
)
QWERTY_NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr",
    "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zc",
    "c": "xv", "v": "cb", "b": "vn", "n": "bm", "m": "n",
}


def sound_alike(rng: random.Random, surname: str) -> str | None:
    word = surname.lower()
    rules = [(a, b) for a, b in SOUND_ALIKE if a in word[1:] or (a in word and a in ("mac", "mc"))]
    if not rules:
        # An added or dropped final "e" (Brown/Browne) fits almost any name.
        return (surname[:-1] if word.endswith("e") and len(word) > 3 else surname + "e")
    a, b = rng.choice(rules)
    starts = [i for i in range(len(word)) if word.startswith(a, i) and (i > 0 or a in ("mac", "mc"))]
    i = rng.choice(starts)
    return (word[:i] + b + word[i + len(a):]).title()


def misspell(rng: random.Random, surname: str) -> str:
    """One typing slip, not in the first letter (people rarely get that wrong)."""
    word = surname.lower()
    i = rng.randrange(1, len(word))
    slip = rng.choice(("swap", "drop", "double", "neighbour"))
    if slip == "swap" and i < len(word) - 1:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    elif slip == "drop" and len(word) > 3:
        word = word[:i] + word[i + 1:]
    elif slip == "double":
        word = word[:i] + word[i] + word[i:]
    else:
        word = word[:i] + rng.choice(QWERTY_NEIGHBOURS.get(word[i], "e")) + word[i + 1:]
    return word.title()


def one_digit_dob(rng: random.Random, dob: date) -> date:
    digits = f"{dob:%Y%m%d}"
    while True:
        i = rng.randrange(8)
        changed = digits[:i] + rng.choice("0123456789".replace(digits[i], "")) + digits[i + 1:]
        try:
            new = date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            continue
        if 1900 <= new.year and new <= TODAY:
            return new


def days_apart_dob(rng: random.Random, dob: date) -> date:
    """A day or two out: the 19th written as the 20th, the 9th as the 10th."""
    return dob + timedelta(days=rng.choice((-2, -1, -1, 1, 1, 2)))


def year_out_dob(rng: random.Random, dob: date) -> date | None:
    try:
        return dob.replace(year=dob.year + rng.choice((-10, -1, 1, 10)))
    except ValueError:  # 29 February
        return None


def transposed_dob(rng: random.Random, dob: date) -> date | None:
    """Two neighbouring digits of the day, month or year swapped, as people
    write them: 12/03 for 21/03, 1987 for 1978 (the last two of the year)."""
    day, month, year = f"{dob.day:02d}", f"{dob.month:02d}", f"{dob.year:04d}"
    field = rng.choice(("day", "month", "year"))
    if field == "day":
        day = day[::-1]
    elif field == "month":
        month = month[::-1]
    else:
        year = year[:2] + year[3] + year[2]
    try:
        new = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return new if new != dob and new <= TODAY else None


@dataclass
class Query:
    kind: str
    facts: PersonFacts
    truth: int | None  # index of the true person, None if not in the Marac


def make_queries(gen: Generator, people: list[PersonFacts], count: int) -> list[Query]:
    rng = gen.rng
    kinds = KINDS + (ABSENT,)
    queries: list[Query] = []
    for q in range(count):
        kind = kinds[q % len(kinds)]
        if kind == ABSENT:
            queries.append(Query(kind, absent_person(gen, people), None))
            continue
        while True:  # draw people until one the corruption applies to
            truth = rng.randrange(len(people))
            facts = corrupt(gen, people[truth], kind)
            if facts is not None:
                queries.append(Query(kind, facts, truth))
                break
    return queries


def absent_person(gen: Generator, people: list[PersonFacts]) -> PersonFacts:
    """Someone not in the Marac. Half are relatives of someone who is: same
    surname and address, different given name and date of birth."""
    rng = gen.rng
    if rng.random() < 0.5:
        relative = people[rng.randrange(len(people))]
        person = gen.person(relative)
        names = ((person.names[0][0], relative.names[0][1]),)
        return PersonFacts(names, person.date_of_birth, person.phones, relative.postcodes)
    return gen.person()


def national(phone: str) -> str:
    """The generated mobile behind a formatted one ("+44(0)7700 900123" -> "07700900123")."""
    return "0" + "".join(c for c in phone if c.isdigit())[-10:]


def corrupt(gen: Generator, person: PersonFacts, kind: str) -> PersonFacts | None:
    """A referral about ``person`` with one kind of slip, or None if the slip
    does not apply (no DOB to mistype, no nickname for the name...)."""
    rng = gen.rng
    given, family = person.names[0]
    dob = person.date_of_birth
    names = ((given, family),)  # referrals usually carry one name
    # Referrals often lack the phone or address, or carry a different format.
    phones = tuple(gen.format_phone(national(p)) for p in person.phones if rng.random() < 0.5)
    postcodes = tuple(gen.format_postcode(p) for p in person.postcodes if rng.random() < 0.5)

    if kind == "nickname":
        others = sorted(given_name_equivalents(given) - {given.lower()})
        if not others:
            return None
        names = ((rng.choice(others).title(), family),)
    elif kind == "surname_sounds_alike":
        new = sound_alike(rng, family)
        if not new or new.lower() == family.lower():
            return None
        names = ((given, new),)
    elif kind == "surname_misspelt":
        names = ((given, misspell(rng, family)),)
    elif kind == "dob_one_digit":
        if dob is None:
            return None
        dob = one_digit_dob(rng, dob)
    elif kind == "dob_day_month_swapped":
        if dob is None or dob.day > 12 or dob.day == dob.month:
            return None
        dob = date(dob.year, dob.day, dob.month)
    elif kind in ("dob_days_apart", "dob_year_out", "dob_digits_transposed"):
        if dob is None:
            return None
        slip = {"dob_days_apart": days_apart_dob, "dob_year_out": year_out_dob, "dob_digits_transposed": transposed_dob}[kind]
        dob = slip(rng, dob)
        if dob is None:
            return None
    elif kind == "surname_first":
        names = ((family, given),)  # "JONES Sarah" typed into given name, surname
    elif kind == "double_barrelled":
        parts = family.split("-")
        if len(parts) > 1:
            names = ((given, rng.choice(parts)),)  # only one half recorded
        else:
            names = ((given, f"{family}-{gen.surname()}" if rng.random() < 0.5 else f"{gen.surname()}-{family}"),)
    elif kind == "surname_changed":
        # A new surname (marriage, separation) and nothing to say what it was.
        new = gen.surname()
        if dob is None or new.lower() == family.lower():
            return None
        names = ((given, new),)
    elif kind == "dob_missing":
        if dob is None:
            return None
        dob = None
    elif kind == "phone_changed":
        phones = (gen.format_phone(gen.mobile()),)
        if rng.random() < 0.5:
            postcodes = (rng.choice(gen.postcodes),)  # moved house too
    elif kind == "alias":
        if len(person.names) > 1:
            names = (person.names[1],)  # referred under the alias only
        else:
            # Referred under a new surname, with the known one given as previous.
            names = ((given, gen.surname()), (given, family))
            if names[0][1] == family:
                return None
    return PersonFacts(names=names, date_of_birth=dob, phones=phones, postcodes=postcodes)


# --- Measuring --------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def run(n_people: int, n_queries: int, seed: int) -> dict:
    log = lambda msg: print(f"[{n_people:,}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    gen = Generator(seed, n_people)
    people = gen.population(n_people)
    log(f"generated in {time.perf_counter() - started:.0f}s")

    started = time.perf_counter()
    index = BlockingIndex()
    for person_id, facts in enumerate(people):
        index.add(person_id, facts)
    build_seconds = time.perf_counter() - started
    log(f"indexed in {build_seconds:.0f}s")

    queries = make_queries(gen, people, n_queries)
    gc.collect()
    timings, fetched, results = [], [], []
    for query in queries:
        t0 = time.perf_counter()
        ids = index.candidates(query.facts)
        ranked = rank(query.facts, ((i, people[i]) for i in ids), limit=5)
        timings.append(time.perf_counter() - t0)
        fetched.append(len(ids))
        results.append(ranked)
    log("queried")

    present = [(q, r) for q, r in zip(queries, results, strict=True) if q.truth is not None]
    absent = [(q, r) for q, r in zip(queries, results, strict=True) if q.truth is None]
    answered = [(q, r) for q, r in present if r]
    top1 = sum(1 for q, r in present if r and r[0][0] == q.truth)
    top5 = sum(1 for q, r in present if any(pid == q.truth for pid, _ in r))
    shown = sum(len(r) for _, r in present)
    likely = [(q, pid) for q, r in zip(queries, results, strict=True) for pid, m in r if m.label == LIKELY]

    by_kind = {}
    for kind in KINDS:
        rows = [(q, r) for q, r in present if q.kind == kind]
        by_kind[kind] = {
            "queries": len(rows),
            "top1_recall": sum(1 for q, r in rows if r and r[0][0] == q.truth) / len(rows),
            "top5_recall": sum(1 for q, r in rows if any(p == q.truth for p, _ in r)) / len(rows),
            "likely": sum(1 for q, r in rows if any(p == q.truth and m.label == LIKELY for p, m in r)) / len(rows),
        }
    return {
        "people": n_people,
        "queries": len(present),
        "absent_queries": len(absent),
        "top1_precision": top1 / len(answered) if answered else 0.0,
        "top1_recall": top1 / len(present),
        "top5_precision": top5 / shown if shown else 0.0,
        "top5_recall": top5 / len(present),
        "likely_precision": sum(1 for q, pid in likely if pid == q.truth) / len(likely) if likely else 0.0,
        "absent_any": sum(1 for _, r in absent if r) / len(absent) if absent else 0.0,
        "absent_likely": sum(1 for _, r in absent if any(m.label == LIKELY for _, m in r)) / len(absent)
        if absent
        else 0.0,
        "fetched_mean": statistics.fmean(fetched),
        "fetched_p95": percentile(fetched, 95),
        "mean_ms": statistics.fmean(timings) * 1000,
        "p95_ms": percentile(timings, 95) * 1000,
        "build_s": build_seconds,
        "by_kind": by_kind,
    }


def markdown(results: list[dict]) -> str:
    lines = [
        "| People | Queries (in Marac / absent) | Top-1 precision | Top-1 recall | Top-5 precision "
        "| Top-5 recall | \"Likely\" precision | Absent: any shown | Absent: \"likely\" shown "
        "| Candidates fetched (mean / p95) | Lookup mean | Lookup p95 | Index build |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['people']:,} | {r['queries']:,} / {r['absent_queries']:,} | {r['top1_precision']:.3f} "
            f"| {r['top1_recall']:.3f} | {r['top5_precision']:.3f} | {r['top5_recall']:.3f} "
            f"| {r['likely_precision']:.3f} | {r['absent_any']:.3f} | {r['absent_likely']:.3f} "
            f"| {r['fetched_mean']:.0f} / {r['fetched_p95']:.0f} | {r['mean_ms']:.2f} ms "
            f"| {r['p95_ms']:.2f} ms | {r['build_s']:.0f} s |"
        )
    for r in results:
        lines += [
            "",
            f"By kind of slip, {r['people']:,} people:",
            "",
            "| Slip | Queries | Top-1 recall | Top-5 recall | True person labelled \"likely\" |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind, k in r["by_kind"].items():
            lines.append(
                f"| {kind.replace('_', ' ')} | {k['queries']} | {k['top1_recall']:.3f} "
                f"| {k['top5_recall']:.3f} | {k['likely']:.3f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2800, help="total queries, 1 in 15 for absent people")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    results = []
    for n in args.people:
        results.append(run(n, args.queries, args.seed))
        gc.collect()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(markdown(results))
    print()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"seed {args.seed}, peak memory {peak_mib:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
