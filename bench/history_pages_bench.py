"""Pages that stay short with years of history: the demo Marac with N imported heard
referrals (ten years of them, as the importer records them) plus the demo's current
work, opened by each role. Each page's size, median time and query count, against a
trivial signed-in page requested in turn with it. The CPU ratio (this process's CPU
time, page against trivial page) is steadier than wall time on a shared machine; on
SQLite it includes the database's work, on PostgreSQL it does not.

    PYTHONPATH=src .venv/bin/python -m bench.history_pages_bench --referrals 20000
    PYTHONPATH=src .venv/bin/python -m bench.history_pages_bench --reuse --only /figures/   # one page, again

The limits (issue 12): no page larger than 500 KB, none slower than three times the
trivial page. DATABASE_URL chooses the database (default: SQLite at
var/bench/history.sqlite3, made afresh)."""

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")
os.environ.setdefault("OPENMARAC_DEMO_SHOW_MFA_CODE", "1")
BENCH_DB = Path(__file__).resolve().parents[1] / "var" / "bench" / "history.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DB}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from openmarac.accounts.models import Marac, User  # noqa: E402
from openmarac.meetings.models import DeclarationSignature, Meeting  # noqa: E402
from openmarac.meetings.selectors import _agenda_entry, _slots  # noqa: E402
from openmarac.referrals.models import Case  # noqa: E402
from openmarac.synthetic.accounts import demo_deployment  # noqa: E402
from openmarac.synthetic.history import bulk_referrals  # noqa: E402
from openmarac.synthetic.meetings import demo_meetings  # noqa: E402
from openmarac.synthetic.referrals import demo_referrals  # noqa: E402
from bench.recorder import Recorder  # noqa: E402

MAX_BYTES = 500_000
MAX_RATIO = 3.0
TRIVIAL = "/account/invitations/"


def pages(marac, meeting):
    slug = marac.slug
    # Case search: a two-letter name (the broadest a search may be), a full name, a
    # reference and a date of birth, each over every case the reader may open.
    victim = Case.objects.filter(marac=marac, victim__date_of_birth__isnull=False).select_related("victim").order_by("pk").first()
    searches = [
        "/search/?q=sm", f"/search/?q={quote(str(victim.victim))}", f"/search/?q={victim.reference.lower()}",
        f"/search/?q={victim.victim.date_of_birth:%d/%m/%Y}",
    ]
    # The meeting's own pages and a case on its agenda: they read one meeting and one
    # case, and must not grow with the Marac's history either.
    heard = Case.objects.filter(referrals__agenda_items__meeting=meeting).order_by("pk").first()
    # The chair's case screen of the first case on the agenda (what the chair projects).
    first_item = _slots(meeting, [_agenda_entry(*row) for row in meeting.items.values_list("pk", "section", "listed_at", "referral__children_count")])[0].entry.key
    meeting_day = [f"/meetings/{meeting.public_id}/", f"/meetings/{meeting.public_id}/run/", f"/meetings/{meeting.public_id}/minutes/", f"/cases/{heard.public_id}/",
                   f"/meetings/{meeting.public_id}/cases/{first_item}/"]
    return {
        "coordinator": ["/", f"/maracs/{slug}/listing/", f"/maracs/{slug}/all-actions/", f"/maracs/{slug}/all-actions/?view=all",
                        f"/maracs/{slug}/actions/", f"/maracs/{slug}/meetings/", f"/maracs/{slug}/possible-matches/", f"/maracs/{slug}/flags/",
                        f"/meetings/{meeting.public_id}/research/", *searches, *meeting_day],
        "chair": ["/", f"/maracs/{slug}/listing/", f"/maracs/{slug}/all-actions/?view=all", f"/maracs/{slug}/meetings/", *meeting_day],
        "housing": ["/", f"/maracs/{slug}/actions/", f"/maracs/{slug}/meetings/", f"/maracs/{slug}/my-slots/", searches[0]],
        "idva": ["/", f"/maracs/{slug}/actions/", f"/maracs/{slug}/idva-referrals/"],
        "referrer": ["/", "/referrals/"],
        "governance": ["/", f"/maracs/{slug}/figures/"],
    }


