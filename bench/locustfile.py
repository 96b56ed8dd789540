"""The page mix of bench.load_bench (run it through that script, which makes the
sessions this file reads). Each simulated user takes one role's signed-in session and
views pages with a short pause between them; a response other than 200 is a failure."""

import json
import os
import random

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["LOAD_SESSIONS"]).read())
PAGES = {label: (role, path) for label, role, path in SETUP["pages"]}


class Staff(HttpUser):
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
        self.view(random.choice(SETUP["cases"]), "Case page (coordinator)", "coordinator")

    @task(6)
    def home(self):
        self.view("/", f"Home ({self.role})")

    @task(3)
    def agenda(self):
        role, path = next((r, p) for label, (r, p) in PAGES.items() if label.startswith("Agenda"))
        self.view(path, "Agenda (40 cases)", role)

    @task(3)
    def hearing(self):
        self.view(PAGES["Chair's case screen"][1], "Chair's case screen", "chair")

    @task(1)
    def dashboard(self):
        self.view(PAGES["Governance dashboard"][1], "Governance dashboard", "governance")

    @task(1)
    def chase_list(self):
        self.view(PAGES["Action chase list"][1], "Action chase list", "coordinator")
