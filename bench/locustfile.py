"""The mix of bench.load_bench (run it through that script, which makes the sessions
and the API key this file reads). Two kinds of simulated user, each pausing 0.5 to 2 s
between requests:

- staff: each takes one role's signed-in session and views pages;
- an agency system (the police's records system, one API credential shared by all):
  lists cases, lists its agency's actions and reports on one, reads its flags, and
  submits referrals with an Idempotency-Key, a fifth of them sent twice with the same
  key and body (the second must be the stored answer, marked Idempotent-Replayed).

Any answer other than the expected status is a failure."""

import itertools
import json
import os
import random
import uuid
from datetime import date, timedelta

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["LOAD_SESSIONS"]).read())
PAGES = {label: (role, path) for label, role, path in SETUP["pages"]}
AGENDA = next(label for label in PAGES if label.startswith("Agenda"))
# Each agency-system user reports on an action of its own (see load_bench.api_setup).
ACTION_FOR_USER = itertools.count()
GIVEN = ["Alex", "Sam", "Jo", "Chris", "Robin", "Kim", "Lee", "Jamie", "Morgan", "Charlie"]
FAMILY = ["Hughes", "Patel", "Khan", "Evans", "Walsh", "Okafor", "Nowak", "Reid", "Byrne", "Clarke"]


class Staff(HttpUser):
    weight = 3
    wait_time = between(0.5, 2)

    def on_start(self):
        self.role = random.choice(list(SETUP["sessions"]))

    def view(self, path, name, role=None):
        # Exactly one session cookie, the role's (the server's refreshed copy included).
        self.client.cookies.clear()
        self.client.cookies.set(SETUP["cookie"], SETUP["sessions"][role or self.role])
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    @task(10)
    def case_page(self):
        self.view(random.choice(SETUP["cases"]), "Page: case (coordinator)", "coordinator")

    @task(6)
    def home(self):
        self.view("/", f"Page: home ({self.role})")

    @task(3)
    def agenda(self):
        role, path = PAGES[AGENDA]
        self.view(path, f"Page: {AGENDA.lower()}", role)

    @task(3)
    def hearing(self):
        self.view(PAGES["Chair's case screen, case being heard"][1], "Page: chair's case screen", "chair")

    @task(1)
    def dashboard(self):
        self.view(PAGES["Governance dashboard"][1], "Page: governance dashboard", "governance")

    @task(1)
    def chase_list(self):
        self.view(PAGES["Action chase list"][1], "Page: action chase list", "coordinator")


def referral_body():
    """A referral as a police system sends it: a new victim each time (so matching runs
    against the Marac's people), the risk checklist and consent."""
    given, family = random.choice(GIVEN), random.choice(FAMILY)
    born = date(1960, 1, 1) + timedelta(days=random.randrange(15000))
    return {
        "referred_on": (date.today() - timedelta(days=1)).isoformat(),
        "referrer_name": "PC Load Test",
        "reasons": "Threats to kill after separation; third police call-out this year.",
        "victim": {"given_name": given, "family_name": family, "date_of_birth": born.isoformat(), "gender": "Female",
                   "postcode": "NT1 1AA", "phone": "07700 900123", "phone_safe_to_call": "yes"},
        "perpetrators": [{"given_name": random.choice(GIVEN), "family_name": family, "relationship_to_victim": "Ex-partner"}],
        "checklist_answers": {"threatened_to_kill": {"answer": "yes"}, "very_frightened": {"answer": "yes"},
                              "separation_within_past_year": {"answer": "yes"}, "sexual_abuse": {"answer": "no"}},
        "professional_judgement": True,
        "professional_judgement_rationale": "Threats to kill with a weapon after separation.",
        "police_incidents_last_12_months": random.randrange(5),
        "victim_aware": True,
        "consent_given": True,
    }


class AgencySystem(HttpUser):
    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {SETUP['api_key']}"
        actions = SETUP["actions"]
        self.action = actions[next(ACTION_FOR_USER) % len(actions)] if actions else None

    def call(self, method, path, name, expected=200, **kwargs):
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != expected:
                response.failure(f"status {response.status_code}: {response.text[:200]}")
                return None
            return response

    @task(6)
    def case_list(self):
        self.call("GET", "/api/v1/cases/", "API: case list")

    @task(4)
    def action_list(self):
        self.call("GET", "/api/v1/actions/?status=open", "API: action list")

    @task(2)
    def action_update(self):
        if self.action is None:
            return
        read = self.call("GET", f"/api/v1/actions/{self.action}/", "API: action detail")
        if read is None:
            return
        version = read.json()["version"]
        self.call(
            "POST", f"/api/v1/actions/{self.action}/updates/", "API: action update", json={"version": version, "status": "open", "note": "Officer visited"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )

    @task(3)
    def flags(self):
        self.call("GET", "/api/v1/flags/", "API: flags")

    @task(2)
    def referral(self):
        body, key = referral_body(), str(uuid.uuid4())
        first = self.call("POST", "/api/v1/referrals/", "API: referral", expected=201, json=body, headers={"Idempotency-Key": key})
        if first is None or random.random() >= 0.2:
            return
        # A retry after a lost answer: the stored answer again, nothing created twice.
        with self.client.post("/api/v1/referrals/", name="API: referral repeated (same key)", json=body, headers={"Idempotency-Key": key},
                              catch_response=True) as again:
            if again.status_code != 201 or again.headers.get("Idempotent-Replayed") != "true" or again.json()["id"] != first.json()["id"]:
                again.failure(f"not the stored answer: status {again.status_code}, {again.text[:200]}")
