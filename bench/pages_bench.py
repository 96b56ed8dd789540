"""SQL queries and server time of the busiest pages, against a trivial signed-in page,
in a database made by bench.national_gen (benchmarks 2 and 3 of docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.pages_bench --marac m01 --repeat 15

Each page is requested through Django's test client (the whole stack: middleware,
view, templates, audit) by a user of the bench Marac signed in past both factors.
The first request of each page is a warm-up; the table gives the queries of one
request (CaptureQueriesContext) and the median time of the others, and that median
over the trivial page's (the account's recovery-codes page: session, user, one
device query) measured in the same run, interleaved with the others.
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from openmarac.accounts.models import Marac, User  # noqa: E402
from openmarac.meetings.models import AgendaItem, DeclarationSignature, Meeting  # noqa: E402
from openmarac.referrals.models import Case  # noqa: E402

ROLES = ["coordinator", "chair", "housing", "police", "idva", "referrer", "governance"]


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
    item = AgendaItem.objects.filter(meeting=meeting).order_by("id").first()
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
        ("Chair's case screen", "chair", reverse("actions:hearing", args=[meeting.public_id, item.pk])),
        ("Action chase list", "coordinator", reverse("actions:mine", args=[slug])),
        ("Governance dashboard", "governance", reverse("governance:dashboard", args=[slug])),
    ]
    rows += [(f"Home ({role})", role, reverse("core:home")) for role in ROLES]
    return users, rows, {"case": case.reference, "referrals on it": case.n, "meeting": meeting.starts_at.date()}


def measure(client, path, repeat):
    response = client.get(path)  # warm-up
    assert response.status_code == 200, (path, response.status_code)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    count = len(queries)  # read now: the next request empties the log it slices
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - t0)
    return count, times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marac", default="m01")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    marac = Marac.objects.get(slug=args.marac)
    users, rows, about = pages(marac)
    clients = {role: signed_in(user) for role, user in users.items()}
    trivial_path = reverse("accounts:recovery-codes")
    cases = Case.objects.count()
    marac_cases = Case.objects.filter(marac=marac).count()
    results = []
    trivial_all = []
    for label, role, path in rows:
        trivial_queries, trivial = measure(clients[role], trivial_path, args.repeat)
        queries, times = measure(clients[role], path, args.repeat)
        trivial_all += trivial
        results.append((label, role, queries, statistics.median(times), statistics.median(trivial), trivial_queries))
    print(f"Pages at {cases:,} cases ({marac_cases:,} in {marac.slug}); {about}; {args.repeat} timed requests each")
    print()
    print("| Page | Signed in as | SQL queries | Median ms | Trivial page ms (same role, same run) | Ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for label, role, queries, median, trivial, trivial_queries in results:
        print(f"| {label} | {role} | {queries} | {median * 1000:.1f} | {trivial * 1000:.1f} ({trivial_queries} queries) "
              f"| {median / trivial:.1f}× |")


if __name__ == "__main__":
    main()
