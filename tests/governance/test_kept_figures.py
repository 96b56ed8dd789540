"""The dashboard's figures are worked out at most every OPENMARAC_FIGURES_KEEP_SECONDS
for a Marac and a period, and the page says when; the worker works out the default
period's before anyone asks; the data return is always fresh."""

import csv
import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from openmarac.background.schedule import enqueue_due

from ..conftest import sign_in
from .conftest import HEADER, QUARTER
from .test_views import _figure, figures_json

PERIOD = {"start": QUARTER[0], "end": QUARTER[1]}


DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "openmarac_cache"}}


@pytest.fixture(params=["memory", "database"])
def kept(request, db):
    """Figures kept for five minutes, in the test process's memory or, as a deployment
    without Redis keeps them, in the database (the copy read back from the table)."""
    caches = {"CACHES": DATABASE_CACHE} if request.param == "database" else {}
    with override_settings(OPENMARAC_FIGURES_KEEP_SECONDS=300, **caches):
        if caches:
            call_command("createcachetable", verbosity=0)
        cache.clear()
        yield
        cache.clear()


def _dashboard(user, period=PERIOD):
    """The page for `period`, or for the default period when it is {}."""
    return sign_in(Client(), user).get(reverse("governance:dashboard", args=["northshire"]), period).content.decode()


def _hear_one_more_case(staff, marac, tmp_path):
    path = tmp_path / "one-more.csv"
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerow(["Q-E1", "2025-02-26", "2025-03-11", "police", "Rosa", "Lind", "1991-01-01", "Female", "no", "no", "no",
                         "Carl", "Lind", "1990-01-01", "", "16", "no"])
    call_command("import_referrals", str(path), marac=marac.slug, by=staff["coordinator"].email, stdout=open("/dev/null", "w"))


def test_the_figures_are_kept_for_a_while_and_the_page_says_when_they_were_worked_out(kept, quarter, staff, marac, tmp_path):
    html = _dashboard(staff["governance"])
    assert _figure(html, "Cases heard") == "9"
    worked_out = re.search(r"Worked out at (\d\d:\d\d) on ([^.]+)\.", html)
    assert worked_out and worked_out.group(1) == f"{timezone.localtime():%H:%M}"
    assert "worked out again at most every 5 minutes, so a change made since then may not show yet" in html

    _hear_one_more_case(staff, marac, tmp_path)
    # Kept: the same figures to everyone who may see them, the coordinator too.
    assert _figure(_dashboard(staff["governance"]), "Cases heard") == "9"
    assert _figure(_dashboard(staff["coordinator"]), "Cases heard") == "9"
    # The data return is never kept.
    assert sum(row["cases"] for row in json.loads(figures_json(quarter))) == 10
    # Another period is worked out on its own.
    assert _figure(_dashboard(staff["governance"], {"start": QUARTER[0], "end": "2025-03-30"}), "Cases heard") == "10"

    with freeze_time(timezone.now() + timedelta(minutes=6), tick=True):
        assert _figure(_dashboard(staff["governance"]), "Cases heard") == "10"


def test_with_keeping_off_every_request_works_the_figures_out(quarter, staff, marac, tmp_path):
    """The test settings keep nothing (OPENMARAC_FIGURES_KEEP_SECONDS = 0)."""
    html = _dashboard(staff["governance"])
    assert _figure(html, "Cases heard") == "9"
    assert "Worked out at" in html and "worked out again" not in html
    _hear_one_more_case(staff, marac, tmp_path)
    assert _figure(_dashboard(staff["governance"]), "Cases heard") == "10"


def test_the_worker_works_the_default_periods_figures_out_before_anyone_asks(kept, quarter, staff, marac, tmp_path):
    # In the quarter after the data's: the dashboard opens at the data's quarter.
    with freeze_time("2025-05-12 06:00", tick=True):
        # The worker's periodic job (tasks run as soon as enqueued in the test settings).
        assert "governance-figures" in enqueue_due()
        worked_out_at = f"Worked out at {timezone.localtime():%H:%M}"
        _hear_one_more_case(staff, marac, tmp_path)
        with freeze_time("2025-05-12 06:03", tick=True):
            html = _dashboard(staff["governance"], {})
        # The worker's figures, from before the last case was heard.
        assert _figure(html, "Cases heard") == "9" and worked_out_at in html


def test_figures_older_than_the_keeping_time_are_worked_out_again_whatever_the_cache_holds(kept, quarter, staff, marac, tmp_path):
    """Lowering the setting takes effect at once, on figures already kept for longer."""
    with override_settings(OPENMARAC_FIGURES_KEEP_SECONDS=3600):
        assert _figure(_dashboard(staff["governance"]), "Cases heard") == "9"
    _hear_one_more_case(staff, marac, tmp_path)
    assert _figure(_dashboard(staff["governance"]), "Cases heard") == "9"
    with freeze_time(timezone.now() + timedelta(minutes=6), tick=True):
        assert _figure(_dashboard(staff["governance"]), "Cases heard") == "10"
