"""A loopback load test (benchmark 7 of docs/performance.md): gunicorn on 127.0.0.1
serving a database made by bench.national_gen, and locust (headless, a fixed number of
users for a fixed time) signed in as the bench Marac's users, viewing pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_national \\
        PYTHONPATH=src .venv/bin/python -m bench.load_bench --users 10 --seconds 60

locust is not a dependency of OpenMarac: install it in a virtualenv of its own
(`python -m venv var/locust-venv && var/locust-venv/bin/pip install locust==2.47.0`) or
name another with --locust. Sessions are made beforehand (signed in past both factors,
as the test client does) and handed to locust in var/bench/load_sessions.json, so the
load is page views, not sign-ins. The mix (bench/locustfile.py): case pages of 200
cases, the last held 40-case agenda, the chair's case screen, each role's home page,
the governance dashboard and the action chase list. There is no API yet, so no API
calls.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmarac.config.settings.dev")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.pages_bench import pages, signed_in  # noqa: E402
from openmarac.accounts.models import Marac  # noqa: E402
from openmarac.referrals.models import Case  # noqa: E402

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
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--marac", default="m01")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--locust", default=str(ROOT / "var" / "locust-venv" / "bin" / "locust"))
    args = parser.parse_args()
    workdir = ROOT / "var" / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "load_sessions.json").write_text(json.dumps(prepare(Marac.objects.get(slug=args.marac))))

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "openmarac.config.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(workdir / "load_gunicorn.log", "w"),
    )
    try:
        time.sleep(5)
        prefix = workdir / "load"
        subprocess.run(
            [args.locust, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(args.users), "-r", str(args.users),
             "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary",
             "--stop-timeout", "30"],
            env={**env, "LOAD_SESSIONS": str(workdir / "load_sessions.json")}, check=False, stdout=subprocess.DEVNULL,
            stderr=open(workdir / "load_locust.log", "w"),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    with open(f"{prefix}_stats.csv", newline="") as file:
        stats = list(csv.DictReader(file))
    print(f"Loopback load test: {args.users} users for {args.seconds} s, gunicorn with {args.workers} workers on 127.0.0.1, "
          f"{Case.objects.count():,} cases in the database")
    print()
    print("| Page | Requests | Failures | Requests/s | Median ms | 95th percentile ms | Max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in stats:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        print(f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.2f} | {row['50%']} | "
              f"{row['95%']} | {float(row['Max Response Time']):.0f} |")


if __name__ == "__main__":
    main()
