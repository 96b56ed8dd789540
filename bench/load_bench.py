"""A loopback load test (benchmark 7 of docs/performance.md): gunicorn on 127.0.0.1
(production's gunicorn settings, openmarac.config.gunicorn) serving a database made by
bench.national_gen, and locust (headless, a fixed number of users for a fixed time):
staff signed in as the bench Marac's users viewing pages, and an agency system calling
the REST API with a credential of the Marac's police.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.load_bench --users 10 --seconds 60

locust is not a dependency of OpenMarac: install it in a virtualenv of its own
(`python -m venv var/locust-venv && var/locust-venv/bin/pip install locust==2.47.0`) or
name another with --locust. Sessions are made beforehand (signed in past both factors,
as the test client does) and handed to locust in var/bench/load_sessions.json with the
API key, so the load is page views and API calls, not sign-ins. The mix is in
bench/locustfile.py.

The API's throttle (OPENMARAC_API_RATE_PER_MINUTE, 120 a credential by default) is
raised for the bench server to --api-rate (default 100,000 a minute): every API user
shares one credential, and a 429 would count as an error. The throttle itself is tested
in tests/api/.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.pages_bench import pages, signed_in  # noqa: E402
from openmarac.accounts.models import AgencyKind, Marac  # noqa: E402
from openmarac.actions.models import Action  # noqa: E402
from openmarac.actions.selectors import actions_of_agency  # noqa: E402
from openmarac.api import services as api_services  # noqa: E402
from openmarac.governance import figures  # noqa: E402
from openmarac.referrals.models import Case, Referral  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765


def prepare(marac):
    settings.ALLOWED_HOSTS = ["*"]
    users, rows, _ = pages(marac)
    sessions = {role: signed_in(user).cookies[settings.SESSION_COOKIE_NAME].value for role, user in users.items()}
    cases = [str(public_id) for public_id in Case.objects.filter(marac=marac).order_by("-id").values_list("public_id", flat=True)[:200]]
    return {
        "sessions": sessions,
        "cookie": settings.SESSION_COOKIE_NAME,
        "cases": [reverse("referrals:case", args=[c]) for c in cases],
        "pages": [(label, role, path) for label, role, path in rows],
        **api_setup(marac, users["coordinator"]),
    }


def api_setup(marac, coordinator):
    """A new credential of the Marac's police (as its coordinator would make it), and the
    police's open actions it may report on: each API user updates its own, so that two
    users never race for one action's version (a 409 would be the bench's doing)."""
    police = marac.agency_links.get(agency__kind=AgencyKind.POLICE).agency
    issued = api_services.credential_create(
        by=coordinator, marac=marac, agency=police, name="Load test", expires_on=api_services.default_expiry()
    )
    account = api_services.act_for(issued.credential)
    actions = actions_of_agency(user=account, marac=marac).filter(status=Action.Status.OPEN, owner_agency=police).prefetch_related(None)
    return {
        "api_key": issued.token, "api_account": issued.credential.user_id,
        "actions": list(actions.order_by("-id").values_list("id", flat=True)[:200]),
    }


def wait_until_up(seconds=60):
    """Until the server answers its health check (rather than a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marac", default="m01")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--api-rate", type=int, default=100_000, help="the bench server's API requests a minute per credential")
    parser.add_argument("--locust", default=str(ROOT / "var" / "locust-venv" / "bin" / "locust"))
    args = parser.parse_args()
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    setup = prepare(Marac.objects.get(slug=args.marac))
    (workdir / "load_sessions.json").write_text(json.dumps(setup))
    # The dashboard's figures as a deployment's worker keeps them (its governance-figures
    # job, into the shared cache the server reads); the worker itself is not run, since
    # its other jobs (retention above all) would work through the generated history.
    figures.keep_default_dashboards()

    env = {
        **os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "OPENMARAC_BIND": f"127.0.0.1:{PORT}", "OPENMARAC_WEB_WORKERS": str(args.workers),
        "OPENMARAC_API_RATE_PER_MINUTE": str(args.api_rate),
    }
    # Production's gunicorn settings; its access log (standard output) is left out.
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "python:openmarac.config.gunicorn", "openmarac.config.wsgi"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(workdir / "load_gunicorn.log", "w"),
    )
    try:
        wait_until_up()
        prefix = workdir / "load"
        subprocess.run(
            [args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(args.users), "-r", str(args.users),
             "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{PORT}", "--json-file", str(prefix), "--only-summary",
             "--stop-timeout", "30"],
            env={**env, "LOAD_SESSIONS": str(workdir / "load_sessions.json")}, check=False, stdout=subprocess.DEVNULL,
            stderr=open(workdir / "load_locust.log", "w"),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    # The final figures, written once every user has finished its last request (locust's
    # CSV files are written every second while it runs, and missed the requests that
    # ended while it stopped).
    with open(f"{prefix}.json") as file:
        entries = json.load(file)
    seconds = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    print(f"Loopback load test: {args.users} users for {args.seconds} s, gunicorn with {args.workers} workers on 127.0.0.1, "
          f"{Case.objects.count():,} cases in the database")
    print()
    print("| Request | Requests | Failures | Requests/s | Median ms | 95th percentile ms | Max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, rows in [*((e["name"], [e]) for e in sorted(entries, key=lambda e: e["name"])), ("**all**", entries)]:
        requests = sum(e["num_requests"] for e in rows)
        times = Counter()
        for e in rows:
            times.update({int(ms): n for ms, n in e["response_times"].items()})
        print(f"| {name} | {requests} | {sum(e['num_failures'] for e in rows)} | {requests / seconds:.2f} | {_percentile(times, 0.5)} | "
              f"{_percentile(times, 0.95)} | {max(e['max_response_time'] for e in rows):.0f} |")

    # Idempotency: every accepted referral made one, and a repeat with the same key none.
    by_name = {e["name"]: e for e in entries}
    none = {"num_requests": 0, "num_failures": 0}
    sent, repeats = by_name.get("API: referral", none), by_name.get("API: referral repeated (same key)", none)
    accepted = sent["num_requests"] - sent["num_failures"]
    made = Referral.objects.filter(referrer_id=setup["api_account"]).count()
    print()
    print(f"Referrals accepted by the API: {accepted}; referrals it recorded: {made}; repeats with the same key: "
          f"{repeats['num_requests']} ({repeats['num_failures']} not the stored answer)")


def _percentile(times, share):
    """The response time (ms, as locust rounds it) within which `share` of the requests
    finished, from a count of requests by response time."""
    total, seen = sum(times.values()), 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= total * share:
            return ms
    return 0

if __name__ == "__main__":
    main()