def signed_in(email):
    user = User.objects.get(email=email)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.filter(confirmed=True).first().persistent_id
    session.save()
    return client


def measure(client, path, repeat):
    """The page's size and queries (one request), and the median time of `repeat`
    requests of the page and of the trivial page, taken in turn so that a change in the
    machine's load (it is shared) weighs on both alike."""
    queries = Recorder()
    with connection.execute_wrapper(queries):
        response = client.get(path, HTTP_HOST="localhost")
    assert response.status_code == 200, (path, response.status_code)
    client.get(TRIVIAL, HTTP_HOST="localhost")
    times, trivial_times, cpu, trivial_cpu = [], [], [], []
    for _ in range(repeat):
        for url, into, cpu_into in ((TRIVIAL, trivial_times, trivial_cpu), (path, times, cpu)):
            began, began_cpu = time.perf_counter(), time.process_time()
            client.get(url, HTTP_HOST="localhost")
            into.append(time.perf_counter() - began)
            cpu_into.append(time.process_time() - began_cpu)
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
    cpu_ms = (statistics.median(cpu) * 1000, statistics.median(trivial_cpu) * 1000)
    return statistics.median(times), statistics.median(trivial_times), cpu_ms, len(response.content), len(queries), slowest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the database the last run made")
    parser.add_argument("--slowest", type=int, default=0, help="print each page's N slowest queries")
    parser.add_argument("--only", default="", metavar="PATH-SUBSTRING", help="measure only the pages whose path contains this")
    args = parser.parse_args()
    if not args.reuse:
        populate(args)
    marac = Marac.objects.get(slug="northshire")
    meeting = Meeting.objects.filter(marac=marac, published_at__isnull=False).order_by("-starts_at").first()

    failures = []
    for role, paths in pages(marac, meeting).items():
        paths = [path for path in paths if args.only in path]
        if not paths:
            continue
        client = signed_in(f"{role}@demo.openmarac.invalid")
        # The meeting's pages open after the reader signs its confidentiality declaration.
        DeclarationSignature.objects.get_or_create(meeting=meeting, user=User.objects.get(email=f"{role}@demo.openmarac.invalid"), defaults={"statement": "Bench"})
        for path in paths:
            seconds, base, (cpu, trivial_cpu), size, queries, slowest = measure(client, path, args.repeat)
            ratio = seconds / base
            ok = size <= MAX_BYTES and ratio <= MAX_RATIO
            if not ok:
                failures.append((role, path))
            print(f"{role:<12} {path:<60} {seconds * 1000:7.1f} ms {ratio:5.1f} x (trivial {base * 1000:5.1f} ms; CPU {cpu / trivial_cpu:4.1f} x: {cpu:5.1f} / {trivial_cpu:4.1f} ms)  {size / 1000:7.1f} KB  {queries:3d} queries  {'ok' if ok else 'OVER'}")
            for query in slowest[: args.slowest]:
                print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    print("all pages within limits" if not failures else f"{len(failures)} pages over a limit: {failures}")


def populate(args):
    if connection.vendor == "sqlite":
        BENCH_DB.parent.mkdir(parents=True, exist_ok=True)
        connection.close()
        BENCH_DB.unlink(missing_ok=True)
    else:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    marac, _ = demo_deployment()
    demo_referrals(marac=marac)
    demo_meetings(marac=marac)
    # Ten years of imported history, every case heard (and so a candidate for the
    # 12-month review under the old rule).
    bulk_referrals(marac=marac, count=args.referrals, first_on=date.today() - timedelta(days=3650), span_days=3640)
    # Statistics for the planner, as a deployment's maintenance would gather them
    # (PostgreSQL's autovacuum; `PRAGMA optimize` on SQLite). On PostgreSQL a VACUUM
    # too, as autovacuum runs one after so many inserts: it merges the entries a bulk
    # insert leaves pending in the GIN indexes (the case search's trigrams), which every
    # search would otherwise read one by one (11 against 54 ms for a two-word name).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"{args.referrals} imported referrals loaded in {time.perf_counter() - began:.1f} s ({connection.vendor})")


if __name__ == "__main__":
    main()
