"""SQL queries and server time of the busiest pages, against a trivial signed-in page,
in a database made by bench.national_gen (benchmarks 2 and 3 of docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.pages_bench --marac m01 --repeat 15

Each page is requested through Django's test client (the whole stack: middleware,
view, templates, audit) by a user of the bench Marac signed in past both factors.
The first request of each page is a warm-up; the table gives the queries of one
request and the median time of the others, and that median over the trivial page's
(the account's recovery-codes page: session, user, one device query) measured in the
same run, the two requested in turn so that a change in the machine's load (it is
shared) weighs on both alike. The CPU ratio (this process's CPU time, page against
trivial page) leaves out the database's own work; `--slowest N` prints each page's N
slowest queries, to find those that grow with the data.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from openmarac.accounts.models import Marac, User  # noqa: E402
from openmarac.governance import figures  # noqa: E402
from openmarac.actions.services import hearing_for  # noqa: E402
from openmarac.meetings.models import AgendaItem, DeclarationSignature, Hearing, Meeting  # noqa: E402
from openmarac.referrals.models import Case  # noqa: E402
from bench.recorder import Recorder  # noqa: E402

ROLES = ["coordinator", "chair", "housing", "police", "idva", "referrer", "governance"]
WORKED_OUT = "Governance dashboard, figures worked out on each request"


def signed_in(user):
    client = Client(raise_request_exception=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.filter(confirmed=True).first().persistent_id
    session.save()
    return client


def pages(marac):
    """(label, role, path) of every page measured."""
    users = {role: User.objects.get(email=f"{role}@{marac.slug}.bench.invalid") for role in ROLES}
    now = timezone.now()
    # The 40-case agenda and the chair's screen: the last full meeting already held.
    meeting = (
        Meeting.objects.filter(marac=marac, starts_at__lt=now).annotate(n=django.db.models.Count("items"))
        .order_by("-n", "-starts_at").first()
    )
    items = meeting.n
    # The chair's screen as it is while a case is heard (its forms open) and once the
    # case is closed: the first two cases of the meeting, their hearings opened and
    # closed for the bench, so the figures do not depend on the time of day it runs.
    heard, closed = AgendaItem.objects.filter(meeting=meeting).order_by("id")[:2]
    for item, closed_at in ((heard, None), (closed, now)):
        Hearing.objects.filter(pk=hearing_for(item).pk).update(closed_at=closed_at)
    for role in ("coordinator", "chair"):
        DeclarationSignature.objects.get_or_create(meeting=meeting, user=users[role], defaults={"statement": "Bench"})
    # The case page: the case of the Marac with the most referrals (and so actions).
    case = (
        Case.objects.filter(marac=marac).annotate(n=django.db.models.Count("referrals")).order_by("-n", "id").first()
    )
    slug = marac.slug
    rows = [
        ("Case page", "coordinator", reverse("referrals:case", args=[case.public_id])),
        (f"Agenda ({items} cases)", "coordinator", reverse("meetings:meeting", args=[meeting.public_id])),
        ("Chair's case screen, case being heard", "chair", reverse("actions:hearing", args=[meeting.public_id, heard.pk])),
        ("Chair's case screen, case closed", "chair", reverse("actions:hearing", args=[meeting.public_id, closed.pk])),
        # The chase list: the overdue view of all actions, the page's default.
        ("Action chase list", "coordinator", reverse("actions:all", args=[slug])),
        # Its figures are kept for a while (OPENMARAC_FIGURES_KEEP_SECONDS), those of the
        # period it opens at worked out by the worker before anyone asks: measured as a
        # request finds them, and as a request for a period nobody has asked for in a
        # while works them out.
        ("Governance dashboard", "governance", reverse("governance:dashboard", args=[slug])),
        (WORKED_OUT, "governance", reverse("governance:dashboard", args=[slug])),
    ]
    rows += [(f"Home ({role})", role, reverse("core:home")) for role in ROLES]
    return users, rows, {"case": case.reference, "referrals on it": case.n, "meeting": meeting.starts_at.date()}


def measure(client, path, trivial_path, repeat):
    """The page's queries (one request after a warm-up), and the median wall and CPU
    time of `repeat` requests of the page and of the trivial page, taken in turn."""
    for url in (trivial_path, path):
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
    queries, trivial_queries = Recorder(), Recorder()
    with connection.execute_wrapper(trivial_queries):
        client.get(trivial_path)
    with connection.execute_wrapper(queries):
        client.get(path)
    times = {trivial_path: [], path: []}
    cpu = {trivial_path: [], path: []}
    for _ in range(repeat):
        for url in (trivial_path, path):
            began, began_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times[url].append(time.perf_counter() - began)
            cpu[url].append(time.process_time() - began_cpu)
    median = {url: (statistics.median(times[url]), statistics.median(cpu[url])) for url in times}
    return queries.captured_queries, trivial_queries.captured_queries, median[path], median[trivial_path]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marac", default="m01")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this text")
    parser.add_argument("--slowest", type=int, default=0, help="print each page's N slowest queries")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    marac = Marac.objects.get(slug=args.marac)
    users, rows, about = pages(marac)
    clients = {role: signed_in(user) for role, user in users.items()}
    trivial_path = reverse("accounts:recovery-codes")
    cases = Case.objects.count()
    marac_cases = Case.objects.filter(marac=marac).count()
    results = []
    if any(label == "Governance dashboard" and args.only.lower() in label.lower() for label, _, _ in rows):
        # What the worker's job costs (background/schedule.py): every active Marac's.
        began = time.perf_counter()
        kept = figures.keep_default_dashboards()
        worker_job = f"; the worker's governance-figures job: {kept} Maracs in {time.perf_counter() - began:.1f} s"
    else:
        worker_job = ""
    for label, role, path in rows:
        if args.only.lower() not in label.lower():
            continue
        with override_settings(**({"OPENMARAC_FIGURES_KEEP_SECONDS": 0} if label == WORKED_OUT else {})):
            queries, trivial_queries, (seconds, cpu), (trivial, trivial_cpu) = measure(clients[role], path, trivial_path, args.repeat)
        results.append((label, role, queries, seconds, cpu, trivial, trivial_cpu, trivial_queries))
    print(f"Pages at {cases:,} cases ({marac_cases:,} in {marac.slug}); {about}; {args.repeat} timed requests each{worker_job}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| Page | Signed in as | SQL queries | Median ms | Trivial page ms (same role, same run) | Ratio | CPU ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, role, queries, seconds, cpu, trivial, trivial_cpu, trivial_queries in results:
        print(f"| {label} | {role} | {len(queries)} | {seconds * 1000:.1f} | {trivial * 1000:.1f} ({len(trivial_queries)} queries) "
              f"| {seconds / trivial:.1f}× | {cpu / trivial_cpu:.1f}× |")
    for label, role, queries, *_ in results if args.slowest else []:
        print(f"\n{label} ({role}), slowest queries:")
        for query in sorted(queries, key=lambda q: -q["time"])[: args.slowest]:
            print(f"  {query['time'] * 1000:8.1f} ms  {query['sql'][:400]}")


if __name__ == "__main__":
    main()
