"""Bulk import throughput: `openmarac import-referrals` on a generated file, against a
floor measured in the same run (benchmark 5 of docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_scale \\
        PYTHONPATH=src .venv/bin/python -m bench.import_bench --rows 100000

The file follows docs/import-format.md: a Marac's history, nine rows in ten already
heard, one victim in ten referred again under the same name and date of birth (so
matching finds candidates), a perpetrator on every row and children on half. Each run
imports into a new Marac of the same database (the database is migrated, not emptied),
with the real command in a child process: its wall time and peak memory (the
kernel's maximum resident set of the child) are reported, with the CPU seconds of the
child and, on PostgreSQL, of the database server process serving it. The floor is PostgreSQL's
own COPY of the same file into a table of text columns, plus the time to read and check
the file in Python (importer.parse), both measured in this run.

Several sizes (`--rows 100000 100000`) import one history after another, each into a
Marac of its own with people of its own (the seed moves on for each file), as a region
loads its Maracs' histories into one deployment. An import beside other Maracs leaves
the search for likely matches in them to the worker: the queued tasks are then run by
`openmarac db_worker --batch` in a child process and timed too. After each import the
database's statistics are brought up to date (`ANALYZE`), as autovacuum does on a
server that runs for a while.
"""

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from faker.providers.person.en_GB import Provider as NameProvider  # noqa: E402

from bench.national_gen import name_pool  # noqa: E402
from openmarac.accounts.models import AgencyKind, Marac, Role  # noqa: E402
from openmarac.referrals import importer  # noqa: E402
from openmarac.referrals.models import OtherMaracMatch, Referral  # noqa: E402
from openmarac.synthetic.accounts import marac_with_agencies, user_with_role  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "referral_id", "referred_on", "referring_agency_kind", "referrer_name", "victim_given_name", "victim_family_name",
    "victim_date_of_birth", "victim_gender", "victim_postcode", "victim_address", "victim_phone", "victim_racially_minoritised",
    "victim_disabled", "victim_lgbt", "perpetrator_given_name", "perpetrator_family_name", "perpetrator_date_of_birth",
    "perpetrator_relationship", "children", "checklist_score", "professional_judgement", "professional_judgement_rationale",
    "police_incidents_last_12_months", "repeat_declared", "consent_given", "heard_on",
]
KINDS = ["police"] * 6 + ["idva", "housing", "health", "childrens_social_care"]


def write_file(path, rows, seed):
    rng = random.Random(seed)
    given_f, given_m, family = (name_pool(names, rng, 5000) for names in (NameProvider.first_names_female,
                                                                         NameProvider.first_names_male, NameProvider.last_names))
    today = date.today()
    start = today - timedelta(days=365 * 10)
    victims = []
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for i in range(rows):
            referred_on = start + timedelta(days=(i * 3650) // rows)
            if victims and rng.random() < 0.1:
                given, surname, dob = rng.choice(victims[-2000:])
            else:
                given, surname = rng.choice(given_f), rng.choice(family)
                dob = referred_on - timedelta(days=rng.randint(17 * 365, 70 * 365))
                victims.append((given, surname, dob))
            heard = referred_on + timedelta(days=rng.randint(7, 28))
            children = "; ".join(
                f"{rng.choice(given_f + given_m)} {surname} {referred_on - timedelta(days=rng.randint(30, 16 * 365))}"
                for _ in range(rng.choice((0, 0, 1, 2)))
            )
            score = rng.choice((14, 15, 16, 18, 20, 9, 11))
            writer.writerow([
                f"HIST-{i:07d}", referred_on, rng.choice(KINDS), "Referring officer", given, surname, dob, "Female",
                f"N{rng.randint(1, 99)} {rng.randint(1, 9)}AB", f"{rng.randint(1, 200)} {rng.choice(family)} Road",
                f"07{rng.randint(100000000, 999999999)}", rng.choice(("yes", "no", "no", "unknown")), rng.choice(("no", "yes", "unknown")),
                rng.choice(("no",) * 20 + ("yes",)), rng.choice(given_m), rng.choice(family),
                dob + timedelta(days=rng.randint(-2000, 2000)), "Ex-partner", children, score, "yes" if score < 14 else "no",
                "Strangulation disclosed; plans to leave" if score < 14 else "", rng.randint(0, 5), "no", "yes",
                heard if heard < today and rng.random() < 0.9 else "",
            ])


def copy_floor(path):
    """PostgreSQL's COPY of the same file into a table of text columns (then dropped)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_floor")
        cursor.execute(f"CREATE TABLE bench_import_floor ({', '.join(f'{c} text' for c in COLUMNS)})")
        t0 = time.perf_counter()
        with open(path, "rb") as file, cursor.cursor.copy("COPY bench_import_floor FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - t0
        cursor.execute("DROP TABLE bench_import_floor")
    return elapsed


class DatabaseCpu:
    """CPU seconds of the PostgreSQL server processes serving the command: the bench's
    database is its own, so any other connection to it is the command's. Read from
    /proc while they run (PostgreSQL on this machine), so the command's Python and the
    database's work can be told apart; None where /proc cannot be read."""

    def __init__(self):
        self.seconds = {}  # backend pid -> last CPU seconds seen
        self.readable = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def total(self):
        return sum(self.seconds.values()) if self.readable else None

    def _poll(self):
        from django.db import connections

        # A connection of this thread's own, closed when done.
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                while not self._stop.wait(0.2):
                    cursor.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    for pid, in cursor.fetchall():
                        try:
                            with open(f"/proc/{pid}/stat") as stat:
                                fields = stat.read().rsplit(")", 1)[1].split()
                        except OSError:
                            continue  # gone, or not on this machine
                        self.seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            self.readable = False
        finally:
            connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for number, rows in enumerate(args.rows):
        seed = args.seed + number
        path = workdir / f"import-{rows}-{seed}.csv"
        write_file(path, rows, seed)
        slug = f"imp{rows}-{int(time.time())}"
        marac = marac_with_agencies(name=f"Import bench {slug}", slug=slug)
        coordinator = user_with_role(marac=marac, role=Role.COORDINATOR, agency_kind=AgencyKind.IDVA, email=f"coordinator@{slug}.invalid")

        # COPY is PostgreSQL's: on SQLite the floor is the Python reading alone.
        floor = copy_floor(path) if connection.vendor == "postgresql" else 0.0
        t0 = time.perf_counter()
        parsed = importer.parse(path, marac=marac, by=coordinator)
        parse_time = time.perf_counter() - t0
        assert not parsed.rejects, parsed.rejects[:3]
        del parsed

        command = [sys.executable, "-m", "openmarac", "import-referrals", str(path), "--marac", slug, "--by", coordinator.email]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with DatabaseCpu() if connection.vendor == "postgresql" else _Nothing() as database_cpu:
            done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        # The search of the other Maracs the import leaves to the worker (only when the
        # database holds other Maracs): the queued tasks run by a worker that stops
        # when the queue is empty.
        search = None
        others = Marac.objects.exclude(pk=marac.pk).count()
        if others:
            t0 = time.perf_counter()
            worker = subprocess.run([sys.executable, "-m", "openmarac", "db_worker", "--batch", "--no-startup-delay"],
                                    capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            search = time.perf_counter() - t0
            if worker.returncode:
                raise SystemExit(worker.stderr[-3000:])
        elsewhere = OtherMaracMatch.objects.filter(referral__marac=marac).count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        created = Referral.objects.filter(marac=marac).count()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM referrals_matchcandidate m JOIN referrals_referral r ON r.id = m.referral_id WHERE r.marac_id = %s", [marac.pk])
            candidates = cursor.fetchone()[0]
        results.append({
            "rows": rows, "created": created, "candidates": candidates, "seconds": elapsed, "rate": created / elapsed,
            "peak": after.ru_maxrss / 1024, "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "floor": floor, "parse": parse_time, "out": done.stdout.strip().splitlines()[-1],
            "database_cpu": database_cpu.total(), "load": (load_before, os.getloadavg()[0]),
            "others": others, "search": search, "elsewhere": elsewhere,
        })

    print(f"Import benchmark on {connection.vendor} ({connection.settings_dict['NAME']}), seeds from {args.seed}")
    print()
    print("| Rows | Imported | Match candidates | Command wall s | Referrals/s | Command CPU s | Database CPU s | Peak memory MiB "
          "| Floor: COPY of the file s | Floor: read and check s | Command / (COPY + check) | Load average before, after "
          "| Other Maracs | Worker: other Maracs searched s | Likely matches elsewhere |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for r in results:
        database = "—" if r["database_cpu"] is None else f"{r['database_cpu']:.1f}"
        search = "—" if r["search"] is None else f"{r['search']:.1f}"
        print(f"| {r['rows']:,} | {r['created']:,} | {r['candidates']:,} | {r['seconds']:.1f} | {r['rate']:,.0f} | {r['cpu']:.1f} "
              f"| {database} | {r['peak']:,.0f} | {r['floor']:.2f} | {r['parse']:.1f} | {r['seconds'] / (r['floor'] + r['parse']):.1f}× "
              f"| {r['load'][0]:.1f}, {r['load'][1]:.1f} | {r['others']} | {search} | {r['elsewhere']:,} |")
    for r in results:
        print(f"Command said: {r['out']}")


class _Nothing:
    """No database CPU figure (SQLite runs inside the command)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def total(self):
        return None


if __name__ == "__main__":
    main()
